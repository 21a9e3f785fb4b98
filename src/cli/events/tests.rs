//! `rpm events` against a fake daemon: the exact lines, reconnecting, giving up.

use super::*;
use crate::client::fake_daemon::{line, notice, notice_line, FakeDaemon};
use crate::ipc::protocol::{ErrorKind, ErroredCause, Response, Status};
use crate::ipc::RestartReason;

/// A client of the fake's home; it must never start a daemon here (that would run the
/// test binary as `rpm daemon`).
fn exited() -> Notice {
    notice(
        1_000,
        NoticeEvent::Exited {
            pid: 41,
            code: Some(1),
            signal: None,
            uptime_ms: Some(1_234),
        },
    )
}

fn online() -> Notice {
    notice(
        1_300,
        NoticeEvent::Status {
            from: Status::Launching,
            to: Status::Online,
            pid: Some(1234),
        },
    )
}

fn subscription(notices: &[Notice]) -> Vec<String> {
    let mut lines = vec![line(&Response::Subscribed)];
    lines.extend(notices.iter().map(notice_line));
    lines
}

/// Runs `follow` with a short reconnect window; returns (result, stdout, stderr).
fn run(fake: &FakeDaemon, targets: &[&str]) -> (Result<(), CliError>, String, String) {
    let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    let (mut out, mut notes) = (Vec::new(), Vec::new());
    let result = follow(
        &fake.client(),
        &targets,
        Format::Json,
        &mut out,
        &mut notes,
        Duration::from_millis(200),
    );
    let text = |b: Vec<u8>| String::from_utf8(b).expect("utf-8");
    (result, text(out), text(notes))
}

const NOTE: &str = "note: the connection to the rpm daemon ended (daemon updated or restarted); reconnecting: notices from while no daemon ran are not shown\n";

#[test]
fn json_lines_are_the_notices_then_it_gives_up_once_no_daemon_comes_back() {
    let fake = FakeDaemon::serve(vec![subscription(&[exited(), online()])]);
    let home = fake.home();
    let (result, out, notes) = run(&fake, &["api"]);
    assert_eq!(
        out,
        concat!(
            r#"{"at":1000,"id":3,"name":"api","namespace":"default","event":"exited","pid":41,"code":1,"signal":null,"uptime_ms":1234}"#,
            "\n",
            r#"{"at":1300,"id":3,"name":"api","namespace":"default","event":"status","from":"launching","to":"online","pid":1234}"#,
            "\n"
        )
    );
    assert_eq!(notes, NOTE);
    let err = result.expect_err("no daemon came back");
    assert_eq!(err.exit_code(), 1);
    assert_eq!(
        err.render(),
        format!(
            "error: the rpm daemon for {} went away and none came back within 200ms: start one (`rpm ping`), then run `rpm events` again",
            home.root().display()
        )
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_daemon_that_comes_back_is_subscribed_to_again_with_the_same_targets() {
    let fake = FakeDaemon::serve(vec![subscription(&[exited()]), subscription(&[online()])]);
    let (result, out, notes) = run(&fake, &["api", "7"]);
    assert!(
        result.is_err(),
        "gives up after the second daemon went away"
    );
    assert_eq!(
        out.lines()
            .map(|l| l.contains("\"at\":1000"))
            .collect::<Vec<_>>(),
        [true, false]
    );
    assert_eq!(notes, NOTE.repeat(2));
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0], requests[1]);
    assert!(
        requests[0].contains(r#""targets":["api","7"]"#),
        "{}",
        requests[0]
    );
}

#[test]
fn an_unknown_target_is_the_daemons_sentence_and_no_reconnect() {
    let sentence = "no app or namespace named `nope`: `rpm list` shows what rpm knows";
    let fake = FakeDaemon::serve(vec![vec![line(&Response::Error {
        kind: ErrorKind::Failed,
        message: sentence.into(),
    })]]);
    let (result, out, notes) = run(&fake, &["nope"]);
    let err = result.expect_err("refused");
    assert_eq!(err.render(), format!("error: {sentence}"));
    assert_eq!(err.exit_code(), 1);
    assert_eq!((out.as_str(), notes.as_str()), ("", ""));
}

#[test]
fn human_lines_say_what_happened() {
    let rows: Vec<(NoticeEvent, &str)> = vec![
        (
            NoticeEvent::Exited {
                pid: 1,
                code: Some(1),
                signal: None,
                uptime_ms: Some(1_234),
            },
            "api (id 3) exited with code 1 after 1.2s",
        ),
        (
            NoticeEvent::Exited {
                pid: 1,
                code: None,
                signal: Some("SIGKILL".into()),
                uptime_ms: None,
            },
            "api (id 3) killed by SIGKILL",
        ),
        (
            NoticeEvent::Exited {
                pid: 1,
                code: None,
                signal: None,
                uptime_ms: None,
            },
            "api (id 3) exited (exit status unknown)",
        ),
        (
            NoticeEvent::Restarting {
                reason: RestartReason::Crash,
                delay_ms: 250,
                detail: None,
            },
            "api (id 3) restarting (crash) in 250ms",
        ),
        (
            NoticeEvent::Restarting {
                reason: RestartReason::Manual,
                delay_ms: 0,
                detail: None,
            },
            "api (id 3) restarting (manual)",
        ),
        (
            NoticeEvent::Restarting {
                reason: RestartReason::Watch,
                delay_ms: 0,
                detail: Some("src/app.js changed".into()),
            },
            "api (id 3) restarting (watch: src/app.js changed)",
        ),
        (
            NoticeEvent::Status {
                from: Status::Launching,
                to: Status::Online,
                pid: Some(1234),
            },
            "api (id 3) online (pid 1234)",
        ),
        (
            NoticeEvent::Status {
                from: Status::Stopping,
                to: Status::Stopped,
                pid: None,
            },
            "api (id 3) stopped",
        ),
        (
            NoticeEvent::Errored {
                cause: ErroredCause::CrashLoop,
                message: "exited 15 times in a row before min_uptime".into(),
            },
            "api (id 3) errored: exited 15 times in a row before min_uptime",
        ),
        (NoticeEvent::Deleted, "api (id 3) deleted"),
    ];
    for (event, want) in rows {
        assert_eq!(human(&notice(0, event)), want);
    }
}

#[test]
fn durations_read_at_a_glance() {
    let rows = [
        (0, "0ms"),
        (250, "250ms"),
        (999, "999ms"),
        (1_000, "1s"),
        (1_299, "1.2s"),
        (59_999, "59.9s"),
        (60_000, "1m"),
        (125_000, "2m5s"),
        (3_600_000, "1h"),
        (11_400_000, "3h10m"),
    ];
    for (ms, want) in rows {
        assert_eq!(human_ms(ms), want, "{ms}");
    }
}
