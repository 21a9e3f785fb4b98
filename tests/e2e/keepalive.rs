//! Restart policy seen from outside: crashes, crash loops, stop exit codes, delays.

use std::time::Duration;

use crate::harness::{assert_stays, fixture, RpmHome};

fn start_crash(home: &RpmHome, name: &str, extra: &[&str], code: &str, after: &str) {
    let script = fixture("crash.sh");
    let mut args = vec![
        "start",
        script.to_str().expect("utf-8 path"),
        "--name",
        name,
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", code, after]);
    home.ok(&args);
}

#[test]
fn a_crashed_app_restarts_with_a_new_pid() {
    let home = RpmHome::new();
    start_crash(&home, "c", &[], "1", "1.2");
    let first = home.wait_app("c", "online", |p| p["status"] == "online");
    let pid = first["pid"].as_i64().expect("pid");
    let next = home.wait_app("c", "restarted with a new pid", |p| {
        p["status"] == "online" && p["pid"].as_i64().is_some_and(|n| n != pid) && p["restarts"] == 1
    });
    assert_eq!(next["exit_code"], 1);
    assert_eq!(next["unstable_restarts"], 0, "1.2 s is past min_uptime");
}

#[test]
fn a_crash_loop_ends_errored_and_stays_errored() {
    let home = RpmHome::new();
    start_crash(&home, "loop", &["--max-restarts", "3"], "2", "0");
    let row = home.wait_app("loop", "errored", |p| p["status"] == "errored");
    assert_eq!(row["unstable_restarts"], 3);
    assert_eq!(row["restarts"], 2);
    assert_eq!(row["pid"], serde_json::Value::Null);
    assert_stays(Duration::from_millis(600), "the app stays errored", || {
        let row = home.app("loop");
        if row["status"] == "errored" && row["restarts"] == 2 {
            Ok(())
        } else {
            Err(row.to_string())
        }
    });
    // The user acts: it starts again.
    home.ok(&["restart", "loop"]);
    home.wait_app("loop", "restarted by the user", |p| {
        p["restarts"].as_u64() >= Some(3)
    });
}

#[test]
fn an_exit_code_in_stop_exit_codes_leaves_the_app_stopped() {
    let home = RpmHome::new();
    start_crash(&home, "done", &["--stop-exit-codes", "0,7"], "7", "0");
    let row = home.wait_app("done", "stopped", |p| p["status"] == "stopped");
    assert_eq!(row["exit_code"], 7);
    assert_eq!(row["restarts"], 0);
}

#[test]
fn no_autorestart_leaves_a_crashed_app_stopped() {
    let home = RpmHome::new();
    start_crash(&home, "once", &["--no-autorestart"], "4", "0");
    let row = home.wait_app("once", "stopped", |p| p["status"] == "stopped");
    assert_eq!(row["exit_code"], 4);
}

#[test]
fn restart_delay_shows_waiting_restart_before_the_new_run() {
    let home = RpmHome::new();
    start_crash(&home, "slow", &["--restart-delay", "1500"], "1", "0");
    home.wait_app("slow", "waiting-restart", |p| {
        p["status"] == "waiting-restart"
    });
    home.wait_app("slow", "restarted after the delay", |p| {
        p["restarts"].as_u64() >= Some(1)
    });
}

#[test]
fn exponential_backoff_waits_between_crashes() {
    let home = RpmHome::new();
    start_crash(
        &home,
        "backoff",
        &["--exp-backoff-restart-delay", "300"],
        "1",
        "0",
    );
    home.wait_app("backoff", "waiting-restart", |p| {
        p["status"] == "waiting-restart"
    });
    home.wait_app("backoff", "two restarts", |p| {
        p["restarts"].as_u64() >= Some(2)
    });
}

#[test]
fn exited_children_are_reaped_at_once() {
    let home = RpmHome::new();
    start_crash(&home, "z", &["--max-restarts", "1000"], "1", "0");
    home.wait_app("z", "several restarts", |p| {
        p["restarts"].as_u64() >= Some(5)
    });
    let daemon = home.daemon_pid().expect("daemon pid");
    crate::harness::wait_until(
        crate::harness::DEADLINE,
        "no zombie children of the daemon",
        || {
            let zombies: Vec<String> = std::fs::read_dir("/proc")
                .map_err(|e| e.to_string())?
                .flatten()
                .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
                .filter(|stat| {
                    let rest: Vec<&str> = stat
                        .rsplit(')')
                        .next()
                        .unwrap_or("")
                        .split_whitespace()
                        .collect();
                    rest.first() == Some(&"Z") && rest.get(1) == Some(&daemon.to_string().as_str())
                })
                .collect();
            // A zombie may exist for the instant between exit and reaping; none may stay.
            if zombies.is_empty() {
                Ok(())
            } else {
                Err(format!("{zombies:?}"))
            }
        },
    );
    home.ok(&["stop", "z"]);
}
