//! The signal thread: reaps children on SIGCHLD and forwards the daemon's own signals.
//!
//! This is the one place that reaps: it drains `waitpid(-1, WNOHANG)` on every SIGCHLD
//! (the daemon is a child subreaper, so orphans of apps arrive here too and never stay
//! zombies) and sends each exit to the supervisor. SIGTERM/SIGINT ask for a planned stop,
//! SIGUSR2 reopens log files, SIGHUP changes nothing.

use std::sync::mpsc::Sender;

use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
use signal_hook::iterator::Signals;

use super::event::Event;
use super::spawn::SPAWN_LOCK;

/// Installs the handlers and starts the thread.
pub fn spawn(events: Sender<Event>) -> std::io::Result<()> {
    let mut signals = Signals::new([SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGQUIT])?;
    std::thread::Builder::new()
        .name("signals".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            // Children that ended before the handler existed (e.g. across an exec for
            // `rpm update`) are collected first.
            reap_all(&events);
            for signal in signals.forever() {
                let sent = match signal {
                    SIGCHLD => {
                        reap_all(&events);
                        Ok(())
                    }
                    other => events.send(Event::Signal(other)),
                };
                if sent.is_err() {
                    break;
                }
            }
        })?;
    Ok(())
}

/// Collects every exited child and reports it.
pub fn reap_all(events: &Sender<Event>) {
    let _guard = SPAWN_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => {
                let _ = events.send(Event::Exited {
                    pid: pid.as_raw(),
                    code: Some(code),
                    signal: None,
                });
            }
            Ok(WaitStatus::Signaled(pid, signal, _)) => {
                let _ = events.send(Event::Exited {
                    pid: pid.as_raw(),
                    code: None,
                    signal: Some(signal.as_str().to_string()),
                });
            }
            Ok(WaitStatus::StillAlive) | Err(_) => break,
            Ok(_) => continue,
        }
    }
}
