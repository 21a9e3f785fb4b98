//! `rpm::Client`: the API other Rust programs use to drive rpm, as PM2's Node API does.
//!
//! It talks to the daemon of one `RPM_HOME` over `RPM_HOME/rpm.sock`, with one typed method
//! per verb (`list`, `start`, `stop`, …, `subscribe`) that returns typed results. The `rpm`
//! CLI is built on these methods only, so what it can do, a program can do.
//!
//! Each request opens a connection, writes one JSON line and reads one JSON line back; a
//! connection costs tens of microseconds on a Unix socket and keeps the daemon free of
//! per-client state. `subscribe` is the exception: its connection stays open and carries
//! one notice per line until the daemon goes away.
//!
//! Verbs start a daemon when none runs (except `kill` and `update`), provided the client
//! knows the rpm binary to run `rpm daemon` with (`daemon_binary`; the CLI gives its own)
//! and `start_on_demand(false)` was not asked. A question that changes nothing, asked of
//! a daemon that died before answering, is asked again (of a new daemon if need be); an
//! order is not, as it may have taken effect. Everything runs on the caller's thread.
#![deny(missing_docs)]

mod error;
mod notices;
mod on_demand;
mod wire;

#[cfg(test)]
pub(crate) mod fake_daemon;

use std::collections::BTreeMap;
use std::io;
use std::io::BufReader;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::config::AppSpec;
use crate::ipc::protocol::{Details, ProcessInfo, Request, Response, StartMode, StartRows};
use crate::paths::Home;

pub use error::ClientError;
pub use notices::{Notices, NoticesCloser};

/// How long `kill` waits for the daemon to exit, and `update` for the new one to answer.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// The daemon's answer to `ping`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pong {
    /// The rpm version the daemon runs.
    pub version: String,
    /// The daemon's process id.
    pub pid: u32,
}

/// What `Client::start_script` did.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptStart {
    /// Every instance the daemon knows (the table `rpm start` prints), once the app's
    /// are online or have failed.
    Started(Vec<ProcessInfo>),
    /// An app of that name and script was running and is left as it was.
    AlreadyRunning {
        /// Its instances' ids.
        ids: Vec<u32>,
    },
}

/// A handle on the daemon of one `RPM_HOME`. Cheap to clone; holds no connection.
#[derive(Debug, Clone)]
pub struct Client {
    home: Home,
    start_on_demand: bool,
    daemon_binary: Option<PathBuf>,
}

impl Client {
    /// A client of the daemon in `RPM_HOME` (or `$HOME/.rpm`); does not connect yet.
    pub fn from_env() -> Result<Client, ClientError> {
        Ok(Client::new(Home::from_env()?))
    }

    /// A client of the daemon in an explicit home.
    pub fn new(home: Home) -> Client {
        Client {
            home,
            start_on_demand: true,
            daemon_binary: None,
        }
    }

    /// The rpm binary that runs `rpm daemon` when a verb needs to start a daemon. Without
    /// one, a verb that finds no daemon fails with `ClientError::NoDaemonBinary` (running this
    /// program's own binary as `rpm daemon` is only right when it is rpm).
    pub fn daemon_binary(mut self, exe: impl Into<PathBuf>) -> Client {
        self.daemon_binary = Some(exe.into());
        self
    }

    /// Whether verbs start a daemon when none runs (the default) or report
    /// `ClientError::NotRunning`. `kill` and `update` never start one.
    pub fn start_on_demand(mut self, start: bool) -> Client {
        self.start_on_demand = start;
        self
    }

    /// The `RPM_HOME` this client talks to.
    pub fn home(&self) -> &Home {
        &self.home
    }

    /// Whether a daemon answers on the socket.
    pub fn is_running(&self) -> bool {
        UnixStream::connect(self.home.socket()).is_ok()
    }

    /// `rpm ping`: the daemon's version and pid.
    pub fn ping(&self) -> Result<Pong, ClientError> {
        let request = Request::Ping;
        match self.ask(&request)? {
            Response::Pong { version, pid } => Ok(Pong { version, pid }),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// `rpm jlist`: every instance the daemon knows, in id order.
    pub fn list(&self) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::List)
    }

