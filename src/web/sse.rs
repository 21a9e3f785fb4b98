//! Server-Sent Events: `GET /api/events` (every notice) and the live log tail.
//!
//! One `Hub` per server holds the daemon subscription's fan-out: the subscription thread
//! (in `server`) encodes each notice once and offers it to every subscriber's bounded
//! queue; a subscriber whose queue is full (a stalled client) is dropped rather than
//! buffered, so memory stays bounded whatever the clients do and the daemon sees one
//! subscriber, never hundreds. Each SSE client is served on its own connection thread,
//! which writes its queue out and sends a comment line as a heartbeat when idle (that is
//! also how a client that went away is noticed).

use std::io::{self, Write};
use std::net::TcpStream;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Notices a subscriber may have waiting before it counts as stalled and is dropped.
pub const QUEUE: usize = 256;
/// An idle stream sends a comment this often.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// The fan-out of daemon notices to SSE clients.
#[derive(Default)]
pub struct Hub {
    subscribers: Mutex<Vec<SyncSender<Arc<str>>>>,
}

impl Hub {
    /// A new subscriber's queue.
    pub fn subscribe(&self) -> Receiver<Arc<str>> {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.push(tx);
        }
        rx
    }

    /// Offers one event (already JSON) to every subscriber; drops those that are full or
    /// gone. Returns how many remain.
    pub fn publish(&self, data: &str) -> usize {
        let data: Arc<str> = Arc::from(data);
        let Ok(mut subs) = self.subscribers.lock() else {
            return 0;
        };
        subs.retain(|tx| match tx.try_send(Arc::clone(&data)) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => false,
        });
        subs.len()
    }

    /// Ends every subscriber's stream (the daemon went away).
    pub fn close_all(&self) {
        if let Ok(mut subs) = self.subscribers.lock() {
            subs.clear();
        }
    }

    /// How many subscribers there are now.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.subscribers.lock().map_or(0, |s| s.len())
    }
}

/// One SSE event carrying `data` (one line of JSON).
pub fn event(data: &str) -> String {
    let mut out = String::with_capacity(data.len() + 8);
    for line in data.split('\n') {
        out.push_str("data: ");
        out.push_str(line);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The first bytes of every stream: the reconnect delay and a comment that says the
/// subscription is live (a client can wait for it before making things happen).
pub const OPENING: &str = "retry: 2000\n: subscribed\n\n";

/// Writes the queue `rx` to `stream` as events until the queue ends (dropped as stalled,
/// or the daemon went away) or the client does.
pub fn pump(stream: &mut TcpStream, rx: &Receiver<Arc<str>>) -> io::Result<()> {
    stream.write_all(OPENING.as_bytes())?;
    stream.flush()?;
    loop {
        match rx.recv_timeout(HEARTBEAT) {
            Ok(data) => {
                let mut batch = event(&data);
                while let Ok(more) = rx.try_recv() {
                    batch.push_str(&event(&more));
                }
                stream.write_all(batch.as_bytes())?;
            }
            Err(RecvTimeoutError::Timeout) => stream.write_all(b": keepalive\n\n")?,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
        stream.flush()?;
    }
}

/// A `Write` for `logs::tail` that sends each JSON line as one event, sends a heartbeat
/// when it has been quiet, and reports a client that went away as a broken pipe (so
/// `tail` stops) — checked every time `tail` flushes, which it does when it wakes.
pub struct SseLines<'a> {
    stream: &'a mut TcpStream,
    partial: Vec<u8>,
    last_write: Instant,
}

impl<'a> SseLines<'a> {
    pub fn new(stream: &'a mut TcpStream) -> SseLines<'a> {
        SseLines {
            stream,
            partial: Vec::new(),
            last_write: Instant::now(),
        }
    }
}

impl Write for SseLines<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.partial.extend_from_slice(buf);
        let Some(end) = self.partial.iter().rposition(|&b| b == b'\n') else {
            return Ok(buf.len());
        };
        let mut out = Vec::with_capacity(end + 64);
        for line in self.partial[..end].split(|&b| b == b'\n') {
            out.extend_from_slice(b"data: ");
            out.extend_from_slice(line);
            out.extend_from_slice(b"\n\n");
        }
        self.partial.drain(..=end);
        self.stream.write_all(&out).map_err(as_gone)?;
        self.last_write = Instant::now();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if client_left(self.stream) {
            return Err(io::ErrorKind::BrokenPipe.into());
        }
        if self.last_write.elapsed() >= HEARTBEAT {
            self.stream.write_all(b": keepalive\n\n").map_err(as_gone)?;
            self.last_write = Instant::now();
        }
        self.stream.flush().map_err(as_gone)
    }
}

/// Any failure to write to the client means it is gone, for `tail`.
fn as_gone(e: io::Error) -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, e)
}

/// Whether the client closed its side: a peek that reads end of stream without waiting.
pub fn client_left(stream: &TcpStream) -> bool {
    if stream.set_nonblocking(true).is_err() {
        return true;
    }
    let mut byte = [0u8; 1];
    let left = match stream.peek(&mut byte) {
        Ok(n) => n == 0,
        Err(e) => e.kind() != io::ErrorKind::WouldBlock,
    };
    left || stream.set_nonblocking(false).is_err()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_frame_every_line_and_end_with_a_blank_line() {
        assert_eq!(event(r#"{"a":1}"#), "data: {\"a\":1}\n\n");
        assert_eq!(event("x\ny"), "data: x\ndata: y\n\n");
    }

    #[test]
    fn a_stalled_subscriber_is_dropped_and_the_others_keep_theirs() {
        let hub = Hub::default();
        let slow = hub.subscribe();
        let fast = hub.subscribe();
        for i in 0..QUEUE {
            assert_eq!(hub.publish(&i.to_string()), 2);
            assert_eq!(fast.recv().expect("delivered").as_ref(), i.to_string());
        }
        // `slow` read nothing: its queue is full, so the next notice drops it.
        assert_eq!(hub.publish("one more"), 1);
        assert_eq!(fast.recv().expect("delivered").as_ref(), "one more");
        assert_eq!(
            slow.iter().count(),
            QUEUE,
            "it keeps what it had, then ends"
        );
        drop(fast);
        assert_eq!(hub.publish("nobody"), 0);
        assert_eq!(hub.len(), 0);
    }
}
