//! The log pump: one thread that moves every instance's output from its FIFOs to its files.
//!
//! One epoll waits on all output FIFOs. A readable FIFO is read in large chunks; the
//! chunk is framed into lines (a partial last line waits for the rest, in memory and in
//! a file that outlives the daemon: see `partial`), formatted (timestamps, JSON) into
//! one buffer and appended to each target file with one write, so a line is never split
//! or interleaved. Where a stream's files are its instance's own and not rotated, the
//! chunk is only peeked at and taken out of the pipe once written (`peek`,
//! `resume_in_flight`), so a killed daemon loses nothing. Writing synchronously is the back-pressure: an app
//! that writes faster than the disk fills its pipe and waits, and loses nothing. When a
//! write fails (full disk), the formatted bytes are kept, the FIFO is left unread (the app
//! waits) and the write is retried every second until it succeeds. A stream that wakes
//! the pump again right after a small read gets a short gathering delay (see `BUSY`), so
//! apps that write line by line are moved in batches rather than one wake-up per line.
//!
//! The supervisor drives it with `PumpCommand`s; the pump only reports log errors back.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant, SystemTime};

use nix::sys::epoll::{Epoll, EpollEvent, EpollFlags, EpollTimeout};

use crate::logs::{format_framed, format_lines, LineFormat, LineFramer, LogFile, Rotation, Stream};
use crate::mailbox::{epoll_with_mailbox, Inbox, Mailbox, WAKE_KEY};
use partial::{FileSpan, InFlight, PartialFile, Resumed, WriteMark};
use peek::{fingerprint, Scratch};

mod partial;
mod peek;

/// Read size per system call: a whole (root-sized) pipe at once. The buffer is only
/// touched, and so only resident, as far as output has ever filled it.
const CHUNK: usize = 1024 * 1024;
/// Reads per FIFO per wake-up before serving the others (fairness).
const READS_PER_TURN: usize = 16;
/// Retry period of a failed write.
const RETRY: Duration = Duration::from_secs(1);
/// A FIFO ready again within `BUSY` of the last turn, which read less than `SMALL`
/// (the pipe far from full), belongs to a chatty app writing line by line: the pump lets
/// its output gather for `GATHER` before reading, so lines move in batches instead of one
/// wake-up (and one read and one write) per line. Quiet apps get no delay at all, and an
/// app filling its pipe is never made to wait.
const BUSY: Duration = Duration::from_millis(1);
const SMALL: usize = 64 * 1024;
const GATHER: Duration = Duration::from_micros(200);
/// After a burst of output (reads over `SMALL`), this long without any gives the
/// buffers' memory back (see `release_buffers`).
const RELEASE_AFTER: Duration = Duration::from_secs(1);

/// Where the pump thread sends its reports.
type Reporter = Box<dyn Fn(PumpReport) + Send>;

/// Where one instance's output goes.
#[derive(Debug, Clone)]
pub struct Outputs {
    pub format: LineFormat,
    pub out_file: PathBuf,
    pub error_file: PathBuf,
    /// Both streams also go here (`log_file`).
    pub log_file: Option<PathBuf>,
    pub rotation: Rotation,
}

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

/// What the pump tells its owner (the supervisor, through a closure given to
/// [`Pump::spawn`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PumpReport {
    /// Instance `id`'s log cannot be written (`message` says why), or can again (`None`).
    /// Sent only when this changes, not for every failed retry.
    LogError { id: u32, message: Option<String> },
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
        let report: Reporter = Box::new(report);
        let (epoll, mailbox, inbox) = epoll_with_mailbox()?;
        std::thread::Builder::new()
            .name("log-pump".into())
            .stack_size(128 * 1024)
            .spawn(move || {
                let scratch = Scratch::new(CHUNK)
                    .map_err(|e| {
                        log::warn!("log pump: no scratch pipe ({e}); reading destructively")
                    })
                    .ok();
                let mut state = PumpState {
                    epoll,
                    streams: HashMap::new(),
                    files: HashMap::new(),
                    report,
                    buf: vec![0; CHUNK],
                    out: Vec::new(),
                    scratch,
                    burst: false,
                };
                state.run(inbox);
            })?;
        Ok(Pump { mailbox })
    }

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

