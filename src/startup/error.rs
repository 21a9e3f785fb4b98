//! `StartupError`: every way writing, installing or removing a boot script fails.

use std::path::PathBuf;

use thiserror::Error;

/// Why a boot script cannot be written, installed or removed.
#[derive(Debug, Error)]
pub enum StartupError {
    #[error("invalid service name {name:?}: {reason}")]
    InvalidServiceName { name: String, reason: String },
    #[error("invalid user name {name:?}: use letters, digits and `_.-` (an optional final `$`)")]
    InvalidUserName { name: String },
    #[error("no user {name:?} in the user database (getent passwd, /etc/passwd): check --user")]
    UnknownUser { name: String },
    #[error("no user has uid {uid} in the user database: name one with --user")]
    UnknownUid { uid: u32 },
    #[error("{what} {value:?} cannot go into a boot script: {reason}")]
    UnsafeValue {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot tell which init system runs here: name it, e.g. `rpm startup systemd` (systemd, launchd, openrc, upstart, systemv, rcd)")]
    NoInitSystem,
    #[error("cannot find this rpm binary's path: {0}")]
    NoBinary(std::io::Error),
    #[error("installing a boot script needs root: run the command above, or add --print to see the script")]
    NeedsRoot,
    #[error("--root {}: {reason}", path.display())]
    BadRoot { path: PathBuf, reason: &'static str },
    #[error("no boot script at {}: nothing to remove (installed with another --service-name, --user or --root?)", path.display())]
    NotInstalled { path: PathBuf },
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}); the steps before it were done")]
    CommandFailed { command: String, status: String },
}

impl StartupError {
    /// Bad usage (a name or value refused): exit 2; anything else: exit 1.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StartupError::InvalidServiceName { .. }
                | StartupError::InvalidUserName { .. }
                | StartupError::UnknownUser { .. }
                | StartupError::UnsafeValue { .. }
                | StartupError::BadRoot { .. }
        )
    }
}
