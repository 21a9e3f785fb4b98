//! Cluster mode: instances of one app share the listening socket the daemon holds
//! (fd 3, systemd's socket-activation protocol), for Python on fd 3, gunicorn, an
//! unmodified Node `http` server and an express app, on TCP (IPv4 and IPv6) and Unix
//! sockets; readiness; scale; bad ports. Reloads under load are in `reload`.

mod reload;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde_json::Value;

use crate::harness::{fixture, wait_until, RpmHome, DEADLINE};

/// The real Python interpreter (`python3` may be a pyenv shim that forks it).
pub fn real_python() -> String {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .expect("run python3");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A TCP port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a free port")
        .port()
}

/// One `GET path` over a fresh connection; the body of a 200 answer.
pub fn get(addr: &str, path: &str) -> Result<String, String> {
    let mut stream = std::net::TcpStream::connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    exchange(&mut stream, path)
}

/// The same over a Unix socket.
pub fn get_unix(socket: &Path, path: &str) -> Result<String, String> {
    let mut stream = std::os::unix::net::UnixStream::connect(socket)
        .map_err(|e| format!("{}: {e}", socket.display()))?;
    exchange(&mut stream, path)
}

fn exchange(stream: &mut (impl Read + Write), path: &str) -> Result<String, String> {
    let request = format!("GET {path} HTTP/1.0\r\nHost: test\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut text = String::new();
    stream
        .read_to_string(&mut text)
        .map_err(|e| e.to_string())?;
    let (head, body) = text.split_once("\r\n\r\n").ok_or("no HTTP answer")?;
    if !head.starts_with("HTTP/1.1 200") && !head.starts_with("HTTP/1.0 200") {
        return Err(head.to_string());
    }
    Ok(body.trim().to_string())
}

/// Asks until `want` distinct pids have answered; returns them.
pub fn answering_pids(
    what: &str,
    want: usize,
    ask: impl Fn() -> Result<String, String>,
) -> BTreeSet<i32> {
    let mut seen = BTreeSet::new();
    wait_until(
        DEADLINE,
        &format!("{want} processes answering {what}"),
        || {
            let body = ask()?;
            let pid = body
                .split_whitespace()
                .next()
                .and_then(|p| p.parse::<i32>().ok())
                .ok_or_else(|| format!("odd body {body:?}"))?;
            seen.insert(pid);
            if seen.len() >= want {
                Ok(())
            } else {
                Err(format!("{seen:?}"))
            }
        },
    );
    seen
}

/// The pids of app `name`'s instances once they are all online.
pub fn online_pids(home: &RpmHome, name: &str, count: usize) -> BTreeSet<i32> {
    wait_until(
        DEADLINE,
        &format!("{count} instances of {name} online"),
        || {
            let rows: Vec<Value> = home
                .jlist()
                .into_iter()
                .filter(|r| r["name"] == name)
                .collect();
            let pids: BTreeSet<i32> = rows
                .iter()
                .filter(|r| r["status"] == "online")
                .filter_map(|r| r["pid"].as_i64().map(|p| p as i32))
                .collect();
            if rows.len() == count && pids.len() == count {
                Ok(pids)
            } else {
                Err(format!("{rows:?}"))
            }
        },
    )
}

/// A cluster fixture's path as a string.
pub fn app(file: &str) -> String {
    fixture(&format!("cluster/{file}"))
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

/// Installs the express fixture's dependencies once (what `.ci/run` does), so the test
/// suite needs no other step.
pub fn express_dir() -> PathBuf {
    static ONCE: Mutex<()> = Mutex::new(());
    let _once = ONCE.lock().unwrap_or_else(|p| p.into_inner());
    let dir = fixture("cluster/express");
    if !dir.join("node_modules/express").is_dir() {
        let out = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .output()
            .expect("run npm");
        assert!(
            out.status.success(),
            "npm ci in {} failed: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

#[test]
fn two_python_instances_on_fd_3_share_one_port_and_say_cluster() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    let python = real_python();
    home.ok(&[
        "start",
        &app("fd3_server.py"),
        "--name",
        "py",
        "-i",
        "2",
        "--port",
        &port,
        "--interpreter",
        &python,
    ]);
    let pids = online_pids(&home, "py", 2);
    let addr = format!("127.0.0.1:{port}");
    let answered = answering_pids("py", 2, || get(&addr, "/"));
    assert_eq!(answered, pids, "both instances serve the one port");
    for row in home.jlist() {
        assert_eq!(row["exec_mode"], "cluster", "{row}");
    }
    assert!(home.ok(&["list"]).contains("cluster"));
    // IPv6 clients reach the same socket.
    let v6 = format!("[::1]:{port}");
    assert!(get(&v6, "/").is_ok_and(|b| pids.iter().any(|p| b.starts_with(&p.to_string()))));
    let described = home.ok(&["describe", "py"]);
    assert!(
        described.contains(&format!("socket             {port}")) || described.contains(&port),
        "{described}"
    );
}

#[test]
fn an_unmodified_node_server_and_an_express_app_share_their_ports() {
    let home = RpmHome::new();
    let (plain, express) = (free_port().to_string(), free_port().to_string());
    home.ok(&[
        "start",
        &app("node_http.js"),
        "--name",
        "plain",
        "-i",
        "2",
        "--port",
        &plain,
    ]);
    let dir = express_dir();
    let express_app = dir.join("app.js");
    home.ok(&[
        "start",
        express_app.to_str().expect("utf-8"),
        "--name",
        "express",
        "-i",
        "2",
        "--port",
        &express,
    ]);
    for (name, port) in [("plain", &plain), ("express", &express)] {
        let pids = online_pids(&home, name, 2);
        let addr = format!("127.0.0.1:{port}");
        assert_eq!(answering_pids(name, 2, || get(&addr, "/")), pids, "{name}");
    }
}

#[test]
fn a_node_app_listening_on_its_own_port_shares_it_in_cluster_mode() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    home.ok(&[
        "start",
        &app("node_hardcoded.js"),
        "--name",
        "hard",
        "-i",
        "2",
        "--",
        &port,
    ]);
    let pids = online_pids(&home, "hard", 2);
    let addr = format!("127.0.0.1:{port}");
    assert_eq!(answering_pids("hard", 2, || get(&addr, "/")), pids);
    assert!(
        home.daemon_log()
            .contains(&format!("hard: sharing port {port} between its instances")),
        "{}",
        home.daemon_log()
    );
}

/// gunicorn (pinned) in a venv beside the fixtures, made once as `.ci/run` does.
fn gunicorn() -> PathBuf {
    static ONCE: Mutex<()> = Mutex::new(());
    let _once = ONCE.lock().unwrap_or_else(|p| p.into_inner());
    let venv = fixture("cluster/.venv");
    let gunicorn = venv.join("bin/gunicorn");
    if !gunicorn.exists() {
        let run = |program: &Path, args: &[&str]| {
            let out = Command::new(program).args(args).output().expect("run");
            assert!(
                out.status.success(),
                "{} {args:?} failed: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let venv_arg = venv.to_str().expect("utf-8");
        run(Path::new(&real_python()), &["-m", "venv", venv_arg]);
        run(
            &venv.join("bin/pip"),
            &[
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "gunicorn==27.0.1",
            ],
        );
    }
    gunicorn
}

#[test]
fn gunicorn_serves_from_the_socket_it_is_handed() {
    let home = RpmHome::new();
    let gunicorn = gunicorn();
    let port = free_port().to_string();
    let cwd = fixture("cluster");
    home.ok(&[
        "start",
        gunicorn.to_str().expect("utf-8"),
        "--name",
        "wsgi",
        "-i",
        "2",
        "--port",
        &port,
        "--wait-ready",
        "--cwd",
        cwd.to_str().expect("utf-8"),
        "--",
        "-w",
        "1",
        "wsgi_app:app",
    ]);
    online_pids(&home, "wsgi", 2);
    let addr = format!("127.0.0.1:{port}");
    // Each instance's worker answers (workers are the instances' children).
    answering_pids("wsgi", 2, || get(&addr, "/"));
}

#[test]
fn a_unix_socket_path_is_shared_and_removed_with_the_app() {
    let home = RpmHome::new();
    let python = real_python();
    home.ok(&[
        "start",
        &app("fd3_server.py"),
        "--name",
        "sock",
        "-i",
        "2",
        "--port",
        "./app.sock",
        "--interpreter",
        &python,
    ]);
    let socket = home.join("app.sock");
    let pids = online_pids(&home, "sock", 2);
    assert_eq!(answering_pids("sock", 2, || get_unix(&socket, "/")), pids);
    home.ok(&["delete", "sock"]);
    assert!(!socket.exists(), "the socket file goes with its app");
}

#[test]
fn wait_ready_holds_start_until_ready_and_listen_timeout_ends_the_wait() {
    let home = RpmHome::new();
    let python = real_python();
    let port = free_port().to_string();
    home.ok_env(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "slow",
            "--port",
            &port,
            "--wait-ready",
            "--interpreter",
            &python,
        ],
        &[("READY_DELAY_MS", std::ffi::OsStr::new("700"))],
    );
    // `start` answered once the app said READY=1: it serves already.
    let row = home.app("slow");
    assert_eq!(row["status"], "online", "{row}");
    get(&format!("127.0.0.1:{port}"), "/").expect("it serves as soon as start returns");
    // One that never says so is taken as ready after listen_timeout, as PM2 does.
    let port2 = free_port().to_string();
    home.ok_env(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "mute",
            "--port",
            &port2,
            "--wait-ready",
            "--listen-timeout",
            "500",
            "--interpreter",
            &python,
        ],
        &[("NEVER_READY", std::ffi::OsStr::new("1"))],
    );
    assert_eq!(home.app("mute")["status"], "online");
    assert!(
        home.daemon_log()
            .contains("did not say it was ready within listen_timeout"),
        "{}",
        home.daemon_log()
    );
}

#[test]
fn scale_adds_instances_and_gracefully_removes_the_highest() {
    let home = RpmHome::new();
    let python = real_python();
    let port = free_port().to_string();
    home.ok(&[
        "start",
        &app("fd3_server.py"),
        "--name",
        "web",
        "-i",
        "2",
        "--port",
        &port,
        "--interpreter",
        &python,
    ]);
    online_pids(&home, "web", 2);
    home.ok(&["scale", "web", "+2"]);
    let four = online_pids(&home, "web", 4);
    let addr = format!("127.0.0.1:{port}");
    assert_eq!(answering_pids("web", 4, || get(&addr, "/")), four);
    home.ok(&["scale", "web", "1"]);
    let rows: Vec<Value> = home
        .jlist()
        .into_iter()
        .filter(|r| r["name"] == "web")
        .collect();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["instance"], 0, "the lowest instance stays");
    let err = home.fails(&["scale", "web", "0"], 2);
    assert!(
        err.contains("use `rpm stop web` or `rpm delete web`"),
        "{err}"
    );
    let err = home.fails(&["scale", "web", "lots"], 2);
    assert!(err.contains("the count must be N, +N or -N"), "{err}");
    assert_eq!(
        home.fails(&["scale", "nope", "2"], 1).trim(),
        "error: no app named `nope`: see `rpm list`"
    );
}

#[test]
fn increment_var_gives_each_instance_its_own_value() {
    let home = RpmHome::new();
    let file = home.join("eco.json");
    std::fs::write(
        &file,
        r#"{"apps": [{"name": "inc", "script": "sh", "args": ["-c", "echo BASE=$BASE; exec sleep 60"],
            "instances": 3, "increment_var": "BASE", "env": {"BASE": "7000"}}]}"#,
    )
    .expect("write eco.json");
    home.ok(&["start", file.to_str().expect("utf-8")]);
    online_pids(&home, "inc", 3);
    let values = wait_until(DEADLINE, "each instance's BASE in its log", || {
        let mut values: Vec<String> = home
            .jlist()
            .iter()
            .filter_map(|r| std::fs::read_to_string(r["out_file"].as_str()?).ok())
            .map(|t| t.trim().to_string())
            .collect();
        values.sort();
        if values.len() == 3 && values.iter().all(|v| v.starts_with("BASE=")) {
            Ok(values)
        } else {
            Err(format!("{values:?}"))
        }
    });
    assert_eq!(values, ["BASE=7000", "BASE=7001", "BASE=7002"]);
}

