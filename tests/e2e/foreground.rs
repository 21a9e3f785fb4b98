//! The daemon under an init system: `rpm daemon --foreground --resurrect` with a fake
//! systemd notify socket (READY=1 once it answers, STOPPING=1 on SIGTERM, apps never see
//! systemd's socket), resurrecting `dump.json` without starting anything twice, and a
//! damaged `state.json` recovered from its backup or the dump, adopting live apps.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::process::{Child, Stdio};

use serde_json::Value;

use crate::harness::{alive, wait_gone, wait_until, RpmHome, DEADLINE};

/// A socket standing in for systemd's `NOTIFY_SOCKET`.
struct FakeSystemd {
    socket: UnixDatagram,
    path: PathBuf,
}

impl FakeSystemd {
    fn bind(home: &RpmHome) -> FakeSystemd {
        let path = home.join("systemd-notify");
        let socket = UnixDatagram::bind(&path).expect("bind the fake notify socket");
        socket
            .set_read_timeout(Some(DEADLINE))
            .expect("read timeout");
        FakeSystemd { socket, path }
    }

    /// The next datagram, as text; fails the test after the deadline.
    fn next(&self, what: &str, log: impl Fn() -> String) -> String {
        let mut buf = [0u8; 4096];
        match self.socket.recv(&mut buf) {
            Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
            Err(e) => panic!("no {what} from the daemon ({e}); its output:\n{}", log()),
        }
    }
}

/// `rpm daemon --foreground --resurrect` as a child of the test, as systemd runs it;
/// SIGKILLed on drop if it is still running.
struct ForegroundDaemon {
    child: Child,
    log: PathBuf,
}

impl ForegroundDaemon {
    fn start(home: &RpmHome, notify: Option<&FakeSystemd>) -> ForegroundDaemon {
        let log = home.join("foreground.log");
        let out = std::fs::File::create(&log).expect("create the daemon's log");
        let mut cmd = home.command(&["daemon", "--foreground", "--resurrect"]);
        cmd.stdout(Stdio::null()).stderr(Stdio::from(out));
        if let Some(notify) = notify {
            cmd.env("NOTIFY_SOCKET", &notify.path);
        }
        let child = cmd.spawn().expect("start the foreground daemon");
        ForegroundDaemon { child, log }
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for the daemon to exit; returns its exit code.
    fn wait_exit(&mut self) -> Option<i32> {
        let child = &mut self.child;
        let status = wait_until(DEADLINE, "the foreground daemon to exit", || {
            match child.try_wait() {
                Ok(Some(status)) => Ok(status),
                Ok(None) => Err("running".into()),
                Err(e) => Err(e.to_string()),
            }
        });
        status.code()
    }
}

impl Drop for ForegroundDaemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn pid_of(row: &Value) -> i32 {
    row["pid"].as_i64().expect("a pid") as i32
}

/// `NOTIFY_SOCKET` in a process's environment, if any.
fn notify_socket_of(pid: i32) -> Option<String> {
    let env = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    env.split(|b| *b == 0)
        .filter_map(|kv| std::str::from_utf8(kv).ok())
        .find_map(|kv| kv.strip_prefix("NOTIFY_SOCKET=").map(str::to_string))
}

/// Starts `stamp.sh` as `name` with systemd's socket in the caller's environment.
fn start_stamp(home: &RpmHome, name: &str, systemd: &FakeSystemd) -> i32 {
    let stamp = home.join(&format!("{name}.stamp"));
    home.start_fixture_env(
        "stamp.sh",
        name,
        &[],
        &[
            ("STAMP_FILE", stamp.as_os_str()),
            ("NOTIFY_SOCKET", systemd.path.as_os_str()),
        ],
    );
    pid_of(&home.wait_app(name, "online", |p| p["status"] == "online"))
}

#[test]
fn under_systemd_ready_comes_once_it_answers_and_stopping_on_sigterm() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    // Saved by an ordinary daemon, brought back by the one systemd runs.
    start_stamp(&home, "api", &systemd);
    home.ok(&["save"]);
    home.ok(&["kill"]);

