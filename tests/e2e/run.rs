//! `rpm run FILE` (containers, PM2's pm2-runtime): apps' output on its own stdout and
//! stderr (prefixed, `--raw`, `--json`), SIGTERM stops every app gracefully and exits 0,
//! keep-alive works as under the daemon, every app errored exits 1 with a sentence, a
//! bad file gets `rpm start FILE`'s error, and as PID 1 of a PID namespace it reaps
//! orphans.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::harness::{alive, rpm_bin, wait_gone, wait_until, RpmHome, DEADLINE};

/// `rpm run` as a child of the test, its stdout and stderr in files; SIGKILLed on drop
/// if it still runs (the home's own cleanup then stops what it left).
struct Run {
    child: Child,
    stdout: PathBuf,
    stderr: PathBuf,
}

impl Run {
    fn start(home: &RpmHome, args: &[&str]) -> Run {
        let mut cmd = home.command(&[]);
        cmd.args(args);
        Run::spawn(home, cmd)
    }

    fn spawn(home: &RpmHome, mut cmd: Command) -> Run {
        let stdout = home.join("run.stdout");
        let stderr = home.join("run.stderr");
        cmd.stdout(Stdio::from(
            std::fs::File::create(&stdout).expect("stdout file"),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(&stderr).expect("stderr file"),
        ));
        let child = cmd.spawn().expect("start rpm run");
        Run {
            child,
            stdout,
            stderr,
        }
    }

    fn out(&self) -> String {
        std::fs::read_to_string(&self.stdout).unwrap_or_default()
    }

