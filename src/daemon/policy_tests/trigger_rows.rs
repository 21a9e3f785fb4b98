//! Policy table rows: What a new daemon finds (adoption, an end no daemon saw), treekill, reset, and restart triggers (memory, cron, watch).

use super::*;

pub(super) fn rows() -> Vec<Row> {
    use RestartReason::Crash;
    vec![
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
            name: "reset zeroes the counters, says so and does nothing else",
            policy: policy(),
            timeline: online_then(vec![(10, exit(1)), (10, spawned(11)), (20, Input::Reset)]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![Action::Report(Report::Reset)],
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
