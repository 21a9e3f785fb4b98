//! `rpm web`: the HTTP API (DESIGN 1.6), live events, Prometheus metrics and a dashboard.
//!
//! The server is a process of its own, `rpm web --serve`, so a slow client can never
//! block or grow the daemon: it talks to the daemon only through `rpm::Client`, with one
//! subscription for the notices and a cached `list` for reads. `launch` (what `rpm web`
//! runs) starts it detached and returns once it answers; `stop` (`rpm web --stop`) ends it
//! by its pid file; it ends by itself when the daemon goes away (`rpm kill`).
//!
//! Inside: `http` (reading requests, writing responses), `routes` (which request is
//! which, and the complete answers), `sse` (the notice hub and event streams), `metrics`
//! (the Prometheus text), `pm2` (PM2's `GET /` document), `auth` (the token), `state`
//! (what connections share, the list cache), `ui` (the embedded dashboard), `pid_file`,
//! and `server` (threads: accept, one per connection, notices, signals).

mod auth;
mod http;
mod metrics;
mod pid_file;
pub mod pm2;
mod routes;
mod server;
mod sse;
mod state;
mod ui;

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::client::{Client, ClientError};
pub use server::{serve, ServeOptions};

/// The token file in RPM_HOME.
pub const TOKEN_FILE: &str = "web.token";
/// The serving process's pid and URL, in RPM_HOME.
pub const PID_FILE: &str = "web.pid";
/// What the serving process writes (its stderr), in RPM_HOME.
pub const LOG_FILE: &str = "web.log";
/// How long `rpm web` waits for the server to answer, and `--stop` for it to exit.
const SETTLE: Duration = Duration::from_secs(10);

/// Why `rpm web` could not do what it was asked.
#[derive(Debug, Error)]
pub enum WebError {
    #[error(
        "`{host}` is not an IP address: give --host an address such as 127.0.0.1, ::1 or 0.0.0.0"
    )]
    BadHost { host: String },
    #[error("cannot listen on {address}: {source} (choose another --port, or stop what uses it)")]
    Bind { address: String, source: io::Error },
    #[error(transparent)]
    Token(#[from] auth::TokenError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot write {}: {source}", path.display())]
    File { path: PathBuf, source: io::Error },
    #[error("cannot start a thread: {0}")]
    Thread(io::Error),
    #[error("cannot run `rpm web --serve`: {0}")]
    Spawn(io::Error),
    #[error("rpm web did not start: {reason} (see {})", log.display())]
    DidNotStart { reason: String, log: PathBuf },
    #[error("rpm web already serves {url} (pid {pid}): stop it first with `rpm web --stop`")]
    AlreadyServing { url: String, pid: u32 },
    #[error("no rpm web server is running for {}", home.display())]
    NotServing { home: PathBuf },
    #[error("rpm web (pid {pid}) did not exit within 10 s")]
    DidNotExit { pid: u32 },
}

impl WebError {
    /// 2 for bad usage, 1 otherwise (DESIGN 1.1).
    pub fn exit_code(&self) -> i32 {
        match self {
            WebError::BadHost { .. } => 2,
            WebError::Client(e) => e.exit_code(),
            _ => 1,
        }
    }
}

/// What `launch` found or started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launched {
    pub url: String,
    pub pid: u32,
    /// Whether it was already serving at that address.
    pub already: bool,
}

/// `rpm web`: makes sure the daemon runs (`client` starts it on demand), starts
/// `<exe> web --serve` detached, and returns once it answers. A server already serving
/// the same address is left alone; one serving another address is an error.
pub fn launch(client: &Client, exe: &Path, opts: &ServeOptions) -> Result<Launched, WebError> {
    opts.host
        .parse::<std::net::IpAddr>()
        .map_err(|_| WebError::BadHost {
            host: opts.host.clone(),
        })?;
    client.ping()?;
    let home = client.home();
    let pid_path = home.root().join(PID_FILE);
    if let Some(running) = pid_file::running(&pid_path) {
        let wanted = SocketAddr::new(
            opts.host.parse().map_err(|_| WebError::BadHost {
                host: opts.host.clone(),
            })?,
            opts.port,
        );
        if opts.port != 0 && running.url == format!("http://{wanted}") {
            return Ok(Launched {
                url: running.url,
                pid: running.pid,
                already: true,
            });
        }
        return Err(WebError::AlreadyServing {
            url: running.url,
            pid: running.pid,
        });
    }
    let log_path = home.root().join(LOG_FILE);
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&log_path)
        .map_err(|source| WebError::File {
            path: log_path.clone(),
            source,
        })?;
    let mut command = Command::new(exe);
    command
        .args([
            "web",
            "--serve",
            "--host",
            &opts.host,
            "--port",
            &opts.port.to_string(),
        ])
        .env("RPM_HOME", home.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    // SAFETY: setsid is async-signal-safe; the server leaves the caller's session so a
    // terminal's hangup does not reach it.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = command.spawn().map_err(WebError::Spawn)?;
    let deadline = Instant::now() + SETTLE;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(WebError::DidNotStart {
                reason: last_line(&log_path).unwrap_or_else(|| format!("it exited with {status}")),
                log: log_path,
            });
        }
        let written = std::fs::read_to_string(&pid_path)
            .ok()
            .and_then(|t| pid_file::parse(&t))
            .filter(|w| w.pid == child.id());
        if let Some(web) = written {
            if answers(&web.url) {
                return Ok(Launched {
                    url: web.url,
                    pid: web.pid,
                    already: false,
                });
            }
        }
        if Instant::now() >= deadline {
            // Do not leave a half-started server behind.
            let _ = child.kill();
            let _ = child.wait();
            return Err(WebError::DidNotStart {
                reason: "it did not answer within 10 s".into(),
                log: log_path,
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Whether the server at `url` answers `GET /ui` with 200.
fn answers(url: &str) -> bool {
    let Some(address) = url.strip_prefix("http://") else {
        return false;
    };
    let Ok(addr) = address.parse::<SocketAddr>() else {
        return false;
    };
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_secs(1)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if stream
        .write_all(b"GET /ui HTTP/1.1\r\nHost: rpm\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head == b"HTTP/1.1 200"
}

fn last_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().rev().find(|l| !l.trim().is_empty())?;
    Some(line.trim().trim_start_matches("error: ").to_string())
}

/// `rpm web --stop`: ends the server named by `web.pid` (SIGTERM) and waits until it is
/// gone; returns its pid.
pub fn stop(client: &Client) -> Result<u32, WebError> {
    let home = client.home();
    let pid_path = home.root().join(PID_FILE);
    let Some(running) = pid_file::running(&pid_path) else {
        // A stale file names nothing: tidy it away.
        let _ = std::fs::remove_file(&pid_path);
        return Err(WebError::NotServing {
            home: home.root().to_path_buf(),
        });
    };
    let pid = running.pid;
    // SAFETY: kill(2) on the process web.pid names, checked above to be `rpm web --serve`.
    unsafe { libc::kill(pid as i32, libc::SIGTERM) };
    let deadline = Instant::now() + SETTLE;
    while pid_file::is_web_server(pid) {
        if Instant::now() >= deadline {
            return Err(WebError::DidNotExit { pid });
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = std::fs::remove_file(&pid_path);
    Ok(pid)
}

/// Sends the serving process's log records to its stderr (`RPM_HOME/web.log`).
pub fn init_log() {
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&std::env::var("RPM_LOG").unwrap_or_else(|_| "info".into()));
    builder.format_timestamp_millis();
    let _ = builder.try_init();
}
