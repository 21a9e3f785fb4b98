//! Logs: everything between an app's output pipes and the files and terminal showing it.
//!
//! The daemon's log pump thread (written elsewhere) reads each app's stdout/stderr and,
//! per chunk, uses [`LineFramer`] to cut whole lines, [`format_framed`] to add timestamps
//! or JSON, and [`LogFile::write`] to append them (rotating by size). The CLI's
//! `rpm logs` calls [`tail`] with the files to show. This module owns no thread of its
//! own except a short-lived gzip thread after a rotation; it reads no configuration
//! beyond the `AppSpec` fields it is handed.

mod error;
mod file;
mod format;
mod framer;
mod paths;
mod rotate;
mod tail;
mod timestamp;

pub use error::LogError;
pub use file::LogFile;
pub use format::{format_framed, format_lines, LineFormat, Stream};
pub use framer::{Framed, LineFramer, Lines};
pub use paths::default_log_paths;
pub use rotate::Rotation;
pub use tail::{tail, LogSource, TailOptions};
pub use timestamp::{TimestampFormat, DEFAULT_TAIL_TIMESTAMP_FORMAT, DEFAULT_TIME_FORMAT};
