//! The instance state machine and its restart policy, as one pure function.
//!
//! `step(instance, policy, input, now) -> (instance, actions)` decides every transition:
//! `launching → online → stopping → stopped`, `online → exit → waiting-restart →
//! launching`, `→ errored`. It is the only code that changes an instance's status, pid and
//! counters: adoption by a new daemon, `reset` and "ended while no daemon ran" are inputs
//! like any other. It performs nothing: the supervisor carries out the returned actions in
//! order, and each action carries the data it needs (which pid, which signal), so the
//! executor decides nothing. Time is an argument, so PM2's semantics (`min_uptime`,
//! `max_restarts`, `restart_delay`, `exp_backoff_restart_delay`, `stop_exit_codes`,
//! `autorestart`, `kill_timeout`) are table-tested in `policy_tests` without processes or
//! clocks. Readiness and zero-downtime reload (a successor process started beside the
//! running one, which replaces it once ready) are in `successor`.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

mod exit;
mod successor;

pub use successor::{ReloadFailure, Successor};

use super::persist::{Intent, SavedInstance};
use crate::config::AppSpec;
use crate::ipc::{ErroredCause, RestartReason, Status};

/// Upper bound of the exponential backoff (PM2: 15 s).
pub const MAX_BACKOFF_MS: u64 = 15_000;
/// An app that stayed up this long before crashing restarts its backoff (PM2: 30 s).
pub const BACKOFF_RESET_AFTER: Duration = Duration::from_secs(30);
/// How long to wait for an exit after SIGKILL before giving up on the deadline.
const AFTER_KILL_GRACE: Duration = Duration::from_secs(5);

/// The part of an instance the state machine owns.
#[derive(Debug, Clone, PartialEq)]
pub struct Instance {
    pub status: Status,
    pub pid: Option<i32>,
    /// When the current run started (monotonic).
    pub started: Option<Instant>,
    pub restarts: u32,
    pub unstable_restarts: u32,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<String>,
    /// The last exponential-backoff delay used, in ms.
    pub backoff_ms: Option<u64>,
    /// Restart time (waiting-restart) or kill time (stopping).
    pub deadline: Option<Instant>,
    /// While stopping: what happens after the exit.
    pub intent: Option<Intent>,
    /// While stopping: SIGKILL was already sent.
    pub killed: bool,
    /// During a zero-downtime reload: the process started to replace this one.
    pub successor: Option<Successor>,
}

impl Instance {
    /// A new instance that has not run yet.
    pub fn new() -> Instance {
        Instance {
            status: Status::Stopped,
            pid: None,
            started: None,
            restarts: 0,
            unstable_restarts: 0,
            exit_code: None,
            exit_signal: None,
            backoff_ms: None,
            deadline: None,
            intent: None,
            killed: false,
            successor: None,
        }
    }
}

impl Instance {
    /// The instance's process, while its status says it has one.
    pub fn live_pid(&self) -> Option<i32> {
        self.pid.filter(|_| self.status.has_process())
    }

    /// An instance as an earlier daemon's `state.json` recorded it, before adoption
    /// decides what its process is now (`Adopted`, `ExitedWhileAway` or `Start`). A run
    /// that was only being started, or a status that needs a process but names none,
    /// has no process as far as anyone knows: it is stopped.
    pub fn restored(saved: &SavedInstance, started: Option<Instant>) -> Instance {
        let status = match saved.status {
            status if status.has_process() && saved.pid.is_none() => Status::Stopped,
            status => status,
        };
        let has_process = status.has_process();
        Instance {
            status,
            pid: saved.pid.filter(|_| has_process),
            started: started.filter(|_| has_process),
            restarts: saved.restarts,
            unstable_restarts: saved.unstable_restarts,
            exit_code: saved.exit_code,
            exit_signal: saved.exit_signal.clone(),
            backoff_ms: saved.backoff_ms,
            deadline: None,
            intent: saved.intent.filter(|_| status == Status::Stopping),
            killed: false,
            successor: None,
        }
    }
}

impl Default for Instance {
    fn default() -> Self {
        Instance::new()
    }
}