#[test]
fn a_port_in_use_a_missing_folder_and_bad_counts_are_refused_harming_nothing() {
    let home = RpmHome::new();
    let python = real_python();
    let held = std::net::TcpListener::bind("[::]:0").expect("hold a port");
    let busy = held.local_addr().expect("its address").port().to_string();
    let err = home.fails(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "a",
            "--port",
            &busy,
            "--interpreter",
            &python,
        ],
        1,
    );
    assert!(
        err.contains(&format!("app `a`: port {busy} is already in use")),
        "{err}"
    );
    // An app serving on a port, then a second one asking for the same port.
    let port = free_port().to_string();
    home.ok(&[
        "start",
        &app("fd3_server.py"),
        "--name",
        "b",
        "--port",
        &port,
        "--interpreter",
        &python,
    ]);
    let before = online_pids(&home, "b", 1);
    let err = home.fails(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "c",
            "--port",
            &port,
            "--interpreter",
            &python,
        ],
        1,
    );
    assert!(
        err.contains(&format!("port {port} is already in use")),
        "{err}"
    );
    assert_eq!(online_pids(&home, "b", 1), before, "b is untouched");
    assert!(home.jlist().iter().all(|r| r["name"] != "c"));
    let err = home.fails(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "d",
            "--port",
            "/nonexistent-dir/a.sock",
        ],
        1,
    );
    assert!(
        err.contains("folder /nonexistent-dir does not exist"),
        "{err}"
    );
    let err = home.fails(&["start", &app("fd3_server.py"), "-i", "lots"], 2);
    assert!(err.contains("-i/--instances must be a number"), "{err}");
    let err = home.fails(&["start", &app("fd3_server.py"), "--port", "99999"], 2);
    assert!(err.contains("--port: port 99999 is out of range"), "{err}");
    get(&format!("127.0.0.1:{port}"), "/").expect("b still serves");
    drop(held);
}

