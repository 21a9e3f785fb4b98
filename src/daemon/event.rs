//! The events the supervisor thread consumes, from every other thread.
//!
//! Threads of other rooms (the reaper, the pidfd watcher, the log pump, the sampler)
//! report through types or closures of their own; `daemon::run` wraps those reports into
//! these events, so no room below the daemon imports this type.

use std::sync::mpsc::{Sender, SyncSender};

use super::sampler::Sample;
use crate::cluster::readiness::ReadinessReport;
use crate::ipc::{Request, Response};
use crate::logs::pump::PumpReport;
use crate::watch::files::WatchReport;

/// One thing that happened; the supervisor applies them one at a time.
#[derive(Debug)]
pub enum Event {
    /// A client's request and where to send the answer.
    Request {
        request: Request,
        reply: Sender<Response>,
    },
    /// A client subscribes to notices: `Subscribed` (or an `Error`), then a `Notice` per
    /// change go to `queue`, which is bounded: a subscriber that falls behind is dropped.
    Subscribe {
        targets: Vec<String>,
        queue: SyncSender<Response>,
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
    /// What the log pump reports (a log that cannot be written, or can again).
    Log(PumpReport),
    /// CPU and memory of the instances the sampler was asked about.
    Samples(Vec<Sample>),
    /// What the file watcher saw (a change after its debounce, or a fallback).
    Watch(WatchReport),
    /// What an instance said through the notify socket or its Node IPC channel.
    Readiness(ReadinessReport),
}
