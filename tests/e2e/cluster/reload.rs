//! Zero-downtime reload: a client hammering the port through reloads sees no failed
//! request; a new process that crashes or never becomes ready leaves the old one
//! serving and `reload` exits 1; `shutdown_with_message` stops with PM2's message.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use super::{app, free_port, get, online_pids, real_python};
use crate::harness::{wait_until, RpmHome, DEADLINE};

/// The kill timeout of apps reloaded under load: on a loaded machine a graceful stop
/// (finish the requests in flight) may take longer than the default 1.6 s, and a SIGKILL
/// then would be the kill timeout's doing, not the reload's.
const SLOW_STOP_OK: &str = "10s";

/// `client.py` running against a URL until its stop file appears.
struct Load {
    child: Option<Child>,
    stop: std::path::PathBuf,
}

impl Load {
    fn start(home: &RpmHome, url: &str) -> Load {
        let stop = home.join("stop-load");
        let child = Command::new(real_python())
            .arg(app("client.py"))
            .arg(url)
            .arg(&stop)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start client.py");
        Load {
            child: Some(child),
            stop,
        }
    }

    /// Stops the client; its counts.
    fn finish(mut self) -> Value {
        std::fs::write(&self.stop, "stop").expect("write the stop file");
        let child = self.child.take().expect("a running client");
        let out = child.wait_with_output().expect("wait for client.py");
        let text = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(text.trim()).unwrap_or_else(|e| {
            panic!(
                "client.py printed no JSON ({e}): {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reloads `name` three times under load; returns the client's counts and the pids
/// before and after.
fn reload_under_load(
    home: &RpmHome,
    name: &str,
    count: usize,
    port: &str,
) -> (Value, BTreeSet<i32>, BTreeSet<i32>) {
    let before = online_pids(home, name, count);
    let load = Load::start(home, &format!("http://127.0.0.1:{port}/slow"));
    wait_until(DEADLINE, "the client to get answers", || {
        get(&format!("127.0.0.1:{port}"), "/").map(|_| ())
    });
    for _ in 0..3 {
        home.ok(&["reload", name]);
    }
    let after = online_pids(home, name, count);
    (load.finish(), before, after)
}

fn assert_no_failure(counts: &Value, what: &str) {
    assert_eq!(
        counts["failed"], 0,
        "{what}: failed requests during reloads: {counts}"
    );
    assert!(
        counts["ok"].as_u64().is_some_and(|n| n > 0),
        "{what}: {counts}"
    );
}

#[test]
fn python_instances_reload_three_times_under_load_without_a_failed_request() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    home.ok(&[
        "start",
        &app("fd3_server.py"),
        "--name",
        "py",
        "-i",
        "2",
        "--port",
        &port,
        "--wait-ready",
        "--kill-timeout",
        SLOW_STOP_OK,
        "--interpreter",
        &real_python(),
    ]);
    let (counts, before, after) = reload_under_load(&home, "py", 2, &port);
    assert_no_failure(&counts, "python fd 3");
    assert!(
        before.is_disjoint(&after),
        "every process was replaced: {before:?} {after:?}"
    );
    let rows = home.jlist();
    assert!(rows.iter().all(|r| r["restarts"] == 3), "{rows:?}");
    let log = home.daemon_log();
    assert!(log.contains("py (id 0): reloaded: pid "), "{log}");
}

#[test]
fn node_instances_ready_by_process_send_reload_under_load_without_a_failed_request() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    home.ok_env(
        &[
            "start",
            &app("node_http.js"),
            "--name",
            "web",
            "-i",
            "2",
            "--port",
            &port,
            "--wait-ready",
            "--kill-timeout",
            SLOW_STOP_OK,
        ],
        &[("SEND_READY", OsStr::new("1"))],
    );
    let (counts, before, after) = reload_under_load(&home, "web", 2, &port);
    assert_no_failure(&counts, "node http");
    assert!(before.is_disjoint(&after), "{before:?} {after:?}");
}

#[test]
fn a_single_fork_instance_with_a_port_reloads_without_downtime() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    home.ok(&[
        "start",
        &app("fd3_server.py"),
        "--name",
        "one",
        "--port",
        &port,
        "--kill-timeout",
        SLOW_STOP_OK,
        "--interpreter",
        &real_python(),
    ]);
    assert_eq!(home.app("one")["exec_mode"], "fork");
    let (counts, before, after) = reload_under_load(&home, "one", 1, &port);
    assert_no_failure(&counts, "one fork instance");
    assert!(before.is_disjoint(&after));
}

#[test]
fn a_new_process_that_crashes_leaves_the_old_one_serving_and_reload_fails() {
    let home = RpmHome::new();
    let port = free_port().to_string();
    let fail = home.join("fail");
    home.ok_env(
        &[
            "start",
            &app("fd3_server.py"),
            "--name",
            "py",
            "-i",
            "2",
            "--port",
            &port,
            "--wait-ready",
            "--interpreter",
            &real_python(),
        ],
        &[("FAIL_IF_EXISTS", fail.as_os_str())],
    );
    let before = online_pids(&home, "py", 2);
    std::fs::write(&fail, "").expect("make new processes fail");
    let err = home.fails(&["reload", "py"], 1);
    assert!(
        err.contains("reload of py (id 0) failed: the new process exited with code 1 before it replaced the old one; the old process keeps serving"),
        "{err}"
    );
    assert_eq!(online_pids(&home, "py", 2), before, "nothing was replaced");
    let addr = format!("127.0.0.1:{port}");
    get(&addr, "/").expect("the old processes serve");
    // Once the cause is gone, the reload goes through.
    std::fs::remove_file(&fail).expect("remove the fail file");
    home.ok(&["reload", "py"]);
    assert!(online_pids(&home, "py", 2).is_disjoint(&before));
}

#[test]
fn a_new_process_never_ready_is_given_up_after_listen_timeout() {
    let home = RpmHome::new();
    let port = free_port();
    let file = home.join("eco.json");
    let write = |never_ready: &str| {
        let spec = serde_json::json!({"apps": [{
            "name": "py", "script": app("fd3_server.py"), "interpreter": real_python(),
            "instances": 2, "port": port, "wait_ready": true, "listen_timeout": 800,
            "env": {"NEVER_READY": never_ready},
        }]});
        std::fs::write(&file, spec.to_string()).expect("write eco.json");
    };
    write("0");
    let file_arg = file.to_str().expect("utf-8");
    home.ok(&["start", file_arg]);
    let before = online_pids(&home, "py", 2);
    // `reload FILE` brings the file's settings: the new processes never say READY=1.
    write("1");
    let err = home.fails(&["reload", file_arg], 1);
    assert!(
        err.contains("the new process did not say it was ready within listen_timeout (800 ms); the old process keeps serving"),
        "{err}"
    );
    assert_eq!(online_pids(&home, "py", 2), before);
    get(&format!("127.0.0.1:{port}"), "/").expect("the old processes serve");
}

#[test]
fn shutdown_with_message_stops_a_node_app_with_pm2s_message() {
    let home = RpmHome::new();
    let file = home.join("eco.json");
    let spec = serde_json::json!({"apps": [{
        "name": "msg", "script": app("node_http.js"), "port": free_port(),
        "shutdown_with_message": true,
    }]});
    std::fs::write(&file, spec.to_string()).expect("write eco.json");
    home.ok(&["start", file.to_str().expect("utf-8")]);
    let row = home.wait_app("msg", "online", |r| r["status"] == "online");
    home.ok(&["stop", "msg"]);
    let out =
        std::fs::read_to_string(row["out_file"].as_str().expect("out_file")).expect("read its log");
    assert!(out.contains("shutting down (message 'shutdown')"), "{out}");
    assert_eq!(home.app("msg")["exit_code"], 0);
}
