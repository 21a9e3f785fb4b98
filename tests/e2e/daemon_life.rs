//! The daemon itself: one per RPM_HOME, private files, signals, version checks, the child's view.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;

use crate::harness::{alive, idle_start, wait_until, RpmHome, DEADLINE};

#[test]
fn two_concurrent_first_commands_start_exactly_one_daemon() {
    let home = RpmHome::new();
    // Six first commands at once, none finding a daemon.
    let spawned: Vec<_> = (0..6)
        .map(|_| {
            home.command(&["jlist"])
                .stdout(std::process::Stdio::null())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for mut child in spawned {
        assert!(child.wait().expect("wait").success());
    }
    let pid = home.daemon_pid().expect("daemon pid");
    let daemons: Vec<i32> = std::fs::read_dir("/proc")
        .expect("proc")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()))
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/environ"))
                .map(|env| {
                    let marker = format!("RPM_HOME={}", home.path().display());
                    env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes())
                })
                .unwrap_or(false)
                && std::fs::read_to_string(format!("/proc/{p}/comm"))
                    .map(|c| c.trim() == "rpm daemon")
                    .unwrap_or(false)
        })
        .collect();
    assert_eq!(daemons, vec![pid]);
}

#[test]
fn rpm_home_and_socket_are_private() {
    let home = RpmHome::new();
    home.ok(&["ping"]);
    let mode = |p: &str| {
        std::fs::metadata(home.join(p))
            .expect("exists")
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700);
    assert_eq!(mode("rpm.sock"), 0o600);
    for entry in walk(home.path()) {
        let m = std::fs::symlink_metadata(&entry)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(
            m & 0o022,
            0,
            "{} is group- or world-writable",
            entry.display()
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}

#[test]
fn a_stale_socket_and_pid_file_are_replaced() {
    let home = RpmHome::new();
    std::fs::create_dir_all(home.path()).expect("dir");
    let _stale =
        std::os::unix::net::UnixListener::bind(home.join("rpm.sock")).expect("bind a stale socket");
    drop(_stale);
    std::fs::write(home.join("daemon.pid"), "999999\n").expect("stale pid");
    let out = home.ok(&["ping"]);
    assert!(out.starts_with("pong"), "{out}");
    assert_ne!(home.daemon_pid(), Some(999_999));
}

#[test]
fn a_live_daemon_is_never_displaced() {
    let home = RpmHome::new();
    home.ok(&["ping"]);
    let first = home.daemon_pid().expect("pid");
    let err = home.fails(&["daemon", "--foreground"], 1);
    assert!(err.contains("another rpm daemon already runs"), "{err}");
    assert_eq!(home.daemon_pid(), Some(first));
    assert!(alive(first));
}

#[test]
fn stray_signals_are_logged_and_change_nothing() {
    let home = RpmHome::new();
    home.start_idle("s");
    let before = home.wait_app("s", "online", |p| p["status"] == "online");
    let daemon = home.daemon_pid().expect("pid");
    let rt = libc::SIGRTMIN() + 2;
    let stray = [
        (libc::SIGUSR1, "SIGUSR1".to_string()),
        (libc::SIGALRM, "SIGALRM".to_string()),
        (libc::SIGPWR, "SIGPWR".to_string()),
        (libc::SIGXFSZ, "SIGXFSZ".to_string()),
        (libc::SIGVTALRM, "SIGVTALRM".to_string()),
        (rt, "SIGRTMIN+2".to_string()),
    ];
    for (signal, name) in &stray {
        // SAFETY: kill(2) on the daemon this test started.
        unsafe { libc::kill(daemon, *signal) };
        let line = format!("{name} ignored: the daemon keeps running");
        wait_until(DEADLINE, &format!("the daemon to log {line:?}"), || {
            let log = home.daemon_log();
            if log.contains(&line) {
                Ok(())
            } else {
                Err(log)
            }
        });
    }
    assert!(alive(daemon), "the daemon survives stray signals");
    assert_eq!(home.daemon_pid(), Some(daemon));
    let after = home.app("s");
    assert_eq!(after["pid"], before["pid"], "{after}");
    assert_eq!(after["restarts"], 0, "{after}");
    assert!(home.ok(&["ping"]).starts_with("pong"));
}

#[test]
fn sigterm_stops_every_app_gracefully_then_the_daemon() {
    let home = RpmHome::new();
    let signal_file = home.start_graceful("g", &[]);
    let app = home.wait_app("g", "online", |p| p["status"] == "online")["pid"]
        .as_i64()
        .expect("pid") as i32;
    let daemon = home.daemon_pid().expect("pid");
    let before = home.app("g");
    // SAFETY: kill(2) on the daemon this test started.
    unsafe { libc::kill(daemon, libc::SIGHUP) };
    // Only once the daemon has handled the signal can "nothing changed" be checked.
    wait_until(DEADLINE, "the daemon to log that it ignored SIGHUP", || {
        let log = home.daemon_log();
        if log.contains("SIGHUP ignored: the daemon keeps running") {
            Ok(())
        } else {
            Err(log)
        }
    });
    assert!(
        home.ok(&["ping"]).starts_with("pong"),
        "SIGHUP changes nothing"
    );
    assert_eq!(home.daemon_pid(), Some(daemon));
    assert!(alive(daemon), "the daemon survives SIGHUP");
    let after = home.app("g");
    assert_eq!(after["status"], "online", "{after}");
    assert_eq!(after["pid"], before["pid"], "the app was not restarted");
    assert_eq!(after["restarts"], 0, "{after}");
    assert_eq!(after["id"], before["id"], "{after}");
    assert!(alive(app), "the app survives the daemon's SIGHUP");
    assert_eq!(
        std::fs::read_to_string(&signal_file)
            .expect("signal")
            .trim(),
        "ready",
        "the app was sent no signal"
    );
    // SAFETY: as above.
    unsafe { libc::kill(daemon, libc::SIGTERM) };
    wait_until(DEADLINE, "daemon and app to exit", || {
        if alive(daemon) || alive(app) {
            Err(format!("daemon {} app {}", alive(daemon), alive(app)))
        } else {
            Ok(())
        }
    });
    assert_eq!(
        std::fs::read_to_string(&signal_file)
            .expect("signal")
            .trim(),
        "INT"
    );
    assert!(!home.join("rpm.sock").exists());
    // A planned stop forgets the apps: the next daemon starts empty.
    assert!(home.jlist().is_empty());
}

#[test]
fn a_cli_of_another_version_is_told_so() {
    let home = RpmHome::new();
    home.ok(&["ping"]);
    let mut stream = UnixStream::connect(home.join("rpm.sock")).expect("connect");
    stream
        .write_all(b"{\"version\":\"0.0.1\",\"request\":{\"cmd\":\"list\"}}\n")
        .expect("write");
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).expect("read");
    let answer: serde_json::Value = serde_json::from_str(&line).expect("json");
    assert_eq!(answer["type"], "error");
    assert_eq!(answer["kind"], "version_mismatch");
    let message = answer["message"].as_str().expect("message");
    assert!(
        message.contains("this CLI is rpm 0.0.1") && message.contains("rpm update"),
        "{message}"
    );
}

/// Sends `head` then `filler` bytes of `b'a'` without a newline on a raw connection, and
/// returns the daemon's answer line.
fn send_oversized(home: &RpmHome, head: &'static [u8], filler: usize) -> serde_json::Value {
    let stream = UnixStream::connect(home.join("rpm.sock")).expect("connect");
    let mut writer = stream.try_clone().expect("clone");
    // The daemon stops reading once it has refused: the writes end with EPIPE then.
    let sender = std::thread::spawn(move || {
        let block = vec![b'a'; 1024 * 1024];
        if writer.write_all(head).is_err() {
            return;
        }
        let mut left = filler;
        while left > 0 {
            let n = left.min(block.len());
            if writer.write_all(&block[..n]).is_err() {
                return;
            }
            left -= n;
        }
    });
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line).expect("read");
    let _ = sender.join();
    serde_json::from_str(&line).expect("json answer")
}

