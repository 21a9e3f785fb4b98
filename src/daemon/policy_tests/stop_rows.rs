//! Policy table rows: Stopping, restarting and deleting: the stop signal, the kill timeout, spawn failures, exits that are no instance's.

use super::*;

pub(super) fn rows() -> Vec<Row> {
    use RestartReason::Manual;
    vec![
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
    ]
}