struct StreamState {
    id: u32,
    stream: Stream,
    reader: File,
    framer: LineFramer,
    /// The framer's partial line, on disk.
    partial: PartialFile,
    /// Formatted bytes a failed write still owes.
    pending: Vec<u8>,
    in_epoll: bool,
    /// A direct stream whose file an earlier daemon left inside a line, losing the
    /// line's rest: the line is ended before the next bytes are written, unless they
    /// start with the newline (which would leave an empty line). Settled by the drain
    /// right after attaching.
    cut_line: bool,
}

struct Target {
    outputs: Outputs,
    error: Option<String>,
    /// Per stream (out, err): its file is its alone and lines are raw, so bytes go to the
    /// file as they arrive, partial lines included; a daemon killed mid-line then loses
    /// nothing it had read. Shared files need whole lines (no interleaving), so they are
    /// framed.
    direct: [bool; 2],
    /// Per stream: its files are this instance's alone and never rotated, so a chunk can
    /// stay in the pipe until it is written (see `peek`), and a next daemon can undo a
    /// write cut short by cutting the files back.
    protected: [bool; 2],
}

struct PumpState {
    epoll: Epoll,
    streams: HashMap<RawFd, StreamState>,
    /// Per instance: where its lines go.
    files: HashMap<PathBuf, LogFile>,
    report: Reporter,
    /// Read buffer; only the pages output has filled are resident.
    buf: Vec<u8>,
    /// Formatted output of one read.
    out: Vec<u8>,
    /// Where chunks are peeked through; `None` if no pipe could be made.
    scratch: Option<Scratch>,
    /// A read brought more than `SMALL` since the buffers were last given back: once the
    /// pump has been idle for `RELEASE_AFTER`, they are (see `release_buffers`).
    burst: bool,
}

