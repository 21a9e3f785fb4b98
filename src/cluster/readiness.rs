//! How instances say they are ready, and the daemon's Node IPC channels to them.
//!
//! One thread, `readiness`, sleeps in `epoll_wait` on three kinds of descriptor: the
//! `NOTIFY_SOCKET` datagram socket (systemd's `sd_notify`: the sender's pid comes from
//! the kernel, `SO_PASSCRED`), the daemon's end of each Node IPC channel
//! (`NODE_CHANNEL_FD`, Node's `json` serialization: one JSON text per line; PM2's
//! `process.send('ready')`) and an eventfd that wakes it to stop. What it reads it
//! reports through the closure given to [`Readiness::start`], as [`ReadinessReport`]s;
//! mapping pids and channel keys to instances is the supervisor's business.
//!
//! The supervisor owns the [`Readiness`] handle and calls its methods on its own thread:
//! opening a channel registers it in the same epoll (safe while the reader waits),
//! and sends write on the caller's thread with `MSG_DONTWAIT`, so a child that stops
//! reading never blocks the supervisor. The channel table is the only state the two
//! threads share (`Mutex<Channels>`); each channel's partial line is touched only by
//! the reader. `notify` holds the notify socket's protocol, `framing` the line splitting.

mod framing;
mod notify;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fs;
use std::io::{self, IoSlice};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::socket::{
    self, AddressFamily, ControlMessage, MsgFlags, SockFlag, SockType, UnixAddr,
};

use framing::LineBuffer;
pub use notify::{parse_notify, NotifyMessage};

/// Names a channel; chosen by the caller, unique per process it spawns.
pub type ChannelKey = u64;

/// What the reader thread read.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadinessReport {
    /// A datagram on `NOTIFY_SOCKET`. `pid` comes from the kernel (`SCM_CREDENTIALS`),
    /// never from the message.
    Notify { pid: i32, message: NotifyMessage },
    /// One JSON message (one line) read from a Node IPC channel.
    Message {
        key: ChannelKey,
        message: serde_json::Value,
    },
    /// The channel ended (EOF or error); the key is forgotten.
    Closed { key: ChannelKey },
}

/// Epoll tokens: the wake-up eventfd, the notify socket, then one per channel. Channels
/// get fresh tokens rather than their keys, so a key reopened while the reader still
/// holds an event for the old channel cannot be confused with it.
const WAKE: u64 = 0;
const NOTIFY: u64 = 1;
const FIRST_CHANNEL: u64 = 2;
/// Bytes per read from a channel, and reads per wake-up before the others get a turn.
const READ_CHUNK: usize = 64 * 1024;
const READS_PER_TURN: usize = 16;
/// How long a send that got part of its line into the socket waits to write the rest:
/// a half-written line would break the channel's framing for good.
const FINISH_PATIENCE: Duration = Duration::from_millis(500);

/// The notify socket, the channels and the thread that reads them. Dropping it stops
/// the thread, closes every channel and removes the socket file.
pub struct Readiness {
    shared: Arc<Shared>,
    notify_env: String,
    notify_file: Option<PathBuf>,
    thread: Option<JoinHandle<()>>,
}

/// What the supervisor's thread and the reader thread both use.
struct Shared {
    epoll: Epoll,
    wake: EventFd,
    stop: AtomicBool,
    channels: Mutex<Channels>,
}

#[derive(Default)]
struct Channels {
    next_token: u64,
    by_key: HashMap<ChannelKey, Arc<Channel>>,
    by_token: HashMap<u64, ChannelKey>,
}

/// The daemon's end of one Node IPC channel.
struct Channel {
    key: ChannelKey,
    token: u64,
    fd: OwnedFd,
    /// The unfinished line; only the reader locks it.
    lines: Mutex<LineBuffer>,
    /// Held for a whole send, so two senders never interleave their lines.
    sending: Mutex<()>,
}