    /// `rpm describe`: everything about the instances the targets name.
    pub fn describe(&self, targets: &[String]) -> Result<Vec<Details>, ClientError> {
        let request = Request::Describe {
            targets: targets.to_vec(),
        };
        match self.ask(&request)? {
            Response::Described { details } => Ok(details),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// `rpm env`: the environment instance `id` receives.
    pub fn env(&self, id: u32) -> Result<BTreeMap<String, String>, ClientError> {
        let request = Request::Env { id };
        match self.ask(&request)? {
            Response::Env { env } => Ok(env),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// Starts apps from resolved specs (`rpm start`, `resurrect`, `apply`); returns the
    /// instances started, once they are online or have failed. `StartMode::Script` can
    /// be answered "already running": use `start_script` for it.
    pub fn start(
        &self,
        apps: Vec<AppSpec>,
        mode: StartMode,
    ) -> Result<Vec<ProcessInfo>, ClientError> {
        self.start_with_rows(apps, mode, StartRows::Started)
    }

    /// `start`, answered with the rows `rows` names once the started instances are
    /// online or have failed; `StartRows::All` is the table `rpm start FILE` prints, in
    /// the same round trip.
    pub fn start_with_rows(
        &self,
        apps: Vec<AppSpec>,
        mode: StartMode,
        rows: StartRows,
    ) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Start { apps, mode, rows })
    }

    /// `rpm start script`: starts `spec` unless an app of that name and script is
    /// running, which is left alone (one round trip either way).
    pub fn start_script(&self, spec: AppSpec) -> Result<ScriptStart, ClientError> {
        let request = Request::Start {
            apps: vec![spec],
            mode: StartMode::Script,
            rows: StartRows::All,
        };
        match self.ask(&request)? {
            Response::Processes { processes } => Ok(ScriptStart::Started(processes)),
            Response::AlreadyRunning { ids, .. } => Ok(ScriptStart::AlreadyRunning { ids }),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// `rpm start <target>`: starts the stopped or errored instances the targets name.
    pub fn start_targets(&self, targets: &[String]) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::StartTargets {
            targets: targets.to_vec(),
        })
    }

    /// `rpm stop`: returns the instances once stopped.
    pub fn stop(&self, targets: &[String]) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Stop {
            targets: targets.to_vec(),
        })
    }

