//! `rpm web`: the HTTP API through a real HTTP client (curl), token refusals included;
//! Server-Sent Events showing a crash and its restart in order; `/metrics` read by
//! Prometheus' own parser (prometheus_client, in a venv beside the fixtures); the
//! dashboard rendered by headless Chromium; bad input (stalled clients, hundreds of
//! event subscribers, huge bodies) leaving the daemon unharmed; and the server's life:
//! `rpm web --stop`, and `rpm kill` ending it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use serde_json::Value;

use crate::harness::{alive, fixture, wait_until, RpmHome, DEADLINE};

/// A running `rpm web --serve`, SIGKILLed when the test ends however it ends (before
/// its home's `rpm kill`, which would end it too).
struct Web {
    url: String,
    pid: i32,
    token: String,
}

impl Web {
    /// `rpm web --port 0 <extra>` in `home`, with the URL it serves read from web.pid.
    fn start(home: &RpmHome, extra: &[&str]) -> Web {
        let mut args = vec!["web", "--port", "0"];
        args.extend_from_slice(extra);
        let said = home.ok(&args);
        let text = std::fs::read_to_string(home.join("web.pid")).expect("web.pid written");
        let mut lines = text.lines();
        let pid: i32 = lines.next().and_then(|l| l.parse().ok()).expect("a pid");
        let url = lines.next().expect("a URL").to_string();
        assert!(said.contains(&url), "rpm web says where it serves: {said}");
        let token = std::fs::read_to_string(home.join("web.token"))
            .expect("web.token made")
            .trim()
            .to_string();
        Web { url, pid, token }
    }

    fn get(&self, path: &str) -> (u16, String) {
        curl(&[&format!("{}{path}", self.url)])
    }

    fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body)
            .unwrap_or_else(|e| panic!("GET {path} is not JSON ({e}): {body}"))
    }

    /// POST with the token.
    fn post(&self, path: &str, body: Option<&str>) -> (u16, String) {
        let auth = format!("Authorization: Bearer {}", self.token);
        let url = format!("{}{path}", self.url);
        let mut args = vec!["-X", "POST", "-H", &auth, &url];
        if let Some(body) = body {
            args.extend_from_slice(&[
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                body,
            ]);
        }
        curl(&args)
    }

    fn address(&self) -> String {
        self.url.trim_start_matches("http://").to_string()
    }
}

impl Drop for Web {
    fn drop(&mut self) {
        if is_web_server(self.pid) {
            // SAFETY: kill(2) on the `rpm web --serve` this test started (checked above).
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }
}

fn is_web_server(pid: i32) -> bool {
    alive(pid)
        && std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| c.split(|&b| b == 0).any(|a| a == b"--serve"))
}

/// curl with `args`; returns the status and the body.
fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("run curl (install it: apt-get install curl)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    let status = status.trim().parse().unwrap_or(0);
    (status, body.to_string())
}

/// A streaming GET (`curl -N`), its lines on a channel; the curl is killed at the end.
struct Stream {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Stream {
    fn open(url: &str, extra: &[&str]) -> Stream {
        let mut child = Command::new("curl")
            .args(["-s", "-N"])
            .args(extra)
            .arg(url)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run curl");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Stream { child, lines }
    }

    /// Waits for the line that says the stream is live.
    fn wait_subscribed(&self) {
        self.next_matching("the `: subscribed` comment", |l| l == ": subscribed");
    }

    /// The next `data:` line's JSON that satisfies `want` (others are skipped).
    fn next_data(&self, what: &str, want: impl Fn(&Value) -> bool) -> Value {
        let line = self.next_matching(what, |l| {
            l.strip_prefix("data: ")
                .and_then(|d| serde_json::from_str::<Value>(d).ok())
                .is_some_and(|v| want(&v))
        });
        serde_json::from_str(line.trim_start_matches("data: ")).expect("JSON")
    }

