//! The log pump: one thread that moves every instance's output from its FIFOs to its files.
//!
//! One epoll waits on all output FIFOs. A readable FIFO is read in large chunks; the
//! chunk is framed into lines (a partial last line waits for the rest, in memory and in
//! a file that outlives the daemon: see `partial`), formatted (timestamps, JSON) into
//! one buffer and appended to each target file with one write, so a line is never split
//! or interleaved. Where a stream's files are its instance's own and not rotated, the
//! chunk is only peeked at and taken out of the pipe once written (`peek`, `recovery`),
//! so a killed daemon loses nothing. Writing synchronously is the back-pressure: an app
//! that writes faster than the disk fills its pipe and waits, and loses nothing. When a
//! write fails (full disk), the formatted bytes are kept, the FIFO is left unread (the app
//! waits) and the write is retried every second until it succeeds. A stream that wakes
//! the pump again right after a small read gets a short gathering delay (see `BUSY`), so
//! apps that write line by line are moved in batches rather than one wake-up per line.
//!
//! This file owns the handle (`Pump`, `PumpCommand`, `PumpReport`, `Outputs`), the
//! thread and its epoll loop, and attaching and detaching instances. How each stream is
//! pumped is decided in `targets` (`StreamMode`) and carried out in `stream`, one
//! function per mode; what a killed daemon left is settled in `recovery`. The owner (the
//! supervisor) drives the pump with `PumpCommand`s; the pump only reports log errors
//! back, through the closure given to `Pump::spawn`. Everything but `Pump`'s methods
//! runs on the pump thread.

mod chunk;
mod outputs;
mod partial;
mod peek;
mod recovery;
mod report;
mod stream;
mod targets;
#[cfg(test)]
mod test_support;
mod turn;

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags, EpollTimeout};

use crate::logs::format::Stream;
use crate::logs::framer::LineFramer;
use crate::mailbox::{epoll_with_mailbox, Inbox, Mailbox, WAKE_KEY};
pub use outputs::Outputs;
use peek::Scratch;
pub use report::PumpReport;
use report::Reporter;
use stream::{Pipe, StreamState};
use targets::{stream_modes, target_paths, truncate_path, Target};
use turn::{Buffers, Tools, SMALL};

/// Read size per system call: a whole (root-sized) pipe at once. The buffer is only
/// touched, and so only resident, as far as output has ever filled it.
const CHUNK: usize = 1024 * 1024;
/// Retry period of a failed write.
const RETRY: Duration = Duration::from_secs(1);
/// A FIFO ready again within `BUSY` of the last turn, which read less than `SMALL`
/// (the pipe far from full), belongs to a chatty app writing line by line: the pump lets
/// its output gather for `GATHER` before reading, so lines move in batches instead of one
/// wake-up (and one read and one write) per line. Quiet apps get no delay at all, and an
/// app filling its pipe is never made to wait. Nor is one writing blocks (buffered stdio
/// flushes 4 KiB or more at a time): a ready FIFO that already holds `BLOCK` bytes is
/// read at once, as the pump would only sit idle while the app goes on filling it.
const BUSY: Duration = Duration::from_millis(1);
const GATHER: Duration = Duration::from_micros(200);
const BLOCK: usize = 4096;
/// After a burst of output (reads over `SMALL`), this long without any gives the
/// buffers' memory back (see `release_buffers`).
const RELEASE_AFTER: Duration = Duration::from_secs(1);

/// Instructions from the supervisor.
pub enum PumpCommand {
    /// Start (or keep) pumping an instance's FIFOs to its files.
    Attach {
        id: u32,
        out: File,
        err: File,
        /// Where each stream (out, err) keeps its partial line (see `partial`).
        partials: [PathBuf; 2],
        outputs: Outputs,
    },
    /// Change where an instance's output goes.
    Retarget { id: u32, outputs: Outputs },
    /// The main process exited: drain what it wrote, then write its partial last line.
    Exited { id: u32 },
    /// Drain and forget the instance (it is deleted).
    Detach { id: u32 },
    /// Reopen every file (after an external rotation).
    Reopen,
    /// Empty the files of these instances.
    Truncate { ids: Vec<u32> },
    /// Drain everything and stop; answers on `done`.
    Shutdown { done: Sender<()> },
}

/// Handle on the pump thread.
#[derive(Clone)]
pub struct Pump {
    mailbox: Mailbox<PumpCommand>,
}

