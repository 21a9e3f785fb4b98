//! Zero-downtime reload, as part of the state machine: a successor process is started
//! beside the running one; once it is ready the running one is stopped gracefully, and
//! when it has exited the successor takes its place (same instance, same id).
//!
//! Because the daemon holds the listening socket, the kernel keeps queueing connections
//! throughout: the old process serves until it stops accepting, the new one from the
//! moment it accepts. A successor that fails (cannot start, exits, or is not ready
//! within `listen_timeout`) is given up and the running process is left alone: the reload
//! fails, the app keeps serving. A stop, restart or delete during a reload gives the
//! successor up too.

use std::time::{Duration, Instant};

use super::{begin_stop, stop_action, Action, Instance, Policy, Report, AFTER_KILL_GRACE};
use crate::daemon::persist::Intent;
use crate::ipc::{RestartReason, Status};

/// The process a reload started to replace an instance's current one.
#[derive(Debug, Clone, PartialEq)]
pub struct Successor {
    /// Its process, once started.
    pub pid: Option<i32>,
    pub started: Option<Instant>,
    /// It said it is ready (or needs not say); the current process is being stopped.
    pub ready: bool,
    /// When it must be ready, or (given up) when to kill it.
    pub deadline: Option<Instant>,
    /// Given up and being stopped: its exit only needs cleaning up.
    pub abandoned: bool,
    /// Given up and SIGKILLed.
    pub killed: bool,
}

/// Why a reload gave up on its successor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReloadFailure {
    /// Its process could not be started.
    SpawnFailed,
    /// It ended before it replaced the current process.
    Exited {
        code: Option<i32>,
        signal: Option<String>,
    },
    /// It did not say it was ready within `listen_timeout`.
    NotReady { waited: Duration },
    /// A stop, restart or delete came first.
    Superseded,
}

/// Starts a reload of an online instance (one at a time: a second one while the first
/// runs changes nothing).
pub(super) fn begin(
    next: &mut Instance,
    reason: RestartReason,
    detail: Option<String>,
    actions: &mut Vec<Action>,
) {
    if next.successor.is_some() {
        return;
    }
    actions.push(Action::Report(Report::Restarting {
        reason,
        delay: Duration::ZERO,
        detail,
    }));
    next.successor = Some(Successor {
        pid: None,
        started: None,
        ready: false,
        deadline: None,
        abandoned: false,
        killed: false,
    });
    actions.push(Action::SpawnSuccessor);
}

pub(super) fn spawned(
    next: &mut Instance,
    policy: &Policy,
    pid: i32,
    now: Instant,
    actions: &mut Vec<Action>,
) {
    let Some(s) = next.successor.as_mut().filter(|s| s.pid.is_none()) else {
        return;
    };
    s.pid = Some(pid);
    s.started = Some(now);
    if policy.wait_ready {
        s.deadline = Some(now + policy.listen_timeout);
    } else {
        hand_over(next, policy, now, actions);
    }
}

pub(super) fn spawn_failed(next: &mut Instance, actions: &mut Vec<Action>) {
    if next.successor.as_ref().is_some_and(|s| s.pid.is_none()) {
        next.successor = None;
        actions.push(Action::Report(Report::ReloadFailed {
            cause: ReloadFailure::SpawnFailed,
        }));
    }
}

/// Process `pid` said it is ready: if it is the successor, the current process stops.
pub(super) fn ready(
    next: &mut Instance,
    policy: &Policy,
    pid: i32,
    now: Instant,
    actions: &mut Vec<Action>,
) {
    let waiting = next
        .successor
        .as_ref()
        .is_some_and(|s| s.pid == Some(pid) && !s.ready && !s.abandoned);
    if waiting {
        actions.push(Action::Report(Report::Ready {
            pid,
            timed_out: false,
        }));
        hand_over(next, policy, now, actions);
    }
}

