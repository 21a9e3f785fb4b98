//! Table tests of `policy::step`: each row is a policy, a timeline of inputs (ms after
//! the start) and what the last step must produce. No processes, no clocks. The rows are
//! grouped by what they pin down (`crash_rows`, `stop_rows`, `trigger_rows`); this file
//! holds the helpers, the runner and the tests that are not rows.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::*;

mod crash_rows;
mod reload_rows;
mod stop_rows;
mod trigger_rows;

fn policy() -> Policy {
    Policy::from_spec(&AppSpec::new("t", "/bin/true".into(), "/".into()))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn exit(code: i32) -> Input {
    Input::Exited {
        code: Some(code),
        signal: None,
    }
}

fn killed_by(signal: &str) -> Input {
    Input::Exited {
        code: None,
        signal: Some(signal.into()),
    }
}

fn spawned(pid: i32) -> Input {
    Input::Spawned { pid }
}

/// Runs `timeline` from a new instance; returns every step's result.
fn run(p: &Policy, t0: Instant, timeline: Vec<(u64, Input)>) -> Vec<(Instance, Vec<Action>)> {
    let mut inst = Instance::new();
    let mut out = Vec::new();
    for (at, input) in timeline {
        let (next, actions) = step(&inst, p, input, t0 + ms(at));
        inst = next.clone();
        out.push((next, actions));
    }
    out
}

/// An instance started at 0 ms as pid 10, then `rest`.
fn online_then(rest: Vec<(u64, Input)>) -> Vec<(u64, Input)> {
    let mut timeline = vec![(0, Input::Start), (0, spawned(10))];
    timeline.extend(rest);
    timeline
}

fn exited_report(pid: i32, code: Option<i32>, signal: Option<&str>, up_ms: u64) -> Action {
    Action::Report(Report::Exited {
        pid,
        code,
        signal: signal.map(String::from),
        uptime: Some(ms(up_ms)),
    })
}

fn ended(pid: i32) -> Action {
    Action::ProcessEnded {
        pid,
        kill_leftovers: true,
    }
}

fn restarting(reason: RestartReason, delay_ms: u64) -> Action {
    Action::Report(Report::Restarting {
        reason,
        delay: ms(delay_ms),
        detail: None,
    })
}

fn triggered(reason: RestartReason, detail: &str) -> Input {
    Input::Trigger {
        reason,
        detail: Some(detail.into()),
    }
}

fn announced(reason: RestartReason, detail: &str) -> Action {
    Action::Report(Report::Restarting {
        reason,
        delay: ms(0),
        detail: Some(detail.into()),
    })
}

fn sigint(pid: i32) -> Action {
    Action::SignalStop {
        pid,
        signal: Signal::SIGINT,
        group: true,
    }
}

/// What the last step of a row must give.
struct Want {
    status: Status,
    restarts: u32,
    unstable: u32,
    /// The deadline, in ms after the start.
    deadline: Option<u64>,
    actions: Vec<Action>,
}

struct Row {
    name: &'static str,
    policy: Policy,
    timeline: Vec<(u64, Input)>,
    want: Want,
}

/// `policy()` changed by `f`.
fn with(f: &dyn Fn(&mut Policy)) -> Policy {
    let mut p = policy();
    f(&mut p);
    p
}

fn rows() -> Vec<Row> {
    let mut rows = crash_rows::rows();
    rows.extend(stop_rows::rows());
    rows.extend(trigger_rows::rows());
    rows.extend(reload_rows::rows());
    rows
}

#[test]
fn every_row_of_the_policy_table() {
    let t0 = Instant::now();
    for row in rows() {
        let steps = run(&row.policy, t0, row.timeline);
        let (last, actions) = steps.last().expect("a row has inputs").clone();
        let got = (
            last.status,
            last.restarts,
            last.unstable_restarts,
            last.deadline
                .map(|d| d.duration_since(t0).as_millis() as u64),
        );
        let want = (
            row.want.status,
            row.want.restarts,
            row.want.unstable,
            row.want.deadline,
        );
        assert_eq!(
            got, want,
            "{}: (status, restarts, unstable, deadline)",
            row.name
        );
        assert_eq!(actions, row.want.actions, "{}: actions", row.name);
    }
}

#[test]
fn exponential_backoff_grows_by_half_up_to_15s_and_resets_after_30s_up() {
    let mut p = policy();
    p.exp_backoff_ms = Some(100);
    p.max_restarts = 1000;
    let mut t = Instant::now();
    let (mut i, _) = step(&Instance::new(), &p, Input::Start, t);
    (i, _) = step(&i, &p, spawned(3), t);
    let mut delays = Vec::new();
    for _ in 0..14 {
        t += ms(2000);
        let (n, _) = step(&i, &p, exit(1), t);
        delays.push(n.backoff_ms.expect("backoff set"));
        let at = n.deadline.expect("waiting");
        let (n, _) = step(&n, &p, Input::Deadline, at);
        let (n, _) = step(&n, &p, spawned(3), at);
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

fn saved(status: Status, pid: Option<i32>, intent: Option<Intent>) -> SavedInstance {
    SavedInstance {
        id: 0,
        instance: 0,
        status,
        pid,
        proc_start: pid.map(|_| 1),
        started_at: Some(1),
        created_at: 1,
        restarts: 4,
        unstable_restarts: 2,
        exit_code: Some(1),
        exit_signal: None,
        intent,
        backoff_ms: Some(150),
    }
}

#[test]
fn a_restored_instance_keeps_its_counters_and_only_a_recorded_process() {
    let now = Instant::now();
    let table = [
        (
            saved(Status::Online, Some(9), None),
            Status::Online,
            Some(9),
        ),
        (
            saved(Status::Stopping, Some(9), Some(Intent::Delete)),
            Status::Stopping,
            Some(9),
        ),
        (saved(Status::Online, None, None), Status::Stopped, None),
        (saved(Status::Launching, None, None), Status::Stopped, None),
        // Waiting for readiness: a process to adopt.
        (
            saved(Status::Launching, Some(9), None),
            Status::Launching,
            Some(9),
        ),
        (
            saved(Status::WaitingRestart, None, None),
            Status::WaitingRestart,
            None,
        ),
        (saved(Status::Errored, None, None), Status::Errored, None),
        (saved(Status::Stopped, Some(9), None), Status::Stopped, None),
    ];
    for (record, status, pid) in table {
        let inst = Instance::restored(&record, Some(now));
        assert_eq!(
            (inst.status, inst.pid),
            (status, pid),
            "{:?}",
            record.status
        );
        assert_eq!(
            (
                inst.restarts,
                inst.unstable_restarts,
                inst.backoff_ms,
                inst.deadline
            ),
            (4, 2, Some(150), None)
        );
        assert_eq!(inst.intent.is_some(), status == Status::Stopping);
    }
}

#[test]
fn a_stop_interrupted_by_a_daemon_crash_completes_when_its_process_is_found_gone() {
    let inst = Instance::restored(
        &saved(Status::Stopping, Some(9), Some(Intent::Delete)),
        Some(Instant::now()),
    );
    let (next, actions) = step(&inst, &policy(), Input::ExitedWhileAway, Instant::now());
    assert_eq!(next.status, Status::Stopped);
    assert_eq!(actions.last(), Some(&Action::Remove));
}