    fn next_matching(&self, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if want(&line) => return line,
                Ok(line) => seen.push(line),
                Err(e) => panic!("waiting for {what}: {e}; saw {seen:?}"),
            }
        }
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn counter(home: &RpmHome, name: &str) {
    home.start_fixture("counter.sh", name, &[]);
    home.wait_app(name, "online", |p| p["status"] == "online");
}

#[test]
fn the_api_lists_describes_and_acts_and_refuses_without_the_token() {
    let home = RpmHome::new();
    counter(&home, "api");
    let web = Web::start(&home, &[]);
    let mode = std::fs::metadata(home.join("web.token"))
        .expect("token")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    let list = web.get_json("/api/processes");
    assert_eq!(list[0]["name"], "api");
    assert_eq!(list[0]["status"], "online");
    let one = web.get_json("/api/processes/0");
    assert_eq!(one["process"]["name"], "api");
    assert_eq!(one["spec"]["name"], "api");

    let (status, body) = web.get("/api/processes/99");
    assert_eq!(status, 404, "{body}");
    let error: Value = serde_json::from_str(&body).expect("errors are JSON");
    assert_eq!(
        error["error"],
        "no process with id 99: see GET /api/processes"
    );
    assert_eq!(web.post("/api/processes/99/restart", None).0, 404);
    assert_eq!(web.post("/api/processes/0/explode", None).0, 404);
    assert_eq!(web.get("/api/processes/0/stop").0, 405);
    assert_eq!(web.get("/nothing/here").0, 404);

    // Refused without the token, or with a wrong one, and nothing happens.
    let pid = home.app("api")["pid"].clone();
    let stop = format!("{}/api/processes/0/stop", web.url);
    let (status, body) = curl(&["-X", "POST", &stop]);
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Authorization: Bearer"), "{body}");
    assert_eq!(
        curl(&["-X", "POST", "-H", "Authorization: Bearer nope", &stop]).0,
        401
    );
    let start = format!("{}/api/processes", web.url);
    assert_eq!(curl(&["-X", "POST", "--data-binary", "{}", &start]).0, 401);
    let row = home.app("api");
    assert_eq!(
        (row["status"].as_str(), &row["pid"]),
        (Some("online"), &pid)
    );

    let (status, body) = web.post("/api/processes/0/stop", None);
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["processes"][0]["status"], "stopped");
    assert_eq!(home.app("api")["status"], "stopped");
    assert_eq!(web.post("/api/processes/0/restart", None).0, 200);
    home.wait_app("api", "online again", |p| p["status"] == "online");
    assert_eq!(web.post("/api/processes/0/reload", None).0, 200);