/// The nice value of task `tid` of process `pid` (field 19 of its `stat`).
fn nice_of(pid: i32, tid: &str) -> Result<i64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))
        .map_err(|e| format!("task {tid}: {e}"))?;
    // Fields after the command name, which ends with the last ')': state is field 3.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    after
        .split_whitespace()
        .nth(19 - 3)
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("task {tid}: no nice value in {stat}"))
}

/// The ids of the daemon's threads called `name`.
fn threads_named(pid: i32, name: &str) -> Vec<String> {
    std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("tasks")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|tid| {
            std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))
                .is_ok_and(|c| c.trim() == name)
        })
        .collect()
}

#[test]
fn the_state_writer_yields_to_the_apps_and_nothing_else_does() {
    let home = RpmHome::new();
    home.start_idle("app");
    let daemon = home.daemon_pid().expect("daemon pid");
    let own = nice_of(daemon, &daemon.to_string()).expect("the daemon's nice value");
    let [writer] = &threads_named(daemon, "state-writer")[..] else {
        panic!("not one state-writer thread");
    };
    wait_until(DEADLINE, "the state writer at nice 19", || {
        match nice_of(daemon, writer)? {
            19 => Ok(()),
            other => Err(format!("nice {other}")),
        }
    });
    // The threads that move the apps' output and answer the CLI keep the daemon's
    // priority, and so does every app (they are spawned by the supervisor thread).
    let pump = threads_named(daemon, "log-pump");
    assert_eq!(pump.len(), 1, "one log pump");
    assert_eq!(nice_of(daemon, &pump[0]), Ok(own));
    let app = home.app("app")["pid"].as_i64().expect("pid") as i32;
    assert_eq!(nice_of(app, &app.to_string()), Ok(own));
}

