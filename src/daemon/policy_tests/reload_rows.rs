//! Policy table rows: readiness (`wait_ready`, `listen_timeout`), zero-downtime reload
//! through a successor process, and PM2's `shutdown` message.

use super::*;

/// An app whose daemon holds its socket, waiting for readiness (`listen_timeout` 3 s).
fn socket_app() -> Policy {
    with(&|p| {
        p.zero_downtime = true;
        p.wait_ready = true;
    })
}

/// Started at 0 ms as pid 10 and ready, reloaded at 100 ms with successor pid 11.
fn reloading_then(rest: Vec<(u64, Input)>) -> Vec<(u64, Input)> {
    let mut timeline = vec![
        (0, Input::Start),
        (0, spawned(10)),
        (0, Input::Ready { pid: 10 }),
        (100, Input::Reload),
        (100, Input::SuccessorSpawned { pid: 11 }),
    ];
    timeline.extend(rest);
    timeline
}

fn failed(cause: ReloadFailure) -> Action {
    Action::Report(Report::ReloadFailed { cause })
}

fn ready(pid: i32, timed_out: bool) -> Action {
    Action::Report(Report::Ready { pid, timed_out })
}

pub(super) fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "wait_ready: launching until the app says it is ready",
            policy: with(&|p| p.wait_ready = true),
            timeline: vec![(0, Input::Start), (0, spawned(10))],
            want: Want {
                status: Status::Launching,
                restarts: 0,
                unstable: 0,
                deadline: Some(3000),
                actions: vec![],
            },
        },
        Row {
            name: "wait_ready: online when it says so",
            policy: with(&|p| p.wait_ready = true),
            timeline: vec![
                (0, Input::Start),
                (0, spawned(10)),
                (40, Input::Ready { pid: 10 }),
            ],
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![ready(10, false)],
            },
        },
        Row {
            name: "wait_ready: online anyway once listen_timeout ran out, as PM2",
            policy: with(&|p| p.wait_ready = true),
            timeline: vec![(0, Input::Start), (0, spawned(10)), (3000, Input::Deadline)],
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![ready(10, true)],
            },
        },
        Row {
            name: "readiness from another pid changes nothing",
            policy: with(&|p| p.wait_ready = true),
            timeline: vec![
                (0, Input::Start),
                (0, spawned(10)),
                (40, Input::Ready { pid: 99 }),
            ],
            want: Want {
                status: Status::Launching,
                restarts: 0,
                unstable: 0,
                deadline: Some(3000),
                actions: vec![],
            },
        },
        Row {
            name: "reload without a shared socket is a restart, as PM2",
            policy: policy(),
            timeline: online_then(vec![(100, Input::Reload)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1700),
                actions: vec![restarting(RestartReason::Manual, 0), sigint(10)],
            },
        },
        Row {
            name: "reload starts a successor beside the running process",
            policy: socket_app(),
            timeline: online_then(vec![(0, Input::Ready { pid: 10 }), (100, Input::Reload)]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![restarting(RestartReason::Reload, 0), Action::SpawnSuccessor],
            },
        },
        Row {
            name: "the old process serves until the successor is ready",
            policy: socket_app(),
            timeline: reloading_then(vec![]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "a second reload while one runs changes nothing",
            policy: socket_app(),
            timeline: reloading_then(vec![(200, Input::Reload)]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![],
            },
        },
        Row {
            name: "the successor is ready: the old process is stopped gracefully",
            policy: socket_app(),
            timeline: reloading_then(vec![(500, Input::Ready { pid: 11 })]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(2100),
                actions: vec![ready(11, false), sigint(10)],
            },
        },
        Row {
            name: "without wait_ready the successor is ready once started",
            policy: with(&|p| p.zero_downtime = true),
            timeline: online_then(vec![
                (100, Input::Reload),
                (100, Input::SuccessorSpawned { pid: 11 }),
            ]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1700),
                actions: vec![sigint(10)],
            },
        },
        Row {
            name: "the old process exits: the successor takes its place",
            policy: socket_app(),
            timeline: reloading_then(vec![(500, Input::Ready { pid: 11 }), (600, exit(0))]),
            want: Want {
                status: Status::Online,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(0), None, 600),
                    ended(10),
                    Action::Report(Report::Replaced {
                        old_pid: 10,
                        new_pid: 11,
                    }),
                ],
            },
        },
        Row {
            name: "a successor not ready within listen_timeout is given up; the old one serves",
            policy: socket_app(),
            timeline: reloading_then(vec![(3100, Input::Deadline)]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![
                    sigint(11),
                    failed(ReloadFailure::NotReady { waited: ms(3000) }),
                ],
            },
        },
        Row {
            name: "a given-up successor still running after kill_timeout is killed",
            policy: socket_app(),
            timeline: reloading_then(vec![(3100, Input::Deadline), (4700, Input::Deadline)]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![Action::KillTree {
                    pid: 11,
                    group: true,
                }],
            },
        },
        Row {
            name: "a successor that exits before it is ready fails the reload",
            policy: socket_app(),
            timeline: reloading_then(vec![(300, killed_by_code(1))]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![
                    ended(11),
                    failed(ReloadFailure::Exited {
                        code: Some(1),
                        signal: None,
                    }),
                ],
            },
        },
        Row {
            name: "a successor that cannot start fails the reload",
            policy: socket_app(),
            timeline: online_then(vec![
                (0, Input::Ready { pid: 10 }),
                (100, Input::Reload),
                (100, Input::SuccessorSpawnFailed),
            ]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![failed(ReloadFailure::SpawnFailed)],
            },
        },
        Row {
            name: "a stop during a reload stops both processes",
            policy: socket_app(),
            timeline: reloading_then(vec![(200, Input::Stop)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1800),
                actions: vec![sigint(11), failed(ReloadFailure::Superseded), sigint(10)],
            },
        },
        Row {
            name: "the old process crashing during a reload hands over to the successor",
            policy: socket_app(),
            timeline: reloading_then(vec![(200, exit(1))]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: Some(3100),
                actions: vec![
                    exited_report(10, Some(1), None, 200),
                    ended(10),
                    Action::Report(Report::Replaced {
                        old_pid: 10,
                        new_pid: 11,
                    }),
                ],
            },
        },
        Row {
            name: "a ready successor lost while the old one stops: a plain restart follows",
            policy: socket_app(),
            timeline: reloading_then(vec![
                (500, Input::Ready { pid: 11 }),
                (550, killed_by_code(1)),
                (600, exit(0)),
            ]),
            want: Want {
                status: Status::Launching,
                restarts: 1,
                unstable: 0,
                deadline: None,
                actions: vec![
                    exited_report(10, Some(0), None, 600),
                    ended(10),
                    Action::Spawn,
                ],
            },
        },
        Row {
            name: "a memory trigger reloads an app that shares a socket",
            policy: socket_app(),
            timeline: online_then(vec![
                (0, Input::Ready { pid: 10 }),
                (100, triggered(RestartReason::Memory, "rss 300 MiB")),
            ]),
            want: Want {
                status: Status::Online,
                restarts: 0,
                unstable: 0,
                deadline: None,
                actions: vec![
                    announced(RestartReason::Memory, "rss 300 MiB"),
                    Action::SpawnSuccessor,
                ],
            },
        },
        Row {
            name: "shutdown_with_message stops with PM2's message, the signal as fallback",
            policy: with(&|p| p.shutdown_with_message = true),
            timeline: online_then(vec![(100, Input::Stop)]),
            want: Want {
                status: Status::Stopping,
                restarts: 0,
                unstable: 0,
                deadline: Some(1700),
                actions: vec![Action::SendShutdown {
                    pid: 10,
                    fallback: Signal::SIGINT,
                    group: true,
                }],
            },
        },
    ]
}

/// The successor's process ended with `code`.
fn killed_by_code(code: i32) -> Input {
    Input::SuccessorExited {
        code: Some(code),
        signal: None,
    }
}