impl PumpState {
    fn run(&mut self, inbox: Inbox<PumpCommand>) {
        let mut targets: HashMap<u32, Target> = HashMap::new();
        let mut ready = [EpollEvent::empty(); 64];
        // When the last turn that read output ended, and how much it read.
        let mut last_turn: Option<(Instant, usize)> = None;
        loop {
            let retrying = self.streams.values().any(|s| !s.pending.is_empty());
            let timeout = if retrying {
                EpollTimeout::try_from(RETRY).unwrap_or(EpollTimeout::NONE)
            } else if self.burst {
                EpollTimeout::try_from(RELEASE_AFTER).unwrap_or(EpollTimeout::NONE)
            } else {
                EpollTimeout::NONE
            };
            let n = match self.epoll.wait(&mut ready, timeout) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    log::error!("log pump: epoll failed: {e}");
                    return;
                }
            };
            if n == 0 && self.burst {
                self.release_buffers();
            }
            let output_ready = ready[..n].iter().any(|e| e.data() != WAKE_KEY);
            if output_ready && should_gather(last_turn, Instant::now()) {
                std::thread::sleep(GATHER);
            }
            let mut bytes = 0;
            for event in &ready[..n] {
                if event.data() == WAKE_KEY {
                    for command in inbox.drain() {
                        if !self.command(command, &mut targets) {
                            return;
                        }
                    }
                } else {
                    bytes += self.pump(event.data() as RawFd, &mut targets, false);
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
                    self.pump(fd, &mut targets, false);
                }
            }
        }
    }

    /// Gives back the memory a burst of output made resident: the read buffer's filled
    /// pages, the formatted-output buffer, and framers grown by huge lines. A daemon
    /// whose apps once logged 1 GB goes back to its idle footprint; the next burst pays a
    /// few page faults.
    fn release_buffers(&mut self) {
        self.buf = vec![0; CHUNK];
        self.out = Vec::new();
        for state in self.streams.values_mut() {
            state.framer.shrink();
        }
        self.burst = false;
    }

    /// Applies one command; `false` ends the thread.
    fn command(&mut self, command: PumpCommand, targets: &mut HashMap<u32, Target>) -> bool {
        match command {
            PumpCommand::Attach {
                id,
                out,
                err,
                partials,
                outputs,
            } => {
                self.detach(id, targets);
                targets.insert(
                    id,
                    Target {
                        outputs,
                        error: None,
                        direct: [false; 2],
                        protected: [false; 2],
                    },
                );
                stream_modes(targets);
                let [out_partial, err_partial] = partials;
                for (reader, stream, partial) in [
                    (out, Stream::Out, out_partial),
                    (err, Stream::Err, err_partial),
                ] {
                    let (partial, resumed) = PartialFile::resume(partial);
                    let (line, cut_line) = match resumed {
                        Resumed::Line(line) => (line, false),
                        Resumed::Write(mark) => (Vec::new(), self.lost(targets, id, stream, mark)),
                        Resumed::InFlight(flight) => (
                            self.resume_in_flight(targets, id, stream, &reader, flight),
                            false,
                        ),
                    };
                    let fd = reader.as_raw_fd();
                    let added = self.epoll.add(
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
                            reader,
                            framer: LineFramer::resume(line),
                            partial,
                            pending: Vec::new(),
                            in_epoll: true,
                            cut_line,
                        },
                    );
                }
                // Output that waited in the FIFO (an adopted app) is drained now.
                for fd in self.fds_of(id) {
                    self.pump(fd, targets, false);
                }
            }
            PumpCommand::Retarget { id, outputs } => {
                for fd in self.fds_of(id) {
                    self.pump(fd, targets, false);
                }
                if let Some(target) = targets.get_mut(&id) {
                    target.outputs = outputs;
                }
                stream_modes(targets);
            }
            PumpCommand::Exited { id } => {
                for fd in self.fds_of(id) {
                    self.pump(fd, targets, true);
                }
            }
            PumpCommand::Detach { id } => self.detach(id, targets),
            PumpCommand::Reopen => {
                for (path, file) in self.files.iter_mut() {
                    if let Err(e) = file.reopen() {
                        log::warn!("cannot reopen {}: {e}", path.display());
                    }
                }
            }
            PumpCommand::Truncate { ids } => {
                for id in ids {
                    let Some(target) = targets.get(&id) else {
                        continue;
                    };
                    let paths = target_paths(&target.outputs);
                    for path in paths {
                        if let Some(file) = self.files.get_mut(&path) {
                            if let Err(e) = file.truncate() {
                                log::warn!("cannot empty {}: {e}", path.display());
                            }
                        } else if let Err(e) = truncate_path(&path) {
                            log::warn!("cannot empty {}: {e}", path.display());
                        }
                    }
                }
            }
            PumpCommand::Shutdown { done } => {
                let fds: Vec<RawFd> = self.streams.keys().copied().collect();
                for fd in fds {
                    self.pump(fd, targets, false);
                }
                let _ = done.send(());
                return false;
            }
        }
        true
    }

    /// Whether an earlier daemon was killed between taking a direct stream's bytes from
    /// the pipe and writing them all, leaving its file inside a line: its file is shorter
    /// than `mark` says, and does not end with a newline. That line is then ended before
    /// the bytes that come next (a later part of the output) go in (see `StreamState`).
    fn lost(
        &mut self,
        targets: &HashMap<u32, Target>,
        id: u32,
        stream: Stream,
        mark: WriteMark,
    ) -> bool {
        let Some(target) = targets.get(&id).filter(|t| t.direct[stream as usize]) else {
            return false; // Framed streams end such a line before writing anyway.
        };
        let path = primary_path(&target.outputs, stream);
        let Ok(file) = open_file(&mut self.files, path, target.outputs.rotation) else {
            return false; // Reported by the first write.
        };
        let cut = mark.cut(file.inode(), file.size()) && file.mid_line();
        if cut {
            log::warn!(
                "{}: a killed daemon lost output it had read; the line it cut is ended",
                path.display()
            );
        }
        cut
    }

    /// Settles a chunk an earlier daemon was writing when it died, before anything else
    /// is written: if a file is short of where the write was to end, the files are cut
    /// back to where it began and the chunk, still in the pipe, is written again (the
    /// framer resumes with the partial line from before it); if the write was whole, the
    /// chunk is taken out of the pipe, unless the dead daemon already had. Returns the
    /// partial line to resume the framer with.
    fn resume_in_flight(
        &mut self,
        targets: &HashMap<u32, Target>,
        id: u32,
        stream: Stream,
        reader: &File,
        flight: InFlight,
    ) -> Vec<u8> {
        let Some(target) = targets.get(&id) else {
            return flight.after;
        };
        let outputs = &target.outputs;
        let paths: Vec<PathBuf> = stream_paths(outputs, stream).cloned().collect();
        let span_of = |file: &LogFile| -> Option<FileSpan> {
            flight
                .files
                .iter()
                .find(|s| Some(s.inode) == file.inode())
                .copied()
        };
        let mut whole = true;
        for path in &paths {
            if let Ok(file) = open_file(&mut self.files, path, outputs.rotation) {
                whole &= span_of(file).is_none_or(|span| file.size() >= span.after);
            }
        }
        if !whole {
            for path in &paths {
                let Ok(file) = open_file(&mut self.files, path, outputs.rotation) else {
                    continue;
                };
                if let Some(span) = span_of(file).filter(|span| file.size() > span.before) {
                    if let Err(e) = file.truncate_to(span.before) {
                        log::warn!("cannot undo a cut write in {}: {e}", path.display());
                    }
                }
            }
            log::warn!(
                "instance {id}: a killed daemon was writing {} bytes of {} output; written again",
                flight.len,
                stream.as_str()
            );
            return flight.before;
        }
        let n = usize::try_from(flight.len).unwrap_or(usize::MAX);
        if let (Some(scratch), Some(buf)) = (self.scratch.as_mut(), self.buf.get_mut(..n)) {
            let still_there = scratch
                .peek(reader, buf)
                .is_ok_and(|got| got == n && fingerprint(buf) == flight.fingerprint);
            if still_there {
                if let Err(e) = scratch.consume(reader, n) {
                    log::warn!("instance {id}: cannot take written output from its pipe: {e}");
                }
            }
        }
        flight.after
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

    fn detach(&mut self, id: u32, targets: &mut HashMap<u32, Target>) {
        for fd in self.fds_of(id) {
            self.pump(fd, targets, true);
            if let Some(mut state) = self.streams.remove(&fd) {
                state.partial.remove();
                if state.in_epoll {
                    let _ = self.epoll.delete(state.reader.as_fd());
                }
            }
        }
        if let Some(target) = targets.remove(&id) {
            // Close files no other instance writes to.
            for path in target_paths(&target.outputs) {
                let shared = targets
                    .values()
                    .any(|t| target_paths(&t.outputs).contains(&path));
                if !shared {
                    self.files.remove(&path);
                }
            }
            stream_modes(targets);
        }
    }

    /// Reads what is waiting on `fd` and writes it out; `finish` also writes a partial
    /// last line (the writer exited). Returns how many bytes it read.
    fn pump(&mut self, fd: RawFd, targets: &mut HashMap<u32, Target>, finish: bool) -> usize {
        let Some(state) = self.streams.get_mut(&fd) else {
            return 0;
        };
        let Some(target) = targets.get_mut(&state.id) else {
            return 0;
        };
        let stream = state.stream;
        // First pay what a failed write still owes, keeping the order of lines.
        if !state.pending.is_empty() {
            let pending = std::mem::take(&mut state.pending);
            if let Err(message) = write_targets(&mut self.files, target, stream, &[], &pending) {
                state.pending = pending;
                stall(&self.epoll, state, &self.report, target, message);
                return 0;
            }
            report(&self.report, state.id, target, None);
            if !state.in_epoll {
                let added = self.epoll.add(
                    state.reader.as_fd(),
                    EpollEvent::new(EpollFlags::EPOLLIN, fd as u64),
                );
                state.in_epoll = added.is_ok();
            }
        }
        let mut read = 0;
        let direct = target.direct[stream as usize];
        let protect = target.protected[stream as usize] && self.scratch.is_some();
        for _ in 0..READS_PER_TURN {
            // A read may take the rest of a kept line out of the pipe; were the daemon to
            // die right after it, the next one would join the kept start to whatever comes
            // next. So the copy is dropped before each read and the new partial line kept
            // right after framing, before the (slower) formatting and writing: a crash in
            // that step loses the line's start, as it loses any bytes between a read and
            // a write, but never merges two lines; a crash after it loses whole lines only.
            // A direct stream keeps no line: the file holds it. Its mark says the file
            // must grow (a read may take bytes) until the write that follows is done.
            // A protected stream only peeks: its chunk's record comes after framing.
            if !protect {
                if direct {
                    mark_end(&mut self.files, target, stream, &mut state.partial, 1);
                } else {
                    state.partial.forget();
                }
            }
            let got = match self.scratch.as_mut().filter(|_| protect) {
                Some(scratch) => scratch.peek(&state.reader, &mut self.buf),
                None => state.reader.read(&mut self.buf),
            };
            let n = match got {
                Ok(n) if n > 0 => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if protect => {
                    // tee(2) refused: read as before rather than wake up again forever.
                    log::error!("log pump: cannot peek at output ({e}); reading it instead");
                    self.scratch = None;
                    break;
                }
                _ => {
                    // End of file, WouldBlock (drained) or an error: nothing taken.
                    if direct && !protect {
                        mark_end(&mut self.files, target, stream, &mut state.partial, 0);
                    }
                    if std::mem::take(&mut state.cut_line) {
                        if let Err(message) =
                            write_targets(&mut self.files, target, stream, &[], b"\n")
                        {
                            state.pending = b"\n".to_vec();
                            stall(&self.epoll, state, &self.report, target, message);
                            return read;
                        }
                    }
                    break;
                }
            };
            read += n;
            self.burst |= n >= SMALL;
            let chunk = &self.buf[..n];
            // Only a protected stream's record needs the partial line from before.
            let before = if protect {
                state.framer.partial().to_vec()
            } else {
                Vec::new()
            };
            // Direct: the bytes as they came (after any partial framed earlier), with a
            // mark of where they will end (see `partial`); framed raw lines: whole lines,
            // one writev, no copy; others: formatted first.
            let framed;
            let (head, body, rest): (&[u8], &[u8], &[u8]) = if direct {
                let head = if std::mem::take(&mut state.cut_line) && chunk[0] != b'\n' {
                    b"\n"
                } else {
                    state.framer.finish().unwrap_or(&[])
                };
                if !protect {
                    let len = (head.len() + n) as u64;
                    mark_end(&mut self.files, target, stream, &mut state.partial, len);
                }
                (head, chunk, &[])
            } else {
                framed = state.framer.push(chunk);
                if !protect {
                    state.partial.keep(framed.rest);
                }
                if target.outputs.format.is_raw() {
                    (framed.head, framed.body, framed.rest)
                } else {
                    self.out.clear();
                    format_framed(
                        &mut self.out,
                        &framed,
                        &target.outputs.format,
                        stream,
                        SystemTime::now(),
                    );
                    (&[], &self.out, framed.rest)
                }
            };
            // A protected stream records the chunk on its way (see `resume_in_flight`) and
            // takes it out of the pipe once written; one whose partial lines are too long
            // to record takes it now, as an unprotected stream did by reading.
            let mut take_after = false;
            if protect {
                if InFlight::fits(&before, rest) {
                    let len = (head.len() + body.len()) as u64;
                    let files = spans(&mut self.files, target, stream, len);
                    state.partial.record_in_flight(&InFlight {
                        len: n as u64,
                        fingerprint: fingerprint(chunk),
                        files,
                        before,
                        after: rest.to_vec(),
                    });
                    take_after = true;
                } else {
                    take(
                        &mut self.scratch,
                        &state.reader,
                        &mut state.partial,
                        n,
                        rest,
                    );
                }
            }
            if !head.is_empty() || !body.is_empty() {
                if let Err(message) = write_targets(&mut self.files, target, stream, head, body) {
                    let mut owed = head.to_vec();
                    owed.extend_from_slice(body);
                    if take_after {
                        take(
                            &mut self.scratch,
                            &state.reader,
                            &mut state.partial,
                            n,
                            rest,
                        );
                    }
                    state.pending = owed;
                    stall(&self.epoll, state, &self.report, target, message);
                    return read;
                }
                report(&self.report, state.id, target, None);
            }
            if take_after {
                take(
                    &mut self.scratch,
                    &state.reader,
                    &mut state.partial,
                    n,
                    rest,
                );
            }
            if n < self.buf.len() {
                break;
            }
        }
        // A read that found nothing (or failed) dropped the copy: put it back.
        state.partial.keep(state.framer.partial());
        // A direct stream's line may have been left open by this daemon or one before it.
        let open_line = finish
            && target.direct[stream as usize]
            && open_file(
                &mut self.files,
                primary_path(&target.outputs, stream),
                target.outputs.rotation,
            )
            .is_ok_and(|file| file.mid_line());
        if open_line {
            // The writer is gone mid-line: end the line, as framed streams do.
            if let Err(message) = write_targets(&mut self.files, target, stream, &[], b"\n") {
                state.pending = b"\n".to_vec();
                stall(&self.epoll, state, &self.report, target, message);
            }
        } else if finish {
            state.partial.forget();
            if let Some(last) = state.framer.finish() {
                self.out.clear();
                format_lines(
                    &mut self.out,
                    [last],
                    &target.outputs.format,
                    stream,
                    SystemTime::now(),
                );
                if let Err(message) = write_targets(&mut self.files, target, stream, &[], &self.out)
                {
                    state.pending = std::mem::take(&mut self.out);
                    stall(&self.epoll, state, &self.report, target, message);
                }
            }
        }
        read
    }
}

