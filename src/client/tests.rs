//! `Client` against a fake daemon: typed answers, refusals, garbage, subscriptions.

use super::fake_daemon::{line, notice, notice_line, FakeDaemon};
use super::*;
use crate::ipc::protocol::{ErrorKind, ErroredCause, Notice, NoticeEvent, RestartReason, Status};

/// A client of the fake's home that never starts a daemon (here that would run the test
/// binary as `rpm daemon`).
fn some_notices() -> Vec<Notice> {
    vec![
        notice(
            1_000,
            NoticeEvent::Exited {
                pid: 41,
                code: Some(1),
                signal: None,
                uptime_ms: Some(1_200),
            },
        ),
        notice(
            1_001,
            NoticeEvent::Restarting {
                reason: RestartReason::Crash,
                delay_ms: 250,
                detail: None,
            },
        ),
        notice(
            1_300,
            NoticeEvent::Status {
                from: Status::Launching,
                to: Status::Online,
                pid: Some(42),
            },
        ),
        notice(
            1_400,
            NoticeEvent::Errored {
                cause: ErroredCause::CrashLoop,
                message: "gave up".into(),
            },
        ),
        notice(1_500, NoticeEvent::Deleted),
    ]
}

#[test]
fn subscribe_yields_exactly_the_notices_sent_then_ends() {
    let notices = some_notices();
    let mut lines = vec![line(&Response::Subscribed)];
    lines.extend(notices.iter().map(notice_line));
    let fake = FakeDaemon::serve(vec![lines]);
    let got: Vec<Notice> = fake
        .client()
        .subscribe(&["api".to_string()])
        .expect("subscribed")
        .collect::<Result<_, _>>()
        .expect("every line is a notice");
    assert_eq!(got, notices);
    let requests = fake.requests();
    let sent: serde_json::Value = serde_json::from_str(&requests[0]).expect("a JSON request");
    assert_eq!(sent["request"]["cmd"], "subscribe");
    assert_eq!(sent["request"]["targets"], serde_json::json!(["api"]));
    assert_eq!(sent["version"], crate::ipc::protocol::VERSION);
}

#[test]
fn a_refused_subscription_is_the_daemons_error() {
    let fake = FakeDaemon::serve(vec![vec![line(&Response::Error {
        kind: ErrorKind::Failed,
        message: "no app or namespace named `nope`: `rpm list` shows what rpm knows".into(),
    })]]);
    match fake.client().subscribe(&["nope".to_string()]) {
        Err(ClientError::Daemon { kind, message }) => {
            assert_eq!(kind, ErrorKind::Failed);
            assert_eq!(
                message,
                "no app or namespace named `nope`: `rpm list` shows what rpm knows"
            );
        }
        other => panic!("expected the daemon's refusal, got {other:?}"),
    }
}

#[test]
fn garbage_instead_of_an_answer_is_a_protocol_error() {
    let fake = FakeDaemon::serve(vec![vec!["hello, I am not rpm".into()]]);
    let err = fake.client().subscribe(&[]).expect_err("garbage");
    assert!(matches!(err, ClientError::Protocol(_)), "{err:?}");
    assert_eq!(err.exit_code(), 1);
}

#[test]
fn garbage_inside_a_subscription_is_one_protocol_error_then_the_end() {
    let first = &some_notices()[0];
    let fake = FakeDaemon::serve(vec![vec![
        line(&Response::Subscribed),
        notice_line(first),
        "{\"type\":\"notice\",\"notice\":{\"at\":\"soon\"}}".into(),
        notice_line(first),
    ]]);
    let mut notices = fake.client().subscribe(&[]).expect("subscribed");
    assert_eq!(notices.next().map(|n| n.ok()), Some(Some(first.clone())));
    assert!(matches!(
        notices.next(),
        Some(Err(ClientError::Protocol(_)))
    ));
    assert!(notices.next().is_none());
}

