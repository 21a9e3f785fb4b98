//! Stopping: the stop signal, kill_timeout, tree kill, orphans, delete.

use crate::harness::{alive, idle_start, wait_gone, wait_until, RpmHome, DEADLINE};

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
    let signal_file = home.start_graceful("g", &[]);
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
    let signal_file = home.start_graceful("g", &["--kill-signal", "SIGTERM"]);
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
    home.start_fixture_env(
        "ignore_signals.sh",
        "stubborn",
        &["--kill-timeout", "500"],
        &[("PIDS_FILE", pids_file.as_os_str())],
    );
    let pids = read_pids(&pids_file);
    assert!(pids.iter().all(|p| alive(*p)));
    let out = home.run(&["stop", "stubborn"]);
    assert!(out.status.success());
    let row = home.app("stubborn");
    assert_eq!(row["status"], "stopped");
    assert_eq!(row["exit_signal"], "SIGKILL");
    wait_gone(&pids, "the app and its grandchild to be gone");
}

#[test]
fn orphans_left_by_an_exiting_app_are_stopped_before_it_restarts() {
    let home = RpmHome::new();
    let pids_file = home.join("pids");
    home.start_fixture_env(
        "orphans.sh",
        "leaky",
        &["--", "0.3"],
        &[("PIDS_FILE", pids_file.as_os_str())],
    );
    let pids = read_pids(&pids_file);
    home.wait_app("leaky", "a restart", |p| p["restarts"].as_u64() >= Some(1));
    wait_gone(&pids, "both orphans (same group, and setsid) to be gone");
    home.ok(&["delete", "leaky"]);
}

#[test]
fn delete_stops_the_app_and_forgets_it() {
    let home = RpmHome::new();
    home.start_idle("nap");
    let pid = home.wait_app("nap", "online", |p| p["status"] == "online")["pid"]
        .as_i64()
        .expect("pid") as i32;
    home.ok(&["delete", "nap"]);
    assert!(home.jlist().is_empty());
    wait_gone(&[pid], "the process to be gone");
}

#[test]
fn targets_select_by_id_name_namespace_and_all() {
    let home = RpmHome::new();
    home.ok(&idle_start("a", &["--namespace", "team"]));
    home.ok(&idle_start("b", &["--namespace", "team"]));
    home.start_idle("c");
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