/// The restart and stop settings of an app, in the units `step` uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub autorestart: bool,
    pub max_restarts: u32,
    pub min_uptime: Duration,
    pub restart_delay: Duration,
    pub exp_backoff_ms: Option<u64>,
    pub stop_exit_codes: Vec<i32>,
    pub kill_timeout: Duration,
    pub kill_signal: Signal,
    /// Signals and kills reach the whole process group (PM2's `treekill`).
    pub treekill: bool,
    /// A new process is online only once it says it is ready (`wait_ready`), or when
    /// `listen_timeout` runs out.
    pub wait_ready: bool,
    pub listen_timeout: Duration,
    /// Stop with PM2's `shutdown` message rather than a signal.
    pub shutdown_with_message: bool,
    /// The daemon holds the app's listening socket, so a reload starts the new process
    /// beside the old one and stops the old one only once the new one is ready.
    pub zero_downtime: bool,
}

impl Policy {
    pub fn from_spec(spec: &AppSpec) -> Policy {
        Policy {
            autorestart: spec.autorestart,
            max_restarts: spec.max_restarts,
            min_uptime: spec.min_uptime,
            restart_delay: spec.restart_delay,
            exp_backoff_ms: spec
                .exp_backoff_restart_delay
                .map(crate::config::duration_ms::millis)
                .filter(|ms| *ms > 0),
            stop_exit_codes: spec.stop_exit_codes.clone(),
            kill_timeout: spec.kill_timeout,
            kill_signal: spec.kill_signal.signal(),
            treekill: spec.treekill,
            wait_ready: spec.wait_ready,
            listen_timeout: spec.listen_timeout,
            shutdown_with_message: spec.shutdown_with_message,
            zero_downtime: spec.shares_socket(),
        }
    }
}

/// What happened to an instance.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The user starts it.
    Start,
    /// The user stops it.
    Stop,
    /// The user restarts it.
    Restart,
    /// The user deletes it.
    Delete,
    /// A process was started for it.
    Spawned { pid: i32 },
    /// Starting a process failed (the reason is kept by the supervisor).
    SpawnFailed,
    /// Its main process ended; both are `None` when the status is unknown (adopted).
    Exited {
        code: Option<i32>,
        signal: Option<String>,
    },
    /// Its deadline passed.
    Deadline,
    /// A new daemon found this instance's process alive (same pid and start time) and
    /// takes it over as it is, not restarted.
    Adopted { pid: i32, started: Instant },
    /// Its recorded process ended while no daemon ran: how is unknown, and what it left
    /// behind was already reaped by the system.
    ExitedWhileAway,
    /// The user zeroes the counters (`rpm reset`).
    Reset,
    /// A restart trigger fired (a watched file changed, memory, cron): a running
    /// instance restarts gracefully (reloads, when it shares a socket); `detail` says
    /// what set it off.
    Trigger {
        reason: RestartReason,
        detail: Option<String>,
    },
    /// The user reloads it: with a shared socket, a successor replaces it once ready;
    /// otherwise a restart, as PM2 does.
    Reload,
    /// Process `pid` of this instance (current or successor) said it is ready.
    Ready { pid: i32 },
    /// The successor's process was started.
    SuccessorSpawned { pid: i32 },
    /// Starting the successor's process failed.
    SuccessorSpawnFailed,
    /// The successor's process ended.
    SuccessorExited {
        code: Option<i32>,
        signal: Option<String>,
    },
}

/// What the supervisor must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a new process (then feed back `Spawned` or `SpawnFailed`).
    Spawn,
    /// Start the successor's process beside the current one (then feed back
    /// `SuccessorSpawned` or `SuccessorSpawnFailed`).
    SpawnSuccessor,
    /// Send `signal` to `pid`, or to its whole process group when `group`.
    SignalStop {
        pid: i32,
        signal: Signal,
        group: bool,
    },
    /// Send PM2's `shutdown` message to `pid`; where it has no message channel (an
    /// adopted process), send `fallback` as `SignalStop` would.
    SendShutdown {
        pid: i32,
        fallback: Signal,
        group: bool,
    },
    /// SIGKILL `pid`, its process group when `group`, and every descendant.
    KillTree { pid: i32, group: bool },
    /// The main process `pid` is gone: stop what it left behind when `kill_leftovers`
    /// (its group, and orphans of it), and stop watching it.
    ProcessEnded { pid: i32, kill_leftovers: bool },
    /// Forget the instance.
    Remove,
    /// Tell subscribers and the daemon log.
    Report(Report),
}