/// A `/proc/<pid>/status` figure in KiB (`VmRSS`, or `VmHWM`: the peak).
fn status_kib(pid: i32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn oversized_or_garbage_requests_are_refused_and_the_daemon_holds_nothing() {
    let home = RpmHome::new();
    home.start_idle("s");
    let daemon = home.daemon_pid().expect("pid");
    home.ok(&["jlist"]);
    let before = status_kib(daemon, "VmRSS:");
    let peak_before = status_kib(daemon, "VmHWM:");

    // 64 MiB without a newline: refused at its first byte.
    let answer = send_oversized(&home, b"", 64 * 1024 * 1024);
    assert_eq!(answer["type"], "error", "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("cannot read this request")),
        "{answer}"
    );
    let peak = status_kib(daemon, "VmHWM:");
    assert!(
        peak < peak_before + 4 * 1024,
        "garbage is not buffered: peak RSS went from {peak_before} KiB to {peak} KiB"
    );

    // A well-formed start whose app name never ends: refused at the size limit.
    let head = br#"{"version":"0.1.0","request":{"cmd":"start","apps":[{"name":""#;
    let answer = send_oversized(&home, head, 40 * 1024 * 1024);
    assert!(
        answer["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most 16 MiB")),
        "{answer}"
    );

    let after = status_kib(daemon, "VmRSS:");
    // What the refused requests held is given back (the 16 MiB one included).
    assert!(
        after < before + 8 * 1024,
        "daemon RSS grew from {before} KiB to {after} KiB"
    );
    assert!(home.ok(&["ping"]).starts_with("pong"));
    assert_eq!(home.app("s")["status"], "online");
}

