//! `CliError`: every way a command can fail, and the exit status and message of each.

use std::io;

use thiserror::Error;

use crate::client::ClientError;
use crate::paths::HomeError;

/// A CLI failure, with the exit status DESIGN 1.1 gives it.
#[derive(Debug, Error)]
pub enum CliError {
    /// Bad usage or an invalid file: exit 2.
    #[error("{0}")]
    Usage(String),
    /// No command at all: the usage text itself, printed as is, exit 2.
    #[error("{0}")]
    Help(String),
    /// The operation failed: exit 1.
    #[error("{0}")]
    Failed(String),
    /// An invalid ecosystem file: exit 2; its text already starts each line with `error:`.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// An export that cannot be written (a name the target forbids, no image): exit 2.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Home(#[from] HomeError),
    #[error(transparent)]
    Logs(#[from] crate::logs::LogError),
    #[error(transparent)]
    Monit(#[from] crate::monit::MonitError),
    #[error(transparent)]
    Startup(#[from] crate::startup::StartupError),
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Help(_) | CliError::Config(_) | CliError::Export(_) => 2,
            CliError::Client(e) => e.exit_code(),
            CliError::Monit(e) => e.exit_code(),
            CliError::Startup(e) if e.is_usage() => 2,
            _ => 1,
        }
    }

    /// The message as printed on stderr: `error: ` first, once, and command hints from
    /// the daemon, client or config naming the command as it was invoked.
    pub fn render(&self) -> String {
        let text = match self {
            CliError::Config(e) => e.to_string(),
            CliError::Help(usage) => usage.trim_end().to_string(),
            other => format!("error: {other}"),
        };
        super::invoked::with_invoked_name(&text).into_owned()
    }

    /// Writing to a closed pipe (`rpm jlist | head`) is a normal end, not an error.
    pub fn is_broken_pipe(&self) -> bool {
        if let CliError::Logs(crate::logs::LogError::Output { source }) = self {
            return source.kind() == io::ErrorKind::BrokenPipe;
        }
        matches!(self, CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}