    fn err(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits until stdout (or stderr) holds `text`.
    fn wait_for(&self, text: &str, on_stderr: bool) {
        wait_until(DEADLINE, &format!("{text:?} from rpm run"), || {
            let seen = if on_stderr { self.err() } else { self.out() };
            if seen.contains(text) {
                Ok(())
            } else {
                Err(format!("stdout: {:?} stderr: {:?}", self.out(), self.err()))
            }
        });
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let child = &mut self.child;
        wait_until(DEADLINE, "rpm run to exit", || match child.try_wait() {
            Ok(Some(status)) => Ok(status),
            Ok(None) => Err("running".into()),
            Err(e) => Err(e.to_string()),
        })
        .code()
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn write_file(home: &RpmHome, name: &str, apps: Value) -> String {
    let path = home.join(name);
    let text = serde_json::to_string_pretty(&serde_json::json!({ "apps": apps }))
        .expect("encode the file");
    std::fs::write(&path, text).expect("write the ecosystem file");
    path.to_string_lossy().into_owned()
}

fn fixture(name: &str) -> String {
    crate::harness::fixture(name).to_string_lossy().into_owned()
}

fn pid_of(row: &Value) -> i32 {
    row["pid"].as_i64().expect("a pid") as i32
}

#[test]
fn rpm_run_streams_output_by_app_and_sigterm_stops_every_app_gracefully_with_exit_0() {
    let home = RpmHome::new();
    let signal_file = home.join("g.signal");
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([
            {"name": "g", "script": fixture("graceful.sh"),
             "env": {"SIGNAL_FILE": signal_file.to_string_lossy()}},
            {"name": "talker", "script": "/bin/sh",
             "args": ["-c", "echo hello from talker; echo trouble >&2; exec sleep 1000"]},
        ]),
    );
    let mut run = Run::start(&home, &["run", &file]);
    run.wait_for("1|talker | hello from talker", false);
    run.wait_for("1|talker | trouble", true);
    assert!(
        !run.out().contains("trouble"),
        "stderr lines stay on stderr"
    );
    let rows = wait_until(DEADLINE, "both apps online", || {
        let rows = home.jlist();
        let online = rows.len() == 2 && rows.iter().all(|r| r["status"] == "online");
        if online {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    });
    assert_eq!(home.daemon_pid(), Some(run.pid()), "rpm run is the daemon");
    let pids: Vec<i32> = rows.iter().map(pid_of).collect();
    wait_until(
        DEADLINE,
        "graceful.sh to set its traps",
        || match std::fs::read_to_string(&signal_file) {
            Ok(text) if text.trim() == "ready" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );

    // SAFETY: kill(2) on the rpm run this test started.
    unsafe { libc::kill(run.pid(), libc::SIGTERM) };
    assert_eq!(run.wait_exit(), Some(0), "stderr: {}", run.err());
    assert_eq!(
        std::fs::read_to_string(&signal_file)
            .expect("signal file")
            .trim(),
        "INT",
        "stopped with its kill_signal, not killed"
    );
    wait_gone(&pids, "every app stopped");
    assert!(!home.join("rpm.sock").exists(), "the socket is gone");
}

#[test]
fn raw_and_json_output_keep_the_streams_apart() {
    let home = RpmHome::new();
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([
            {"name": "job", "script": "/bin/sh", "autorestart": false,
             "args": ["-c", "echo plain out; echo plain err >&2"]},
        ]),
    );
    let mut raw = Run::start(&home, &["run", &file, "--raw"]);
    assert_eq!(raw.wait_exit(), Some(0), "a stopped app ends the run");
    assert_eq!(raw.out(), "plain out\n");
    assert_eq!(raw.err(), "plain err\n");
    drop(raw);

    let mut json = Run::start(&home, &["run", &file, "--json"]);
    assert_eq!(json.wait_exit(), Some(0));
    let line: Value = serde_json::from_str(json.out().trim()).expect("a JSON line");
    assert_eq!(line["message"], "plain out", "{line}");
    assert_eq!(line["app"], "job", "{line}");
    assert_eq!(line["stream"], "out", "{line}");
    let err: Value = serde_json::from_str(json.err().trim()).expect("a JSON line");
    assert_eq!(err["message"], "plain err", "{err}");
    assert_eq!(
        std::fs::read_to_string(home.join("logs/job-out.log")).expect("log file"),
        "plain out\nplain out\n",
        "the log files are written too; earlier lines are not printed again"
    );
}

#[test]
fn only_and_env_select_apps_and_profile_and_update_is_refused() {
    let home = RpmHome::new();
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([
            {"name": "shown", "script": "/bin/sh",
             "args": ["-c", "echo \"label=$LABEL\"; exec sleep 1000"],
             "env": {"LABEL": "dev"}, "env_production": {"LABEL": "prod"}},
            {"name": "left", "script": "/bin/sh", "args": ["-c", "echo left; exec sleep 1000"]},
        ]),
    );
    let run = Run::start(
        &home,
        &["run", &file, "--only", "shown", "--env", "production"],
    );
    run.wait_for("0|shown | label=prod", false);
    let names: Vec<Value> = home.jlist().iter().map(|r| r["name"].clone()).collect();
    assert_eq!(names, ["shown"]);
    let err = home.fails(&["update"], 1);
    assert!(err.contains("cannot be replaced in place"), "{err}");
    assert_eq!(home.daemon_pid(), Some(run.pid()));
    assert!(!run.out().contains("left"), "{}", run.out());
}

#[test]
fn a_crashed_app_is_restarted_as_under_the_daemon() {
    let home = RpmHome::new();
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([
            {"name": "flaky", "script": fixture("crash.sh"), "args": ["1", "0.3"],
             "restart_delay": 100},
        ]),
    );
    let run = Run::start(&home, &["run", &file]);
    // Until rpm run holds RPM_HOME, an `rpm jlist` would start a daemon of its own
    // there and rpm run would refuse to start beside it: ask only once it printed.
    run.wait_for("0|flaky | started", false);
    home.wait_app("flaky", "restarted after a crash", |p| {
        p["restarts"].as_u64().is_some_and(|r| r >= 1)
    });
    wait_until(DEADLINE, "two starts printed", || {
        let starts = run.out().matches("0|flaky | started").count();
        if starts >= 2 {
            Ok(())
        } else {
            Err(run.out())
        }
    });
}

#[test]
fn every_app_errored_exits_1_with_a_sentence() {
    let home = RpmHome::new();
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([
            {"name": "boom", "script": fixture("crash.sh"), "args": ["3"],
             "max_restarts": 2, "min_uptime": 10000},
        ]),
    );
    let mut run = Run::start(&home, &["run", &file]);
    assert_eq!(run.wait_exit(), Some(1), "stdout: {}", run.out());
    assert_eq!(
        run.err().trim_end(),
        "error: every app has ended and boom ended errored: see their output above and `rpm logs`"
    );
    assert!(run.out().contains("0|boom | started"), "{}", run.out());
}