/// Where a protected stream's chunk of `len` bytes (formatted) will take each of its
/// files: the stream's own file and the combined one, as `write_targets` writes them.
fn spans(
    files: &mut HashMap<PathBuf, LogFile>,
    target: &Target,
    stream: Stream,
    len: u64,
) -> Vec<FileSpan> {
    let outputs = &target.outputs;
    let whole_lines = !target.direct[stream as usize];
    let mut spans = Vec::new();
    for path in stream_paths(outputs, stream) {
        let Ok(file) = open_file(files, path, outputs.rotation) else {
            continue;
        };
        if let Some(inode) = file.inode() {
            let ended = u64::from(whole_lines && file.mid_line() && len > 0);
            spans.push(FileSpan {
                inode,
                before: file.size(),
                after: file.size() + ended + len,
            });
        }
    }
    spans
}

/// Takes a written chunk of `n` bytes out of a stream's pipe, and records the partial
/// line it leaves (`rest`) alone again.
fn take(
    scratch: &mut Option<Scratch>,
    reader: &File,
    partial: &mut PartialFile,
    n: usize,
    rest: &[u8],
) {
    if let Some(scratch) = scratch {
        if let Err(e) = scratch.consume(reader, n) {
            log::error!("log pump: cannot take written output from its pipe: {e}");
        }
    }
    partial.settle(rest);
}