#[test]
fn a_child_gets_its_environment_its_own_group_and_only_the_standard_descriptors() {
    let home = RpmHome::new();
    home.ok_env(
        &idle_start("probe", &[]),
        &[("FROM_CALLER", OsStr::new("yes"))],
    );
    let row = home.wait_app("probe", "online", |p| p["status"] == "online");
    let pid = row["pid"].as_i64().expect("pid") as i32;
    let id = row["id"].as_u64().expect("id").to_string();
    let env = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let vars: Vec<String> = env
        .split(|b| *b == 0)
        .map(|kv| String::from_utf8_lossy(kv).into_owned())
        .collect();
    for want in [
        "FROM_CALLER=yes".to_string(),
        format!("RPM_ID={id}"),
        "RPM_NAME=probe".into(),
        "RPM_INSTANCE=0".into(),
        format!("pm_id={id}"),
        "name=probe".into(),
        "NODE_APP_INSTANCE=0".into(),
    ] {
        assert!(vars.contains(&want), "missing {want} in {vars:?}");
    }
    let mut fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    fds.sort();
    assert_eq!(fds, vec!["0", "1", "2"]);
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/fd/0")).expect("stdin"),
        std::path::PathBuf::from("/dev/null")
    );
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .expect("fields")
        .split_whitespace()
        .collect();
    assert_eq!(fields[2], pid.to_string(), "its own process group");
    // No signal blocked, SIGPIPE not ignored (Rust ignores it in the daemon).
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let mask = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or_else(|| panic!("no {name} in {status}"))
    };
    assert_eq!(mask("SigBlk:"), 0, "{status}");
    assert_eq!(mask("SigIgn:") & (1 << (libc::SIGPIPE - 1)), 0, "{status}");
    assert_eq!(
        std::fs::read_link(format!("/proc/{pid}/cwd")).expect("cwd"),
        std::path::PathBuf::from(row["cwd"].as_str().expect("cwd"))
    );
    let shown = home.ok(&["env", &id]);
    assert!(shown.contains("RPM_NAME: probe"), "{shown}");
}

#[test]
fn save_then_resurrect_brings_back_the_apps_after_kill() {
    let home = RpmHome::new();
    home.start_idle("a");
    home.ok(&[
        "start",
        "sleep",
        "--name",
        "b",
        "--namespace",
        "ns",
        "--",
        "2000",
    ]);
    let out = home.ok(&["save"]);
    assert!(out.starts_with("saved 2 app(s)"), "{out}");
    let mode = std::fs::metadata(home.join("dump.json"))
        .expect("dump")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    home.ok(&["kill"]);
    home.ok(&["resurrect"]);
    let rows = home.jlist();
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|p| {
            (
                p["name"].to_string(),
                p["namespace"].to_string(),
                p["status"].to_string(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("\"a\"".into(), "\"default\"".into(), "\"online\"".into()),
            ("\"b\"".into(), "\"ns\"".into(), "\"online\"".into())
        ]
    );
    let a = home.app("a")["pid"].clone();
    home.ok(&["resurrect"]);
    assert_eq!(home.app("a")["pid"], a, "a running app is left alone");
    assert_eq!(home.jlist().len(), 2);
}

/// The soft and hard "Max open files" of `pid`.
fn open_file_limit(pid: i32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let mut fields = line["Max open files".len()..].split_whitespace();
    let soft = fields.next().expect("soft").to_string();
    let hard = fields.next().expect("hard").to_string();
    (soft, hard)
}

#[test]
fn a_low_open_file_limit_does_not_cap_instances_and_apps_keep_that_limit() {
    use std::os::unix::process::CommandExt;
    const SOFT: libc::rlim_t = 64;
    let home = RpmHome::new();
    // Forty instances need far more than 64 descriptors in the daemon (FIFOs, logs).
    let mut cmd = home.command(&[
        "start",
        "sh",
        "--name",
        "many",
        "-i",
        "40",
        "--",
        "-c",
        "echo up; exec sleep 1000",
    ]);
    // SAFETY: only getrlimit/setrlimit, async-signal-safe, between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            limit.rlim_cur = SOFT.min(limit.rlim_max);
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().expect("run rpm");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = wait_until(
        DEADLINE,
        "every instance online with its line logged",
        || {
            let rows = home.jlist();
            let logged = rows
                .iter()
                .filter(|p| p["status"] == "online")
                .filter(|p| {
                    let path = p["out_file"].as_str().unwrap_or_default();
                    std::fs::read_to_string(path).unwrap_or_default() == "up\n"
                })
                .count();
            if rows.len() == 40 && logged == 40 {
                Ok(rows)
            } else {
                Err(format!("{logged} of {} logged", rows.len()))
            }
        },
    );
    let daemon = home.daemon_pid().expect("daemon pid");
    let (soft, hard) = open_file_limit(daemon);
    assert_eq!(soft, hard, "the daemon raised its soft limit");
    let app = rows[0]["pid"].as_i64().expect("pid") as i32;
    let expected = (SOFT.to_string(), hard);
    assert_eq!(
        open_file_limit(app),
        expected,
        "apps keep the caller's limit"
    );
    // And after `rpm update`, whose new binary starts with the raised limit.
    home.ok(&["update"]);
    let id = rows[0]["id"].to_string();
    home.ok(&["restart", &id]);
    let restarted = wait_until(DEADLINE, "a new process", || {
        let row = home.jlist().into_iter().find(|p| p["id"] == rows[0]["id"]);
        match row.and_then(|r| r["pid"].as_i64()) {
            Some(pid) if pid as i32 != app => Ok(pid as i32),
            other => Err(format!("pid {other:?}")),
        }
    });
    assert_eq!(open_file_limit(restarted), expected, "after rpm update");
}

/// Listens on the home's socket as a daemon that dies after reading one request:
/// the socket goes away first, then the connection closes unanswered.
fn dying_daemon(home: &RpmHome) -> std::thread::JoinHandle<String> {
    let path = home.join("rpm.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).expect("bind");
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        let mut request = String::new();
        BufReader::new(&stream)
            .read_line(&mut request)
            .expect("read");
        drop(listener);
        std::fs::remove_file(&path).expect("remove the socket");
        drop(stream);
        request
    })
}

