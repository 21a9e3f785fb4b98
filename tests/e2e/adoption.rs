//! Apps outlive the daemon: SIGKILL and `rpm update` keep every pid and every line.

use crate::harness::{alive, assert_complete_sequence, wait_until, RpmHome, DEADLINE};

fn pids(home: &RpmHome) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = home
        .jlist()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap_or("").to_string(),
                p["pid"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_sigkilled_daemon_is_replaced_and_adopts_its_apps_with_their_output() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "counter", &[]);
    home.start_idle("nap");
    let before = pids(&home);
    let log = home.join("logs/counter-out.log");
    wait_until(DEADLINE, "some output", || {
        let n = std::fs::read_to_string(&log)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if n > 20 {
            Ok(())
        } else {
            Err(format!("{n} lines"))
        }
    });
    let daemon = home.sigkill_daemon();
    // While no daemon runs, the apps keep running and writing.
    for (_, pid) in &before {
        assert!(alive(*pid as i32), "app {pid} died with the daemon");
    }
    let after = pids(&home);
    assert_eq!(before, after, "same apps, same pids, none duplicated");
    assert_ne!(home.daemon_pid(), Some(daemon), "a new daemon answers");
    let rows = home.jlist();
    assert!(
        rows.iter()
            .all(|p| p["status"] == "online" && p["restarts"] == 0),
        "{rows:?}"
    );
    // Output written while no daemon ran arrives, complete and in order.
    let written = wait_until(DEADLINE, "output after adoption", || {
        let n = std::fs::read_to_string(&log)
            .map(|t| t.lines().count())
            .unwrap_or(0);
        if n > 60 {
            Ok(n)
        } else {
            Err(format!("{n} lines"))
        }
    });
    home.ok(&["stop", "counter"]);
    let n = assert_complete_sequence(&log);
    assert!(n >= written);
}

#[test]
fn an_adopted_app_that_exits_is_noticed_and_restarted() {
    let home = RpmHome::new();
    home.start_fixture("crash.sh", "late", &["--", "1", "1.5"]);
    let pid = home.wait_app("late", "online", |p| p["status"] == "online")["pid"]
        .as_i64()
        .expect("pid");
    home.sigkill_daemon();
    assert_eq!(
        home.app("late")["pid"].as_i64(),
        Some(pid),
        "adopted, not restarted"
    );
    let row = home.wait_app("late", "restarted after its exit", |p| {
        p["restarts"].as_u64() >= Some(1)
            && p["pid"].as_i64() != Some(pid)
            && p["status"] == "online"
    });
    assert!(row["pid"].as_i64().is_some());
}

#[test]
fn update_replaces_the_daemon_and_keeps_every_app() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "counter", &[]);
    home.start_idle("nap");
    let before = pids(&home);
    let out = home.ok(&["update"]);
    assert!(out.contains("apps kept running"), "{out}");
    assert_eq!(pids(&home), before);
    assert!(home.jlist().iter().all(|p| p["restarts"] == 0));
    // Still our children: an exit is seen with its status.
    let nap = home.app("nap")["pid"].as_i64().expect("pid") as i32;
    // SAFETY: kill(2) on an app this test started.
    unsafe { libc::kill(nap, libc::SIGTERM) };
    let row = home.wait_app("nap", "restart after SIGTERM", |p| {
        p["restarts"].as_u64() >= Some(1)
    });
    assert_eq!(row["exit_signal"], "SIGTERM");
    home.ok(&["stop", "counter"]);
    assert_complete_sequence(&home.join("logs/counter-out.log"));
}

#[test]
fn a_process_the_dead_daemon_had_not_recorded_yet_is_adopted_not_started_twice() {
    let home = RpmHome::new();
    home.start_idle("nap");
    let pid = home.wait_app("nap", "online", |p| p["status"] == "online")["pid"]
        .as_i64()
        .expect("pid");
    home.sigkill_daemon();
    // As if the daemon died between spawning and recording: launching, no pid.
    let path = home.join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
    let instance = &mut state["apps"][0]["instances"][0];
    instance["status"] = "launching".into();
    instance["pid"] = serde_json::Value::Null;
    instance["proc_start"] = serde_json::Value::Null;
    std::fs::write(&path, serde_json::to_vec(&state).expect("encode")).expect("write state");
    let row = home.wait_app("nap", "online", |p| p["status"] == "online");
    assert_eq!(
        row["pid"].as_i64(),
        Some(pid),
        "the running process is adopted"
    );
    assert_eq!(row["restarts"], 0);
    assert!(alive(pid as i32));
}

#[test]
fn an_older_state_json_with_an_unknown_kill_signal_keeps_every_app_and_says_so() {
    let home = RpmHome::new();
    let odd_signal = home.start_graceful("odd", &["--kill-signal", "SIGTERM"]);
    let other_signal = home.start_graceful("other", &["--kill-signal", "SIGTERM"]);
    let before = pids(&home);
    home.sigkill_daemon();
    // rpm 0.1.0 kept `kill_signal` as any string a client sent, and sent SIGINT for a
    // name it did not know.
    let path = home.join("state.json");
    let mut state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("json");
    for app in state["apps"].as_array_mut().expect("apps") {
        if app["spec"]["name"] == "odd" {
            app["spec"]["kill_signal"] = "SIGFOO".into();
        }
    }
    std::fs::write(&path, serde_json::to_vec(&state).expect("encode")).expect("write state");

    assert_eq!(pids(&home), before, "both apps adopted, same pids");
    let shown = path.display();
    let warning = format!(
        "{shown}: app \"odd\": `kill_signal` \"SIGFOO\" is not a signal name; it is stopped with SIGINT, as the daemon that wrote this file did (start it again with a valid `kill_signal` to change that)"
    );
    assert!(
        home.daemon_log().contains(&warning),
        "{}",
        home.daemon_log()
    );
    assert!(!home.join("state.json.damaged").exists());

    home.ok(&["stop", "odd"]);
    home.ok(&["stop", "other"]);
    let got = |f: &std::path::Path| std::fs::read_to_string(f).expect("signal recorded");
    assert_eq!(got(&odd_signal).trim(), "INT");
    assert_eq!(got(&other_signal).trim(), "TERM");
}