impl Pump {
    /// Starts the pump thread; it calls `report` (on its own thread) for every
    /// [`PumpReport`].
    pub fn spawn(report: impl Fn(PumpReport) + Send + 'static) -> io::Result<Pump> {
        Pump::spawn_with_scratch(CHUNK, report)
    }

    /// `spawn`, peeking through a scratch pipe of `scratch` bytes (tests: one smaller
    /// than the FIFOs, as when the kernel refuses to grow it).
    fn spawn_with_scratch(
        scratch: usize,
        report: impl Fn(PumpReport) + Send + 'static,
    ) -> io::Result<Pump> {
        let (epoll, mailbox, inbox) = epoll_with_mailbox()?;
        std::thread::Builder::new()
            .name("log-pump".into())
            .stack_size(128 * 1024)
            .spawn(move || PumpState::new(epoll, scratch, Box::new(report)).run(inbox))?;
        Ok(Pump { mailbox })
    }

    /// Queues `command` for the pump thread.
    pub fn send(&self, command: PumpCommand) {
        self.mailbox.send(command);
    }

    /// Drains every FIFO and stops the thread, waiting at most `timeout`.
    pub fn shutdown(&self, timeout: Duration) {
        let (done, wait) = mpsc::channel();
        self.send(PumpCommand::Shutdown { done });
        let _ = wait.recv_timeout(timeout);
    }
}

/// The pump thread's state.
struct PumpState {
    tools: Tools,
    bufs: Buffers,
    streams: HashMap<RawFd, StreamState>,
    /// Per instance: where its lines go.
    targets: HashMap<u32, Target>,
}

impl PumpState {
    fn new(epoll: Epoll, scratch: usize, report: Reporter) -> PumpState {
        let scratch = Scratch::new(scratch)
            .map_err(|e| log::warn!("log pump: no scratch pipe ({e}); reading destructively"))
            .ok();
        PumpState {
            tools: Tools {
                epoll,
                files: HashMap::new(),
                report,
                scratch,
                burst: false,
            },
            bufs: Buffers {
                read: vec![0; CHUNK],
                formatted: Vec::new(),
            },
            streams: HashMap::new(),
            targets: HashMap::new(),
        }
    }

