//! Policy table rows: Starting, crashing and the restart policy: min_uptime, max_restarts, stop exit codes, autorestart, restart_delay.

use super::*;

pub(super) fn rows() -> Vec<Row> {
    use RestartReason::Crash;
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
    ]
}
