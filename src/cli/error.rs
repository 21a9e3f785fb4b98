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
    /// The operation failed: exit 1.
    #[error("{0}")]
    Failed(String),
    /// An invalid ecosystem file: exit 2; its text already starts each line with `error:`.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Home(#[from] HomeError),
    #[error(transparent)]
    Logs(#[from] crate::logs::LogError),
    #[error(transparent)]
    Startup(#[from] crate::startup::StartupError),
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Config(_) => 2,
            CliError::Client(e) => e.exit_code(),
            CliError::Startup(e) if e.is_usage() => 2,
            _ => 1,
        }
    }

    /// The message as printed on stderr: `error: ` first, once.
    pub fn render(&self) -> String {
        match self {
            CliError::Config(e) => e.to_string(),
            other => format!("error: {other}"),
        }
    }

    /// Writing to a closed pipe (`rpm jlist | head`) is a normal end, not an error.
    pub fn is_broken_pipe(&self) -> bool {
        if let CliError::Logs(crate::logs::LogError::Output { source }) = self {
            return source.kind() == io::ErrorKind::BrokenPipe;
        }
        matches!(self, CliError::Output(e) if e.kind() == io::ErrorKind::BrokenPipe)
    }
}