#[test]
fn a_wrong_kind_of_answer_is_a_protocol_error_not_a_panic() {
    let fake = FakeDaemon::serve(vec![
        vec![line(&Response::Pong {
            version: "0.1.0".into(),
            pid: 7,
        })],
        vec![line(&Response::Subscribed)],
    ]);
    let client = fake.client();
    let err = client.list().expect_err("a pong is no list");
    assert_eq!(
        err.to_string(),
        "the rpm daemon sent an answer this CLI does not understand (a `pong` answer to `list`): run `rpm update`"
    );
    assert!(matches!(client.ping(), Err(ClientError::Protocol(_))));
}

#[test]
fn typed_verbs_return_typed_answers() {
    let fake = FakeDaemon::serve(vec![
        vec![line(&Response::Pong {
            version: "9.9.9".into(),
            pid: 77,
        })],
        vec![line(&Response::Saved {
            path: "/x/dump.json".into(),
            apps: 2,
        })],
        vec![line(&Response::Ok {
            message: "emptied the logs of 1 instance(s)".into(),
        })],
        vec![line(&Response::Env {
            env: [("A".to_string(), "1".to_string())].into(),
        })],
        vec![line(&Response::Processes { processes: vec![] })],
    ]);
    let client = fake.client();
    assert_eq!(
        client.ping().expect("pong"),
        Pong {
            version: "9.9.9".into(),
            pid: 77
        }
    );
    assert_eq!(
        client.save().expect("saved"),
        (PathBuf::from("/x/dump.json"), 2)
    );
    assert_eq!(
        client.flush(&["api".into()]).expect("flushed"),
        "emptied the logs of 1 instance(s)"
    );
    assert_eq!(client.env(3).expect("env")["A"], "1");
    assert_eq!(client.stop(&["all".into()]).expect("stopped"), vec![]);
    let commands: Vec<String> = fake
        .requests()
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(r).expect("json");
            v["request"]["cmd"].as_str().unwrap_or_default().to_string()
        })
        .collect();
    assert_eq!(commands, ["ping", "save", "flush", "env", "stop"]);
}

#[test]
fn a_question_is_asked_again_when_its_daemon_dies_but_an_order_is_not() {
    // The first connection closes unanswered, the second answers.
    let fake = FakeDaemon::serve(vec![
        vec![],
        vec![line(&Response::Processes { processes: vec![] })],
        vec![],
    ]);
    let client = fake.client();
    assert_eq!(client.list().expect("asked again"), vec![]);
    let err = client.stop(&["all".into()]).expect_err("not sent twice");
    assert!(matches!(err, ClientError::Io(_)), "{err:?}");
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn no_daemon_is_not_running_when_not_started_on_demand() {
    let dir = tempfile::tempdir().expect("dir");
    let client = Client::new(Home::at(dir.path())).start_on_demand(false);
    assert!(matches!(
        client.subscribe(&[]),
        Err(ClientError::NotRunning { .. })
    ));
    assert!(matches!(client.kill(), Err(ClientError::NotRunning { .. })));
    assert!(!client.is_running());
}

#[test]
fn a_closer_ends_a_subscription_from_another_thread() {
    let fake_dir = tempfile::tempdir().expect("dir");
    let socket = fake_dir.path().join("rpm.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    // Answers `Subscribed`, then holds the connection open until the test ends.
    let held = std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut request = String::new();
        std::io::BufRead::read_line(&mut BufReader::new(&stream), &mut request).expect("read");
        std::io::Write::write_all(&mut &stream, b"{\"type\":\"subscribed\"}\n").expect("write");
        stream
    });
    let client = Client::new(Home::at(fake_dir.path())).start_on_demand(false);
    let mut notices = client.subscribe(&[]).expect("subscribed");
    let closer = notices.closer().expect("closer");
    let closing = std::thread::spawn(move || closer.close());
    assert!(notices.next().is_none(), "closed, not an error");
    closing.join().expect("closer thread");
    drop(held.join().expect("fake"));
}

#[test]
fn without_a_daemon_binary_a_client_reports_instead_of_running_itself() {
    let dir = tempfile::tempdir().expect("dir");
    let err = Client::new(Home::at(dir.path()))
        .list()
        .expect_err("no daemon, none started");
    assert!(matches!(err, ClientError::NoDaemonBinary { .. }), "{err:?}");
    assert!(!dir.path().join("rpm.sock").exists());
}
