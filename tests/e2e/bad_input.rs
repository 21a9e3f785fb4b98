//! Bad input: one clear sentence on stderr, the documented exit status, nothing harmed.

use crate::harness::RpmHome;

fn assert_untouched(home: &RpmHome, pid: &serde_json::Value) {
    let row = home.app("keep");
    assert_eq!(row["status"], "online");
    assert_eq!(&row["pid"], pid);
    assert_eq!(row["restarts"], 0);
}

#[test]
fn every_bad_input_is_one_clear_error_and_harms_nothing() {
    let home = RpmHome::new();
    home.ok(&["start", "sleep", "--name", "keep", "--", "1000"]);
    let pid = home.app("keep")["pid"].clone();

    let err = home.fails(&["start", "./no-such-script.py"], 1);
    assert!(
        err.starts_with("error: script `./no-such-script.py` not found"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let not_exec = home.join("plain.txt");
    std::fs::write(&not_exec, "hello").expect("write");
    let err = home.fails(&["start", not_exec.to_str().expect("path")], 1);
    assert!(
        err.contains("is not executable") && err.contains("--interpreter"),
        "{err}"
    );

    let err = home.fails(&["stop", "nope"], 1);
    assert_eq!(
        err,
        "error: no app or namespace named `nope`: `rpm list` shows what rpm knows\n"
    );

    let err = home.fails(&["stop", "42"], 1);
    assert_eq!(
        err,
        "error: no instance with id 42: `rpm list` shows the ids\n"
    );

    let err = home.fails(&["signal", "SIGNOPE", "keep"], 2);
    assert_eq!(
        err,
        "error: unknown signal `SIGNOPE`: use a name such as SIGUSR1 or HUP, or a number\n"
    );

    let err = home.fails(&["start", "cat", "--name", "keep"], 1);
    assert!(
        err.starts_with("error: the name `keep` is taken by"),
        "{err}"
    );

    let err = home.fails(&["start", "sleep", "--name", "keep", "--", "1000"], 1);
    assert_eq!(
        err,
        "error: `keep` is already running: use `rpm restart keep` to restart it\n"
    );

    let err = home.fails(&["start", "sleep", "--name", "a/b"], 2);
    assert!(err.starts_with("error: --name \"a/b\""), "{err}");

    let err = home.fails(&["start", "sleep", "--kill-timeout", "soon"], 2);
    assert!(err.starts_with("error: --kill-timeout"), "{err}");

    let err = home.fails(
        &["start", "sleep", "--kill-signal", "SIGFOO", "--", "1000"],
        2,
    );
    assert_eq!(err, "error: --kill-signal: unknown signal `SIGFOO`\n");

    let err = home.fails(&["frobnicate"], 2);
    assert!(
        err.starts_with("error: unrecognized subcommand 'frobnicate'"),
        "{err}"
    );

    assert_untouched(&home, &pid);
    assert_eq!(home.jlist().len(), 1);
}

#[test]
fn signal_reaches_the_app() {
    let home = RpmHome::new();
    home.ok(&["start", "sleep", "--name", "s", "--", "1000"]);
    let pid = home.app("s")["pid"].as_i64();
    let out = home.ok(&["signal", "SIGTERM", "s"]);
    assert!(out.contains("sent SIGTERM to s"), "{out}");
    let row = home.wait_app("s", "restarted after SIGTERM", |p| {
        p["restarts"] == 1 && p["pid"].as_i64() != pid
    });
    assert_eq!(row["exit_signal"], "SIGTERM");
}

#[test]
fn reset_zeroes_the_counters() {
    let home = RpmHome::new();
    home.ok(&["start", "sleep", "--name", "s", "--", "1000"]);
    home.ok(&["restart", "s"]);
    assert_eq!(home.app("s")["restarts"], 1);
    home.ok(&["reset", "s"]);
    assert_eq!(home.app("s")["restarts"], 0);
}