    /// The epoll loop: commands and output as they come, failed writes retried every
    /// `RETRY`, buffers given back after a burst; returns on `Shutdown`.
    fn run(&mut self, inbox: Inbox<PumpCommand>) {
        let mut ready = [EpollEvent::empty(); 64];
        // When the last turn that read output ended, and how much it read.
        let mut last_turn: Option<(Instant, usize)> = None;
        loop {
            let retrying = self.streams.values().any(|s| !s.pending.is_empty());
            let timeout = if retrying {
                EpollTimeout::try_from(RETRY).unwrap_or(EpollTimeout::NONE)
            } else if self.tools.burst {
                EpollTimeout::try_from(RELEASE_AFTER).unwrap_or(EpollTimeout::NONE)
            } else {
                EpollTimeout::NONE
            };
            let n = match self.tools.epoll.wait(&mut ready, timeout) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    log::error!("log pump: epoll failed: {e}");
                    return;
                }
            };
            if n == 0 && self.tools.burst {
                self.release_buffers();
            }
            let output_ready = ready[..n].iter().any(|e| e.data() != WAKE_KEY);
            if output_ready
                && should_gather(last_turn, Instant::now(), || most_waiting(&ready[..n]))
            {
                std::thread::sleep(GATHER);
            }
            let mut bytes = 0;
            for event in &ready[..n] {
                if event.data() == WAKE_KEY {
                    for command in inbox.drain() {
                        if !self.command(command) {
                            return;
                        }
                    }
                } else {
                    bytes += self.pump(event.data() as RawFd, false);
                }
            }
            if output_ready {
                last_turn = Some((Instant::now(), bytes));
            }
            if retrying {
                let stuck: Vec<RawFd> = self
                    .streams
                    .iter()
                    .filter(|(_, s)| !s.pending.is_empty())
                    .map(|(fd, _)| *fd)
                    .collect();
                for fd in stuck {
                    self.pump(fd, false);
                }
            }
        }
    }

    /// Gives back the memory a burst of output made resident: the read buffer's filled
    /// pages, the formatted-output buffer, and framers grown by huge lines. A daemon
    /// whose apps once logged 1 GB goes back to its idle footprint; the next burst pays a
    /// few page faults.
    fn release_buffers(&mut self) {
        self.bufs.read = vec![0; CHUNK];
        self.bufs.formatted = Vec::new();
        for state in self.streams.values_mut() {
            state.framer.shrink();
        }
        self.tools.burst = false;
    }

    /// Applies one command; `false` ends the thread.
    fn command(&mut self, command: PumpCommand) -> bool {
        match command {
            PumpCommand::Attach {
                id,
                out,
                err,
                partials,
                outputs,
            } => self.attach(id, [out, err], partials, outputs),
            PumpCommand::Retarget { id, outputs } => {
                for fd in self.fds_of(id) {
                    self.pump(fd, false);
                }
                if let Some(target) = self.targets.get_mut(&id) {
                    target.outputs = outputs;
                }
                stream_modes(&mut self.targets);
            }
            PumpCommand::Exited { id } => {
                for fd in self.fds_of(id) {
                    self.pump(fd, true);
                }
            }
            PumpCommand::Detach { id } => self.detach(id),
            PumpCommand::Reopen => {
                for (path, file) in self.tools.files.iter_mut() {
                    if let Err(e) = file.reopen() {
                        log::warn!("cannot reopen {}: {e}", path.display());
                    }
                }
            }
            PumpCommand::Truncate { ids } => {
                for id in ids {
                    let Some(target) = self.targets.get(&id) else {
                        continue;
                    };
                    for path in target_paths(&target.outputs) {
                        if let Some(file) = self.tools.files.get_mut(&path) {
                            if let Err(e) = file.truncate() {
                                log::warn!("cannot empty {}: {e}", path.display());
                            }
                        } else if let Err(e) =
                            truncate_path(&path, target.outputs.writers.as_deref())
                        {
                            log::warn!("cannot empty {}: {e}", path.display());
                        }
                    }
                }
            }
            PumpCommand::Shutdown { done } => {
                let fds: Vec<RawFd> = self.streams.keys().copied().collect();
                for fd in fds {
                    self.pump(fd, false);
                }
                let _ = done.send(());
                return false;
            }
        }
        true
    }

    /// Starts pumping instance `id`'s pipes (`readers`: out, err), first settling what an
    /// earlier daemon left in their records (`partials`), then draining what waited in
    /// them (an adopted app's output).
    fn attach(&mut self, id: u32, readers: [File; 2], partials: [PathBuf; 2], outputs: Outputs) {
        self.detach(id);
        self.targets.insert(id, Target::new(outputs));
        stream_modes(&mut self.targets);
        let target = self
            .targets
            .get(&id)
            .expect("the target was inserted just above");
        let [out, err] = readers;
        let [out_partial, err_partial] = partials;
        for (reader, stream, path) in [
            (out, Stream::Out, out_partial),
            (err, Stream::Err, err_partial),
        ] {
            let resumed = recovery::resume(
                &mut self.tools,
                &mut self.bufs.read,
                target,
                id,
                stream,
                &reader,
                path,
            );
            let fd = reader.as_raw_fd();
            let added = self.tools.epoll.add(
                reader.as_fd(),
                EpollEvent::new(EpollFlags::EPOLLIN, fd as u64),
            );
            if let Err(e) = added {
                log::error!("log pump: cannot watch output of instance {id}: {e}");
            }
            self.streams.insert(
                fd,
                StreamState {
                    id,
                    stream,
                    framer: LineFramer::resume(resumed.line),
                    pipe: Pipe {
                        reader,
                        partial: resumed.partial,
                    },
                    pending: Vec::new(),
                    in_epoll: true,
                    cut_line: resumed.cut_line,
                },
            );
        }
        // Output that waited in the FIFO (an adopted app) is drained now.
        for fd in self.fds_of(id) {
            self.pump(fd, false);
        }
    }

    fn fds_of(&self, id: u32) -> Vec<RawFd> {
        let mut fds: Vec<(Stream, RawFd)> = self
            .streams
            .iter()
            .filter(|(_, s)| s.id == id)
            .map(|(fd, s)| (s.stream, *fd))
            .collect();
        fds.sort_by_key(|(stream, _)| *stream == Stream::Err);
        fds.into_iter().map(|(_, fd)| fd).collect()
    }

    fn detach(&mut self, id: u32) {
        for fd in self.fds_of(id) {
            self.pump(fd, true);
            if let Some(mut state) = self.streams.remove(&fd) {
                state.pipe.partial.remove();
                if state.in_epoll {
                    let _ = self.tools.epoll.delete(state.pipe.reader.as_fd());
                }
            }
        }
        if let Some(target) = self.targets.remove(&id) {
            // Close files no other instance writes to.
            for path in target_paths(&target.outputs) {
                let shared = self
                    .targets
                    .values()
                    .any(|t| target_paths(&t.outputs).contains(&path));
                if !shared {
                    self.tools.files.remove(&path);
                }
            }
            stream_modes(&mut self.targets);
        }
    }

    /// Gives the stream on `fd` its turn (see `stream::pump`); returns how many bytes it
    /// read.
    fn pump(&mut self, fd: RawFd, finish: bool) -> usize {
        let Some(state) = self.streams.get_mut(&fd) else {
            return 0;
        };
        let Some(target) = self.targets.get_mut(&state.id) else {
            return 0;
        };
        stream::pump(&mut self.tools, &mut self.bufs, state, target, finish)
    }
}

