//! Files written by release 0.1.0 (`tests/fixtures/release-0.1.0/`): today's daemon adopts
//! the apps its `state.json` names and resurrects the apps its `dump.json` lists.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{assert_stays, fixture, wait_until, RpmHome, DEADLINE};

/// A 0.1.0 file with the paths of the machine that wrote it replaced by this test's:
/// the checkout, that release's RPM_HOME, and the folder holding its `eco.json` (made
/// here, with that file in it, as the apps' cwd and HOME).
fn release_file(home: &RpmHome, name: &str) -> String {
    let checkout = env!("CARGO_MANIFEST_DIR");
    let src = home.join("fxsrc");
    std::fs::create_dir_all(&src).expect("create the ecosystem folder");
    let paths = [
        ("/work/main", checkout),
        ("/tmp/rpm-fixture-home", path_str(home.path())),
        ("/tmp/fxsrc", path_str(&src)),
    ];
    // Each old path becomes a marker first, so a new path that contains an old one (a
    // checkout at /work/main2, say) is not replaced again.
    let localise = |text: String| {
        let mut text = text;
        for (i, (old, _)) in paths.iter().enumerate() {
            text = text.replace(old, &format!("\u{0}{i}\u{0}"));
        }
        for (i, (_, new)) in paths.iter().enumerate() {
            text = text.replace(&format!("\u{0}{i}\u{0}"), new);
        }
        text
    };
    let eco = std::fs::read_to_string(fixture("release-0.1.0/eco.json")).expect("read eco.json");
    std::fs::write(src.join("eco.json"), localise(eco)).expect("write eco.json");
    let text = std::fs::read_to_string(fixture(&format!("release-0.1.0/{name}")))
        .unwrap_or_else(|e| panic!("read the 0.1.0 {name}: {e}"));
    localise(text)
}

fn path_str(path: &std::path::Path) -> &str {
    let text = path.to_str().expect("utf-8 temporary path");
    assert!(
        !text.contains(['"', '\\']),
        "{text} cannot be put into JSON as it is"
    );
    text
}

/// Processes this test started itself; killed with their process group and reaped on
/// drop, so a test failing midway leaves none behind.
struct OwnProcesses(Vec<Child>);

impl OwnProcesses {
    fn pids(&self) -> Vec<i32> {
        self.0.iter().map(|c| c.id() as i32).collect()
    }

    /// Whether every process has exited (and is reaped).
    fn all_exited(&mut self) -> Result<(), String> {
        let mut running = Vec::new();
        for child in &mut self.0 {
            match child.try_wait() {
                Ok(Some(_)) => {}
                Ok(None) => running.push(child.id()),
                Err(e) => return Err(format!("wait for {}: {e}", child.id())),
            }
        }
        if running.is_empty() {
            Ok(())
        } else {
            Err(format!("running: {running:?}"))
        }
    }
}

