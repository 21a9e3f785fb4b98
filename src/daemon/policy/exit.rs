//! The main process ended: after a stop, what the user wanted next (or a reload's
//! successor takes over); otherwise a crash, and PM2's restart policy decides
//! (`min_uptime`, `max_restarts`, `restart_delay`, `exp_backoff_restart_delay`,
//! `stop_exit_codes`, `autorestart`).

use std::time::{Duration, Instant};

use super::{
    announce_restart, launch, successor, Action, Instance, Policy, Report, BACKOFF_RESET_AFTER,
    MAX_BACKOFF_MS,
};
use crate::daemon::persist::Intent;
use crate::ipc::{ErroredCause, RestartReason, Status};

/// The main process ended: after a stop, what the user wanted next; otherwise a crash,
/// and PM2's restart policy decides. `seen` is false for an end no daemon saw, whose
/// leftovers are no longer ours to kill.
pub(super) fn exited(
    next: &mut Instance,
    policy: &Policy,
    code: Option<i32>,
    signal: Option<String>,
    seen: bool,
    now: Instant,
    actions: &mut Vec<Action>,
) {
    if !next.status.has_process() {
        return;
    }
    let Some(pid) = next.pid.take() else {
        return;
    };
    actions.push(Action::Report(Report::Exited {
        pid,
        code,
        signal: signal.clone(),
        uptime: next.started.map(|s| now.saturating_duration_since(s)),
    }));
    next.exit_code = code;
    next.exit_signal = signal;
    next.killed = false;
    next.deadline = None;
    actions.push(Action::ProcessEnded {
        pid,
        kill_leftovers: seen && policy.treekill,
    });
    if next.status == Status::Stopping {
        let intent = next.intent.take().unwrap_or(Intent::Stop);
        next.status = Status::Stopped;
        next.started = None;
        match intent {
            Intent::Stop => {}
            // A reload's stop of the old process: the ready successor takes over.
            Intent::Restart if successor::take_over(next, policy, pid, actions) => {}
            Intent::Restart => {
                next.restarts += 1;
                launch(next, actions);
            }
            Intent::Delete => actions.push(Action::Remove),
        }
    } else if !successor::take_over(next, policy, pid, actions) {
        after_crash(next, policy, now, actions);
    }
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
        actions.push(Action::Report(Report::Errored {
            cause: ErroredCause::CrashLoop,
        }));
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
    announce_restart(RestartReason::Crash, delay, actions);
    if delay.is_zero() {
        next.restarts += 1;
        launch(next, actions);
    } else {
        next.status = Status::WaitingRestart;
        next.deadline = Some(now + delay);
    }
}