#[test]
fn a_question_to_a_daemon_that_dies_is_asked_again_of_a_new_one() {
    let home = RpmHome::new();
    let fake = dying_daemon(&home);
    let out = home.ok(&["jlist"]);
    assert!(fake
        .join()
        .expect("fake daemon")
        .contains(r#""cmd":"list""#));
    assert_eq!(out.trim(), "[]");
    assert!(home.daemon_pid().is_some(), "a real daemon answered");
}

#[test]
fn an_order_to_a_daemon_that_dies_is_not_sent_twice() {
    let home = RpmHome::new();
    let fake = dying_daemon(&home);
    let err = home.fails(&["stop", "all"], 1);
    assert!(fake
        .join()
        .expect("fake daemon")
        .contains(r#""cmd":"stop""#));
    assert!(
        err.contains("lost the connection to the rpm daemon"),
        "{err}"
    );
    assert_eq!(
        home.daemon_pid(),
        None,
        "no daemon was started to repeat it"
    );
}

#[test]
fn the_daemon_log_rotates_at_its_size_and_keeps_whole_lines() {
    let home = RpmHome::new();
    home.ok_env(
        &idle_start("s", &[]),
        &[("RPM_DAEMON_LOG_MAX_SIZE", OsStr::new("1K"))],
    );
    // Each update execs the daemon again (same environment) and logs a few lines.
    for _ in 0..12 {
        home.ok(&["update"]);
    }
    let mut rotated: Vec<std::path::PathBuf> = std::fs::read_dir(home.path())
        .expect("home")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.starts_with("daemon") && name.ends_with(".log") && name != "daemon.log"
        })
        .collect();
    rotated.sort();
    assert!(
        (1..=5).contains(&rotated.len()),
        "rotated, at most 5 kept: {rotated:?}"
    );
    for path in rotated.iter().chain([&home.join("daemon.log")]) {
        let text = std::fs::read_to_string(path).expect("read");
        assert!(
            text.len() <= 1024,
            "{}: {} bytes",
            path.display(),
            text.len()
        );
        assert!(
            text.lines().all(|l| l.starts_with("[20")) && text.ends_with('\n'),
            "{}: {text:?}",
            path.display()
        );
    }
    assert_eq!(home.app("s")["restarts"], 0);
}