/// The successor is ready: stop the current process; its exit hands over.
fn hand_over(next: &mut Instance, policy: &Policy, now: Instant, actions: &mut Vec<Action>) {
    if let Some(s) = next.successor.as_mut() {
        s.ready = true;
        s.deadline = None;
    }
    if next.status == Status::Online {
        begin_stop(next, policy, Intent::Restart, now, actions);
    }
}

/// Whether the successor's deadline has come.
pub(super) fn deadline_due(current: &Instance, now: Instant) -> bool {
    current
        .successor
        .as_ref()
        .and_then(|s| s.deadline)
        .is_some_and(|at| now >= at)
}

/// The successor's deadline came: not ready in time (give it up), or given up and still
/// running after `kill_timeout` (kill it).
pub(super) fn deadline(
    next: &mut Instance,
    policy: &Policy,
    now: Instant,
    actions: &mut Vec<Action>,
) {
    let Some(s) = next.successor.as_mut() else {
        return;
    };
    let Some(pid) = s.pid else {
        return;
    };
    if !s.abandoned {
        s.abandoned = true;
        s.deadline = Some(now + policy.kill_timeout);
        actions.push(stop_action(pid, policy));
        actions.push(Action::Report(Report::ReloadFailed {
            cause: ReloadFailure::NotReady {
                waited: policy.listen_timeout,
            },
        }));
    } else if !s.killed {
        s.killed = true;
        s.deadline = Some(now + AFTER_KILL_GRACE);
        actions.push(Action::KillTree {
            pid,
            group: policy.treekill,
        });
    } else {
        // It survived SIGKILL: wait for its exit without a deadline.
        s.deadline = None;
    }
}

/// Gives the successor up (a stop, restart or delete came): it is stopped as the
/// current process would be.
pub(super) fn abandon(
    next: &mut Instance,
    policy: &Policy,
    now: Instant,
    actions: &mut Vec<Action>,
) {
    let Some(s) = next.successor.as_mut() else {
        return;
    };
    if s.abandoned {
        return;
    }
    match s.pid {
        Some(pid) => {
            s.abandoned = true;
            s.deadline = Some(now + policy.kill_timeout);
            actions.push(stop_action(pid, policy));
        }
        None => next.successor = None,
    }
    actions.push(Action::Report(Report::ReloadFailed {
        cause: ReloadFailure::Superseded,
    }));
}

/// The successor's process ended.
pub(super) fn exited(
    next: &mut Instance,
    policy: &Policy,
    code: Option<i32>,
    signal: Option<String>,
    actions: &mut Vec<Action>,
) {
    let Some(s) = next.successor.take() else {
        return;
    };
    let Some(pid) = s.pid else {
        return;
    };
    actions.push(Action::ProcessEnded {
        pid,
        kill_leftovers: policy.treekill,
    });
    if !s.abandoned {
        // Ready or not, it cannot take over: a stop of the current process already
        // begun ends in a plain restart (its intent is Restart).
        actions.push(Action::Report(Report::ReloadFailed {
            cause: ReloadFailure::Exited { code, signal },
        }));
    }
}

/// The current process `old_pid` has exited: a live successor takes its place (after a
/// reload's stop, or a crash during one). Returns whether it did.
pub(super) fn take_over(
    next: &mut Instance,
    policy: &Policy,
    old_pid: i32,
    actions: &mut Vec<Action>,
) -> bool {
    let Some(s) = next.successor.take_if(|s| !s.abandoned && s.pid.is_some()) else {
        return false;
    };
    let Some(new_pid) = s.pid else {
        return false;
    };
    next.pid = Some(new_pid);
    next.started = s.started;
    next.restarts += 1;
    next.intent = None;
    next.killed = false;
    if s.ready || !policy.wait_ready {
        next.status = Status::Online;
        next.deadline = None;
    } else {
        // The old process crashed before the new one was ready: it is launching.
        next.status = Status::Launching;
        next.deadline = s.deadline;
    }
    actions.push(Action::Report(Report::Replaced { old_pid, new_pid }));
    true
}
