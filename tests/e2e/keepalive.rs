//! Restart policy seen from outside: crashes, crash loops, stop exit codes, delays.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{assert_stays, fixture, wait_until, RpmHome, DEADLINE};

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

/// One run of `stamps.sh`: its pid and the wall-clock ms it wrote as it started and exited.
#[derive(Debug, Clone, Copy)]
struct Run {
    pid: i32,
    start_ms: u64,
    exit_ms: Option<u64>,
}

/// Starts `stamps.sh` as `name`, exiting with `code` on every run; returns its stamp file.
fn start_stamps(home: &RpmHome, name: &str, extra: &[&str], code: &str) -> PathBuf {
    let stamps = home.join(&format!("{name}.stamps"));
    let script = fixture("stamps.sh");
    let mut args = vec![
        "start",
        script.to_str().expect("utf-8 path"),
        "--name",
        name,
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", code]);
    home.ok_env(&args, &[("STAMP_FILE", stamps.as_os_str())]);
    stamps
}

/// The runs recorded so far, in order (a line still being written is left out).
fn runs(stamps: &Path) -> Result<Vec<Run>, String> {
    let text = std::fs::read_to_string(stamps).map_err(|e| e.to_string())?;
    let complete = match text.rfind('\n') {
        Some(end) => &text[..end],
        None => "",
    };
    let mut runs: Vec<Run> = Vec::new();
    for line in complete.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (event, ms, pid) = match fields.as_slice() {
            [event, ms, pid] => (
                *event,
                ms.parse::<u64>().map_err(|e| format!("{line:?}: {e}"))?,
                pid.parse::<i32>().map_err(|e| format!("{line:?}: {e}"))?,
            ),
            _ => return Err(format!("unexpected stamp line {line:?}")),
        };
        match event {
            "start" => runs.push(Run {
                pid,
                start_ms: ms,
                exit_ms: None,
            }),
            "exit" => match runs.last_mut() {
                Some(run) if run.pid == pid && run.exit_ms.is_none() => run.exit_ms = Some(ms),
                _ => return Err(format!("exit of {pid} without its start in {text:?}")),
            },
            _ => return Err(format!("unexpected stamp line {line:?}")),
        }
    }
    Ok(runs)
}

/// Waits until at least `n` runs have started; returns them all.
fn wait_runs(stamps: &Path, n: usize) -> Vec<Run> {
    wait_until(
        DEADLINE,
        &format!("{n} runs in {}", stamps.display()),
        || {
            let seen = runs(stamps)?;
            if seen.len() >= n {
                Ok(seen)
            } else {
                Err(format!("{seen:?}"))
            }
        },
    )
}

/// How long the daemon waited between each run's exit and the next run's start, in ms.
/// The exit stamp is written before the exit and the start stamp after the start, so
/// each figure is at least the real wait, less 1 ms for truncating both to whole ms.
fn waits(runs: &[Run]) -> Vec<u64> {
    runs.windows(2)
        .map(|pair| {
            let exit = pair[0]
                .exit_ms
                .unwrap_or_else(|| panic!("run {:?} started before the last one exited", pair[1]));
            pair[1].start_ms.saturating_sub(exit)
        })
        .collect()
}

/// Whether a `/proc/<pid>/stat` line is that of a zombie (exited, not yet reaped) whose
/// parent is `parent`.
fn is_zombie_child(stat: &str, parent: i32) -> bool {
    let rest: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    rest.first() == Some(&"Z") && rest.get(1) == Some(&parent.to_string().as_str())
}

