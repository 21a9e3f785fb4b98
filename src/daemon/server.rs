//! The daemon's socket server: accepts clients and turns each line into an `Event`.
//!
//! One accept thread; one short-lived thread per connection, which checks the peer's uid
//! (`SO_PEERCRED`: the daemon's own user and root only), reads one request, hands it to
//! the supervisor with a reply channel, and writes the answer back. A `Subscribe` keeps
//! its thread: it writes every notice the supervisor queues for it until the client goes
//! away or the supervisor drops the queue. The supervisor never touches a socket, so a
//! slow client cannot stall it.
//!
//! What one client can make the daemon hold is bounded: a request is parsed as it
//! arrives (garbage is refused at its first bad byte, not buffered), is at most
//! `MAX_REQUEST_BYTES`, and must arrive within `REQUEST_TIMEOUT`.

use std::io::{self, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::event::Event;
use crate::ipc::protocol::{Envelope, ErrorKind, Request, Response, MAX_REQUEST_BYTES, VERSION};

/// How long a client may take to send its request line.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the rest of a refused request is read and thrown away, so the client can
/// read the refusal rather than a connection reset.
const DISCARD_FOR: Duration = Duration::from_secs(2);
/// Notices a subscriber may have waiting before the supervisor drops it.
pub(crate) const SUBSCRIBER_QUEUE: usize = 1024;

/// Counts connections still being answered, so the daemon can let them finish.
#[derive(Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// Waits until every answer is written, at most `timeout`.
    pub fn drain(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.0.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::yield_now();
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// Starts the accept thread.
pub fn serve(listener: UnixListener, events: Sender<Event>) -> io::Result<InFlight> {
    let in_flight = InFlight::default();
    let counter = in_flight.clone();
    let me = nix::unistd::geteuid().as_raw();
    std::thread::Builder::new()
        .name("ipc-accept".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                match getsockopt(&stream, PeerCredentials) {
                    Ok(cred) if cred.uid() == me || cred.uid() == 0 => {}
                    Ok(cred) => {
                        log::warn!(
                            "refused a client of uid {} (pid {})",
                            cred.uid(),
                            cred.pid()
                        );
                        continue;
                    }
                    Err(e) => {
                        log::warn!("refused a client whose credentials are unreadable: {e}");
                        continue;
                    }
                }
                let events = events.clone();
                let counter = counter.clone();
                counter.0.fetch_add(1, Ordering::SeqCst);
                let spawned = std::thread::Builder::new()
                    .name("ipc-client".into())
                    .stack_size(128 * 1024)
                    .spawn({
                        let counter = counter.clone();
                        move || {
                            if let Err(e) = answer(stream, &events) {
                                log::debug!("client connection ended: {e}");
                            }
                            counter.0.fetch_sub(1, Ordering::SeqCst);
                        }
                    });
                if spawned.is_err() {
                    counter.0.fetch_sub(1, Ordering::SeqCst);
                }
            }
        })?;
    Ok(in_flight)
}

fn answer(stream: UnixStream, events: &Sender<Event>) -> io::Result<()> {
    stream.set_read_timeout(Some(REQUEST_TIMEOUT))?;
    let read = read_request(&stream);
    stream.set_read_timeout(None)?;
    let response = match read {
        Err(refusal) => return refuse(stream, &refusal),
        Ok(envelope)
            if envelope.version != VERSION
                && !matches!(envelope.request, Request::Ping | Request::Kill | Request::Update { .. }) =>
        {
            Response::Error {
                kind: ErrorKind::VersionMismatch,
                message: format!(
                    "the running daemon is rpm {VERSION} but this CLI is rpm {}: run `rpm update` to replace the daemon (apps keep running)",
                    envelope.version
                ),
            }
        }
        Ok(Envelope {
            request: Request::Subscribe { targets },
            ..
        }) => return stream_notices(stream, targets, events),
        Ok(envelope) => {
            let (reply, wait) = mpsc::channel();
            events
                .send(Event::Request {
                    request: envelope.request,
                    reply,
                })
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "daemon stopping"))?;
            wait.recv().map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "no answer"))?
        }
    };
    let mut out = serde_json::to_vec(&response).map_err(io::Error::other)?;
    out.push(b'\n');
    (&stream).write_all(&out)
}

/// Why a request could not be read.
enum Unreadable {
    TooLarge,
    Malformed(serde_json::Error),
}

/// Parses one request from the stream as it arrives, reading at most
/// `MAX_REQUEST_BYTES` (the line's newline is left unread: one request per connection).
fn read_request(stream: &UnixStream) -> Result<Envelope, Unreadable> {
    let mut limited = io::Read::take(stream, MAX_REQUEST_BYTES as u64 + 1);
    let parsed = {
        let mut de = serde_json::Deserializer::from_reader(BufReader::new(&mut limited));
        serde::Deserialize::deserialize(&mut de)
    };
    parsed.map_err(|e| {
        if e.is_eof() && limited.limit() == 0 {
            Unreadable::TooLarge
        } else {
            Unreadable::Malformed(e)
        }
    })
}

/// Answers a request that could not be read, then reads and drops what the client still
/// sends for a moment (into a small buffer), so it gets the answer, not a reset.
fn refuse(stream: UnixStream, why: &Unreadable) -> io::Result<()> {
    let message = match why {
        Unreadable::TooLarge => {
            log::warn!("refused a request larger than {MAX_REQUEST_BYTES} bytes");
            format!(
                "the daemon reads requests of at most {} MiB; this one is larger",
                MAX_REQUEST_BYTES / (1024 * 1024)
            )
        }
        Unreadable::Malformed(e) => format!(
            "the daemon cannot read this request ({e}): are the CLI and daemon the same version? run `rpm update`"
        ),
    };
    let response = Response::Error {
        kind: ErrorKind::Failed,
        message,
    };
    let mut out = serde_json::to_vec(&response).map_err(io::Error::other)?;
    out.push(b'\n');
    (&stream).write_all(&out)?;
    stream.shutdown(std::net::Shutdown::Write)?;
    let until = Instant::now() + DISCARD_FOR;
    let mut sink = [0u8; 16 * 1024];
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        if left.is_zero() {
            break;
        }
        stream.set_read_timeout(Some(left))?;
        match io::Read::read(&mut &stream, &mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Writes what the supervisor queues for a subscriber, a line each, until either side
/// ends: the client by closing (a write fails), the supervisor by dropping the queue.
fn stream_notices(
    stream: UnixStream,
    targets: Vec<String>,
    events: &Sender<Event>,
) -> io::Result<()> {
    let (queue, notices) = mpsc::sync_channel(SUBSCRIBER_QUEUE);
    events
        .send(Event::Subscribe { targets, queue })
        .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "daemon stopping"))?;
    let mut out = Vec::new();
    while let Ok(response) = notices.recv() {
        out.clear();
        serde_json::to_writer(&mut out, &response).map_err(io::Error::other)?;
        out.push(b'\n');
        (&stream).write_all(&out)?;
    }
    Ok(())
}
