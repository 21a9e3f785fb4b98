//! Logs: everything between an app's output pipes and the files and terminal showing it.
//!
//! The log pump thread (`pump`, started and driven by the daemon) reads each app's
//! stdout/stderr and, per chunk, uses [`LineFramer`] to cut whole lines, [`format_framed`]
//! to add timestamps or JSON, and [`LogFile::write`] to append them (rotating by size).
//! The CLI's `rpm logs` calls [`tail`] with the files to show; `rpm monit` keeps a
//! [`LogFollower`] and asks it for new lines when their folder changes. Apart from the pump's
//! thread, this module owns only a short-lived gzip thread after a rotation; it reads no
//! configuration beyond the `AppSpec` fields it is handed, and imports nothing from the
//! daemon, the CLI or the wire protocol.
//!
//! One [`LogFile`] per path: streams or instances that share a file (`merge_logs`, the
//! combined `log_file`) share one `LogFile`, so rotation sees every byte; such a file
//! keeps a side index of which instance wrote which bytes (`writers`, in
//! `RPM_HOME/logs/writers`), which `rpm logs` labels its lines from. Formats carry a
//! per-second render cache in a `Cell`, so a `LineFormat` belongs to one thread.
//!
//! The pump's work for one chunk read from an instance's pipe:
//!
//! ```no_run
//! use std::time::SystemTime;
//! use rpm::config::AppSpec;
//! use rpm::logs::{format_framed, LineFormat, LineFramer, LogFile, Rotation, Stream};
//!
//! # fn main() -> Result<(), rpm::logs::LogError> {
//! let spec = AppSpec::new("api", "/srv/api".into(), "/srv".into());
//! let fmt = LineFormat::from_spec(&spec, 0, 0)?;
//! let mut file = LogFile::open("/home/u/.rpm/logs/api-out.log".as_ref(), Rotation::from_spec(&spec))?;
//! let (mut framer, mut buf) = (LineFramer::new(), Vec::new());
//! let chunk: &[u8] = b"hello\nwor"; // as read from the pipe
//! let framed = framer.push(chunk);
//! if fmt.is_raw() {
//!     file.write_split(framed.head, framed.body)?; // no copy at all
//! } else {
//!     buf.clear();
//!     format_framed(&mut buf, &framed, &fmt, Stream::Out, SystemTime::now());
//!     file.write(&buf)?;
//! }
//! // The pipe closed: the partial last line ("wor") is written as a line.
//! if let Some(last) = framer.finish() {
//!     buf.clear();
//!     rpm::logs::format_lines(&mut buf, [last], &fmt, Stream::Out, SystemTime::now());
//!     file.write(&buf)?;
//! }
//! # Ok(())
//! # }
//! ```

mod error;
mod file;
mod format;
mod framer;
mod paths;
pub(crate) mod pump;
mod rotate;
mod tail;
mod timestamp;
mod writers;

pub use error::LogError;
pub use file::{refuse_symlink, LogFile};
pub use format::{format_framed, format_lines, LineFormat, Stream};
pub use framer::{Framed, LineFramer, Lines};
pub use paths::{default_log_paths, per_instance};
pub use rotate::Rotation;
pub use tail::{
    follow, tail, tail_fed, FollowedLine, LogFollower, LogSource, Nudge, TailFeed, TailInput,
    TailOptions,
};
pub use timestamp::{TimestampFormat, DEFAULT_TAIL_TIMESTAMP_FORMAT, DEFAULT_TIME_FORMAT};
