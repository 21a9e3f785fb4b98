//! `ClientError`: why a call of `rpm::Client` got no answer, or got a refusal. Each
//! variant's text is the one sentence the CLI prints after `error: `.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use crate::ipc::protocol::ErrorKind;
use crate::paths::HomeError;

/// Why a request did not get an answer, or got an error.
#[derive(Debug, Error)]
pub enum ClientError {
    /// `RPM_HOME` cannot be used.
    #[error(transparent)]
    Home(#[from] HomeError),
    /// Nothing listens on the socket (and this call does not start a daemon).
    #[error("no rpm daemon is running for {}", home.display())]
    NotRunning {
        /// The `RPM_HOME` asked.
        home: PathBuf,
    },
    /// The socket exists but cannot be connected to (permissions, for instance).
    #[error("cannot reach the rpm daemon at {}: {source}", socket.display())]
    Connect {
        /// The socket's path.
        socket: PathBuf,
        /// What `connect` said.
        source: io::Error,
    },
    /// No daemon runs and this client knows no rpm binary to start one with.
    #[error("no rpm daemon is running for {}, and this program cannot start one: run `rpm ping`, or give the rpm binary to `Client::daemon_binary`", home.display())]
    NoDaemonBinary {
        /// The `RPM_HOME` asked.
        home: PathBuf,
    },
    /// A daemon was needed and could not be started.
    #[error("cannot start the rpm daemon: {reason} (see {})", log.display())]
    Start {
        /// Why, in the words of `rpm daemon` when it said something.
        reason: String,
        /// The daemon's log.
        log: PathBuf,
    },
    /// The connection broke before the answer was complete.
    #[error("lost the connection to the rpm daemon: {0}")]
    Io(#[from] io::Error),
    /// The daemon answered something this client cannot read, or the wrong kind of
    /// answer: the two are of different versions, or one is broken.
    #[error("the rpm daemon sent an answer this CLI does not understand ({0}): run `rpm update`")]
    Protocol(String),
    /// The daemon refused the request; `message` is its sentence, for the user as is.
    #[error("{message}")]
    Daemon {
        /// Which exit status the refusal calls for.
        kind: ErrorKind,
        /// The daemon's sentence.
        message: String,
    },
    /// The request is larger than the daemon reads; nothing was sent.
    #[error("this request is {} MiB, more than the daemon accepts ({} MiB): start the apps in several smaller files", bytes / (1024 * 1024), limit / (1024 * 1024))]
    TooLarge {
        /// The request's size.
        bytes: usize,
        /// `protocol::MAX_REQUEST_BYTES`.
        limit: usize,
    },
    /// `kill`: every app stopped, but the daemon did not go away.
    #[error("every app stopped, but the daemon did not exit within 10 s; see {}", log.display())]
    DidNotExit {
        /// The daemon's log.
        log: PathBuf,
    },
    /// `update`: the replaced daemon did not answer again.
    #[error("the new daemon did not answer within 10 s; see {}", log.display())]
    NotBackAfterUpdate {
        /// The daemon's log.
        log: PathBuf,
    },
}

impl ClientError {
    /// The exit status DESIGN 1.1 gives this error: 2 for bad usage, 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            ClientError::Daemon {
                kind: ErrorKind::Usage,
                ..
            } => 2,
            _ => 1,
        }
    }
}