/// Fails with their `/proc/<pid>/stat` lines if `parent` has zombie children.
fn no_zombie_children(parent: i32) -> Result<(), String> {
    let zombies: Vec<String> = std::fs::read_dir("/proc")
        .map_err(|e| e.to_string())?
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| is_zombie_child(stat, parent))
        .collect();
    if zombies.is_empty() {
        Ok(())
    } else {
        Err(format!("zombies: {zombies:?}"))
    }
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
    let stamps = start_stamps(&home, "slow", &["--restart-delay", "1500"], "1");
    // Waiting-restart is seen after the first run exited and before the second started.
    let waiting = home.wait_app("slow", "waiting-restart between two runs", |p| {
        p["status"] == "waiting-restart"
            && runs(&stamps).is_ok_and(|r| r.len() == 1 && r[0].exit_ms.is_some())
    });
    assert_eq!(waiting["restarts"], 0, "{waiting}");
    assert_eq!(waiting["exit_code"], 1, "{waiting}");
    home.wait_app("slow", "restarted after the delay", |p| {
        p["restarts"].as_u64() >= Some(1)
    });
    let runs = wait_runs(&stamps, 2);
    let waited = waits(&runs[..2])[0];
    assert!(
        waited + 1 >= 1500,
        "the second run started {waited} ms after the first exited, before restart_delay (1500 ms): {runs:?}"
    );
    home.ok(&["stop", "slow"]);
}

#[test]
fn exponential_backoff_waits_between_crashes() {
    let home = RpmHome::new();
    let stamps = start_stamps(
        &home,
        "backoff",
        &["--exp-backoff-restart-delay", "300"],
        "1",
    );
    home.wait_app("backoff", "waiting-restart", |p| {
        p["status"] == "waiting-restart"
    });
    home.wait_app("backoff", "two restarts", |p| {
        p["restarts"].as_u64() >= Some(2)
    });
    // Five runs: four waits, each 1.5 times the one before (300, 450, 675, 1012 ms).
    let runs = wait_runs(&stamps, 5);
    let waits = waits(&runs[..5]);
    for (waited, least) in waits.iter().zip([300u64, 450, 675, 1012]) {
        assert!(
            waited + 1 >= least,
            "waited {waited} ms where the backoff asks for {least} ms; waits {waits:?}, runs {runs:?}"
        );
    }
    // Each step adds 150 ms or more, far above scheduling noise: the delay grows.
    for pair in waits.windows(2) {
        assert!(
            pair[1] > pair[0],
            "the backoff did not grow: waits {waits:?}, runs {runs:?}"
        );
    }
    home.ok(&["stop", "backoff"]);
}

#[test]
fn every_run_of_a_crash_looping_app_is_reaped_and_no_zombie_stays() {
    let home = RpmHome::new();
    let stamps = start_stamps(&home, "z", &["--max-restarts", "1000"], "1");
    home.wait_app("z", "several restarts", |p| {
        p["restarts"].as_u64() >= Some(5)
    });
    let daemon = home.daemon_pid().expect("daemon pid");
    // A zombie may exist for the instant between exit and reaping; none may stay, even
    // while the app keeps crashing.
    wait_until(DEADLINE, "no zombie children of the daemon", || {
        no_zombie_children(daemon)
    });
    // Every run that exited, by its own pid, was reaped.
    let exited: Vec<i32> = wait_runs(&stamps, 5)
        .iter()
        .filter(|r| r.exit_ms.is_some())
        .map(|r| r.pid)
        .collect();
    assert!(exited.len() >= 4, "{exited:?}");
    wait_until(DEADLINE, "every exited run to be reaped", || {
        let unreaped: Vec<&i32> = exited
            .iter()
            .filter(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|stat| is_zombie_child(&stat, daemon))
            })
            .collect();
        if unreaped.is_empty() {
            Ok(())
        } else {
            Err(format!("zombies: {unreaped:?}"))
        }
    });
    home.ok(&["stop", "z"]);
    home.wait_app("z", "stopped", |p| p["status"] == "stopped");
    wait_until(DEADLINE, "no zombie children once stopped", || {
        no_zombie_children(daemon)
    });
    assert_stays(
        Duration::from_millis(300),
        "no zombie children of the stopped app's daemon",
        || no_zombie_children(daemon),
    );
}
