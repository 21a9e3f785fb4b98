//! `MonitError`: why `rpm monit` could not run, and the exit status of each.

use std::io;

use thiserror::Error;

use crate::client::ClientError;

/// A dashboard that could not start or had to stop.
#[derive(Debug, Error)]
pub enum MonitError {
    /// Standard output is not a terminal (piped or redirected): exit 2.
    #[error("`rpm monit` needs a terminal: its output is redirected; use `rpm list` or `rpm jlist` in scripts")]
    NotATerminal,
    /// The terminal could not be set up, drawn on or read: exit 1.
    #[error("cannot use the terminal for `rpm monit`: {0}")]
    Terminal(#[source] io::Error),
    /// A thread of the dashboard could not be started: exit 1.
    #[error("cannot start `rpm monit`'s {what} thread: {source}")]
    Thread {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    /// The daemon could not be reached or started: its own exit status.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl MonitError {
    /// DESIGN 1.1's exit status: 2 for bad usage, 1 when the operation failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            MonitError::NotATerminal => 2,
            MonitError::Client(e) => e.exit_code(),
            MonitError::Terminal(_) | MonitError::Thread { .. } => 1,
        }
    }
}