    /// `rpm stop --watch` / `rpm restart --watch`: changes whether the targets' apps are
    /// watched; returns the instances.
    pub fn set_watch(
        &self,
        targets: &[String],
        change: crate::ipc::WatchChange,
    ) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Watch {
            targets: targets.to_vec(),
            change,
        })
    }

    /// `rpm restart`: returns the instances once restarted.
    pub fn restart(&self, targets: &[String]) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Restart {
            targets: targets.to_vec(),
        })
    }

    /// `rpm reload`: zero-downtime where instances share a socket; returns once every
    /// targeted instance is replaced (an error at the first that could not be).
    pub fn reload(&self, targets: &[String]) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Reload {
            targets: targets.to_vec(),
        })
    }

    /// `rpm scale`: returns the instances added or removed.
    pub fn scale(
        &self,
        name: &str,
        change: crate::ipc::Scale,
    ) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Scale {
            name: name.to_string(),
            change,
        })
    }

    /// `rpm delete`: returns the instances as they were when deleted.
    pub fn delete(&self, targets: &[String]) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Delete {
            targets: targets.to_vec(),
        })
    }

    /// `rpm reset`: zeroes the restart counters; returns the instances.
    pub fn reset(&self, targets: &[String]) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Reset {
            targets: targets.to_vec(),
        })
    }

    /// `rpm signal`: sends `signal` (a name such as `SIGUSR2` or `HUP`, or a number) to the
    /// targets' processes; returns the instances it reached.
    pub fn signal(
        &self,
        signal: &str,
        targets: &[String],
    ) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Signal {
            signal: signal.to_string(),
            targets: targets.to_vec(),
        })
    }

    /// `rpm flush`: empties the targets' log files (every app's when `targets` is empty);
    /// returns the daemon's sentence about it.
    pub fn flush(&self, targets: &[String]) -> Result<String, ClientError> {
        self.message(Request::Flush {
            targets: targets.to_vec(),
        })
    }

    /// `rpm reload-logs`: reopens every log file; returns the daemon's sentence about it.
    pub fn reload_logs(&self) -> Result<String, ClientError> {
        self.message(Request::ReloadLogs)
    }

    /// `rpm save`: writes the process list; returns the file and how many apps it holds.
    pub fn save(&self) -> Result<(PathBuf, usize), ClientError> {
        let request = Request::Save;
        match self.ask(&request)? {
            Response::Saved { path, apps } => Ok((path, apps)),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// `rpm resurrect`: brings back the apps of a dump (`rpm::dump::read`) that the
    /// daemon does not know yet; returns the instances created, once settled.
    pub fn resurrect(
        &self,
        apps: Vec<crate::dump::DumpedApp>,
    ) -> Result<Vec<ProcessInfo>, ClientError> {
        self.processes(Request::Resurrect { apps })
    }

    /// `rpm kill`: stops every app, then the daemon, and returns once the daemon is gone.
    /// `ClientError::NotRunning` when no daemon ran; never starts one.
    pub fn kill(&self) -> Result<(), ClientError> {
        let request = Request::Kill;
        match self.send(&request)? {
            Response::Ok { .. } => {}
            other => return Err(wire::unexpected(&request, &other)),
        }
        // The daemon removes its socket as it exits.
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        while self.home.socket().exists() {
            if Instant::now() >= deadline {
                return Err(ClientError::DidNotExit {
                    log: self.home.daemon_log(),
                });
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    }

    /// `rpm update`: replaces the daemon with the binary at `exe`, keeping every app
    /// running, and returns the new daemon's `ping` once it answers.
    /// `ClientError::NotRunning` when no daemon ran; never starts one.
    pub fn update(&self, exe: &Path) -> Result<Pong, ClientError> {
        let request = Request::Update {
            exe: exe.to_path_buf(),
        };
        match self.send(&request)? {
            Response::Ok { .. } => {}
            other => return Err(wire::unexpected(&request, &other)),
        }
        // The daemon execs in place; wait until the new image answers.
        let running = self.clone().start_on_demand(false);
        let deadline = Instant::now() + SETTLE_TIMEOUT;
        loop {
            if let Ok(pong) = running.ping() {
                return Ok(pong);
            }
            if Instant::now() > deadline {
                return Err(ClientError::NotBackAfterUpdate {
                    log: self.home.daemon_log(),
                });
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// `rpm events`: subscribes to the notices of the instances the targets name (every
    /// instance, present and future, when `targets` is empty). The daemon's refusal (an
    /// unknown target) is `ClientError::Daemon`; the iterator ends when the daemon closes
    /// the connection, and does not reconnect.
    pub fn subscribe(&self, targets: &[String]) -> Result<Notices, ClientError> {
        let request = Request::Subscribe {
            targets: targets.to_vec(),
        };
        match self.call(&request, self.start_on_demand)? {
            (Response::Subscribed, reader) => Ok(Notices::new(reader)),
            (other, _) => Err(wire::unexpected(&request, &other)),
        }
    }

    /// Sends one raw request to a running daemon and returns its raw answer; never starts
    /// a daemon and never asks twice. An `Error` answer is `ClientError::Daemon`.
    pub fn request(&self, request: Request) -> Result<Response, ClientError> {
        self.send(&request)
    }

    /// Sends one raw request, starting the daemon first when none runs. A read-only
    /// request whose daemon died before answering (killed while we connected) is asked
    /// again, of a new daemon if need be; others report the lost connection, as they may
    /// have taken effect.
    pub fn request_or_start(&self, request: Request) -> Result<Response, ClientError> {
        self.call(&request, true).map(|(answer, _)| answer)
    }

    /// Starts a daemon in the background with the `daemon_binary` and waits until it
    /// answers. Two clients racing here end up with the same single daemon: the daemon's
    /// lock decides.
    pub fn start_daemon(&self) -> Result<(), ClientError> {
        on_demand::start_daemon(&self.home, self.daemon_binary.as_deref())
    }

    /// One exchange with a running daemon: no start, no second try.
    fn send(&self, request: &Request) -> Result<Response, ClientError> {
        wire::exchange(self.connect()?, request).map(|(answer, _)| answer)
    }

    /// A verb's request, with this client's rule about starting a daemon.
    fn ask(&self, request: &Request) -> Result<Response, ClientError> {
        self.call(request, self.start_on_demand)
            .map(|(answer, _)| answer)
    }

    /// A verb answered by the rows of the instances it acted on.
    fn processes(&self, request: Request) -> Result<Vec<ProcessInfo>, ClientError> {
        match self.ask(&request)? {
            Response::Processes { processes } => Ok(processes),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// A verb answered by a sentence.
    fn message(&self, request: Request) -> Result<String, ClientError> {
        match self.ask(&request)? {
            Response::Ok { message } => Ok(message),
            other => Err(wire::unexpected(&request, &other)),
        }
    }

    /// Sends `request` and reads the first answer, starting a daemon when `start` allows
    /// and asking again when that is safe (see `request_or_start`).
    fn call(
        &self,
        request: &Request,
        start: bool,
    ) -> Result<(Response, BufReader<UnixStream>), ClientError> {
        let once = || self.connect().and_then(|s| wire::exchange(s, request));
        let mut answer = once();
        // A dying daemon can refuse us twice: once mid-question, once while it holds the
        // lock a new daemon needs.
        for _ in 0..3 {
            answer = match answer {
                Err(ClientError::NotRunning { .. }) if start => {
                    self.start_daemon()?;
                    once()
                }
                Err(ClientError::Io(e)) if can_ask_again(request) => {
                    log::debug!("the daemon went away before answering ({e}); asking again");
                    once()
                }
                other => return other,
            };
        }
        answer
    }

    fn connect(&self) -> Result<UnixStream, ClientError> {
        UnixStream::connect(self.home.socket()).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused => ClientError::NotRunning {
                home: self.home.root().to_path_buf(),
            },
            _ => ClientError::Connect {
                socket: self.home.socket(),
                source: e,
            },
        })
    }
}

/// Whether a request may be sent again after its daemon died before answering: it
/// changes nothing (a subscription only listens).
fn can_ask_again(request: &Request) -> bool {
    request.is_read_only() || matches!(request, Request::Subscribe { .. })
}

#[cfg(test)]
mod tests;