impl Drop for OwnProcesses {
    fn drop(&mut self) {
        for child in &mut self.0 {
            if let Ok(None) = child.try_wait() {
                // Not reaped yet, so the pid and its group id still name our process.
                // SAFETY: kill(2) on the process group of a child this test started.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
}

/// Field 22 of `/proc/<pid>/stat`: the start time in clock ticks since boot.
fn start_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read stat");
    let rest = &stat[stat.rfind(')').expect("comm ends with ')'") + 1..];
    // `rest` starts at field 3.
    rest.split_whitespace()
        .nth(22 - 3)
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no start time in {stat:?}"))
}

/// Starts `graceful.sh` under bash in its own process group, as rpm starts an app, and
/// waits until its traps are set. Its environment carries RPM_HOME (so the harness's
/// cleanup knows it) but no RPM_ID: the daemon can only find it through state.json.
fn start_lookalike(home: &RpmHome, signal_file: &PathBuf) -> Child {
    Command::new("/usr/bin/bash")
        .arg(fixture("graceful.sh"))
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("RPM_HOME", home.path())
        .env("SIGNAL_FILE", signal_file)
        .current_dir(home.path())
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start graceful.sh")
}

fn wait_ready(signal_file: &PathBuf) {
    wait_until(
        DEADLINE,
        "graceful.sh to set its traps",
        || match std::fs::read_to_string(signal_file) {
            Ok(text) if text.trim() == "ready" => Ok(()),
            Ok(text) => Err(text),
            Err(e) => Err(e.to_string()),
        },
    );
}

/// The value of `key` in `rpm describe` output (`  <key>  <value>` with padding).
fn described(text: &str, key: &str) -> String {
    text.lines()
        .filter_map(|line| line.strip_prefix("  ")?.strip_prefix(key))
        .find(|rest| rest.starts_with("  "))
        .map(|rest| rest.trim().to_string())
        .unwrap_or_else(|| panic!("no {key:?} in describe output:\n{text}"))
}

/// `(id, name, namespace, instance, status)` of every jlist row.
fn summary(rows: &[Value]) -> Vec<(u64, String, String, u64, String)> {
    rows.iter()
        .map(|r| {
            (
                r["id"].as_u64().expect("id"),
                r["name"].as_str().expect("name").to_string(),
                r["namespace"].as_str().expect("namespace").to_string(),
                r["instance"].as_u64().expect("instance"),
                r["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn row(
    id: u64,
    name: &str,
    namespace: &str,
    instance: u64,
    status: &str,
) -> (u64, String, String, u64, String) {
    (id, name.into(), namespace.into(), instance, status.into())
}

/// Each row's `out_file` and `error_file` are `RPM_HOME/logs/<pattern>.log` with `{}`
/// standing for `out` and `error`: one file per instance unless `merge_logs`.
fn assert_logs(home: &RpmHome, rows: &[Value], patterns: &[&str]) {
    assert_eq!(rows.len(), patterns.len(), "{rows:?}");
    for (row, pattern) in rows.iter().zip(patterns) {
        for (field, stream) in [("out_file", "out"), ("error_file", "error")] {
            let want = home.join(&format!("logs/{}.log", pattern.replace("{}", stream)));
            assert_eq!(row[field], path_str(&want), "{row}");
        }
    }
}

#[test]
fn a_state_file_of_release_0_1_0_is_adopted() {
    let home = RpmHome::new();
    let signals: Vec<PathBuf> = (0..2)
        .map(|i| home.join(&format!("sleeper-{i}.signal")))
        .collect();
    let mut own = OwnProcesses(Vec::new());
    for signal_file in &signals {
        own.0.push(start_lookalike(&home, signal_file));
    }
    for signal_file in &signals {
        wait_ready(signal_file);
    }
    let pids = own.pids();

    let mut state: Value =
        serde_json::from_str(&release_file(&home, "state.json")).expect("state.json is JSON");
    let sleeper = state["apps"]
        .as_array_mut()
        .expect("apps")
        .iter_mut()
        .find(|a| a["spec"]["name"] == "sleeper")
        .expect("app sleeper in the fixture");
    for (i, pid) in pids.iter().enumerate() {
        let instance = &mut sleeper["instances"][i];
        assert_eq!(instance["instance"], i as u64, "fixture order");
        instance["pid"] = (*pid).into();
        instance["proc_start"] = start_ticks(*pid).into();
    }
    std::fs::write(
        home.join("state.json"),
        serde_json::to_vec(&state).expect("encode"),
    )
    .expect("write state.json");

    // The first command starts a daemon, which adopts before it answers.
    let rows = home.jlist();
    assert_eq!(
        summary(&rows),
        vec![
            row(0, "sleeper", "fixture", 0, "online"),
            row(1, "sleeper", "fixture", 1, "online"),
            row(2, "parked", "default", 0, "stopped"),
        ],
        "{rows:#?}"
    );
    for (row, pid) in rows.iter().zip(&pids) {
        assert_eq!(row["pid"], *pid, "adopted, not restarted: {row}");
        assert_eq!(row["restarts"], 0, "{row}");
        assert_eq!(row["unstable_restarts"], 0, "{row}");
    }
    assert_logs(&home, &rows, &["sleeper-{}-0", "sleeper-{}-1", "parked-{}"]);
    assert_eq!(rows[2]["pid"], Value::Null, "{}", rows[2]);
    assert_eq!(rows[2]["exit_code"], 0, "{}", rows[2]);
    for row in &rows {
        assert_eq!(
            row["script"],
            fixture("graceful.sh").to_str().expect("utf-8"),
            "{row}"
        );
        assert_eq!(row["interpreter"], "/usr/bin/bash", "{row}");
    }
    // Watched, not mistaken for gone: they stay online with the same pids.
    assert_stays(
        Duration::from_millis(500),
        "both sleepers online with our pids",
        || {
            let now = home.jlist();
            let seen: Vec<(&Value, &Value)> = now
                .iter()
                .take(2)
                .map(|r| (&r["status"], &r["pid"]))
                .collect();
            let want: Vec<(Value, Value)> = pids
                .iter()
                .map(|p| (Value::from("online"), Value::from(*p)))
                .collect();
            if seen.len() == 2
                && seen
                    .iter()
                    .zip(&want)
                    .all(|(s, w)| *s.0 == w.0 && *s.1 == w.1)
            {
                Ok(())
            } else {
                Err(format!("{now:?}"))
            }
        },
    );

    let describe = home.ok(&["describe", "0"]);
    assert_eq!(
        described(&describe, "adopted from an earlier daemon"),
        "true"
    );
    assert_eq!(described(&describe, "pid"), pids[0].to_string());
    assert_eq!(described(&describe, "kill signal"), "SIGTERM");
    assert_eq!(described(&describe, "kill timeout"), "3000 ms");
    let parked = home.ok(&["describe", "2"]);
    assert_eq!(
        described(&parked, "adopted from an earlier daemon"),
        "false"
    );
    assert_eq!(described(&parked, "status"), "stopped");

    // Stopping them uses the recorded kill_signal (SIGTERM) on our processes.
    home.ok(&["stop", "sleeper"]);
    wait_until(DEADLINE, "our two processes to exit", || own.all_exited());
    for signal_file in &signals {
        assert_eq!(
            std::fs::read_to_string(signal_file)
                .expect("signal file")
                .trim(),
            "TERM",
            "{} was stopped with the recorded kill_signal",
            signal_file.display()
        );
    }
    let rows = home.wait_app("sleeper", "stopped", |p| p["status"] == "stopped");
    assert_eq!(rows["restarts"], 0, "{rows}");
    assert_eq!(
        summary(&home.jlist()),
        vec![
            row(0, "sleeper", "fixture", 0, "stopped"),
            row(1, "sleeper", "fixture", 1, "stopped"),
            row(2, "parked", "default", 0, "stopped"),
        ]
    );
}

#[test]
fn a_dump_of_release_0_1_0_is_resurrected() {
    let home = RpmHome::new();
    std::fs::write(home.join("dump.json"), release_file(&home, "dump.json"))
        .expect("write dump.json");
    home.ok(&["resurrect"]);
    // Today's resurrect starts every app the dump lists, in its order, including one
    // that was stopped when it was saved (dump.json records no status).
    let rows = wait_until(DEADLINE, "every resurrected instance online", || {
        let rows = home.jlist();
        if rows.len() == 3 && rows.iter().all(|r| r["status"] == "online") {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    });
    assert_eq!(
        summary(&rows),
        vec![
            row(0, "parked", "default", 0, "online"),
            row(1, "sleeper", "fixture", 0, "online"),
            row(2, "sleeper", "fixture", 1, "online"),
        ],
        "{rows:#?}"
    );
    for row in &rows {
        assert!(row["pid"].as_i64().is_some(), "{row}");
        assert_eq!(row["restarts"], 0, "{row}");
        assert_eq!(
            row["cwd"],
            path_str(&home.join("fxsrc")),
            "cwd as dumped: {row}"
        );
    }

    assert_logs(&home, &rows, &["parked-{}", "sleeper-{}-1", "sleeper-{}-2"]);
    let env = home.ok(&["env", "1"]);
    assert!(
        env.lines().any(|l| l == "GREETING: hello"),
        "sleeper's env from the dump:\n{env}"
    );
    let parked_env = home.ok(&["env", "0"]);
    assert!(
        !parked_env.contains("GREETING"),
        "parked has no GREETING:\n{parked_env}"
    );

    for id in ["1", "2"] {
        let d = home.ok(&["describe", id]);
        assert_eq!(described(&d, "name"), "sleeper");
        assert_eq!(described(&d, "namespace"), "fixture");
        assert_eq!(described(&d, "kill signal"), "SIGTERM");
        assert_eq!(described(&d, "kill timeout"), "3000 ms");
        assert_eq!(described(&d, "restart delay"), "250 ms");
        assert_eq!(described(&d, "exp backoff restart delay"), "100 ms");
        assert_eq!(described(&d, "min uptime"), "2000 ms");
        assert_eq!(described(&d, "max restarts"), "7");
        assert_eq!(described(&d, "stop exit codes"), "[3]");
        assert_eq!(described(&d, "autorestart"), "true");
        assert_eq!(described(&d, "interpreter"), "/usr/bin/bash");
        assert_eq!(
            described(&d, "ecosystem file"),
            path_str(&home.join("fxsrc/eco.json"))
        );
        assert_eq!(described(&d, "adopted from an earlier daemon"), "false");
    }
    let d = home.ok(&["describe", "0"]);
    assert_eq!(described(&d, "name"), "parked");
    assert_eq!(described(&d, "namespace"), "default");
    assert_eq!(described(&d, "kill signal"), "SIGINT");
    assert_eq!(described(&d, "kill timeout"), "1600 ms");
    assert_eq!(described(&d, "restart delay"), "0 ms");
    assert_eq!(described(&d, "autorestart"), "false");

    // Resurrect again: the apps are known, so nothing more starts.
    home.ok(&["resurrect"]);
    let again = home.jlist();
    assert_eq!(summary(&again), summary(&rows), "{again:#?}");
    let pids = |rows: &[Value]| rows.iter().map(|r| r["pid"].clone()).collect::<Vec<_>>();
    assert_eq!(pids(&again), pids(&rows));
}
