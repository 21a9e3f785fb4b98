//! The signal thread: reaps children on SIGCHLD and forwards the daemon's own signals.
//!
//! This is the one place that reaps: it drains `waitpid(-1, WNOHANG)` on every SIGCHLD
//! (the daemon is a child subreaper, so orphans of apps arrive here too and never stay
//! zombies) and sends each exit to the supervisor. SIGTERM/SIGINT ask for a planned stop,
//! SIGUSR2 reopens log files, SIGHUP changes nothing. Every other signal whose default
//! action would end the daemon (SIGUSR1, SIGALRM, SIGPWR, the real-time signals, …) is
//! caught too and only logged: a stray `kill -USR1` must not leave the apps unsupervised.

use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::Pid;
use signal_hook::consts::{SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
use signal_hook::iterator::Signals;

use super::spawn::SPAWN_LOCK;

/// What the signal thread reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reaped {
    /// A child was reaped: its exit code, or the signal that ended it.
    Exited {
        pid: i32,
        code: Option<i32>,
        signal: Option<String>,
    },
    /// A signal to the daemon itself (SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGQUIT).
    Signal(i32),
}

/// Installs the handlers and starts the thread, which calls `report` for each exit and
/// signal, and ends once `report` returns false (nobody listens any more).
pub fn spawn(report: impl Fn(Reaped) -> bool + Send + 'static) -> std::io::Result<()> {
    let mut signals = Signals::new(handled_signals())?;
    std::thread::Builder::new()
        .name("signals".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            // Children that ended before the handler existed (e.g. across an exec for
            // `rpm update`) are collected first.
            reap_all(&report);
            for signal in signals.forever() {
                let listened = match signal {
                    SIGCHLD => reap_all(&report),
                    other => report(Reaped::Signal(other)),
                };
                if !listened {
                    break;
                }
            }
        })?;
    Ok(())
}

/// The signals the thread takes: the ones the daemon acts on, and every other signal a
/// process can catch whose default action ends it (the daemon logs and ignores those).
/// SIGPIPE stays ignored (Rust's runtime does that) and SIGABRT keeps its meaning.
pub fn handled_signals() -> Vec<i32> {
    let mut signals = vec![SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR2, SIGQUIT];
    signals.extend(STRAY_SIGNALS);
    // glibc keeps the first real-time signals for its threads; SIGRTMIN() is the first
    // free one.
    signals.extend(libc::SIGRTMIN()..=libc::SIGRTMAX());
    signals
}

/// Signals whose default action terminates a process and that the daemon has no use for.
const STRAY_SIGNALS: [i32; 11] = [
    libc::SIGUSR1,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGIO,
    libc::SIGXCPU,
    libc::SIGXFSZ,
    libc::SIGPWR,
    libc::SIGSTKFLT,
    libc::SIGTRAP,
    libc::SIGSYS,
];

/// Collects every exited child and reports it; false once nobody listens.
pub fn reap_all(report: &impl Fn(Reaped) -> bool) -> bool {
    let _guard = SPAWN_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    loop {
        match waitpid(Pid::from_raw(-1), Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(pid, code)) => {
                if !report(Reaped::Exited {
                    pid: pid.as_raw(),
                    code: Some(code),
                    signal: None,
                }) {
                    return false;
                }
            }
            Ok(WaitStatus::Signaled(pid, signal, _)) => {
                if !report(Reaped::Exited {
                    pid: pid.as_raw(),
                    code: None,
                    signal: Some(signal.as_str().to_string()),
                }) {
                    return false;
                }
            }
            Ok(WaitStatus::StillAlive) | Err(_) => return true,
            Ok(_) => continue,
        }
    }
}
