//! Test fixtures: a private RPM_HOME with its daemon, and waits with deadlines.
//!
//! `RpmHome::new()` owns a temporary folder used as both `RPM_HOME` and `HOME`. Its `Drop`
//! runs `rpm kill` with a deadline, then SIGKILLs the daemon and the process group of
//! every pid the daemon recorded, and prints `daemon.log` when the test is failing, so
//! cleanup never depends on a test reaching its last line.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The default deadline of every wait: generous, it only costs time when broken.
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The rpm binary under test.
pub fn rpm_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rpm"))
}

/// A fixture file's absolute path.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The repository's `examples/` folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// Waits until `probe` returns `Some`, or fails naming what was awaited and the last
/// thing observed.
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let mut outcome = Err(String::new());
    poll_until(Instant::now() + timeout, || {
        outcome = probe();
        outcome.is_ok()
    });
    match outcome {
        Ok(value) => value,
        Err(last) => panic!("timed out after {timeout:?} waiting for {what}; last seen: {last}"),
    }
}

/// Asks `done` every 10 ms until it says yes (true) or `deadline` passes (false); it is
/// asked at least once. For waits that must not panic (clean-up).
pub fn poll_until(deadline: Instant, mut done: impl FnMut() -> bool) -> bool {
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The arguments of `rpm start` for an idle app named `name` (`sleep 1000`: the app,
/// not a wait), with `options` before the app's own arguments.
pub fn idle_start<'a>(name: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["start", "sleep", "--name", name];
    args.extend_from_slice(options);
    args.extend_from_slice(&["--", "1000"]);
    args
}

/// Checks that `probe` holds during the whole of `duration`.
pub fn assert_stays(duration: Duration, what: &str, mut probe: impl FnMut() -> Result<(), String>) {
    let end = Instant::now() + duration;
    let poll_interval = Duration::from_millis(20);
    while Instant::now() < end {
        if let Err(seen) = probe() {
            panic!("expected {what} to hold for {duration:?}, but: {seen}");
        }
        std::thread::sleep(poll_interval);
    }
}

/// Stdout of an rpm run that must have succeeded; fails the test with its output if not.
fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "rpm {args:?} failed with {}:\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Waits until none of `pids` is alive.
pub fn wait_gone(pids: &[i32], what: &str) {
    wait_until(DEADLINE, what, || {
        let left: Vec<&i32> = pids.iter().filter(|p| alive(**p)).collect();
        if left.is_empty() {
            Ok(())
        } else {
            Err(format!("alive: {left:?}"))
        }
    });
}

/// Reads `line N` numbers from a log and checks they are 1..=N with none missing or doubled.
pub fn assert_complete_sequence(path: &std::path::Path) -> usize {
    let text = std::fs::read_to_string(path).expect("read log");
    let numbers: Vec<usize> = text
        .lines()
        .map(|l| {
            l.strip_prefix("line ")
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line {l:?}"))
        })
        .collect();
    let expected: Vec<usize> = (1..=numbers.len()).collect();
    assert_eq!(numbers, expected, "lines lost, doubled or reordered");
    numbers.len()
}

/// Whether a process exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

/// A private RPM_HOME for one test.
pub struct RpmHome {
    dir: tempfile::TempDir,
}

impl RpmHome {
    pub fn new() -> RpmHome {
        let dir = tempfile::Builder::new()
            .prefix("rpm-test-")
            .tempdir()
            .expect("create a temporary RPM_HOME");
        RpmHome { dir }
    }

    /// The folder (RPM_HOME and HOME).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A path inside the folder.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// A command running the rpm binary against this home.
    pub fn command(&self, args: &[&str]) -> Command {
        self.command_as(&rpm_bin(), args)
    }

    /// The same, running `program` (the rpm binary under another path or name).
    pub fn command_as(&self, program: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("RPM_HOME", self.path())
            .env("HOME", self.path())
            .env("NO_COLOR", "1")
            .current_dir(self.path())
            .stdin(Stdio::null());
        cmd
    }

    /// Runs rpm and returns its output, whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run the rpm binary")
    }

    /// Runs rpm, expects success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        succeeded(args, self.run(args))
    }

    /// The same, with variables added to the caller's environment (which a daemon it
    /// starts, and apps, inherit).
    pub fn ok_env(&self, args: &[&str], env: &[(&str, &OsStr)]) -> String {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        succeeded(args, cmd.output().expect("run the rpm binary"))
    }

    /// Runs rpm, expects failure with `code`, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "rpm {args:?}: expected exit {code}; stdout: {} stderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        );
        stderr
    }

    /// `rpm start tests/fixtures/<file> --name <name> <extra…>`, expecting success.
    pub fn start_fixture(&self, file: &str, name: &str, extra: &[&str]) -> String {
        self.start_fixture_env(file, name, extra, &[])
    }

    /// The same, with variables added to the caller's environment (which apps inherit).
    pub fn start_fixture_env(
        &self,
        file: &str,
        name: &str,
        extra: &[&str],
        env: &[(&str, &OsStr)],
    ) -> String {
        let path = fixture(file);
        let mut args = vec![
            "start",
            path.to_str().expect("utf-8 fixture path"),
            "--name",
            name,
        ];
        args.extend_from_slice(extra);
        self.ok_env(&args, env)
    }

    /// Starts `graceful.sh` as `name` and waits until its signal traps are set.
    /// Returns the file it writes the signal it got to (INT or TERM).
    pub fn start_graceful(&self, name: &str, extra: &[&str]) -> PathBuf {
        let signal_file = self.join(&format!("{name}.signal"));
        self.start_fixture_env(
            "graceful.sh",
            name,
            extra,
            &[("SIGNAL_FILE", signal_file.as_os_str())],
        );
        wait_until(
            DEADLINE,
            "graceful.sh to set its traps",
            || match std::fs::read_to_string(&signal_file) {
                Ok(text) if text.trim() == "ready" => Ok(()),
                Ok(text) => Err(text),
                Err(e) => Err(e.to_string()),
            },
        );
        signal_file
    }

    /// Starts `name`: an app that runs and does nothing (`sleep 1000`), for tests that
    /// need a live process. The `sleep` is the app, not a wait.
    pub fn start_idle(&self, name: &str) -> String {
        self.ok(&idle_start(name, &[]))
    }

    /// `rpm jlist`, parsed.
    pub fn jlist(&self) -> Vec<Value> {
        let text = self.ok(&["jlist"]);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("jlist is not JSON ({e}): {text}"))
    }

    /// The jlist row of app `name` (first instance).
    pub fn app(&self, name: &str) -> Value {
        self.jlist()
            .into_iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no app {name} in jlist"))
    }

    /// Waits until app `name`'s first instance satisfies `cond`; returns its row.
    pub fn wait_app(&self, name: &str, what: &str, cond: impl Fn(&Value) -> bool) -> Value {
        wait_until(DEADLINE, &format!("{name}: {what}"), || {
            let list = self.jlist();
            match list.iter().find(|p| p["name"] == name) {
                Some(row) if cond(row) => Ok(row.clone()),
                Some(row) => Err(row.to_string()),
                None => Err(format!("no {name} in {list:?}")),
            }
        })
    }

    /// The daemon's pid, from `daemon.pid`.
    pub fn daemon_pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.join("daemon.pid"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// SIGKILLs the daemon (not its apps) and waits until it is gone; returns its pid.
    pub fn sigkill_daemon(&self) -> i32 {
        let daemon = self.daemon_pid().expect("daemon pid");
        // SAFETY: kill(2) on the daemon this test started.
        unsafe { libc::kill(daemon, libc::SIGKILL) };
        wait_until(DEADLINE, "the daemon to die", || {
            if alive(daemon) {
                Err("alive".into())
            } else {
                Ok(())
            }
        });
        daemon
    }

    /// Every pid the daemon recorded in state.json.
    fn recorded_pids(&self) -> Vec<i32> {
        let Ok(text) = std::fs::read_to_string(self.join("state.json")) else {
            return Vec::new();
        };
        let Ok(state) = serde_json::from_str::<Value>(&text) else {
            return Vec::new();
        };
        state["apps"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["instances"].as_array().cloned().unwrap_or_default())
            .filter_map(|i| i["pid"].as_i64().map(|p| p as i32))
            .collect()
    }

    /// The daemon's log so far.
    pub fn daemon_log(&self) -> String {
        std::fs::read_to_string(self.join("daemon.log")).unwrap_or_default()
    }
}

impl Drop for RpmHome {
    fn drop(&mut self) {
        let pids = self.recorded_pids();
        let daemon = self.daemon_pid();
        if let Ok(mut child) = self
            .command(&["kill"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            let ended = poll_until(Instant::now() + DEADLINE, || {
                !matches!(child.try_wait(), Ok(None))
            });
            if !ended {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if let Some(pid) = daemon {
            if alive(pid) {
                // SAFETY: plain kill(2) on the daemon this test started.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
        let marker = format!("RPM_HOME={}", self.path().display());
        for pid in pids {
            // Only processes this test's daemon started carry its RPM_HOME.
            let ours = std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()))
                .unwrap_or(false);
            if ours {
                // SAFETY: kill(2) on the process group of an app this test started.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
        if std::thread::panicking() {
            eprintln!("---- daemon.log ----\n{}", self.daemon_log());
        }
    }
}