impl Readiness {
    /// Binds the notify socket (`SOCK_DGRAM`, `SO_PASSCRED`, close-on-exec) at
    /// `notify_path`, replacing a stale socket file, mode 0600 as every file in
    /// RPM_HOME (instances running as another user cannot send); a path longer than
    /// `sun_path` allows becomes the abstract socket `@rpm-notify-<hash of path>`. Then
    /// starts the reader thread, which calls `report` for everything it reads.
    pub fn start(
        notify_path: &Path,
        report: Box<dyn Fn(ReadinessReport) + Send>,
    ) -> io::Result<Readiness> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        let wake = EventFd::from_flags(EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK)?;
        epoll.add(wake.as_fd(), EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
        let notify = notify::bind(notify_path)?;
        let remove_file = |notify_file: &Option<PathBuf>| {
            if let Some(file) = notify_file {
                let _ = fs::remove_file(file);
            }
        };
        if let Err(e) = epoll.add(
            notify.fd.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, NOTIFY),
        ) {
            remove_file(&notify.file);
            return Err(e.into());
        }
        let shared = Arc::new(Shared {
            epoll,
            wake,
            stop: AtomicBool::new(false),
            channels: Mutex::new(Channels {
                next_token: FIRST_CHANNEL,
                ..Channels::default()
            }),
        });
        let notify_fd = notify.fd;
        let thread = {
            let shared = shared.clone();
            std::thread::Builder::new()
                .name("readiness".into())
                .spawn(move || run(&shared, &notify_fd, &*report))
        };
        match thread {
            Ok(thread) => Ok(Readiness {
                shared,
                notify_env: notify.env,
                notify_file: notify.file,
                thread: Some(thread),
            }),
            Err(e) => {
                remove_file(&notify.file);
                Err(e)
            }
        }
    }

    /// The value of `NOTIFY_SOCKET` for children: the path, or `@name` for an abstract
    /// socket (systemd's convention).
    pub fn notify_socket(&self) -> &str {
        &self.notify_env
    }

    /// Creates a Node IPC channel (`socketpair(AF_UNIX, SOCK_STREAM)`): keeps the
    /// daemon's end, non-blocking and close-on-exec, registered under `key`, and returns
    /// the child's end, close-on-exec (the spawner `dup2()`s it to fd 4 and sets
    /// `NODE_CHANNEL_FD=4`, `NODE_CHANNEL_SERIALIZATION_MODE=json`; should the end
    /// already be fd 4, `dup2` does nothing and close-on-exec must be cleared with
    /// `fcntl` instead). A key already open is refused (`AlreadyExists`).
    pub fn open_channel(&self, key: ChannelKey) -> io::Result<OwnedFd> {
        let (ours, theirs) = socket::socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC,
        )?;
        let flags = OFlag::from_bits_retain(fcntl(&ours, FcntlArg::F_GETFL)?);
        fcntl(&ours, FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK))?;
        let mut channels = self.shared.lock();
        if channels.by_key.contains_key(&key) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("channel {key} is already open"),
            ));
        }
        let token = channels.next_token;
        let channel = Arc::new(Channel {
            key,
            token,
            fd: ours,
            lines: Mutex::new(LineBuffer::default()),
            sending: Mutex::new(()),
        });
        // Registered while the table is locked: the reader, woken by the first bytes,
        // looks the token up and waits for the insert below.
        self.shared.epoll.add(
            channel.fd.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, token),
        )?;
        channels.next_token += 1;
        channels.by_token.insert(token, key);
        channels.by_key.insert(key, channel);
        Ok(theirs)
    }

    /// Forgets a channel and closes the daemon's end; no `Closed` is reported for it.
    /// A message the reader was already reporting may still arrive after this returns.
    pub fn close_channel(&self, key: ChannelKey) {
        let channel = {
            let mut channels = self.shared.lock();
            let channel = channels.by_key.remove(&key);
            if let Some(channel) = &channel {
                channels.by_token.remove(&channel.token);
            }
            channel
        };
        if let Some(channel) = channel {
            let _ = self.shared.epoll.delete(channel.fd.as_fd());
        }
    }

    /// Writes one message as Node's `json` serialization does: `JSON.stringify(msg) +
    /// "\n"` (e.g. `send(key, &json!("shutdown"))`, PM2's `shutdown_with_message`).
    /// A full socket fails with `WouldBlock` rather than wait; an unknown key with
    /// `NotFound`.
    pub fn send(&self, key: ChannelKey, message: &serde_json::Value) -> io::Result<()> {
        let mut line = serde_json::to_vec(message)?;
        line.push(b'\n');
        self.channel(key)?.send_line(&line, None)
    }

    /// Sends one message with a file descriptor attached (`SCM_RIGHTS`, in the same
    /// `sendmsg` as the message's line), as Node's `subprocess.send(msg, handle)` does:
    /// the line is `{"cmd":"NODE_HANDLE","type":"net.Native","msg":<message>}`. Node in
    /// the child answers `{"cmd":"NODE_HANDLE_ACK"}`, which arrives as a `Message`.
    pub fn send_handle(
        &self,
        key: ChannelKey,
        message: &serde_json::Value,
        fd: BorrowedFd<'_>,
    ) -> io::Result<()> {
        let inner = serde_json::to_string(message)?;
        let line = format!("{{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{inner}}}\n");
        self.channel(key)?
            .send_line(line.as_bytes(), Some(fd.as_raw_fd()))
    }

    fn channel(&self, key: ChannelKey) -> io::Result<Arc<Channel>> {
        self.shared
            .lock()
            .by_key
            .get(&key)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no channel {key}")))
    }
}

