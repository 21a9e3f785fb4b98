//! Table tests of `policy::step`: each row is a policy, a timeline of inputs (ms after
//! the start) and what the last step must produce. No processes, no clocks.

use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use super::*;

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

fn rows() -> Vec<Row> {
    use RestartReason::{Crash, Manual};
    let with = |f: &dyn Fn(&mut Policy)| {
        let mut p = policy();
        f(&mut p);
        p
    };
    vec![
        Row {
            name: "start spawns",
            policy: policy(),
            timeline: vec![(0, Input::Start)],
            want: Want {
                status: Status::Launching,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![Action::Spawn],
            },
        },
        Row {
            name: "spawned goes online",
            policy: policy(),
            timeline: online_then(vec![]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "a crash after min_uptime restarts at once and is stable",
            policy: policy(),
            timeline: online_then(vec![(5000, exit(1))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(1), None, 5000),
                    ended(10),
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "a crash before min_uptime counts as unstable",
            policy: policy(),
            timeline: online_then(vec![(10, exit(1))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 1,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(1), None, 10),
                    ended(10),
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "a stable run resets the unstable count",
            policy: policy(),
            timeline: online_then(vec![(10, exit(1)), (10, spawned(2)), (5000, exit(1))]),
            want: Want {
                status: Status::Launching,
                restarts: 2,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(2, Some(1), None, 4990),
                    ended(2),
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "max_restarts unstable exits in a row end errored",
            policy: with(&|p| p.max_restarts = 3),
            timeline: online_then(vec![
                (10, exit(1)),
                (10, spawned(11)),
                (20, exit(1)),
                (20, spawned(12)),
                (30, exit(1)),
            ]),
            want: Want {
                status: Status::Errored,
                restarts: 2,
                unstable: 3,
                deadline: None,
                actions: vec![
                    exited_report(12, Some(1), None, 10),
                    ended(12),
                    Action::Report(Report::Errored {
                        cause: ErroredCause::CrashLoop,
                    }),
                ],
            },
        },
        Row {
            name: "an errored app stays errored",
            policy: with(&|p| p.max_restarts = 1),
            timeline: online_then(vec![(10, exit(1)), (60_000, Input::Deadline)]),
            want: Want {
                status: Status::Errored,
                restarts: 0,
                unstable: 1,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "start of an errored app launches and forgets the unstable count",
            policy: with(&|p| p.max_restarts = 1),
            timeline: online_then(vec![(10, exit(1)), (20, Input::Start)]),
            want: Want {
                status: Status::Launching,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![Action::Spawn],
            },
        },
        Row {
            name: "a stop exit code leaves the app stopped",
            policy: with(&|p| p.stop_exit_codes = vec![0, 3]),
            timeline: online_then(vec![(2000, exit(3))]),
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![exited_report(10, Some(3), None, 2000), ended(10)],
            },
        },
        Row {
            name: "a code outside stop_exit_codes restarts",
            policy: with(&|p| p.stop_exit_codes = vec![0, 3]),
            timeline: online_then(vec![(2000, exit(1))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(1), None, 2000),
                    ended(10),
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "a signal is never a stop exit code",
            policy: with(&|p| p.stop_exit_codes = vec![0, 3]),
            timeline: online_then(vec![(2000, killed_by("SIGKILL"))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, None, Some("SIGKILL"), 2000),
                    ended(10),
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "no autorestart leaves the app stopped",
            policy: with(&|p| p.autorestart = false),
            timeline: online_then(vec![(2000, exit(1))]),
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![exited_report(10, Some(1), None, 2000), ended(10)],
            },
        },
        Row {
            name: "restart_delay waits",
            policy: with(&|p| p.restart_delay = ms(500)),
            timeline: online_then(vec![(2000, exit(1))]),
            want: Want {
                status: Status::WaitingRestart,
                restarts: 0,
                unstable: 0,
                deadline: Some(2500),
                actions: vec![
                    exited_report(10, Some(1), None, 2000),
                    ended(10),
                    restarting(Crash, 500),
                ],
            },
        },
        Row {
            name: "restart_delay: a deadline before its time does nothing",
            policy: with(&|p| p.restart_delay = ms(500)),
            timeline: online_then(vec![(2000, exit(1)), (2400, Input::Deadline)]),
            want: Want {
                status: Status::WaitingRestart,
                restarts: 0,
                unstable: 0,
                deadline: Some(2500),
                actions: vec![],
            },
        },
        Row {
            name: "restart_delay: the deadline launches and counts",
            policy: with(&|p| p.restart_delay = ms(500)),
            timeline: online_then(vec![(2000, exit(1)), (2500, Input::Deadline)]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![Action::Spawn],
            },
        },
        Row {
            name: "stop while waiting to restart cancels the restart",
            policy: with(&|p| p.restart_delay = ms(500)),
            timeline: online_then(vec![(2000, exit(1)), (2100, Input::Stop)]),
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "stop sends kill_signal to the group and sets the kill deadline",
            policy: policy(),
            timeline: online_then(vec![(100, Input::Stop)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1700),
                actions: vec![sigint(10)],
            },
        },
        Row {
            name: "kill_signal and treekill reach the stop action",
            policy: with(&|p| {
                p.kill_signal = Signal::SIGTERM;
                p.treekill = false;
            }),
            timeline: online_then(vec![(100, Input::Stop)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1700),
                actions: vec![Action::SignalStop {
                    pid: 10,
                    signal: Signal::SIGTERM,
                    group: false,
                }],
            },
        },
        Row {
            name: "kill_timeout passed: the tree is killed",
            policy: policy(),
            timeline: online_then(vec![(0, Input::Stop), (1600, Input::Deadline)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(6600),
                actions: vec![Action::KillTree {
                    pid: 10,
                    group: true,
                }],
            },
        },
        Row {
            name: "a process that survives SIGKILL is waited for without a deadline",
            policy: policy(),
            timeline: online_then(vec![
                (0, Input::Stop),
                (1600, Input::Deadline),
                (6600, Input::Deadline),
            ]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "the exit after a stop is a stop, not a restart",
            policy: policy(),
            timeline: online_then(vec![
                (0, Input::Stop),
                (1600, Input::Deadline),
                (1601, killed_by("SIGKILL")),
            ]),
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![exited_report(10, None, Some("SIGKILL"), 1601), ended(10)],
            },
        },
        Row {
            name: "restart announces itself and stops first",
            policy: policy(),
            timeline: online_then(vec![(5, Input::Restart)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1605),
                actions: vec![restarting(Manual, 0), sigint(10)],
            },
        },
        Row {
            name: "restart launches once the old process exited, and counts",
            policy: policy(),
            timeline: online_then(vec![(0, Input::Restart), (5, exit(0))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(0), None, 5),
                    ended(10),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "restart of a stopped instance launches at once",
            policy: policy(),
            timeline: vec![(0, Input::Restart)],
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![restarting(Manual, 0), Action::Spawn],
            },
        },
        Row {
            name: "delete of a running instance removes it after the exit",
            policy: policy(),
            timeline: online_then(vec![(0, Input::Delete), (3, exit(0))]),
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(0), None, 3),
                    ended(10),
                    Action::Remove,
                ],
            },
        },
        Row {
            name: "delete of a stopped instance removes it at once",
            policy: policy(),
            timeline: vec![(0, Input::Delete)],
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![Action::Remove],
            },
        },
        Row {
            name: "a spawn failure is errored",
            policy: policy(),
            timeline: vec![(0, Input::Start), (0, Input::SpawnFailed)],
            want: Want {
                status: Status::Errored,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![Action::Report(Report::Errored {
                    cause: ErroredCause::SpawnFailed,
                })],
            },
        },
        Row {
            name: "exits of instances without a process are ignored",
            policy: policy(),
            timeline: vec![(0, exit(1))],
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "an end no daemon saw is a crash whose leftovers are not ours",
            policy: policy(),
            timeline: online_then(vec![(3000, Input::ExitedWhileAway)]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, None, None, 3000),
                    Action::ProcessEnded {
                        pid: 10,
                        kill_leftovers: false,
                    },
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "treekill off: leftovers are left alone",
            policy: with(&|p| p.treekill = false),
            timeline: online_then(vec![(3000, exit(0))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(0), None, 3000),
                    Action::ProcessEnded {
                        pid: 10,
                        kill_leftovers: false,
                    },
                    restarting(Crash, 0),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "reset zeroes the counters and nothing else",
            policy: policy(),
            timeline: online_then(vec![(10, exit(1)), (10, spawned(11)), (20, Input::Reset)]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "a trigger restarts a running instance gracefully",
            policy: policy(),
            timeline: online_then(vec![(5000, triggered(RestartReason::Memory, "512 MiB"))]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(6600),
                actions: vec![announced(RestartReason::Memory, "512 MiB"), sigint(10)],
            },
        },
        Row {
            name: "the restart a trigger began counts once the old process exited",
            policy: policy(),
            timeline: online_then(vec![
                (5000, triggered(RestartReason::Cron, "0 * * * *")),
                (5010, exit(0)),
            ]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(0), None, 5010),
                    ended(10),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "cron leaves a stopped instance stopped",
            policy: policy(),
            timeline: vec![(0, triggered(RestartReason::Cron, "0 3 * * *"))],
            want: Want {
                status: Status::Stopped,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "a file change starts a stopped watched app, as PM2 does",
            policy: policy(),
            timeline: vec![(0, triggered(RestartReason::Watch, "a.js"))],
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![announced(RestartReason::Watch, "a.js"), Action::Spawn],
            },
        },
        Row {
            name: "a file change starts an errored app again at once",
            policy: with(&|p| p.max_restarts = 1),
            timeline: online_then(vec![
                (10, exit(1)),
                (20, triggered(RestartReason::Watch, "a.js")),
            ]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![announced(RestartReason::Watch, "a.js"), Action::Spawn],
            },
        },
        Row {
            name: "memory and cron leave an errored app errored",
            policy: with(&|p| p.max_restarts = 1),
            timeline: online_then(vec![
                (10, exit(1)),
                (20, triggered(RestartReason::Cron, "x")),
            ]),
            want: Want {
                status: Status::Errored,
                restarts: 0,
                unstable: 1,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "an adopted process is online as it is",
            policy: policy(),
            timeline: vec![(
                0,
                Input::Adopted {
                    pid: 77,
                    started: Instant::now(),
                },
            )],
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
    ]
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