#[test]
fn a_bad_file_gets_the_same_error_as_rpm_start() {
    let home = RpmHome::new();
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([{"name": "x", "script": "/bin/true", "instances": "many"}]),
    );
    let from_start = home.fails(&["start", &file], 2);
    let from_run = home.fails(&["run", &file], 2);
    assert_eq!(from_run, from_start);
    assert!(from_run.contains("`instances`"), "{from_run}");
    let missing = home.fails(&["run", "missing.json"], 2);
    assert!(missing.contains("missing.json"), "{missing}");
    assert!(!home.join("rpm.sock").exists(), "no daemon was started");
}

#[test]
fn rpm_run_refuses_a_home_whose_daemon_runs() {
    let home = RpmHome::new();
    home.ok(&["ping"]);
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([{"name": "x", "script": "/bin/sh", "args": ["-c", "sleep 1000"]}]),
    );
    let err = home.fails(&["run", &file], 1);
    assert!(err.contains("another rpm daemon already runs"), "{err}");
    assert_eq!(home.jlist(), Vec::<Value>::new(), "nothing was started");
}

/// The children of `pid` (every thread's), with their states.
fn children(pid: i32) -> Vec<(i32, String)> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let list = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in list
            .split_whitespace()
            .filter_map(|c| c.parse::<i32>().ok())
        {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next())
                .unwrap_or("?")
                .to_string();
            out.push((child, state));
        }
    }
    out
}

fn unshare_works() -> bool {
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn as_pid_1_it_reaps_orphans_and_stops_on_sigterm() {
    if !unshare_works() {
        eprintln!("skipped: `unshare --pid --fork --mount-proc` does not work here");
        return;
    }
    let home = RpmHome::new();
    // Each round leaves an orphan that exits a moment later: a zombie unless reaped.
    let file = write_file(
        &home,
        "eco.json",
        serde_json::json!([{"name": "parent", "script": "/bin/sh", "args": ["-c",
            "for i in 1 2 3; do (sleep 0.2 &); done; echo orphans left; exec sleep 1000"]}]),
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--pid", "--fork", "--mount-proc"])
        .arg(rpm_bin())
        .args(["run", &file])
        .env("RPM_HOME", home.path())
        .env("HOME", home.path())
        .current_dir(home.path())
        .stdin(Stdio::null());
    let mut run = Run::spawn(&home, cmd);
    run.wait_for("orphans left", false);
    let rpm = wait_until(
        DEADLINE,
        "rpm run inside the namespace",
        || match children(run.pid()).as_slice() {
            [(pid, _)] => Ok(*pid),
            other => Err(format!("{other:?}")),
        },
    );
    assert_eq!(
        home.daemon_pid(),
        Some(1),
        "rpm run is PID 1 of its namespace"
    );
    let app = wait_until(DEADLINE, "only the app left under rpm, no zombie", || {
        let kids = children(rpm);
        match kids.as_slice() {
            [(pid, state)] if state != "Z" => Ok(*pid),
            other => Err(format!("{other:?}")),
        }
    });
    // SAFETY: kill(2) on the rpm run this test started (its pid outside the namespace).
    unsafe { libc::kill(rpm, libc::SIGTERM) };
    assert_eq!(run.wait_exit(), Some(0), "stderr: {}", run.err());
    assert!(!alive(app), "the app stopped with it");
}