/// Whether to let output gather before reading, given when the last turn that read
/// output ended, how many bytes it read, and (asked only if it comes to that) how many
/// wait in the fullest ready FIFO (see `BUSY`).
fn should_gather(
    last_turn: Option<(Instant, usize)>,
    now: Instant,
    waiting: impl FnOnce() -> usize,
) -> bool {
    last_turn.is_some_and(|(end, bytes)| bytes < SMALL && now.duration_since(end) < BUSY)
        && waiting() < BLOCK
}

/// The most bytes waiting in any of the ready FIFOs (`FIONREAD`; 0 for one that cannot
/// say, which then gathers as before).
fn most_waiting(ready: &[EpollEvent]) -> usize {
    ready
        .iter()
        .filter(|e| e.data() != WAKE_KEY)
        .map(|e| {
            let mut n: libc::c_int = 0;
            // SAFETY: FIONREAD writes one c_int; the fd is a FIFO the pump holds open
            // (epoll only reports descriptors still registered).
            let ok = unsafe { libc::ioctl(e.data() as RawFd, libc::FIONREAD, &mut n) } == 0;
            if ok {
                usize::try_from(n).unwrap_or(0)
            } else {
                0
            }
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_gathers_only_while_a_stream_is_busy_with_small_reads() {
        let now = Instant::now();
        let ago = |d: Duration| now.checked_sub(d).unwrap_or(now);
        let recently = ago(Duration::from_micros(50));
        // (what the last turn read and when, bytes waiting now, gather?)
        type LastTurn = Option<(Instant, usize)>;
        let rows: [(&str, LastTurn, usize, bool); 8] = [
            ("first output ever", None, 100, false),
            (
                "after a quiet spell",
                Some((ago(BUSY * 2), 100)),
                100,
                false,
            ),
            (
                "a chatty app writing line by line",
                Some((recently, 100)),
                100,
                true,
            ),
            (
                "small reads, a few lines waiting",
                Some((now, SMALL - 1)),
                300,
                true,
            ),
            ("an app filling its pipe", Some((now, SMALL)), 100, false),
            ("a whole pipe read", Some((now, CHUNK)), 100, false),
            (
                "a block already waiting",
                Some((recently, 100)),
                BLOCK,
                false,
            ),
            ("8 KiB stdio blocks", Some((recently, 16_384)), 8192, false),
        ];
        for (what, last_turn, waiting, gather) in rows {
            assert_eq!(should_gather(last_turn, now, || waiting), gather, "{what}");
        }
        // The FIFOs are only asked when the last turn says the app is chatty.
        let asked = std::cell::Cell::new(false);
        should_gather(None, now, || {
            asked.set(true);
            0
        });
        assert!(!asked.get(), "no FIONREAD for a quiet stream");
    }

    #[test]
    fn the_bytes_waiting_in_a_ready_fifo_are_counted() {
        use std::io::Write;
        let (r, w) = nix::unistd::pipe().expect("pipe");
        let mut writer = File::from(w);
        writer.write_all(&[b'x'; 5000]).expect("write");
        let ready = [
            EpollEvent::new(EpollFlags::EPOLLIN, r.as_raw_fd() as u64),
            EpollEvent::new(EpollFlags::EPOLLIN, WAKE_KEY),
        ];
        assert_eq!(most_waiting(&ready), 5000);
        assert_eq!(most_waiting(&ready[1..]), 0, "the mailbox is not a FIFO");
    }
}