/// Something worth a notice, decided by the state machine (status changes are seen by
/// comparing the instance before and after a step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// The main process `pid` ended after `uptime`; `code` and `signal` are both `None`
    /// when the status is unknown.
    Exited {
        pid: i32,
        code: Option<i32>,
        signal: Option<String>,
        uptime: Option<Duration>,
    },
    /// A restart is under way: at once, or after `delay`; `detail` says what set it
    /// off when the reason alone does not.
    Restarting {
        reason: RestartReason,
        delay: Duration,
        detail: Option<String>,
    },
    /// The instance gave up: it stays errored until the user acts.
    Errored { cause: ErroredCause },
    /// Process `pid` is ready, or was taken as ready when `listen_timeout` ran out.
    Ready { pid: i32, timed_out: bool },
    /// A reload's successor `new_pid` replaced `old_pid`.
    Replaced { old_pid: i32, new_pid: i32 },
    /// A reload gave up; the current process keeps serving.
    ReloadFailed { cause: ReloadFailure },
    /// The restart counters were set back to zero (`rpm reset`).
    Reset,
}

/// The single transition function of an instance.
pub fn step(
    current: &Instance,
    policy: &Policy,
    input: Input,
    now: Instant,
) -> (Instance, Vec<Action>) {
    let mut next = current.clone();
    let mut actions = Vec::new();
    match input {
        Input::Start => match current.status {
            Status::Stopped | Status::Errored | Status::WaitingRestart => {
                next.unstable_restarts = 0;
                next.backoff_ms = None;
                launch(&mut next, &mut actions);
            }
            Status::Stopping => next.intent = Some(Intent::Restart),
            Status::Launching | Status::Online => {}
        },
        Input::Stop => match current.status {
            Status::Online | Status::Launching => {
                successor::abandon(&mut next, policy, now, &mut actions);
                begin_stop(&mut next, policy, Intent::Stop, now, &mut actions)
            }
            Status::Stopping => next.intent = Some(Intent::Stop),
            Status::WaitingRestart | Status::Errored => {
                next.status = Status::Stopped;
                next.deadline = None;
            }
            Status::Stopped => {}
        },
        Input::Restart => match current.status {
            Status::Online | Status::Launching => {
                successor::abandon(&mut next, policy, now, &mut actions);
                announce_restart(RestartReason::Manual, Duration::ZERO, &mut actions);
                begin_stop(&mut next, policy, Intent::Restart, now, &mut actions)
            }
            Status::Stopping => next.intent = Some(Intent::Restart),
            Status::Stopped | Status::Errored | Status::WaitingRestart => {
                announce_restart(RestartReason::Manual, Duration::ZERO, &mut actions);
                next.unstable_restarts = 0;
                next.backoff_ms = None;
                next.restarts += 1;
                launch(&mut next, &mut actions);
            }
        },
        Input::Delete => match current.status {
            Status::Online | Status::Launching => {
                successor::abandon(&mut next, policy, now, &mut actions);
                begin_stop(&mut next, policy, Intent::Delete, now, &mut actions)
            }
            Status::Stopping => next.intent = Some(Intent::Delete),
            Status::Stopped | Status::Errored | Status::WaitingRestart => {
                next.deadline = None;
                actions.push(Action::Remove);
            }
        },
        Input::Spawned { pid } => {
            if current.status == Status::Launching && current.pid.is_none() {
                next.pid = Some(pid);
                next.started = Some(now);
                if policy.wait_ready {
                    next.deadline = Some(now + policy.listen_timeout);
                } else {
                    next.status = Status::Online;
                }
            }
        }
        Input::SpawnFailed => {
            if current.status == Status::Launching {
                next.status = Status::Errored;
                next.pid = None;
                next.started = None;
                actions.push(Action::Report(Report::Errored {
                    cause: ErroredCause::SpawnFailed,
                }));
            }
        }
        Input::Exited { code, signal } => {
            exit::exited(&mut next, policy, code, signal, true, now, &mut actions)
        }
        Input::ExitedWhileAway => {
            exit::exited(&mut next, policy, None, None, false, now, &mut actions)
        }
        Input::Deadline => match (current.status, current.deadline) {
            _ if successor::deadline_due(current, now) => {
                successor::deadline(&mut next, policy, now, &mut actions)
            }
            (Status::Launching, Some(at)) if now >= at => {
                // PM2: an app that never says it is ready is taken as ready once
                // `listen_timeout` has passed.
                if let Some(pid) = current.pid {
                    next.status = Status::Online;
                    next.deadline = None;
                    actions.push(Action::Report(Report::Ready {
                        pid,
                        timed_out: true,
                    }));
                }
            }
            (Status::WaitingRestart, Some(at)) if now >= at => {
                next.restarts += 1;
                launch(&mut next, &mut actions);
            }
            (Status::Stopping, Some(at)) if now >= at => {
                if current.killed {
                    // The process survived SIGKILL (uninterruptible sleep): keep waiting
                    // for its exit without a deadline.
                    next.deadline = None;
                } else if let Some(pid) = current.pid {
                    next.killed = true;
                    next.deadline = Some(now + AFTER_KILL_GRACE);
                    actions.push(Action::KillTree {
                        pid,
                        group: policy.treekill,
                    });
                }
            }
            _ => {}
        },
        Input::Adopted { pid, started } => {
            next.status = Status::Online;
            next.pid = Some(pid);
            next.started = Some(started);
            next.deadline = None;
            next.intent = None;
            next.killed = false;
        }
        Input::Reset => {
            next.restarts = 0;
            next.unstable_restarts = 0;
            actions.push(Action::Report(Report::Reset));
        }
        Input::Trigger { reason, detail } => match current.status {
            Status::Online if policy.zero_downtime => {
                successor::begin(&mut next, reason, detail, &mut actions)
            }
            Status::Online | Status::Launching => {
                actions.push(Action::Report(Report::Restarting {
                    reason,
                    delay: Duration::ZERO,
                    detail,
                }));
                begin_stop(&mut next, policy, Intent::Restart, now, &mut actions)
            }
            // A change to a crashing app's files is the fix its developer was waiting
            // for, and a stopped watched app starts on a change too: PM2's watch does
            // both (`stop --watch` is how a user stops it for good).
            Status::Errored | Status::WaitingRestart | Status::Stopped
                if reason == RestartReason::Watch =>
            {
                actions.push(Action::Report(Report::Restarting {
                    reason,
                    delay: Duration::ZERO,
                    detail,
                }));
                next.unstable_restarts = 0;
                next.backoff_ms = None;
                next.restarts += 1;
                launch(&mut next, &mut actions);
            }
            // Already stopping, or (for memory and cron) stopped by the user or waiting
            // for its crash restart: nothing to do.
            _ => {}
        },
        Input::Reload => match current.status {
            Status::Online if policy.zero_downtime => {
                successor::begin(&mut next, RestartReason::Reload, None, &mut actions)
            }
            // PM2: without a shared socket a reload is a restart.
            _ => return step(current, policy, Input::Restart, now),
        },
        Input::Ready { pid } => {
            if current.status == Status::Launching && current.pid == Some(pid) {
                next.status = Status::Online;
                next.deadline = None;
                actions.push(Action::Report(Report::Ready {
                    pid,
                    timed_out: false,
                }));
            } else {
                successor::ready(&mut next, policy, pid, now, &mut actions);
            }
        }
        Input::SuccessorSpawned { pid } => {
            successor::spawned(&mut next, policy, pid, now, &mut actions)
        }
        Input::SuccessorSpawnFailed => successor::spawn_failed(&mut next, &mut actions),
        Input::SuccessorExited { code, signal } => {
            successor::exited(&mut next, policy, code, signal, &mut actions)
        }
    }
    (next, actions)
}

