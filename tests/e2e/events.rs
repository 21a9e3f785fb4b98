//! `rpm events`: against the real daemon, what a SIGKILLed app and a crash loop look like;
//! against a fake daemon, the exact lines of both formats, Ctrl-C, a broken pipe, an
//! unknown target, and subscribing again when the daemon comes back.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;

use serde_json::Value;

use crate::harness::{fixture, wait_until, RpmHome, DEADLINE};

const SUBSCRIBED: &str = r#"{"type":"subscribed"}"#;
const NOTE: &str = "note: the connection to the rpm daemon ended (daemon updated or restarted); reconnecting: notices from while no daemon ran are not shown\n";

/// Notices of `api` (id 3), as the daemon sends them and as `--json` prints them.
const EXITED: &str = r#"{"at":1700000000250,"id":3,"name":"api","namespace":"default","event":"exited","pid":41,"code":null,"signal":"SIGKILL","uptime_ms":1234}"#;
const RESTARTING: &str = r#"{"at":1700000000251,"id":3,"name":"api","namespace":"default","event":"restarting","reason":"crash","delay_ms":250}"#;
const ONLINE: &str = r#"{"at":1700000000503,"id":3,"name":"api","namespace":"default","event":"status","from":"launching","to":"online","pid":1234}"#;
const ERRORED: &str = r#"{"at":1700000061000,"id":3,"name":"api","namespace":"default","event":"errored","cause":"crash_loop","message":"exited 15 times in a row before min_uptime"}"#;
const DELETED: &str =
    r#"{"at":1700000062000,"id":3,"name":"api","namespace":"default","event":"deleted"}"#;

fn notice_line(notice: &str) -> String {
    format!(r#"{{"type":"notice","notice":{notice}}}"#)
}

/// Accepts one connection on `listener`, reads its request, and answers with `lines`.
fn converse(listener: &UnixListener, lines: &[String]) -> (UnixStream, String) {
    let (stream, _) = listener.accept().expect("accept");
    let mut request = String::new();
    BufReader::new(&stream)
        .read_line(&mut request)
        .expect("read the request");
    for line in lines {
        (&stream)
            .write_all(format!("{line}\n").as_bytes())
            .expect("answer");
    }
    (stream, request)
}

/// `rpm events <args>` with its stdout read line by line on a thread.
fn spawn_events(
    home: &RpmHome,
    args: &[&str],
    env: &[(&str, &str)],
) -> (Child, mpsc::Receiver<String>) {
    let mut all = vec!["events"];
    all.extend_from_slice(args);
    let mut child = home
        .command(&all)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rpm events");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (child, rx)
}

/// The next `n` lines `rpm events` prints.
fn next_lines(lines: &mpsc::Receiver<String>, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            lines
                .recv_timeout(DEADLINE)
                .unwrap_or_else(|e| panic!("line {} of {n} of rpm events: {e}", i + 1))
        })
        .collect()
}

/// Sends Ctrl-C's signal to `rpm events`.
fn interrupt(child: &Child) {
    let pid = i32::try_from(child.id()).expect("a pid fits i32");
    // SAFETY: kill(2) on the process this test spawned.
    unsafe { libc::kill(pid, libc::SIGINT) };
}

/// Waits for `rpm events` to end; returns its status and stderr.
fn ended(mut child: Child) -> (ExitStatus, String) {
    let status = wait_until(DEADLINE, "rpm events to end", || match child.try_wait() {
        Ok(Some(status)) => Ok(status),
        Ok(None) => Err("still running".into()),
        Err(e) => Err(e.to_string()),
    });
    let mut stderr = String::new();
    if let Some(mut err) = child.stderr.take() {
        std::io::Read::read_to_string(&mut err, &mut stderr).expect("read stderr");
    }
    (status, stderr)
}

