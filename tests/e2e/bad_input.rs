//! Bad input: one clear sentence on stderr, the documented exit status, nothing harmed.

use crate::harness::{idle_start, RpmHome};

fn assert_untouched(home: &RpmHome, pid: &serde_json::Value) {
    let row = home.app("keep");
    assert_eq!(row["status"], "online");
    assert_eq!(&row["pid"], pid);
    assert_eq!(row["restarts"], 0);
}

#[test]
fn every_bad_input_is_one_clear_error_and_harms_nothing() {
    let home = RpmHome::new();
    home.start_idle("keep");
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

    // As PM2: a script already running under its name is said so, and is no failure.
    let out = home.run(&idle_start("keep", &[]));
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("`keep` is already running (id 0): `rpm restart keep` restarts it"),
        "{err}"
    );

    let err = home.fails(&["start", "sleep", "--name", ".."], 2);
    assert!(err.starts_with("error: --name \"..\""), "{err}");

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
    home.start_idle("s");
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
    home.start_idle("s");
    home.ok(&["restart", "s"]);
    assert_eq!(home.app("s")["restarts"], 1);
    home.ok(&["reset", "s"]);
    assert_eq!(home.app("s")["restarts"], 0);
}

#[test]
fn a_billion_laughs_yaml_fails_at_once_naming_the_file_and_line() {
    let home = RpmHome::new();
    home.start_idle("keep");
    let pid = home.app("keep")["pid"].clone();
    // 2 KB of YAML whose aliases would expand to 9^9 values.
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for pair in names.windows(2) {
        let refs = vec![format!("*{}", pair[0]); 9].join(",");
        text.push_str(&format!("{0}: &{0} [{1}]\n", pair[1], refs));
    }
    text.push_str("apps:\n  - name: laughs\n    script: sleep\n    args: *i\n");
    let file = home.join("laughs.yaml");
    std::fs::write(&file, text).expect("write");
    for verb in ["start", "validate"] {
        let err = home.fails(&[verb, file.to_str().expect("path")], 2);
        assert!(
            err.contains("laughs.yaml") && err.contains("billion laughs"),
            "{verb}: {err}"
        );
        // Line 6 is where the copies pass the budget (9^6 values).
        assert!(err.contains("laughs.yaml:6:"), "{verb}: {err}");
    }
    assert_untouched(&home, &pid);
    assert_eq!(home.jlist().len(), 1);
}

#[test]
fn a_symlink_at_a_log_path_refuses_the_start_and_starts_nothing() {
    let home = RpmHome::new();
    home.start_idle("keep");
    let pid = home.app("keep")["pid"].clone();
    let target = home.join("planted-target.log");
    let link = home.join("logs").join("trap-out.log");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    let err = home.fails(&idle_start("trap", &[]), 1);
    assert!(
        err.contains("trap-out.log") && err.contains("symbolic link"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        home.jlist().iter().all(|p| p["name"] != "trap"),
        "nothing was kept: {:?}",
        home.jlist()
    );
    assert!(!target.exists(), "nothing was written through the link");
    assert_untouched(&home, &pid);
}
