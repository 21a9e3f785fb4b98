//! The instance state machine and its restart policy, as one pure function.
//!
//! `step(instance, policy, input, now) -> (instance, actions)` decides every transition:
//! `launching → online → stopping → stopped`, `online → exit → waiting-restart →
//! launching`, `→ errored`. It performs nothing: the supervisor carries out the returned
//! actions in order. Time is an argument, so PM2's semantics (`min_uptime`,
//! `max_restarts`, `restart_delay`, `exp_backoff_restart_delay`, `stop_exit_codes`,
//! `autorestart`, `kill_timeout`) are tested below without processes or clocks.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::config::AppSpec;
pub use crate::ipc::Status;

/// Upper bound of the exponential backoff (PM2: 15 s).
pub const MAX_BACKOFF_MS: u64 = 15_000;
/// An app that stayed up this long before crashing restarts its backoff (PM2: 30 s).
pub const BACKOFF_RESET_AFTER: Duration = Duration::from_secs(30);
/// How long to wait for an exit after SIGKILL before giving up on the deadline.
const AFTER_KILL_GRACE: Duration = Duration::from_secs(5);

/// What the user wants once a stopping instance has exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Stop,
    Restart,
    Delete,
}

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
}

/// What the supervisor must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start a new process (then feed back `Spawned` or `SpawnFailed`).
    Spawn,
    /// Send the app's `kill_signal` to the process group.
    SignalStop,
    /// SIGKILL the process group and every descendant.
    KillTree,
    /// Stop what the exited main process left behind.
    CleanupLeftovers,
    /// Forget the instance.
    Remove,
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
                begin_stop(&mut next, policy, Intent::Restart, now, &mut actions)
            }
            Status::Stopping => next.intent = Some(Intent::Restart),
            Status::Stopped | Status::Errored | Status::WaitingRestart => {
                next.unstable_restarts = 0;
                next.backoff_ms = None;
                next.restarts += 1;
                launch(&mut next, &mut actions);
            }
        },
        Input::Delete => match current.status {
            Status::Online | Status::Launching => {
                begin_stop(&mut next, policy, Intent::Delete, now, &mut actions)
            }
            Status::Stopping => next.intent = Some(Intent::Delete),
            Status::Stopped | Status::Errored | Status::WaitingRestart => {
                next.deadline = None;
                actions.push(Action::Remove);
            }
        },
        Input::Spawned { pid } => {
            if current.status == Status::Launching {
                next.status = Status::Online;
                next.pid = Some(pid);
                next.started = Some(now);
            }
        }
        Input::SpawnFailed => {
            if current.status == Status::Launching {
                next.status = Status::Errored;
                next.pid = None;
                next.started = None;
            }
        }
        Input::Exited { code, signal } => {
            if !current.status.has_process() {
                return (next, actions);
            }
            next.pid = None;
            next.exit_code = code;
            next.exit_signal = signal;
            next.killed = false;
            next.deadline = None;
            actions.push(Action::CleanupLeftovers);
            if current.status == Status::Stopping {
                let intent = current.intent.unwrap_or(Intent::Stop);
                next.intent = None;
                next.status = Status::Stopped;
                match intent {
                    Intent::Stop => {}
                    Intent::Restart => {
                        next.restarts += 1;
                        launch(&mut next, &mut actions);
                    }
                    Intent::Delete => actions.push(Action::Remove),
                }
            } else {
                after_crash(&mut next, policy, now, &mut actions);
            }
        }
        Input::Deadline => match (current.status, current.deadline) {
            (Status::WaitingRestart, Some(at)) if now >= at => {
                next.restarts += 1;
                launch(&mut next, &mut actions);
            }
            (Status::Stopping, Some(at)) if now >= at => {
                if current.killed {
                    // The process survived SIGKILL (uninterruptible sleep): keep waiting
                    // for its exit without a deadline.
                    next.deadline = None;
                } else {
                    next.killed = true;
                    next.deadline = Some(now + AFTER_KILL_GRACE);
                    actions.push(Action::KillTree);
                }
            }
            _ => {}
        },
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
    actions.push(Action::SignalStop);
}