    let mut daemon = ForegroundDaemon::start(&home, Some(&systemd));
    let ready = systemd.next("READY=1", || daemon.output());
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready:?}");
    // Ready means it answers now; the CLI must not have to start anything.
    assert!(home.ok(&["ping"]).starts_with("pong"));
    assert_eq!(home.daemon_pid(), Some(daemon.pid()));
    let row = home.wait_app("api", "resurrected and online", |p| p["status"] == "online");
    assert_eq!(row["id"], 0, "{row}");
    let app = pid_of(&row);
    let theirs = systemd.path.to_string_lossy().into_owned();
    assert_ne!(
        notify_socket_of(app).as_deref(),
        Some(theirs.as_str()),
        "the app must not see systemd's NOTIFY_SOCKET"
    );

    // SAFETY: kill(2) on the daemon this test started.
    unsafe { libc::kill(daemon.pid(), libc::SIGTERM) };
    let stopping = systemd.next("STOPPING=1", || daemon.output());
    assert!(stopping.lines().any(|l| l == "STOPPING=1"), "{stopping:?}");
    assert_eq!(daemon.wait_exit(), Some(0), "{}", daemon.output());
    wait_gone(&[app], "the app stopped with the daemon");
}

#[test]
fn an_app_started_under_a_systemd_unit_gets_no_systemd_socket() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    let _daemon = {
        let daemon = ForegroundDaemon::start(&home, Some(&systemd));
        systemd.next("READY=1", || daemon.output());
        daemon
    };
    let app = start_stamp(&home, "worker", &systemd);
    let theirs = systemd.path.to_string_lossy().into_owned();
    let seen = notify_socket_of(app);
    assert_ne!(seen.as_deref(), Some(theirs.as_str()));
    if let Some(ours) = seen {
        assert!(
            ours.starts_with('@') || ours.starts_with(&home.path().to_string_lossy().into_owned()),
            "only rpm's own notify socket: {ours}"
        );
    }
}

#[test]
fn resurrect_without_a_dump_is_not_an_error() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    let daemon = ForegroundDaemon::start(&home, Some(&systemd));
    let ready = systemd.next("READY=1", || daemon.output());
    assert!(ready.contains("READY=1"), "{ready:?}");
    assert!(home.ok(&["ping"]).starts_with("pong"));
    assert_eq!(home.jlist(), Vec::<Value>::new());
    assert!(
        daemon.output().contains("nothing to bring back"),
        "{}",
        daemon.output()
    );
}

#[test]
fn a_daemon_restarted_after_a_crash_adopts_its_apps_and_starts_nothing_twice() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    let first = ForegroundDaemon::start(&home, Some(&systemd));
    systemd.next("READY=1", || first.output());
    let a = start_stamp(&home, "a", &systemd);
    let b = start_stamp(&home, "b", &systemd);
    home.ok(&["stop", "b"]);
    home.ok(&["save"]);
    home.ok(&["start", "b"]);
    let b = pid_of(&home.wait_app("b", "online again", |p| {
        p["status"] == "online" && p["pid"].as_i64() != Some(i64::from(b))
    }));
    // A crash; systemd's Restart=on-failure starts it again.
    home.sigkill_daemon();
    drop(first);
    assert!(
        alive(a) && alive(b),
        "KillMode=process: the apps outlive the daemon"
    );

    let second = ForegroundDaemon::start(&home, Some(&systemd));
    systemd.next("READY=1", || second.output());
    let rows = wait_until(DEADLINE, "both apps adopted", || {
        let rows = home.jlist();
        let settled = rows.len() == 2 && rows.iter().all(|r| r["status"] == "online");
        if settled {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    });
    let seen: Vec<(u64, &str, i32, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["id"].as_u64().expect("id"),
                r["name"].as_str().expect("name"),
                pid_of(r),
                r["restarts"].as_u64().expect("restarts"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(0, "a", a, 0), (1, "b", b, 0)],
        "same pids, nothing restarted"
    );
}