/// Marks where a direct stream's file must end once `coming` more bytes are written (see
/// `partial`): a later daemon that finds it shorter knows output was lost in between.
fn mark_end(
    files: &mut HashMap<PathBuf, LogFile>,
    target: &Target,
    stream: Stream,
    partial: &mut PartialFile,
    coming: u64,
) {
    let path = primary_path(&target.outputs, stream);
    if let Ok(file) = open_file(files, path, target.outputs.rotation) {
        if let Some(inode) = file.inode() {
            let end = file.size() + coming;
            partial.mark_write(WriteMark { inode, end });
        }
    }
}

/// Whether to let output gather before reading, given when the last turn that read
/// output ended and how many bytes it read (see `BUSY`).
fn should_gather(last_turn: Option<(Instant, usize)>, now: Instant) -> bool {
    last_turn.is_some_and(|(end, bytes)| bytes < SMALL && now.duration_since(end) < BUSY)
}

/// A write failed: keep the bytes owed, stop reading the FIFO (the app waits) and tell
/// the supervisor; the retry timer takes it from there.
fn stall(
    epoll: &Epoll,
    state: &mut StreamState,
    reporter: &Reporter,
    target: &mut Target,
    message: String,
) {
    report(reporter, state.id, target, Some(message));
    if state.in_epoll {
        let _ = epoll.delete(state.reader.as_fd());
        state.in_epoll = false;
    }
}