#[test]
fn instances_fighting_over_a_port_without_port_are_told_to_set_it() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    // Each instance binds the port itself: the second cannot.
    let script = format!(
        "import socket,time; s=socket.socket(); s.bind(('127.0.0.1', {port})); s.listen(); time.sleep(60)"
    );
    home.ok(&[
        "start",
        &real_python(),
        "--name",
        "fight",
        "-i",
        "2",
        "--max-restarts",
        "2",
        "--",
        "-c",
        &script,
    ]);
    wait_until(DEADLINE, "one instance errored", || {
        let errored = home.jlist().iter().any(|r| r["status"] == "errored");
        if errored {
            Ok(())
        } else {
            Err(format!("{:?}", home.jlist()))
        }
    });
    let described = home.ok(&["describe", "fight"]);
    assert!(
        described.contains("set `port` so the daemon binds it once"),
        "{described}"
    );
    assert!(
        home.daemon_log()
            .contains("set `port` so the daemon binds it once"),
        "{}",
        home.daemon_log()
    );
}

#[test]
fn an_interpreter_wrapper_that_forks_does_not_break_listen_pid() {
    use std::os::unix::fs::PermissionsExt;
    let home = RpmHome::new();
    // `python3` on PATH is a wrapper that forks the real interpreter, as pyenv's shims
    // do: LISTEN_PID would name the wrapper, and fd3_server.py refuses fd 3 then.
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).expect("create bin");
    let wrapper = bin.join("python3");
    std::fs::write(&wrapper, format!("#!/bin/sh\n{} \"$@\"\n", real_python())).expect("write");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let port = free_port().to_string();
    home.ok_env(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "shim",
            "-i",
            "2",
            "--port",
            &port,
        ],
        &[("PATH", std::ffi::OsStr::new(&path))],
    );
    let pids = online_pids(&home, "shim", 2);
    let addr = format!("127.0.0.1:{port}");
    assert_eq!(answering_pids("shim", 2, || get(&addr, "/")), pids);
    let row = home.app("shim");
    assert_eq!(row["interpreter"], real_python().as_str(), "{row}");
}