/// Waits until `state.json.bak` holds what `state.json` holds. The writer copies each
/// snapshot there once the snapshot is in place and reported, so the backup may lag by
/// the last change (at the writer's low priority, longer on a busy machine).
fn wait_backup_current(home: &RpmHome) {
    wait_until(DEADLINE, "state.json.bak to hold the current state", || {
        let state = std::fs::read(home.join("state.json")).map_err(|e| e.to_string())?;
        match std::fs::read(home.join("state.json.bak")) {
            Ok(backup) if backup == state => Ok(()),
            Ok(_) => Err("an older state".into()),
            Err(e) => Err(e.to_string()),
        }
    });
}

/// Writes garbage into `state.json` of a daemon with running apps, SIGKILLs it, and
/// checks that the next command's daemon supervises the same processes.
fn assert_recovers_same_pids(home: &RpmHome, pids: &[i32]) {
    std::fs::write(
        home.join("state.json"),
        b"{\"version\":1,\"apps\":[{garbage",
    )
    .expect("damage");
    home.sigkill_daemon();
    let rows = wait_until(DEADLINE, "the apps supervised again", || {
        let rows = home.jlist();
        if rows.len() == pids.len() && rows.iter().all(|r| r["status"] == "online") {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    });
    let got: Vec<i32> = rows.iter().map(pid_of).collect();
    assert_eq!(got, pids, "the same processes, adopted");
    assert!(
        rows.iter().all(|r| r["restarts"] == 0),
        "nothing restarted: {rows:?}"
    );
    assert!(
        home.join("state.json.damaged").exists(),
        "the damaged file is kept for people to look at"
    );
    let log = home.daemon_log();
    assert!(log.contains("state.json is damaged"), "{log}");
    // Supervised again, not just listed: a crash is restarted.
    // SAFETY: kill(2) on an app this test started.
    unsafe { libc::kill(pids[0], libc::SIGKILL) };
    home.wait_app("one", "restarted after its crash", |p| {
        p["restarts"] == 1 && p["status"] == "online"
    });
}

#[test]
fn a_damaged_state_json_is_recovered_from_the_previous_good_state() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    let one = start_stamp(&home, "one", &systemd);
    let two = start_stamp(&home, "two", &systemd);
    // A previous state is kept: both apps' once the writer has copied it.
    wait_backup_current(&home);
    assert_recovers_same_pids(&home, &[one, two]);
    assert!(
        home.daemon_log().contains("from the previous state"),
        "{}",
        home.daemon_log()
    );
}

#[test]
fn a_damaged_state_json_without_a_backup_is_recovered_from_the_dump() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    let one = start_stamp(&home, "one", &systemd);
    let two = start_stamp(&home, "two", &systemd);
    home.ok(&["save"]);
    // Removed once written, so that no copy still on its way brings it back.
    wait_backup_current(&home);
    std::fs::remove_file(home.join("state.json.bak")).expect("remove the backup");
    assert_recovers_same_pids(&home, &[one, two]);
    assert!(
        home.daemon_log().contains("from the last save"),
        "{}",
        home.daemon_log()
    );
}

#[test]
fn a_planned_stop_leaves_no_state_to_recover() {
    let home = RpmHome::new();
    let systemd = FakeSystemd::bind(&home);
    start_stamp(&home, "one", &systemd);
    start_stamp(&home, "two", &systemd);
    home.ok(&["kill"]);
    assert!(!home.join("state.json").exists());
    assert!(
        !home.join("state.json.bak").exists(),
        "an old list must not come back"
    );
    assert_eq!(home.jlist(), Vec::<Value>::new());
}
