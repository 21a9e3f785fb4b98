//! The one channel into the watcher thread: the supervisor's commands and the notify
//! watchers' events arrive on it in order, so the thread blocks in a single `recv_timeout`.

use std::sync::mpsc::Sender;

use super::spec::WatchSpec;

/// A message for the watcher thread.
pub(super) enum Msg {
    /// Start watching an app, or replace what it watches.
    Watch(String, WatchSpec),
    /// Stop watching an app.
    Unwatch(String),
    /// The handle was dropped: drop every notify watcher and end.
    Stop,
    /// An event of the shared inotify watcher (every app watched through inotify).
    Inotify(notify::Result<notify::Event>),
    /// An event of one app's own poll watcher; `generation` tells a replaced watcher's
    /// late events from the current one's.
    Poll {
        key: String,
        generation: u64,
        event: notify::Result<notify::Event>,
    },
    /// Test seam: answers once every message sent before it has been handled.
    #[cfg(test)]
    Sync(Sender<Probe>),
    /// Test seam: the shared inotify watcher refuses watches beyond this many, as the kernel
    /// does at `fs.inotify.max_user_watches`.
    #[cfg(test)]
    LimitWatches(usize),
}

/// What the thread tells a test about itself.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Probe {
    /// Folders the shared inotify instance watches.
    pub inotify_watches: usize,
    /// Apps with a report pending.
    pub pending: usize,
}

/// Where notify's event handlers send.
pub(super) type MsgSender = Sender<Msg>;
