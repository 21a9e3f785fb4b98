//! Stopping: the stop signal, kill_timeout, tree kill, orphans, delete.

use std::time::Duration;

use crate::harness::{alive, fixture, wait_until, RpmHome, DEADLINE};

fn read_pids(path: &std::path::Path) -> Vec<i32> {
    wait_until(DEADLINE, "the app to record its pids", || {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let pids: Vec<i32> = text
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect();
        if pids.len() >= 2 {
            Ok(pids)
        } else {
            Err(text)
        }
    })
}

#[test]
fn stop_sends_sigint_by_default_and_the_app_exits_cleanly() {
    let home = RpmHome::new();
    let signal_file = home.join("signal");
    let script = fixture("graceful.sh");
    let mut cmd = home.command(&["start", script.to_str().expect("path"), "--name", "g"]);
    cmd.env("SIGNAL_FILE", &signal_file);
    assert!(cmd.output().expect("start").status.success());
    home.wait_app("g", "online", |p| p["status"] == "online");
    let out = home.ok(&["stop", "g"]);
    assert!(out.contains("stopped"), "{out}");
    assert_eq!(home.app("g")["status"], "stopped");
    assert_eq!(
        std::fs::read_to_string(&signal_file)
            .expect("signal recorded")
            .trim(),
        "INT"
    );
    assert_eq!(home.app("g")["exit_code"], 0);
}

#[test]
fn kill_signal_chooses_the_stop_signal() {
    let home = RpmHome::new();
    let signal_file = home.join("signal");
    let script = fixture("graceful.sh");
    let mut cmd = home.command(&[
        "start",
        script.to_str().expect("path"),
        "--name",
        "g",
        "--kill-signal",
        "SIGTERM",
    ]);
    cmd.env("SIGNAL_FILE", &signal_file);
    assert!(cmd.output().expect("start").status.success());
    home.ok(&["stop", "g"]);
    assert_eq!(
        std::fs::read_to_string(&signal_file)
            .expect("signal recorded")
            .trim(),
        "TERM"
    );
}

#[test]
fn an_app_ignoring_sigint_and_sigterm_is_killed_after_kill_timeout_with_its_grandchildren() {
    let home = RpmHome::new();
    let pids_file = home.join("pids");
    let script = fixture("ignore_signals.sh");
    let mut cmd = home.command(&[
        "start",
        script.to_str().expect("path"),
        "--name",
        "stubborn",
        "--kill-timeout",
        "500",
    ]);
    cmd.env("PIDS_FILE", &pids_file);
    assert!(cmd.output().expect("start").status.success());
    let pids = read_pids(&pids_file);
    assert!(pids.iter().all(|p| alive(*p)));
    let out = home.run(&["stop", "stubborn"]);
    assert!(out.status.success());
    let row = home.app("stubborn");
    assert_eq!(row["status"], "stopped");
    assert_eq!(row["exit_signal"], "SIGKILL");
    wait_until(DEADLINE, "the app and its grandchild to be gone", || {
        let left: Vec<&i32> = pids.iter().filter(|p| alive(**p)).collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("alive: {left:?}"))
        }
    });
}

#[test]
fn orphans_left_by_an_exiting_app_are_stopped_before_it_restarts() {
    let home = RpmHome::new();
    let pids_file = home.join("pids");
    let script = fixture("orphans.sh");
    let mut cmd = home.command(&[
        "start",
        script.to_str().expect("path"),
        "--name",
        "leaky",
        "--",
        "0.3",
    ]);
    cmd.env("PIDS_FILE", &pids_file);
    assert!(cmd.output().expect("start").status.success());
    let pids = read_pids(&pids_file);
    home.wait_app("leaky", "a restart", |p| p["restarts"].as_u64() >= Some(1));
    wait_until(
        DEADLINE,
        "both orphans (same group, and setsid) to be gone",
        || {
            let left: Vec<&i32> = pids.iter().filter(|p| alive(**p)).collect();
            if left.is_empty() {
                Ok(())
            } else {
                Err(format!("alive: {left:?}"))
            }
        },
    );
    home.ok(&["delete", "leaky"]);
}

#[test]
fn delete_stops_the_app_and_forgets_it() {
    let home = RpmHome::new();
    home.ok(&["start", "sleep", "--name", "nap", "--", "1000"]);
    let pid = home.wait_app("nap", "online", |p| p["status"] == "online")["pid"]
        .as_i64()
        .expect("pid") as i32;
    home.ok(&["delete", "nap"]);
    assert!(home.jlist().is_empty());
    wait_until(Duration::from_secs(5), "the process to be gone", || {
        if alive(pid) {
            Err("alive".into())
        } else {
            Ok(())
        }
    });
}

#[test]
fn targets_select_by_id_name_namespace_and_all() {
    let home = RpmHome::new();
    home.ok(&[
        "start",
        "sleep",
        "--name",
        "a",
        "--namespace",
        "team",
        "--",
        "1000",
    ]);
    home.ok(&[
        "start",
        "sleep",
        "--name",
        "b",
        "--namespace",
        "team",
        "--",
        "1000",
    ]);
    home.ok(&["start", "sleep", "--name", "c", "--", "1000"]);
    home.ok(&["stop", "team"]);
    let status = |name: &str| home.app(name)["status"].as_str().unwrap_or("").to_string();
    assert_eq!(
        (status("a"), status("b"), status("c")),
        ("stopped".into(), "stopped".into(), "online".into())
    );
    home.ok(&["start", "a"]);
    assert_eq!(status("a"), "online");
    let c_id = home.app("c")["id"].to_string();
    home.ok(&["stop", &c_id, "a"]);
    assert_eq!(
        (status("a"), status("c")),
        ("stopped".into(), "stopped".into())
    );
    home.ok(&["restart", "all"]);
    assert!(home.jlist().iter().all(|p| p["status"] == "online"));
    home.ok(&["delete", "all"]);
    assert!(home.jlist().is_empty());
}