fn launch(next: &mut Instance, actions: &mut Vec<Action>) {
    next.status = Status::Launching;
    next.deadline = None;
    next.intent = None;
    next.killed = false;
    actions.push(Action::Spawn);
}

fn announce_restart(reason: RestartReason, delay: Duration, actions: &mut Vec<Action>) {
    actions.push(Action::Report(Report::Restarting {
        reason,
        delay,
        detail: None,
    }));
}

fn begin_stop(
    next: &mut Instance,
    policy: &Policy,
    intent: Intent,
    now: Instant,
    actions: &mut Vec<Action>,
) {
    next.status = Status::Stopping;
    next.intent = Some(intent);
    next.killed = false;
    next.deadline = Some(now + policy.kill_timeout);
    if let Some(pid) = next.pid {
        actions.push(stop_action(pid, policy));
    }
}

/// How to ask process `pid` to stop: PM2's `shutdown` message, or `kill_signal`.
fn stop_action(pid: i32, policy: &Policy) -> Action {
    if policy.shutdown_with_message {
        Action::SendShutdown {
            pid,
            fallback: policy.kill_signal,
            group: policy.treekill,
        }
    } else {
        Action::SignalStop {
            pid,
            signal: policy.kill_signal,
            group: policy.treekill,
        }
    }
}

#[cfg(test)]
#[path = "policy_tests/mod.rs"]
mod tests;
