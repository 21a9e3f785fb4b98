//! `LogError`: everything that can go wrong while writing, rotating or reading log files.
//!
//! Each variant names the situation and carries the path involved, so the daemon's
//! `daemon.log` and the CLI's one-sentence message both say which file and what to do.

use std::io;
use std::path::PathBuf;

/// An error from the log writer, the rotation or `rpm logs`.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// A `log_date_format` / `--timestamp` format could not be compiled.
    #[error("invalid timestamp format {format:?} at byte {position}: {reason}")]
    InvalidTimestampFormat {
        format: String,
        position: usize,
        reason: &'static str,
    },
    /// The log path is a symbolic link; rpm refuses to follow it so a link planted in a
    /// shared directory cannot redirect its writes.
    #[error("log file {path} is a symbolic link; rpm refuses to write through it (point the app's log option at the real file)")]
    SymlinkRefused { path: PathBuf },
    /// The parent directory of a log file could not be created.
    #[error("cannot create log directory {path}: {source}")]
    CreateDir { path: PathBuf, source: io::Error },
    /// A log file could not be opened for appending.
    #[error("cannot open log file {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    /// Appending to a log file failed (disk full, I/O error, ...).
    #[error("cannot write log file {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
    /// Emptying a log file (`rpm flush`) failed.
    #[error("cannot truncate log file {path}: {source}")]
    Truncate { path: PathBuf, source: io::Error },
    /// Renaming a log file aside during rotation failed.
    #[error("cannot rotate log file {path} to {to}: {source}")]
    Rotate {
        path: PathBuf,
        to: PathBuf,
        source: io::Error,
    },
    /// Compressing a rotated file failed; the uncompressed rotated file is kept.
    #[error("cannot compress rotated log {path}: {source}")]
    Compress { path: PathBuf, source: io::Error },
    /// Reading a log file for `rpm logs` failed.
    #[error("cannot read log file {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    /// The inotify watch used by `rpm logs` to follow files could not be set up.
    #[error("cannot watch {path} for new log lines: {source} (if the limit is reached, raise fs.inotify.max_user_watches, see inotify(7))")]
    Watch {
        path: PathBuf,
        source: notify::Error,
    },
    /// The inotify instance `rpm logs` follows files with could not be created.
    #[error("cannot start watching log files: {source} (if the limit is reached, raise fs.inotify.max_user_instances, see inotify(7))")]
    WatcherInit { source: notify::Error },
    /// Writing `rpm logs` output failed for a reason other than the reader going away.
    #[error("cannot write log output: {source}")]
    Output { source: io::Error },
}