#[test]
fn json_prints_each_notice_as_its_object_and_ctrl_c_ends_quietly() {
    let home = RpmHome::new();
    let listener = UnixListener::bind(home.join("rpm.sock")).expect("bind the fake daemon");
    let (child, lines) = spawn_events(&home, &["api", "--json"], &[]);
    let mut answer = vec![SUBSCRIBED.to_string()];
    answer.extend([EXITED, RESTARTING, ONLINE, ERRORED, DELETED].map(notice_line));
    let (held, request) = converse(&listener, &answer);
    assert!(
        request.contains(r#""request":{"cmd":"subscribe","targets":["api"]}"#),
        "{request}"
    );
    assert_eq!(
        next_lines(&lines, 5),
        [EXITED, RESTARTING, ONLINE, ERRORED, DELETED]
    );
    interrupt(&child);
    let (status, stderr) = ended(child);
    assert_eq!((status.code(), stderr.as_str()), (Some(0), ""));
    drop(held);
}

#[test]
fn human_lines_carry_the_local_time_the_instance_and_what_happened() {
    let home = RpmHome::new();
    let listener = UnixListener::bind(home.join("rpm.sock")).expect("bind the fake daemon");
    let (child, lines) = spawn_events(&home, &[], &[("TZ", "UTC0")]);
    let mut answer = vec![SUBSCRIBED.to_string()];
    answer.extend([EXITED, RESTARTING, ONLINE, ERRORED, DELETED].map(notice_line));
    let (held, request) = converse(&listener, &answer);
    assert!(request.contains(r#""targets":[]"#), "{request}");
    assert_eq!(
        next_lines(&lines, 5),
        [
            "22:13:20.250 api (id 3) killed by SIGKILL after 1.2s",
            "22:13:20.251 api (id 3) restarting (crash) in 250ms",
            "22:13:20.503 api (id 3) online (pid 1234)",
            "22:14:21.000 api (id 3) errored: exited 15 times in a row before min_uptime",
            "22:14:22.000 api (id 3) deleted",
        ]
    );
    interrupt(&child);
    let (status, stderr) = ended(child);
    assert_eq!((status.code(), stderr.as_str()), (Some(0), ""));
    drop(held);
}

#[test]
fn a_daemon_that_went_away_and_came_back_is_followed_again_with_one_note() {
    let home = RpmHome::new();
    let listener = UnixListener::bind(home.join("rpm.sock")).expect("bind the fake daemon");
    let (child, lines) = spawn_events(&home, &["api", "--json"], &[]);
    // The first daemon sends one notice and goes away (closes the connection).
    let (first, request) = converse(&listener, &[SUBSCRIBED.into(), notice_line(EXITED)]);
    assert_eq!(next_lines(&lines, 1), [EXITED]);
    drop(first);
    // The next one is subscribed to with the same request.
    let (held, again) = converse(&listener, &[SUBSCRIBED.into(), notice_line(ONLINE)]);
    assert_eq!(again, request);
    assert_eq!(next_lines(&lines, 1), [ONLINE]);
    interrupt(&child);
    let (status, stderr) = ended(child);
    assert_eq!((status.code(), stderr.as_str()), (Some(0), NOTE));
    drop(held);
}

#[test]
fn a_closed_stdout_ends_it_quietly() {
    let home = RpmHome::new();
    let listener = UnixListener::bind(home.join("rpm.sock")).expect("bind the fake daemon");
    let mut child = home
        .command(&["events", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn rpm events");
    let stdout = child.stdout.take().expect("stdout");
    let (held, _) = converse(&listener, &[SUBSCRIBED.into(), notice_line(EXITED)]);
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the first line");
    assert_eq!(first, format!("{EXITED}\n"));
    // The reader is gone (the BufReader dropped the pipe); the next line cannot be
    // written. Another test's child, forked but not yet exec'd, may hold a copy of the
    // read end for a moment, and a line written then still fits in the pipe: so notices
    // keep coming until `rpm events` has met the closed pipe.
    wait_until(DEADLINE, "rpm events to meet its closed stdout", || {
        match child.try_wait() {
            Ok(Some(_)) => return Ok(()),
            Ok(None) => {}
            Err(e) => return Err(e.to_string()),
        }
        match (&held).write_all(format!("{}\n", notice_line(ONLINE)).as_bytes()) {
            Ok(()) => Err("still running after another notice".into()),
            // It ended and its end of the socket closed.
            Err(_) => Ok(()),
        }
    });
    let (status, stderr) = ended(child);
    assert_eq!((status.code(), stderr.as_str()), (Some(0), ""));
}

#[test]
fn an_unknown_target_is_the_daemons_sentence_and_exit_1() {
    let home = RpmHome::new();
    let listener = UnixListener::bind(home.join("rpm.sock")).expect("bind the fake daemon");
    let sentence = "no app or namespace named `nope`: `rpm list` shows what rpm knows";
    let fake = std::thread::spawn(move || {
        let error = format!(r#"{{"type":"error","kind":"failed","message":"{sentence}"}}"#);
        converse(&listener, &[error]).1
    });
    let out = home.run(&["events", "nope"]);
    assert!(fake
        .join()
        .expect("fake daemon")
        .contains(r#""targets":["nope"]"#));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {sentence}\n")
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
}

/// `rpm events --json <targets>` on the real daemon, once the daemon has the subscription.
fn subscribe_json(home: &RpmHome, targets: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let before = home
        .daemon_log()
        .matches("subscribed to the notices")
        .count();
    let mut args = vec!["--json"];
    args.extend_from_slice(targets);
    let events = spawn_events(home, &args, &[]);
    wait_until(DEADLINE, "the daemon to have the subscription", || {
        let now = home
            .daemon_log()
            .matches("subscribed to the notices")
            .count();
        if now > before {
            Ok(())
        } else {
            Err(format!("{now} subscriptions logged"))
        }
    });
    events
}

/// The next notice, as JSON without its time (which no test can know).
fn next_notice(lines: &mpsc::Receiver<String>) -> Value {
    let line = next_lines(lines, 1).remove(0);
    let mut notice: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
    let at = notice
        .as_object_mut()
        .and_then(|o| o.remove("at"))
        .unwrap_or_else(|| panic!("no `at` in {line}"));
    assert!(
        at.as_u64().is_some_and(|ms| ms > 1_600_000_000_000),
        "{line}"
    );
    notice
}

#[test]
fn a_sigkilled_app_is_seen_exiting_and_restarting_by_a_subscriber() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "cnt", &[]);
    let pid = home.wait_app("cnt", "cnt online", |a| a["status"] == "online")["pid"]
        .as_i64()
        .expect("a pid");
    let (child, lines) = subscribe_json(&home, &["cnt"]);
    // SAFETY: kill(2) on the app this test started.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
    let exited = next_notice(&lines);
    let uptime = exited["uptime_ms"].clone();
    assert!(uptime.as_u64().is_some(), "{exited}");
    let expect = |event: Value| {
        serde_json::json!({"id": 0, "name": "cnt", "namespace": "default"})
            .as_object()
            .expect("an object")
            .clone()
            .into_iter()
            .chain(event.as_object().expect("an object").clone())
            .collect::<serde_json::Map<String, Value>>()
    };
    assert_eq!(
        exited,
        Value::Object(expect(serde_json::json!({
            "event": "exited", "pid": pid, "code": null, "signal": "SIGKILL", "uptime_ms": uptime
        })))
    );
    assert_eq!(
        next_notice(&lines),
        Value::Object(expect(
            serde_json::json!({"event": "restarting", "reason": "crash", "delay_ms": 0})
        ))
    );
    assert_eq!(
        next_notice(&lines),
        Value::Object(expect(
            serde_json::json!({"event": "status", "from": "online", "to": "launching", "pid": null})
        ))
    );
    let online = next_notice(&lines);
    let new_pid = home.wait_app("cnt", "cnt back online", |a| {
        a["status"] == "online" && a["restarts"] == 1
    })["pid"]
        .clone();
    assert_ne!(new_pid, serde_json::json!(pid));
    assert_eq!(
        online,
        Value::Object(expect(
            serde_json::json!({"event": "status", "from": "launching", "to": "online", "pid": new_pid})
        ))
    );
    interrupt(&child);
    let (status, stderr) = ended(child);
    assert!(status.success(), "rpm events: {status}, stderr: {stderr}");
}

#[test]
fn a_crash_loop_ends_in_an_errored_notice_and_a_daemon_log_line() {
    let home = RpmHome::new();
    let (child, lines) = subscribe_json(&home, &[]);
    let script = fixture("crash.sh");
    let script = script.to_str().expect("utf-8 path");
    home.ok(&[
        "start",
        script,
        "--name",
        "loop",
        "--max-restarts",
        "3",
        "--",
        "7",
        "0",
    ]);
    let mut seen = Vec::new();
    let errored = loop {
        let notice = next_notice(&lines);
        if notice["event"] == "errored" {
            break notice;
        }
        seen.push(notice);
    };
    let message = "loop (id 0) errored: it exited 3 times in a row within min_uptime (1000 ms), \
                   last with exit code 7; fix it, then `rpm restart loop`";
    assert_eq!(
        errored,
        serde_json::json!({
            "id": 0, "name": "loop", "namespace": "default",
            "event": "errored", "cause": "crash_loop", "message": message
        })
    );
    let exits: Vec<&Value> = seen.iter().filter(|n| n["event"] == "exited").collect();
    assert_eq!(exits.len(), 3, "three exits before errored: {seen:?}");
    assert!(exits.iter().all(|n| n["code"] == 7), "{exits:?}");
    assert_eq!(
        next_notice(&lines),
        serde_json::json!({
            "id": 0, "name": "loop", "namespace": "default",
            "event": "status", "from": "online", "to": "errored", "pid": null
        })
    );
    assert!(home.daemon_log().contains(message), "{}", home.daemon_log());
    interrupt(&child);
    let (status, stderr) = ended(child);
    assert!(status.success(), "rpm events: {status}, stderr: {stderr}");
}