/// Decides, per stream, how it is pumped. Direct (written straight through): raw lines,
/// no combined `log_file`, no size rotation (it cuts files between writes, so writes
/// must be whole lines), and a file no other stream writes to. Protected (peeked, taken
/// once written): no size rotation, and files no other instance writes to.
fn stream_modes(targets: &mut HashMap<u32, Target>) {
    let mut users: HashMap<PathBuf, usize> = HashMap::new();
    for t in targets.values() {
        for path in [&t.outputs.out_file, &t.outputs.error_file] {
            *users.entry(path.clone()).or_default() += 1;
        }
    }
    // Instances writing to each file.
    let mut instances: HashMap<PathBuf, usize> = HashMap::new();
    for t in targets.values() {
        let mut paths = target_paths(&t.outputs);
        paths.sort();
        paths.dedup();
        for path in paths {
            *instances.entry(path).or_default() += 1;
        }
    }
    for t in targets.values_mut() {
        let alone = |p: &PathBuf| users.get(p) == Some(&1);
        let raw = t.outputs.format.is_raw()
            && t.outputs.log_file.is_none()
            && t.outputs.rotation.max_size.is_none();
        t.direct = [
            raw && alone(&t.outputs.out_file),
            raw && alone(&t.outputs.error_file),
        ];
        let ours = |p: &PathBuf| instances.get(p) == Some(&1);
        let protect = |primary: &PathBuf| {
            t.outputs.rotation.max_size.is_none()
                && ours(primary)
                && t.outputs
                    .log_file
                    .as_ref()
                    .is_none_or(|l| ours(l) && l != primary)
        };
        t.protected = [protect(&t.outputs.out_file), protect(&t.outputs.error_file)];
    }
}