/// The main process ended on its own: PM2's restart policy.
fn after_crash(next: &mut Instance, policy: &Policy, now: Instant, actions: &mut Vec<Action>) {
    let uptime = next
        .started
        .map(|s| now.saturating_duration_since(s))
        .unwrap_or_default();
    next.started = None;
    let wanted_stop = next
        .exit_code
        .is_some_and(|code| policy.stop_exit_codes.contains(&code));
    if wanted_stop || !policy.autorestart {
        next.status = Status::Stopped;
        return;
    }
    if uptime < policy.min_uptime {
        next.unstable_restarts += 1;
    } else {
        next.unstable_restarts = 0;
    }
    if next.unstable_restarts >= policy.max_restarts {
        next.status = Status::Errored;
        return;
    }
    let delay = match policy.exp_backoff_ms {
        Some(initial) => {
            let ms = match next.backoff_ms {
                Some(prev) if uptime < BACKOFF_RESET_AFTER => {
                    ((prev as f64 * 1.5) as u64).min(MAX_BACKOFF_MS)
                }
                _ => initial.min(MAX_BACKOFF_MS),
            };
            next.backoff_ms = Some(ms);
            Duration::from_millis(ms)
        }
        None => policy.restart_delay,
    };
    if delay.is_zero() {
        next.restarts += 1;
        launch(next, actions);
    } else {
        next.status = Status::WaitingRestart;
        next.deadline = Some(now + delay);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::from_spec(&AppSpec::new("t", "/bin/true".into(), "/".into()))
    }

    fn online(now: Instant) -> Instance {
        let (i, _) = step(&Instance::new(), &policy(), Input::Start, now);
        let (i, _) = step(&i, &policy(), Input::Spawned { pid: 10 }, now);
        i
    }

    fn exit(code: i32) -> Input {
        Input::Exited {
            code: Some(code),
            signal: None,
        }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn start_spawns_and_spawned_goes_online() {
        let t = Instant::now();
        let (i, a) = step(&Instance::new(), &policy(), Input::Start, t);
        assert_eq!((i.status, a), (Status::Launching, vec![Action::Spawn]));
        let (i, a) = step(&i, &policy(), Input::Spawned { pid: 42 }, t);
        assert_eq!((i.status, i.pid, a), (Status::Online, Some(42), vec![]));
    }

    #[test]
    fn crash_after_min_uptime_restarts_at_once_and_is_stable() {
        let t = Instant::now();
        let i = online(t);
        let (i, a) = step(&i, &policy(), exit(1), t + ms(5000));
        assert_eq!(a, vec![Action::CleanupLeftovers, Action::Spawn]);
        assert_eq!(
            (i.status, i.restarts, i.unstable_restarts),
            (Status::Launching, 1, 0)
        );
        assert_eq!(i.exit_code, Some(1));
    }

    #[test]
    fn crash_before_min_uptime_counts_as_unstable() {
        let t = Instant::now();
        let (i, _) = step(&online(t), &policy(), exit(1), t + ms(10));
        assert_eq!(i.unstable_restarts, 1);
        assert_eq!(i.status, Status::Launching);
    }

    #[test]
    fn crash_loop_ends_errored_after_max_restarts() {
        let mut p = policy();
        p.max_restarts = 3;
        let mut t = Instant::now();
        let mut i = online(t);
        let mut statuses = Vec::new();
        for _ in 0..3 {
            t += ms(10);
            let (n, _) = step(&i, &p, exit(1), t);
            statuses.push(n.status);
            let (n, _) = step(&n, &p, Input::Spawned { pid: 11 }, t);
            i = n;
        }
        assert_eq!(
            statuses,
            vec![Status::Launching, Status::Launching, Status::Errored]
        );
        assert_eq!(i.status, Status::Errored);
        assert_eq!(i.restarts, 2);
        // An errored app stays errored until the user acts.
        let (same, a) = step(&i, &p, Input::Deadline, t + ms(60_000));
        assert_eq!((same.status, a), (Status::Errored, vec![]));
        let (again, a) = step(&i, &p, Input::Start, t);
        assert_eq!(
            (again.status, again.unstable_restarts, a),
            (Status::Launching, 0, vec![Action::Spawn])
        );
    }

    #[test]
    fn a_stable_run_resets_the_unstable_count() {
        let t = Instant::now();
        let (i, _) = step(&online(t), &policy(), exit(1), t + ms(10));
        let (i, _) = step(&i, &policy(), Input::Spawned { pid: 2 }, t + ms(10));
        let (i, _) = step(&i, &policy(), exit(1), t + ms(5000));
        assert_eq!(i.unstable_restarts, 0);
    }

    #[test]
    fn stop_exit_codes_leave_the_app_stopped() {
        let mut p = policy();
        p.stop_exit_codes = vec![0, 3];
        let t = Instant::now();
        for (code, want) in [
            (0, Status::Stopped),
            (3, Status::Stopped),
            (1, Status::Launching),
        ] {
            let (i, _) = step(&online(t), &p, exit(code), t + ms(2000));
            assert_eq!(i.status, want, "exit code {code}");
        }
        let (i, _) = step(
            &online(t),
            &p,
            Input::Exited {
                code: None,
                signal: Some("SIGKILL".into()),
            },
            t + ms(2000),
        );
        assert_eq!(
            i.status,
            Status::Launching,
            "a signal is never a stop exit code"
        );
    }

    #[test]
    fn no_autorestart_leaves_the_app_stopped() {
        let mut p = policy();
        p.autorestart = false;
        let t = Instant::now();
        let (i, a) = step(&online(t), &p, exit(1), t + ms(2000));
        assert_eq!(
            (i.status, a),
            (Status::Stopped, vec![Action::CleanupLeftovers])
        );
    }

    #[test]
    fn restart_delay_waits_then_launches() {
        let mut p = policy();
        p.restart_delay = ms(500);
        let t = Instant::now();
        let (i, a) = step(&online(t), &p, exit(1), t + ms(2000));
        assert_eq!(
            (i.status, i.deadline, a),
            (
                Status::WaitingRestart,
                Some(t + ms(2500)),
                vec![Action::CleanupLeftovers]
            )
        );
        let (early, a) = step(&i, &p, Input::Deadline, t + ms(2400));
        assert_eq!((early.status, a), (Status::WaitingRestart, vec![]));
        let (late, a) = step(&i, &p, Input::Deadline, t + ms(2500));
        assert_eq!(
            (late.status, late.restarts, a),
            (Status::Launching, 1, vec![Action::Spawn])
        );
    }

    #[test]
    fn exponential_backoff_grows_by_half_up_to_15s_and_resets_after_30s_up() {
        let mut p = policy();
        p.exp_backoff_ms = Some(100);
        p.max_restarts = 1000;
        let mut t = Instant::now();
        let mut i = online(t);
        let mut delays = Vec::new();
        for _ in 0..14 {
            t += ms(2000);
            let (n, _) = step(&i, &p, exit(1), t);
            delays.push(n.backoff_ms.expect("backoff set"));
            let at = n.deadline.expect("waiting");
            let (n, _) = step(&n, &p, Input::Deadline, at);
            let (n, _) = step(&n, &p, Input::Spawned { pid: 3 }, at);
            t = at;
            i = n;
        }
        assert_eq!(
            delays,
            vec![100, 150, 225, 337, 505, 757, 1135, 1702, 2553, 3829, 5743, 8614, 12921, 15000]
        );
        let (n, _) = step(&i, &p, exit(1), t + Duration::from_secs(31));
        assert_eq!(n.backoff_ms, Some(100));
    }

    #[test]
    fn stop_signals_then_kills_after_kill_timeout() {
        let p = policy();
        let t = Instant::now();
        let (i, a) = step(&online(t), &p, Input::Stop, t);
        assert_eq!((i.status, a), (Status::Stopping, vec![Action::SignalStop]));
        assert_eq!(i.deadline, Some(t + ms(1600)));
        let (i, a) = step(&i, &p, Input::Deadline, t + ms(1600));
        assert_eq!(a, vec![Action::KillTree]);
        assert!(i.killed);
        let (i, a) = step(
            &i,
            &p,
            Input::Exited {
                code: None,
                signal: Some("SIGKILL".into()),
            },
            t + ms(1601),
        );
        assert_eq!(
            (i.status, a),
            (Status::Stopped, vec![Action::CleanupLeftovers])
        );
        assert_eq!(i.restarts, 0, "a stop is not a restart");
    }

    #[test]
    fn restart_stops_then_launches_and_counts() {
        let p = policy();
        let t = Instant::now();
        let (i, a) = step(&online(t), &p, Input::Restart, t);
        assert_eq!(a, vec![Action::SignalStop]);
        let (i, a) = step(&i, &p, exit(0), t + ms(5));
        assert_eq!(
            (i.status, i.restarts, a),
            (
                Status::Launching,
                1,
                vec![Action::CleanupLeftovers, Action::Spawn]
            )
        );
    }

    #[test]
    fn delete_removes_after_exit_or_at_once_when_not_running() {
        let p = policy();
        let t = Instant::now();
        let (i, _) = step(&online(t), &p, Input::Delete, t);
        let (_, a) = step(&i, &p, exit(0), t);
        assert_eq!(a, vec![Action::CleanupLeftovers, Action::Remove]);
        let (_, a) = step(&Instance::new(), &p, Input::Delete, t);
        assert_eq!(a, vec![Action::Remove]);
    }

    #[test]
    fn stop_while_waiting_restart_cancels_the_restart() {
        let mut p = policy();
        p.restart_delay = ms(500);
        let t = Instant::now();
        let (i, _) = step(&online(t), &p, exit(1), t + ms(2000));
        let (i, a) = step(&i, &p, Input::Stop, t + ms(2100));
        assert_eq!((i.status, i.deadline, a), (Status::Stopped, None, vec![]));
    }

    #[test]
    fn spawn_failure_is_errored() {
        let t = Instant::now();
        let (i, _) = step(&Instance::new(), &policy(), Input::Start, t);
        let (i, a) = step(&i, &policy(), Input::SpawnFailed, t);
        assert_eq!((i.status, a), (Status::Errored, vec![]));
    }

    #[test]
    fn exits_of_instances_without_a_process_are_ignored() {
        let t = Instant::now();
        let (i, a) = step(&Instance::new(), &policy(), exit(1), t);
        assert_eq!((i, a), (Instance::new(), vec![]));
    }
}