#[test]
fn the_cluster_example_serves_both_apps_from_shared_ports() {
    let home = RpmHome::new();
    let dir = crate::harness::examples().join("cluster");
    let text = std::fs::read_to_string(dir.join("ecosystem.json")).expect("read the example");
    let (web, api) = (free_port().to_string(), free_port().to_string());
    // The example's ports may be taken here: the same file on free ones.
    let text = text
        .replace("\"port\": 8080", &format!("\"port\": {web}"))
        .replace("\"port\": 8081", &format!("\"port\": {api}"));
    let copy = dir.join(format!(".ecosystem-test-{}.json", std::process::id()));
    std::fs::write(&copy, text).expect("write the copy");
    let started = home.run(&["start", copy.to_str().expect("utf-8")]);
    let _ = std::fs::remove_file(&copy);
    assert!(
        started.status.success(),
        "{}",
        String::from_utf8_lossy(&started.stderr)
    );
    for (name, port) in [("web", &web), ("api", &api)] {
        let pids = online_pids(&home, name, 2);
        let addr = format!("127.0.0.1:{port}");
        // Each instance's answer names its pid: two different answers, two instances.
        let mut bodies = BTreeSet::new();
        wait_until(
            DEADLINE,
            &format!("both {name} instances answering"),
            || {
                bodies.insert(get(&addr, "/")?);
                if bodies.len() >= 2 {
                    Ok(())
                } else {
                    Err(format!("{bodies:?}"))
                }
            },
        );
        home.ok(&["reload", name]);
        assert!(
            online_pids(&home, name, 2).is_disjoint(&pids),
            "{name} reloaded"
        );
    }
}