impl Drop for Readiness {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        let _ = self.shared.wake.write(1);
        if let Some(thread) = self.thread.take() {
            // Dropped from inside `report`: the thread ends after this turn by itself.
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
        if let Some(file) = &self.notify_file {
            if let Err(e) = fs::remove_file(file) {
                if e.kind() != io::ErrorKind::NotFound {
                    log::warn!("cannot remove notify socket {}: {e}", file.display());
                }
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Channels> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn by_token(&self, token: u64) -> Option<Arc<Channel>> {
        let channels = self.lock();
        let key = channels.by_token.get(&token)?;
        channels.by_key.get(key).cloned()
    }

    /// Forgets the channel if it is still open; true if this call did.
    fn forget(&self, channel: &Channel) -> bool {
        let mut channels = self.lock();
        if channels.by_token.remove(&channel.token).is_none() {
            return false;
        }
        channels.by_key.remove(&channel.key);
        drop(channels);
        let _ = self.epoll.delete(channel.fd.as_fd());
        true
    }
}

impl Channel {
    /// Writes `line` whole, with `pass` attached to its first byte.
    fn send_line(&self, line: &[u8], pass: Option<RawFd>) -> io::Result<()> {
        let _turn = self.sending.lock().unwrap_or_else(PoisonError::into_inner);
        let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
        let sent = loop {
            let result = match pass {
                Some(fd) => socket::sendmsg::<UnixAddr>(
                    self.fd.as_raw_fd(),
                    &[IoSlice::new(line)],
                    &[ControlMessage::ScmRights(&[fd])],
                    flags,
                    None,
                ),
                None => socket::send(self.fd.as_raw_fd(), line, flags),
            };
            match result {
                Ok(sent) => break sent,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        };
        self.finish(&line[sent..])
    }

    /// The rest of a line the socket took only part of, waiting for room at most
    /// `FINISH_PATIENCE`.
    fn finish(&self, mut rest: &[u8]) -> io::Result<()> {
        let deadline = Instant::now() + FINISH_PATIENCE;
        while !rest.is_empty() {
            let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_NOSIGNAL;
            match socket::send(self.fd.as_raw_fd(), rest, flags) {
                Ok(n) => rest = &rest[n..],
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(io::Error::new(
                            io::ErrorKind::TimedOut,
                            "the child stopped reading its channel in the middle of a message",
                        ));
                    }
                    let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
                    let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLOUT)];
                    match nix::poll::poll(&mut fds, timeout) {
                        Ok(_) | Err(Errno::EINTR) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

/// The reader thread: waits, reads, reports, until `stop`.
fn run(shared: &Shared, notify_fd: &OwnedFd, report: &dyn Fn(ReadinessReport)) {
    let mut events = [EpollEvent::empty(); 64];
    let mut datagrams = notify::Receiver::new();
    let mut chunk = vec![0u8; READ_CHUNK];
    while !shared.stop.load(Ordering::Acquire) {
        let ready = match shared.epoll.wait(&mut events, EpollTimeout::NONE) {
            Ok(ready) => ready,
            Err(Errno::EINTR) => continue,
            Err(e) => {
                log::error!("readiness: epoll_wait failed, no more readiness reports: {e}");
                return;
            }
        };
        for event in &events[..ready] {
            if shared.stop.load(Ordering::Acquire) {
                return;
            }
            match event.data() {
                WAKE => {
                    let _ = shared.wake.read();
                }
                NOTIFY => datagrams.drain(notify_fd, &|pid, message| {
                    report(ReadinessReport::Notify { pid, message })
                }),
                token => {
                    if let Some(channel) = shared.by_token(token) {
                        read_channel(shared, &channel, &mut chunk, report);
                    }
                }
            }
        }
    }
}

/// Reads what `channel` has (a bounded number of chunks, so one busy channel cannot
/// starve the others; epoll is level-triggered and comes back for the rest) and
/// reports its complete lines, then `Closed` if it ended.
fn read_channel(
    shared: &Shared,
    channel: &Channel,
    chunk: &mut [u8],
    report: &dyn Fn(ReadinessReport),
) {
    let key = channel.key;
    let mut messages = Vec::new();
    let mut ended = false;
    {
        let mut lines = channel.lines.lock().unwrap_or_else(PoisonError::into_inner);
        let mut reads = 0;
        while reads < READS_PER_TURN {
            match socket::recv(channel.fd.as_raw_fd(), chunk, MsgFlags::MSG_DONTWAIT) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(n) => {
                    reads += 1;
                    let dropped =
                        lines.push(&chunk[..n], |line| match serde_json::from_slice(line) {
                            Ok(message) => messages.push(message),
                            Err(e) => {
                                log::debug!("channel {key}: ignoring a line that is not JSON: {e}")
                            }
                        });
                    if dropped > 0 {
                        log::warn!(
                            "channel {key}: dropped {dropped} message(s) longer than {} bytes",
                            framing::MAX_LINE
                        );
                    }
                }
                Err(Errno::EAGAIN) => break,
                Err(Errno::EINTR) => {}
                Err(e) => {
                    log::debug!("channel {key}: read failed, closing it: {e}");
                    ended = true;
                    break;
                }
            }
        }
    }
    if !messages.is_empty() && shared.by_token(channel.token).is_none() {
        return; // closed by the supervisor meanwhile: it no longer wants these
    }
    for message in messages {
        report(ReadinessReport::Message { key, message });
    }
    if ended && shared.forget(channel) {
        report(ReadinessReport::Closed { key });
    }
}
