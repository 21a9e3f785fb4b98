//! What the supervisor asks the watcher for ([`WatchSpec`]) and what it hears back
//! ([`WatchReport`]). Plain data: built on the supervisor thread, read on the watcher thread.

use std::path::PathBuf;
use std::time::Duration;

/// What to watch for one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSpec {
    /// Absolute paths of folders (watched with everything below them) or single files. A path
    /// that does not exist yet is waited for and watched once it appears.
    pub paths: Vec<PathBuf>,
    /// PM2's `ignore_watch`: absolute paths, or glob patterns (`*.log`, `**/tmp/**`,
    /// `node_modules`); a pattern without a slash matches any path component below a watched
    /// folder. An ignored folder is not watched at all.
    pub ignore: Vec<String>,
    /// The debounce: a burst of changes becomes one report, `delay` after its last change.
    pub delay: Duration,
    /// PM2's `watch_options.followSymlinks` (PM2's default is true): descend into symlinked
    /// folders below a watched folder. A watched path that is itself a symlink is always
    /// followed.
    pub follow_symlinks: bool,
    /// PM2's `watch_options.usePolling` with its `interval`: poll at this interval instead of
    /// using inotify.
    pub poll: Option<Duration>,
}

/// What the watcher tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchReport {
    /// Files changed under app `key`'s paths; `path` is the last one that changed in the burst.
    Changed {
        /// The app, as given to [`Watcher::watch`](super::Watcher::watch).
        key: String,
        /// The last path that changed.
        path: PathBuf,
    },
    /// Watching `key` fell back to polling (e.g. the inotify watch limit was reached), or
    /// could not watch at all: the sentence to show in `rpm describe` and the daemon log.
    Degraded {
        /// The app, as given to [`Watcher::watch`](super::Watcher::watch).
        key: String,
        /// One sentence: what happened, what rpm does instead, how to fix it.
        message: String,
    },
}