/// The files one instance writes to.
fn target_paths(outputs: &Outputs) -> Vec<PathBuf> {
    let mut paths = vec![outputs.out_file.clone(), outputs.error_file.clone()];
    if let Some(log) = &outputs.log_file {
        paths.push(log.clone());
    }
    paths
}

/// Every file `stream` is written to: its own, then the combined `log_file`.
fn stream_paths(outputs: &Outputs, stream: Stream) -> impl Iterator<Item = &PathBuf> {
    std::iter::once(primary_path(outputs, stream)).chain(outputs.log_file.iter())
}

/// The file of `stream` alone (`log_file` also gets both streams).
fn primary_path(outputs: &Outputs, stream: Stream) -> &PathBuf {
    match stream {
        Stream::Out => &outputs.out_file,
        Stream::Err => &outputs.error_file,
    }
}

/// Appends formatted lines of `stream` to its file and to the combined file. A framed
/// stream writes whole lines only, so a file of its that ends inside a line was cut (a
/// daemon killed in the middle of a write): that line is ended first, so it is never
/// joined to the next one.
fn write_targets(
    files: &mut HashMap<PathBuf, LogFile>,
    target: &Target,
    stream: Stream,
    head: &[u8],
    body: &[u8],
) -> Result<(), String> {
    let outputs = &target.outputs;
    let whole_lines = !target.direct[stream as usize];
    for path in stream_paths(outputs, stream) {
        let file = open_file(files, path, outputs.rotation)?;
        if whole_lines && file.mid_line() {
            file.write(b"\n").map_err(|e| e.to_string())?;
        }
        file.write_split(head, body).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The open log file at `path`, opened now if this daemon has not written to it yet.
fn open_file<'a>(
    files: &'a mut HashMap<PathBuf, LogFile>,
    path: &Path,
    rotation: Rotation,
) -> Result<&'a mut LogFile, String> {
    // Looked up by reference: the hot path allocates no key.
    if !files.contains_key(path) {
        let file = LogFile::open(path, rotation).map_err(|e| e.to_string())?;
        files.insert(path.to_path_buf(), file);
    }
    files
        .get_mut(path)
        .ok_or_else(|| format!("{} is not open", path.display()))
}

fn truncate_path(path: &Path) -> io::Result<()> {
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(file) => file.set_len(0),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Tells the supervisor when an instance's log error appears or clears.
fn report(reporter: &Reporter, id: u32, target: &mut Target, error: Option<String>) {
    if target.error == error {
        return;
    }
    if let Some(message) = &error {
        log::error!("instance {id}: cannot write its log: {message}");
    } else {
        log::info!("instance {id}: writing its log again");
    }
    target.error = error.clone();
    reporter(PumpReport::LogError { id, message: error });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_gathers_only_while_a_stream_is_busy_with_small_reads() {
        let now = Instant::now();
        let ago = |d: Duration| now.checked_sub(d).unwrap_or(now);
        // First output ever, or after a quiet spell: read at once.
        assert!(!should_gather(None, now));
        assert!(!should_gather(Some((ago(BUSY * 2), 100)), now));
        // A chatty app writing line by line: let its lines gather.
        assert!(should_gather(
            Some((ago(Duration::from_micros(50)), 100)),
            now
        ));
        assert!(should_gather(Some((now, SMALL - 1)), now));
        // An app filling its pipe is never made to wait.
        assert!(!should_gather(Some((now, SMALL)), now));
        assert!(!should_gather(Some((now, CHUNK)), now));
    }
}
