//! `Client`: talks to the daemon over `RPM_HOME/rpm.sock`, starting it on demand.
//!
//! This is the typed API other Rust programs use to drive rpm, as PM2's Node API does.
//! Each request opens a connection, writes one JSON line and reads one JSON line back;
//! a connection costs tens of microseconds on a Unix socket, and keeps the daemon free of
//! per-client state.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::ipc::protocol::{Envelope, ErrorKind, ProcessInfo, Request, Response, VERSION};
use crate::paths::{Home, HomeError};

/// How long a CLI waits for a daemon it started to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// While no daemon answers, `rpm daemon` is run again this often (see `start_daemon`).
const RESTART_AFTER: Duration = Duration::from_millis(100);

/// Why a request did not get an answer, or got an error.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error(transparent)]
    Home(#[from] HomeError),
    #[error("no rpm daemon is running for {}", home.display())]
    NotRunning { home: PathBuf },
    #[error("cannot reach the rpm daemon at {}: {source}", socket.display())]
    Connect { socket: PathBuf, source: io::Error },
    #[error("cannot start the rpm daemon: {reason} (see {})", log.display())]
    Start { reason: String, log: PathBuf },
    #[error("lost the connection to the rpm daemon: {0}")]
    Io(#[from] io::Error),
    #[error("the rpm daemon sent an answer this CLI does not understand ({0}): run `rpm update`")]
    Protocol(String),
    #[error("{message}")]
    Daemon { kind: ErrorKind, message: String },
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

/// A handle on the daemon of one `RPM_HOME`.
#[derive(Debug, Clone)]
pub struct Client {
    home: Home,
}

impl Client {
    /// A client of the daemon in `RPM_HOME` (or `$HOME/.rpm`); does not connect yet.
    pub fn from_env() -> Result<Client, ClientError> {
        Ok(Client {
            home: Home::from_env()?,
        })
    }

    /// A client of the daemon in an explicit home.
    pub fn new(home: Home) -> Client {
        Client { home }
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    /// Whether a daemon answers on the socket.
    pub fn is_running(&self) -> bool {
        UnixStream::connect(self.home.socket()).is_ok()
    }

    /// Sends one request to a running daemon; never starts one.
    pub fn request(&self, request: Request) -> Result<Response, ClientError> {
        let stream = match UnixStream::connect(self.home.socket()) {
            Ok(stream) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ) =>
            {
                return Err(ClientError::NotRunning {
                    home: self.home.root().to_path_buf(),
                })
            }
            Err(source) => {
                return Err(ClientError::Connect {
                    socket: self.home.socket(),
                    source,
                })
            }
        };
        exchange(stream, request)
    }

    /// Sends one request, starting the daemon first when none runs. A read-only request
    /// whose daemon died before answering (killed while we connected) is asked again,
    /// of a new daemon if need be; others report the lost connection, as they may have
    /// taken effect.
    pub fn request_or_start(&self, request: Request) -> Result<Response, ClientError> {
        let mut answer = self.request(request.clone());
        // A dying daemon can refuse us twice: once mid-question, once while it holds the
        // lock a new daemon needs.
        for _ in 0..3 {
            answer = match answer {
                Err(ClientError::NotRunning { .. }) => {
                    self.start_daemon()?;
                    self.request(request.clone())
                }
                Err(ClientError::Io(e)) if request.is_read_only() => {
                    log::debug!("the daemon went away before answering ({e}); asking again");
                    self.request(request.clone())
                }
                other => return other,
            };
        }
        answer
    }

    /// `rpm jlist`: every instance the daemon knows, starting the daemon if needed.
    pub fn list(&self) -> Result<Vec<ProcessInfo>, ClientError> {
        match self.request_or_start(Request::List)? {
            Response::Processes { processes } => Ok(processes),
            other => Err(unexpected(&other)),
        }
    }

    /// Starts a daemon in the background and waits until it answers. Two clients racing
    /// here end up with the same single daemon: the daemon's lock decides.
    pub fn start_daemon(&self) -> Result<(), ClientError> {
        self.home.ensure()?;
        self.spawn_daemon()?;
        // `rpm daemon` returns once its daemon listens, or once it saw another daemon
        // holding the lock: one still binding its socket, or one still dying (its lock
        // goes with its last thread). So while nobody answers, ask again now and then:
        // a new daemon starts once the lock is free, and exits at once while it is not.
        let deadline = Instant::now() + START_TIMEOUT;
        let mut pause = Duration::from_millis(1);
        let mut next_try = Instant::now() + RESTART_AFTER;
        loop {
            if self.is_running() {
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(ClientError::Start {
                    reason: "the daemon did not answer within 10 s".into(),
                    log: self.home.daemon_log(),
                });
            }
            if now >= next_try {
                self.spawn_daemon()?;
                next_try = Instant::now() + RESTART_AFTER;
                continue;
            }
            std::thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(50));
        }
    }

    /// Runs `rpm daemon`, which returns once its daemon listens or once it finds the
    /// lock held by another daemon.
    fn spawn_daemon(&self) -> Result<(), ClientError> {
        let exe = std::env::current_exe().map_err(|e| ClientError::Start {
            reason: format!("cannot find the rpm binary: {e}"),
            log: self.home.daemon_log(),
        })?;
        let status = Command::new(exe)
            .arg("daemon")
            .env("RPM_HOME", self.home.root())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| ClientError::Start {
                reason: e.to_string(),
                log: self.home.daemon_log(),
            })?;
        if status.status.success() {
            return Ok(());
        }
        let reason = String::from_utf8_lossy(&status.stderr)
            .trim()
            .trim_start_matches("error: ")
            .to_string();
        Err(ClientError::Start {
            reason: if reason.is_empty() {
                format!("the daemon exited with {}", status.status)
            } else {
                reason
            },
            log: self.home.daemon_log(),
        })
    }
}

/// Writes one request and reads one response on a fresh connection.
fn exchange(stream: UnixStream, request: Request) -> Result<Response, ClientError> {
    let envelope = Envelope {
        version: VERSION.to_string(),
        request,
    };
    let mut line =
        serde_json::to_vec(&envelope).map_err(|e| ClientError::Protocol(e.to_string()))?;
    line.push(b'\n');
    (&stream).write_all(&line)?;
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    if reader.read_line(&mut answer)? == 0 {
        return Err(ClientError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the daemon closed the connection without answering",
        )));
    }
    let response: Response =
        serde_json::from_str(&answer).map_err(|e| ClientError::Protocol(e.to_string()))?;
    match response {
        Response::Error { kind, message } => Err(ClientError::Daemon { kind, message }),
        other => Ok(other),
    }
}

/// The error for an answer of the wrong shape.
pub fn unexpected(response: &Response) -> ClientError {
    ClientError::Protocol(format!("unexpected answer {response:?}"))
}
