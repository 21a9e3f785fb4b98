//! Starting a daemon when none runs: `rpm daemon`, then wait until the socket answers.
//!
//! Runs on the caller's thread. Two callers racing here end up with one daemon: the
//! daemon's lock decides, this code only runs `rpm daemon` and waits.

use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::error::ClientError;
use crate::paths::Home;

/// How long a client waits for a daemon it started to answer.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// While no daemon answers, `rpm daemon` is run again this often (see `start_daemon`).
const RESTART_AFTER: Duration = Duration::from_millis(100);

/// Starts a daemon in the background for `home` with the rpm binary `exe`, and waits
/// until it answers.
pub(super) fn start_daemon(home: &Home, exe: Option<&Path>) -> Result<(), ClientError> {
    let exe = exe.ok_or_else(|| ClientError::NoDaemonBinary {
        home: home.root().to_path_buf(),
    })?;
    home.ensure()?;
    spawn_daemon(home, exe)?;
    // `rpm daemon` returns once its daemon listens, or once it saw another daemon
    // holding the lock: one still binding its socket, or one still dying (its lock
    // goes with its last thread). So while nobody answers, ask again now and then:
    // a new daemon starts once the lock is free, and exits at once while it is not.
    let deadline = Instant::now() + START_TIMEOUT;
    let mut pause = Duration::from_millis(1);
    let mut next_try = Instant::now() + RESTART_AFTER;
    loop {
        if UnixStream::connect(home.socket()).is_ok() {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(ClientError::Start {
                reason: "the daemon did not answer within 10 s".into(),
                log: home.daemon_log(),
            });
        }
        if now >= next_try {
            spawn_daemon(home, exe)?;
            next_try = Instant::now() + RESTART_AFTER;
            continue;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Runs `rpm daemon`, which returns once its daemon listens or once it finds the lock
/// held by another daemon.
fn spawn_daemon(home: &Home, exe: &Path) -> Result<(), ClientError> {
    let status = Command::new(exe)
        .arg("daemon")
        .env("RPM_HOME", home.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| ClientError::Start {
            reason: e.to_string(),
            log: home.daemon_log(),
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
        log: home.daemon_log(),
    })
}