    // Start a spec in the ecosystem format; bad ones are 400 with the config's sentence.
    let script = fixture("counter.sh");
    let spec = format!(
        r#"{{"apps": [{{"name": "second", "script": "{}"}}]}}"#,
        script.display()
    );
    let (status, body) = web.post("/api/processes", Some(&spec));
    assert_eq!(status, 201, "{body}");
    home.wait_app("second", "online", |p| p["status"] == "online");
    let (status, body) = web.post(
        "/api/processes",
        Some(r#"{"apps": [{"name": "x", "instanses": 2, "script": "/bin/true"}"#),
    );
    assert_eq!(status, 400, "{body}");
    let (status, body) = web.post(
        "/api/processes",
        Some(r#"{"apps": [{"name": "x", "scrpt": "a"}]}"#),
    );
    assert_eq!(status, 400, "{body}");
    let error: Value = serde_json::from_str(&body).expect("JSON");
    assert!(
        error["error"]
            .as_str()
            .is_some_and(|e| e.contains("`script` is required")),
        "{body}"
    );
    let second = home.app("second")["id"].as_u64().expect("id");
    assert_eq!(
        web.post(&format!("/api/processes/{second}/delete"), None).0,
        200
    );
    assert!(home.jlist().iter().all(|p| p["name"] != "second"));

    // PM2's `pm2 web` document.
    let pm2 = web.get_json("/");
    assert!(pm2["system_info"]["hostname"].is_string());
    assert!(pm2["monit"]["total_mem"].as_u64().is_some_and(|m| m > 0));
    let proc0 = &pm2["processes"][0];
    assert_eq!(proc0["name"], "api");
    assert_eq!(proc0["pm2_env"]["status"], "online");
    assert!(proc0["pm2_env"]["restart_time"].as_u64().is_some());
    assert!(proc0["pm2_env"]["pm_uptime"].as_u64().is_some());
    assert!(proc0["monit"]["memory"].as_u64().is_some());

    // The last log lines, as JSON.
    let lines = web.get_json("/api/processes/0/logs?lines=3");
    let lines = lines.as_array().expect("an array");
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l["app"] == "api"
        && l["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("line "))));
}

#[test]
fn bound_off_loopback_every_read_needs_the_token() {
    let home = RpmHome::new();
    counter(&home, "api");
    let web = Web::start(&home, &["--host", "0.0.0.0"]);
    let port = web
        .address()
        .rsplit_once(':')
        .map(|(_, p)| p.to_string())
        .expect("port");
    let local = format!("http://127.0.0.1:{port}");
    for path in ["/api/processes", "/metrics", "/", "/api/events"] {
        let (status, body) = curl(&[&format!("{local}{path}")]);
        assert_eq!(status, 401, "GET {path}: {body}");
    }
    let auth = format!("Authorization: Bearer {}", web.token);
    let (status, body) = curl(&["-H", &auth, &format!("{local}/api/processes")]);
    assert_eq!(status, 200, "{body}");
    // The dashboard's own files are public: the page asks for the token.
    assert_eq!(curl(&[&format!("{local}/ui")]).0, 200);
}

#[test]
fn events_show_a_crash_and_its_restart_in_order() {
    let home = RpmHome::new();
    counter(&home, "api");
    let web = Web::start(&home, &[]);
    let events = Stream::open(&format!("{}/api/events", web.url), &[]);
    events.wait_subscribed();
    let pid = home.app("api")["pid"].as_i64().expect("pid") as i32;
    // SAFETY: kill(2) on the app this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let exited = events.next_data("the exit", |n| n["event"] == "exited");
    assert_eq!(
        (exited["pid"].as_i64(), exited["signal"].as_str()),
        (Some(pid as i64), Some("SIGKILL"))
    );
    let restarting = events.next_data("the restart", |n| n["event"] == "restarting");
    assert_eq!(restarting["reason"], "crash");
    let online = events.next_data("online again", |n| {
        n["event"] == "status" && n["to"] == "online"
    });
    assert_ne!(online["pid"].as_i64(), Some(pid as i64));
    assert!(exited["at"].as_u64() <= restarting["at"].as_u64());
    assert!(restarting["at"].as_u64() <= online["at"].as_u64());

    // The live log tail streams new lines as they are written.
    let logs = Stream::open(
        &format!("{}/api/processes/0/logs?follow=1&lines=1", web.url),
        &[],
    );
    logs.wait_subscribed();
    let first = logs.next_data("a line", |l| l["app"] == "api");
    let second = logs.next_data("a later line", |l| l["message"] != first["message"]);
    assert_eq!(second["stream"], "out");
}

#[test]
fn changes_made_elsewhere_reach_the_list_in_memory_through_notices() {
    let home = RpmHome::new();
    counter(&home, "api");
    let web = Web::start(&home, &[]);
    let events = Stream::open(&format!("{}/api/events", web.url), &[]);
    events.wait_subscribed();
    let list = web.get_json("/api/processes");
    let pid = list[0]["pid"].clone();

    // Answers made from the list say how old it is.
    let (head, _) = curl_with_headers(&format!("{}/api/processes", web.url));
    assert!(
        head.lines()
            .any(|l| l.to_ascii_lowercase().starts_with("age: ")),
        "{head}"
    );

    // A restart and a reset from the CLI, not through the server.
    home.ok(&["restart", "api"]);
    wait_until(DEADLINE, "the restart in the list", || {
        let row = web.get_json("/api/processes")[0].clone();
        (row["restarts"] == 1 && row["pid"] != pid && row["status"] == "online")
            .then_some(())
            .ok_or(format!("{row}"))
    });
    home.ok(&["reset", "api"]);
    // The reset is a notice of its own, which is what marks the list out of date.
    let reset = events.next_data("the reset", |n| n["event"] == "reset");
    assert_eq!(reset["name"], "api");
    wait_until(DEADLINE, "the reset in the list", || {
        let row = web.get_json("/api/processes")[0].clone();
        (row["restarts"] == 0).then_some(()).ok_or(format!("{row}"))
    });
}

/// GET `url` with curl; returns the response head and the body.
fn curl_with_headers(url: &str) -> (String, String) {
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "30", "-i", url])
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
    (head.to_string(), body.to_string())
}

/// prometheus_client (pinned) in a venv beside the fixtures, made once as `.ci/run` does.
fn prometheus_python() -> PathBuf {
    static ONCE: Mutex<()> = Mutex::new(());
    let _once = ONCE.lock().unwrap_or_else(|p| p.into_inner());
    let venv = fixture("web/.venv");
    let python = venv.join("bin/python");
    let ready = |py: &Path| {
        Command::new(py)
            .args(["-c", "import prometheus_client"])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready(&python) {
        let real = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("run python3");
        let real = String::from_utf8_lossy(&real.stdout).trim().to_string();
        let venv_arg = venv.to_str().expect("utf-8");
        for (program, args) in [
            (PathBuf::from(&real), vec!["-m", "venv", venv_arg]),
            (
                venv.join("bin/pip"),
                vec![
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "prometheus-client==0.26.0",
                ],
            ),
        ] {
            let out = Command::new(&program).args(&args).output().expect("run");
            assert!(
                out.status.success(),
                "{} {args:?}: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    python
}

#[test]
fn metrics_are_read_by_prometheus_own_parser() {
    let home = RpmHome::new();
    counter(&home, "api");
    home.start_fixture(
        "crash.sh",
        "crashy",
        &["--max-restarts", "2", "--restart-delay", "10"],
    );
    home.wait_app("crashy", "errored", |p| p["status"] == "errored");
    let web = Web::start(&home, &[]);
    let (status, text) = web.get("/metrics");
    assert_eq!(status, 200, "{text}");
    let mut parser = Command::new(prometheus_python())
        .arg(fixture("web/parse_metrics.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run the parser");
    parser
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("feed");
    let out = parser.wait_with_output().expect("parser ends");
    assert!(
        out.status.success(),
        "prometheus_client refused the text: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let sample = |family: &str, name: &str, app: &str, extra: Option<(&str, &str)>| -> f64 {
        families[family]["samples"]
            .as_array()
            .unwrap_or_else(|| panic!("no family {family} in {families}"))
            .iter()
            .find(|s| {
                s[0] == name && s[1]["name"] == app && extra.is_none_or(|(k, v)| s[1][k] == v)
            })
            .and_then(|s| s[2].as_f64())
            .unwrap_or_else(|| panic!("no {name} for {app} in {}", families[family]))
    };
    for (family, kind) in [
        ("rpm_process_cpu_percent", "gauge"),
        ("rpm_process_memory_bytes", "gauge"),
        ("rpm_process_restarts", "counter"),
        ("rpm_process_uptime_seconds", "gauge"),
        ("rpm_process_status", "gauge"),
        ("rpm_daemon_memory_bytes", "gauge"),
        ("rpm_daemon_uptime_seconds", "gauge"),
    ] {
        assert_eq!(families[family]["type"], kind, "{family}");
        assert!(
            families[family]["documentation"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{family} has HELP"
        );
    }
    assert!(
        sample(
            "rpm_process_memory_bytes",
            "rpm_process_memory_bytes",
            "api",
            None
        ) > 0.0
    );
    let restarts = home.app("crashy")["restarts"].as_f64().expect("restarts");
    assert!(restarts > 0.0);
    assert_eq!(
        sample(
            "rpm_process_restarts",
            "rpm_process_restarts_total",
            "crashy",
            None
        ),
        restarts
    );
    assert_eq!(
        sample(
            "rpm_process_status",
            "rpm_process_status",
            "api",
            Some(("status", "online"))
        ),
        1.0
    );
    assert_eq!(
        sample(
            "rpm_process_status",
            "rpm_process_status",
            "crashy",
            Some(("status", "errored"))
        ),
        1.0
    );
    assert_eq!(
        sample(
            "rpm_process_status",
            "rpm_process_status",
            "crashy",
            Some(("status", "online"))
        ),
        0.0
    );
    let daemon_memory = families["rpm_daemon_memory_bytes"]["samples"][0][2]
        .as_f64()
        .expect("a value");
    assert!(
        daemon_memory > 0.0,
        "{}",
        families["rpm_daemon_memory_bytes"]
    );
}

#[test]
fn the_dashboard_renders_the_app_rows_in_headless_chromium() {
    let Some(chromium) = ["chromium", "chromium-browser"].into_iter().find(|c| {
        Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    }) else {
        eprintln!("SKIPPED: no chromium on this machine (apt-get install -y chromium; .ci/run installs it)");
        return;
    };
    let home = RpmHome::new();
    counter(&home, "alpha");
    home.start_fixture(
        "crash.sh",
        "broken",
        &["--max-restarts", "1", "--restart-delay", "10"],
    );
    home.wait_app("broken", "errored", |p| p["status"] == "errored");
    let web = Web::start(&home, &[]);
    let page = format!("{}/ui", web.url);
    let profile = home.join("chromium-profile");
    let profile_arg = format!("--user-data-dir={}", profile.display());
    let base = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--window-size=900,450",
        "--virtual-time-budget=4000",
        &profile_arg,
    ];
    let dom = Command::new(chromium)
        .args(base)
        .args(["--dump-dom", &page])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&dom.stdout);
    for name in ["alpha", "broken"] {
        assert!(
            dom.contains(&format!("<td>{name}</td>")),
            "the page's script rendered no row for {name}: {dom}"
        );
    }
    assert!(
        dom.contains(r#"class="status-online">online</td>"#),
        "{dom}"
    );
    assert!(
        dom.contains(r#"class="status-errored">errored</td>"#),
        "{dom}"
    );

    let shot = home.join("dashboard.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    let out = Command::new(chromium)
        .args(base)
        .args([shot_arg.as_str(), &page])
        .output()
        .expect("run chromium");
    assert!(
        shot.exists(),
        "no screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pixels = Command::new("python3")
        .arg(fixture("web/png_pixels.py"))
        .arg(&shot)
        .args(["1a7f37", "cf222e"])
        .output()
        .expect("run png_pixels.py");
    assert!(
        pixels.status.success(),
        "{}",
        String::from_utf8_lossy(&pixels.stderr)
    );
    let pixels: Value = serde_json::from_slice(&pixels.stdout).expect("JSON");
    assert_eq!(
        (pixels["width"].as_u64(), pixels["height"].as_u64()),
        (Some(900), Some(450))
    );
    assert!(
        pixels["colours"].as_u64() > Some(20),
        "a blank page: {pixels}"
    );
    // The status cells: green `online` and red `errored` text are on the picture.
    assert!(
        pixels["near"]["1a7f37"].as_u64() > Some(20),
        "no green `online` row: {pixels}"
    );
    assert!(
        pixels["near"]["cf222e"].as_u64() > Some(20),
        "no red `errored` row: {pixels}"
    );
}

#[test]
fn stalled_clients_and_hundreds_of_subscribers_leave_the_daemon_unharmed() {
    let home = RpmHome::new();
    counter(&home, "api");
    let web = Web::start(&home, &[]);
    // A client that sends half a request and stalls, and one that never sends.
    let mut stalled = TcpStream::connect(web.address()).expect("connect");
    stalled
        .write_all(b"GET /api/processes HTTP/1.1\r\nHost: x\r\n")
        .expect("half a head");
    let _silent = TcpStream::connect(web.address()).expect("connect");
    // 300 event subscribers that read nothing.
    let mut subscribers = Vec::new();
    for _ in 0..300 {
        let mut s = TcpStream::connect(web.address()).expect("connect");
        s.write_all(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("subscribe");
        subscribers.push(s);
    }
    // Every one of them is answered with the stream's head.
    for s in &mut subscribers {
        s.set_read_timeout(Some(DEADLINE)).expect("timeout");
        let mut head = [0u8; 15];
        s.read_exact(&mut head).expect("the stream's head");
        assert_eq!(&head, b"HTTP/1.1 200 OK");
    }
    // Notices flow to all of them while others are served and the daemon answers.
    for _ in 0..3 {
        assert_eq!(web.post("/api/processes/0/restart", None).0, 200);
    }
    // The notices reach the last subscriber as well as the first.
    for s in [&subscribers[0], &subscribers[299]] {
        let mut seen = Vec::new();
        let mut reader = BufReader::new(s);
        while !String::from_utf8_lossy(&seen).contains(r#""reason":"manual""#) {
            let mut line = Vec::new();
            reader
                .read_until(b'\n', &mut line)
                .expect("a notice within the deadline");
            assert!(
                !line.is_empty(),
                "the stream ended: {}",
                String::from_utf8_lossy(&seen)
            );
            seen.extend_from_slice(&line);
        }
    }
    home.ok(&["ping"]);
    assert_eq!(web.get("/api/processes").0, 200);
    // The half request is answered 408 once it has stalled for the timeout.
    stalled
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = String::new();
    let _ = stalled.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    // A huge body is refused before it is read.
    let big = home.join("big.json");
    std::fs::write(&big, "x".repeat(2 * 1024 * 1024)).expect("write");
    let (status, body) = web.post("/api/processes", Some(&format!("@{}", big.display())));
    assert_eq!(status, 413, "{body}");
    drop(subscribers);
    home.ok(&["ping"]);
    assert_eq!(home.app("api")["status"], "online");
}

#[test]
fn web_stop_ends_the_server_and_rpm_kill_does_too() {
    let home = RpmHome::new();
    let web = Web::start(&home, &[]);
    // A second `rpm web` on another port is refused while one serves.
    let err = home.fails(&["web", "--port", "0"], 1);
    assert!(
        err.contains("already serves") && err.contains("rpm web --stop"),
        "{err}"
    );
    let said = home.ok(&["web", "--stop"]);
    assert!(said.contains(&web.pid.to_string()), "{said}");
    assert!(!is_web_server(web.pid));
    assert!(!home.join("web.pid").exists());
    let err = home.fails(&["web", "--stop"], 1);
    assert!(err.contains("no rpm web server is running"), "{err}");
    let err = home.fails(&["web", "--host", "localhost!"], 2);
    assert!(err.contains("is not an IP address"), "{err}");
    // A port in use is reported with the server's own sentence.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("address").port().to_string();
    let err = home.fails(&["web", "--port", &port], 1);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port}")) && err.contains("web.log"),
        "{err}"
    );
    assert!(!home.join("web.pid").exists());

    let again = Web::start(&home, &[]);
    home.ok(&["kill"]);
    wait_until(DEADLINE, "rpm web to exit after rpm kill", || {
        if is_web_server(again.pid) {
            Err("still serving".into())
        } else {
            Ok(())
        }
    });
    assert!(!home.join("web.pid").exists());
}

#[test]
fn event_streams_survive_rpm_update() {
    let home = RpmHome::new();
    counter(&home, "api");
    let web = Web::start(&home, &[]);
    let events = Stream::open(&format!("{}/api/events", web.url), &[]);
    events.wait_subscribed();
    let before = home.daemon_pid();
    home.ok(&["update"]);
    assert_eq!(home.daemon_pid(), before, "update execs in place");
    // The server subscribes again on its own time: restarts are made until one made
    // after it did reaches the stream.
    let restarting = wait_until(
        DEADLINE,
        "a restart after the update to reach the stream",
        || {
            match web.post("/api/processes/0/restart", None) {
                (200, _) => {}
                (status, body) => return Err(format!("{status}: {body}")),
            }
            let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
            while let Some(left) = until.checked_duration_since(std::time::Instant::now()) {
                let Ok(line) = events.lines.recv_timeout(left) else {
                    break;
                };
                let notice = line
                    .strip_prefix("data: ")
                    .and_then(|d| serde_json::from_str::<Value>(d).ok());
                if let Some(n) = notice.filter(|n| n["event"] == "restarting") {
                    return Ok(n);
                }
            }
            Err("no restarting notice yet".to_string())
        },
    );
    assert_eq!(restarting["reason"], "manual");
    assert!(is_web_server(web.pid));
}
