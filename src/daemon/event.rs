//! The events the supervisor thread consumes, from every other thread.

use std::sync::mpsc::Sender;

use crate::ipc::{Request, Response};

/// One thing that happened; the supervisor applies them one at a time.
#[derive(Debug)]
pub enum Event {
    /// A client's request and where to send the answer.
    Request {
        request: Request,
        reply: Sender<Response>,
    },
    /// A child was reaped (the signal thread).
    Exited {
        pid: i32,
        code: Option<i32>,
        signal: Option<String>,
    },
    /// An adopted process that is not our child ended (its pidfd became readable).
    Vanished { pid: i32 },
    /// A signal to the daemon itself (SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGQUIT).
    Signal(i32),
    /// State snapshot number `seq` (and every earlier one) is on disk.
    Persisted { seq: u64 },
    /// What the log pump reports (an instance's log cannot be written, or can again).
    Log(crate::logs::pump::PumpReport),
}
