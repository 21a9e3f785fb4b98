//! The daemon's socket server: accepts clients and turns each line into an `Event`.
//!
//! One accept thread; one short-lived thread per connection, which checks the peer's uid
//! (`SO_PEERCRED`: the daemon's own user and root only), reads one request, hands it to
//! the supervisor with a reply channel, and writes the answer back. A `Subscribe` keeps
//! its thread: it writes every notice the supervisor queues for it until the client goes
//! away or the supervisor drops the queue. The supervisor never touches a socket, so a
//! slow client cannot stall it.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nix::sys::socket::{getsockopt, sockopt::PeerCredentials};

use super::event::Event;
use crate::ipc::protocol::{Envelope, ErrorKind, Request, Response, VERSION};

/// Largest request accepted (an ecosystem of thousands of apps fits easily).
const MAX_REQUEST: u64 = 64 * 1024 * 1024;
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
    let mut line = String::new();
    BufReader::new(io::Read::take(&stream, MAX_REQUEST)).read_line(&mut line)?;
    let response = match serde_json::from_str::<Envelope>(&line) {
        Err(e) => Response::Error {
            kind: ErrorKind::Failed,
            message: format!("the daemon cannot read this request ({e}): are the CLI and daemon the same version? run `rpm update`"),
        },
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
