//! The Node preload rpm embeds (`preload.js`) and the function that installs it.
//!
//! Node apps are started as `node --require <RPM_HOME>/rpm-preload.js app.js`; the
//! preload makes an unmodified `server.listen(PORT)` take the socket the daemon passes
//! as fd 3 (`LISTEN_FDS`, `LISTEN_PID`, `PORT`), and in cluster mode (`RPM_CLUSTER=1`
//! with a Node IPC channel) asks the daemon for a shared socket of a port the app
//! hard-codes. What it does and does not handle is written at the top of `preload.js`.
//!
//! This module only owns the file: its text, its name, and writing it ([`install`], for
//! the daemon to call before it starts Node apps, on whichever thread does that).
//! Passing fd 3 and answering the preload's requests belong to `listener` and
//! `readiness`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The preload's source, embedded in the binary.
pub const PRELOAD_JS: &str = include_str!("preload.js");

/// The file name the daemon writes it under in RPM_HOME.
pub const FILE_NAME: &str = "rpm-preload.js";

/// Node only reads the file, but the apps may run as another user than the daemon.
const MODE: u32 = 0o644;

/// Writes the preload into `dir` (atomically, mode 0644, only if missing or different),
/// returning its path.
pub fn install(dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join(FILE_NAME);
    let current = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if current.as_deref() != Some(PRELOAD_JS.as_bytes()) {
        crate::atomic_write::write_atomic(&path, PRELOAD_JS.as_bytes(), MODE)?;
    }
    // The umask may have narrowed the mode of a new file; an old one may carry any.
    if (fs::metadata(&path)?.permissions().mode() & 0o7777) != MODE {
        fs::set_permissions(&path, fs::Permissions::from_mode(MODE))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::signal::{killpg, Signal};
    use nix::sys::socket::{sendmsg, ControlMessage, MsgFlags};
    use nix::unistd::Pid;
    use serde_json::Value;
    use std::collections::HashSet;
    use std::io::{BufRead, BufReader, IoSlice, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsRawFd, RawFd};
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::os::unix::process::CommandExt;
    use std::process::{Child, Command, Stdio};
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::{Duration, Instant};

    const TIMEOUT: Duration = Duration::from_secs(10);

    /// Shared by every test app: report lines on stdout, answer HTTP with the pid.
    const PRELUDE: &str = "const http = require('http');\n\
        const net = require('net');\n\
        const report = (line) => process.stdout.write(line + '\\n');\n\
        const handler = (q, s) => s.end(String(process.pid));\n";

    // ---- harness ---------------------------------------------------------------

    /// What a pipe of the child has said so far, and whether it has closed.
    #[derive(Default)]
    struct Captured {
        text: String,
        closed: bool,
    }

    type Pipe = Arc<(Mutex<Captured>, Condvar)>;

    fn capture(mut from: impl Read + Send + 'static) -> Pipe {
        let pipe: Pipe = Arc::default();
        let sink = Arc::clone(&pipe);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = from.read(&mut buf).unwrap_or(0);
                let (lock, changed) = &*sink;
                let mut captured = lock.lock().expect("capture lock");
                if n == 0 {
                    captured.closed = true;
                } else {
                    captured.text.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
                changed.notify_all();
                if n == 0 {
                    return;
                }
            }
        });
        pipe
    }

    fn snapshot(pipe: &Pipe) -> String {
        pipe.0.lock().expect("capture lock").text.clone()
    }

    /// A node process in its own process group; Drop kills the group and reaps the child,
    /// whether or not the test got to its end.
    struct NodeChild {
        child: Child,
        stdout: Pipe,
        stderr: Pipe,
    }

    impl NodeChild {
        fn pid(&self) -> u32 {
            self.child.id()
        }

        fn report(&self) -> String {
            format!(
                "node stdout:\n{}\nnode stderr:\n{}",
                snapshot(&self.stdout),
                snapshot(&self.stderr)
            )
        }

        /// Waits for a stdout line starting with `prefix` and returns the rest of it.
        fn line(&self, prefix: &str) -> String {
            let (lock, changed) = &*self.stdout;
            let deadline = Instant::now() + TIMEOUT;
            let mut captured = lock.lock().expect("capture lock");
            loop {
                let found = captured
                    .text
                    .lines()
                    .find_map(|l| l.strip_prefix(prefix))
                    .map(|rest| rest.trim().to_string());
                if let Some(rest) = found {
                    return rest;
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if captured.closed || left.is_zero() {
                    drop(captured);
                    let why = if left.is_zero() {
                        "timed out"
                    } else {
                        "node exited"
                    };
                    panic!("waiting for `{prefix}`: {why}\n{}", self.report());
                }
                captured = changed.wait_timeout(captured, left).expect("lock").0;
            }
        }

        /// Waits until node closes its stdout, that is, exits by itself.
        fn exits_by_itself(&self) {
            let (lock, changed) = &*self.stdout;
            let captured = lock.lock().expect("capture lock");
            let (captured, waited) = changed
                .wait_timeout_while(captured, TIMEOUT, |c| !c.closed)
                .expect("lock");
            drop(captured);
            assert!(
                !waited.timed_out(),
                "node is still running after {TIMEOUT:?}\n{}",
                self.report()
            );
        }
    }

    impl Drop for NodeChild {
        fn drop(&mut self) {
            if let Ok(pid) = i32::try_from(self.child.id()) {
                let _ = killpg(Pid::from_raw(pid), Signal::SIGKILL);
            }
            let _ = self.child.wait();
        }
    }

    /// How a test starts node: the script, the fds it inherits, its environment.
    struct Launch {
        preload: PathBuf,
        script: Vec<String>,
        fds: Vec<(RawFd, RawFd)>,
        env: Vec<(String, String)>,
        own_listen_pid: bool,
    }

    impl Launch {
        /// `node --require <preload> -e <PRELUDE + body>`.
        fn eval(preload: &Path, body: &str) -> Launch {
            let code = format!("{PRELUDE}{body}");
            Launch::args(preload, vec!["-e".to_string(), code])
        }

        fn args(preload: &Path, script: Vec<String>) -> Launch {
            Launch {
                preload: preload.to_path_buf(),
                script,
                fds: Vec::new(),
                env: Vec::new(),
                own_listen_pid: false,
            }
        }

        fn env(mut self, key: &str, value: impl ToString) -> Launch {
            self.env.push((key.to_string(), value.to_string()));
            self
        }

        /// `from` becomes fd `to` in the child.
        fn fd(mut self, from: RawFd, to: RawFd) -> Launch {
            self.fds.push((from, to));
            self
        }

        /// systemd's protocol with the listener as fd 3 and LISTEN_PID the child's own,
        /// plus rpm's PORT.
        fn socket_activated(self, fd: RawFd, port_var: impl ToString) -> Launch {
            self.socket_activated_without_port(fd).env("PORT", port_var)
        }

        fn socket_activated_without_port(self, fd: RawFd) -> Launch {
            let mut launch = self
                .fd(fd, 3)
                .env("LISTEN_FDS", 1)
                .env("LISTEN_FDNAMES", "app");
            launch.own_listen_pid = true;
            launch
        }

        /// A Node IPC channel on fd 4, the way rpm gives one to cluster instances.
        fn ipc_channel(self, child_end: &UnixStream) -> Launch {
            self.fd(child_end.as_raw_fd(), 4)
                .env("NODE_CHANNEL_FD", 4)
                .env("NODE_CHANNEL_SERIALIZATION_MODE", "json")
        }

        fn spawn(self) -> NodeChild {
            let mut cmd = if self.own_listen_pid {
                // sh's pid becomes node's after exec, so $$ is the child's own pid.
                let mut sh = Command::new("/bin/sh");
                sh.args(["-c", r#"export LISTEN_PID=$$; exec "$0" "$@""#, "node"]);
                sh
            } else {
                Command::new("node")
            };
            cmd.arg("--require").arg(&self.preload).args(&self.script);
            for key in [
                "LISTEN_PID",
                "LISTEN_FDS",
                "LISTEN_FDNAMES",
                "PORT",
                "RPM_CLUSTER",
                "RPM_PRELOAD_PID",
                "NODE_CHANNEL_FD",
                "NODE_CHANNEL_SERIALIZATION_MODE",
                "NODE_OPTIONS",
                "NODE_UNIQUE_ID",
            ] {
                cmd.env_remove(key);
            }
            cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
            cmd.stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let fds = self.fds;
            // SAFETY: between fork and exec the closure only makes async-signal-safe
            // calls (setpgid, fcntl, dup2) and allocates nothing.
            unsafe {
                cmd.pre_exec(move || {
                    if libc::setpgid(0, 0) != 0 {
                        return Err(io::Error::last_os_error());
                    }
                    for &(from, to) in &fds {
                        // dup2 onto itself would keep close-on-exec set.
                        let done = if from == to {
                            libc::fcntl(from, libc::F_SETFD, 0)
                        } else {
                            libc::dup2(from, to)
                        };
                        if done < 0 {
                            return Err(io::Error::last_os_error());
                        }
                    }
                    Ok(())
                });
            }
            let mut child = cmd.spawn().expect("spawn node");
            let stdout = capture(child.stdout.take().expect("stdout is piped"));
            let stderr = capture(child.stderr.take().expect("stderr is piped"));
            NodeChild {
                child,
                stdout,
                stderr,
            }
        }
    }

    fn installed() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let preload = install(dir.path()).expect("install the preload");
        (dir, preload)
    }

    fn tcp_listener() -> (TcpListener, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        (listener, port)
    }

    /// One `GET /` with `Connection: close`; the body, or what went wrong.
    fn http_get(mut stream: impl Read + Write) -> Result<String, String> {
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            .map_err(|e| format!("write: {e}"))?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| format!("read: {e}"))?;
        match answer.split_once("\r\n\r\n") {
            Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_string()),
            _ => Err(format!("not a 200 answer: {answer:?}")),
        }
    }

    fn get_tcp(port: u16) -> Result<String, String> {
        let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("{e}"))?;
        stream
            .set_read_timeout(Some(TIMEOUT))
            .map_err(|e| format!("{e}"))?;
        http_get(stream)
    }

    /// The child answers a GET on `port` with its pid.
    fn assert_answers(child: &NodeChild, port: u16) {
        let got = get_tcp(port);
        assert_eq!(
            got,
            Ok(child.pid().to_string()),
            "GET on port {port}\n{}",
            child.report()
        );
    }

    // ---- install -----------------------------------------------------------------

    #[test]
    fn install_writes_the_preload_with_mode_0644() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = install(dir.path()).expect("install");
        assert_eq!(path, dir.path().join(FILE_NAME));
        assert_eq!(fs::read_to_string(&path).expect("read"), PRELOAD_JS);
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn install_leaves_an_identical_file_in_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = fs::metadata(install(dir.path()).expect("install")).expect("meta");
        let again = fs::metadata(install(dir.path()).expect("install")).expect("meta");
        assert_eq!(first.ino(), again.ino(), "an identical file was replaced");
    }

    #[test]
    fn install_replaces_a_different_file_and_repairs_the_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "// an older preload").expect("write");
        install(dir.path()).expect("install");
        assert_eq!(fs::read_to_string(&path).expect("read"), PRELOAD_JS);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        install(dir.path()).expect("install");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644);
    }

    // ---- fd 3 --------------------------------------------------------------------

    #[test]
    fn plain_http_listen_on_port_serves_from_the_inherited_socket() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "const srv = http.createServer(handler);\n\
            srv.on('listening', () => report('listening ' + srv.address().port));\n\
            report('chained ' + (srv.listen(process.env.PORT) === srv));";
        let child = Launch::eval(&preload, app)
            .socket_activated(listener.as_raw_fd(), port)
            .spawn();
        assert_eq!(child.line("chained "), "true", "{}", child.report());
        assert_eq!(
            child.line("listening "),
            port.to_string(),
            "{}",
            child.report()
        );
        assert_answers(&child, port);
    }

    #[test]
    fn two_instances_share_one_listener() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "http.createServer(handler).listen(process.env.PORT, () => report('listening'));";
        let spawn = || {
            Launch::eval(&preload, app)
                .socket_activated(listener.as_raw_fd(), port)
                .spawn()
        };
        let (a, b) = (spawn(), spawn());
        a.line("listening");
        b.line("listening");
        let want: HashSet<String> = [a.pid().to_string(), b.pid().to_string()].into();
        let mut seen = HashSet::new();
        let deadline = Instant::now() + TIMEOUT;
        while !want.is_subset(&seen) {
            assert!(
                Instant::now() < deadline,
                "only {seen:?} of {want:?} answered\n{}\n{}",
                a.report(),
                b.report()
            );
            seen.insert(get_tcp(port).unwrap_or_else(|e| panic!("GET: {e}\n{}", a.report())));
        }
    }

    #[test]
    fn listen_forms_with_host_backlog_or_options_call_back() {
        let (_dir, preload) = installed();
        let forms = [
            "srv.listen(process.env.PORT, '0.0.0.0', ready)",
            "srv.listen(process.env.PORT, '0.0.0.0', 64, ready)",
            "srv.listen(Number(process.env.PORT), 64, ready)",
            "srv.listen({ port: Number(process.env.PORT) }, ready)",
            "srv.listen({ port: process.env.PORT, host: 'localhost', backlog: 8 }, ready)",
        ];
        // All at once: node's start-up is most of each case's time.
        let started: Vec<_> = forms
            .iter()
            .map(|form| {
                let (listener, port) = tcp_listener();
                let app = format!(
                    "const srv = http.createServer(handler);\n\
                     const ready = () => report('listening ' + srv.address().port);\n{form};"
                );
                let child = Launch::eval(&preload, &app)
                    .socket_activated(listener.as_raw_fd(), port)
                    .spawn();
                (form, listener, port, child)
            })
            .collect();
        for (form, _listener, port, child) in &started {
            let got = child.line("listening ");
            assert_eq!(got, port.to_string(), "{form}\n{}", child.report());
            assert_answers(child, *port);
        }
    }

    #[test]
    fn express_style_listen_apply_uses_the_inherited_socket() {
        // What express's app.listen does: http.createServer(app).listen(...arguments).
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "const srv = http.createServer(handler);\n\
            srv.listen.apply(srv, [process.env.PORT, () => report('listening')]);";
        let child = Launch::eval(&preload, app)
            .socket_activated(listener.as_raw_fd(), port)
            .spawn();
        child.line("listening");
        assert_answers(&child, port);
    }

    #[test]
    fn unix_socket_path_in_port_serves_from_the_inherited_socket() {
        let (dir, preload) = installed();
        let sock = dir.path().join("app.sock");
        let listener = UnixListener::bind(&sock).expect("bind the unix socket");
        let sock_text = sock.to_str().expect("utf-8 temp path").to_string();
        let app = "const srv = http.createServer(handler);\n\
            srv.listen(process.env.PORT, () => report('listening ' + srv.address()));";
        let child = Launch::eval(&preload, app)
            .socket_activated(listener.as_raw_fd(), &sock_text)
            .spawn();
        assert_eq!(child.line("listening "), sock_text, "{}", child.report());
        let stream = UnixStream::connect(&sock).expect("connect the unix socket");
        stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
        assert_eq!(
            http_get(stream),
            Ok(child.pid().to_string()),
            "{}",
            child.report()
        );
    }

    #[test]
    fn another_port_binds_itself_and_leaves_fd_3_for_port() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "const other = http.createServer(handler);\n\
            const main = http.createServer(handler);\n\
            other.listen(0, () => {\n\
              report('other ' + other.address().port);\n\
              main.listen(process.env.PORT, () => report('main ' + main.address().port));\n\
            });";
        let child = Launch::eval(&preload, app)
            .socket_activated(listener.as_raw_fd(), port)
            .spawn();
        let other: u16 = child.line("other ").parse().expect("a port number");
        assert_ne!(other, port, "{}", child.report());
        assert_eq!(child.line("main "), port.to_string(), "{}", child.report());
        assert_answers(&child, other);
        assert_answers(&child, port);
    }

    #[test]
    fn second_server_on_port_binds_itself_once_fd_3_is_taken() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "const first = http.createServer(handler);\n\
            const second = http.createServer(handler);\n\
            second.on('error', (e) => report('second ' + e.code));\n\
            first.listen(process.env.PORT, () => second.listen(process.env.PORT));";
        let child = Launch::eval(&preload, app)
            .socket_activated(listener.as_raw_fd(), port)
            .spawn();
        assert_eq!(child.line("second "), "EADDRINUSE", "{}", child.report());
        assert_answers(&child, port);
    }

    #[test]
    fn listen_fds_without_port_serves_any_tcp_listen_from_fd_3() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "const srv = http.createServer(handler);\n\
            srv.listen(0, () => report('listening ' + srv.address().port));";
        let child = Launch::eval(&preload, app)
            .socket_activated_without_port(listener.as_raw_fd())
            .spawn();
        assert_eq!(
            child.line("listening "),
            port.to_string(),
            "{}",
            child.report()
        );
        assert_answers(&child, port);
    }

    #[test]
    fn listen_pid_of_another_process_leaves_node_untouched() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = "report('native ' + net.Server.prototype.listen.toString().includes('normalizeArgs'));\n\
            const srv = http.createServer(handler);\n\
            srv.on('error', (e) => report('error ' + e.code));\n\
            srv.listen(process.env.PORT);";
        let child = Launch::eval(&preload, app)
            .fd(listener.as_raw_fd(), 3)
            .env("LISTEN_PID", 1)
            .env("LISTEN_FDS", 1)
            .env("LISTEN_FDNAMES", "app")
            .env("PORT", port)
            .spawn();
        assert_eq!(child.line("native "), "true", "{}", child.report());
        assert_eq!(child.line("error "), "EADDRINUSE", "{}", child.report());
    }

    // ---- cluster mode: asking the daemon -------------------------------------------

    /// The daemon's end of a node instance's IPC channel.
    struct FakeDaemon {
        stream: UnixStream,
        lines: BufReader<UnixStream>,
    }

    impl FakeDaemon {
        fn new(stream: UnixStream) -> FakeDaemon {
            stream.set_read_timeout(Some(TIMEOUT)).expect("timeout");
            let lines = BufReader::new(stream.try_clone().expect("clone the channel"));
            FakeDaemon { stream, lines }
        }

        /// The next message the instance sends.
        fn next(&mut self, child: &NodeChild) -> Value {
            let mut line = String::new();
            match self.lines.read_line(&mut line) {
                Ok(n) if n > 0 => serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}\n{}", child.report())),
                other => panic!("reading the channel: {other:?}\n{}", child.report()),
            }
        }

        fn send_line(&self, line: &str) {
            (&self.stream)
                .write_all(format!("{line}\n").as_bytes())
                .expect("write the channel");
        }

        /// A NODE_HANDLE message carrying `fd`, as Node's own channel sends one.
        fn send_socket(&self, seq: u64, fd: RawFd) {
            let line = format!(
                "{{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{{\"cmd\":\"NODE_RPM_SOCKET\",\"seq\":{seq}}}}}\n"
            );
            let fds = [fd];
            sendmsg::<()>(
                self.stream.as_raw_fd(),
                &[IoSlice::new(line.as_bytes())],
                &[ControlMessage::ScmRights(&fds)],
                MsgFlags::empty(),
                None,
            )
            .expect("sendmsg with SCM_RIGHTS");
        }
    }

    /// An instance in cluster mode with a channel to a fake daemon and no LISTEN_*.
    fn cluster_instance(launch: Launch) -> (NodeChild, FakeDaemon) {
        let (ours, theirs) = UnixStream::pair().expect("socketpair");
        let child = launch.ipc_channel(&theirs).env("RPM_CLUSTER", 1).spawn();
        drop(theirs);
        (child, FakeDaemon::new(ours))
    }

    #[test]
    fn hard_coded_port_in_cluster_mode_gets_the_daemons_socket() {
        let (_dir, preload) = installed();
        let (listener, port) = tcp_listener();
        let app = format!(
            "const srv = http.createServer(handler);\n\
             report('chained ' + (srv.listen({port}, () => report('listening ' + srv.address().port)) === srv));"
        );
        let (child, mut daemon) = cluster_instance(Launch::eval(&preload, &app));
        let request = daemon.next(&child);
        assert_eq!(request["cmd"], "NODE_RPM_LISTEN", "{request}");
        assert_eq!(request["port"], port, "{request}");
        assert_eq!(request["host"], Value::Null, "{request}");
        let seq = request["seq"].as_u64().expect("a numeric seq");
        assert_eq!(child.line("chained "), "true", "{}", child.report());

        daemon.send_socket(seq, listener.as_raw_fd());
        assert_eq!(
            child.line("listening "),
            port.to_string(),
            "{}",
            child.report()
        );
        let ack = daemon.next(&child);
        assert_eq!(
            ack["cmd"], "NODE_HANDLE_ACK",
            "Node acknowledges the handle: {ack}"
        );
        assert_answers(&child, port);
    }

    #[test]
    fn daemons_refusal_reaches_the_servers_error_handler() {
        let (_dir, preload) = installed();
        let app = "const srv = http.createServer(handler);\n\
            srv.on('error', (e) => report('error ' + e.code + ' ' + e.message));\n\
            srv.listen(8000, '127.0.0.1', () => report('listening'));";
        let (child, mut daemon) = cluster_instance(Launch::eval(&preload, app));
        let request = daemon.next(&child);
        assert_eq!(request["cmd"], "NODE_RPM_LISTEN", "{request}");
        assert_eq!(request["port"], 8000, "{request}");
        assert_eq!(request["host"], "127.0.0.1", "{request}");
        let seq = request["seq"].as_u64().expect("a numeric seq");
        daemon.send_line(&format!(
            "{{\"cmd\":\"NODE_RPM_SOCKET\",\"seq\":{seq},\"error\":\"port 8000 is already in use\",\"code\":\"EADDRINUSE\"}}"
        ));
        assert_eq!(
            child.line("error "),
            "EADDRINUSE port 8000 is already in use",
            "{}",
            child.report()
        );
        // Nothing holds the channel once the answer is in: the app ends like plain Node.
        child.exits_by_itself();
    }

    #[test]
    fn channel_closing_while_waiting_falls_back_to_binding() {
        let (_dir, preload) = installed();
        // Held by the test, so the fallback's own bind reports Node's EADDRINUSE.
        let (_held, port) = tcp_listener();
        let app = format!(
            "const srv = http.createServer(handler);\n\
             srv.on('error', (e) => report('error ' + e.code + ' ' + e.message));\n\
             srv.listen({port}, '127.0.0.1');"
        );
        let (child, mut daemon) = cluster_instance(Launch::eval(&preload, &app));
        assert_eq!(daemon.next(&child)["cmd"], "NODE_RPM_LISTEN");
        drop(daemon);
        let error = child.line("error ");
        assert_eq!(
            error,
            format!("EADDRINUSE listen EADDRINUSE: address already in use 127.0.0.1:{port}"),
            "{}",
            child.report()
        );
    }

    #[test]
    fn process_forked_by_an_instance_binds_by_itself() {
        let (dir, preload) = installed();
        // Held by the test, so the forked process's own bind fails with EADDRINUSE
        // (asking the instance instead would wait forever).
        let (_held, port) = tcp_listener();
        let kid = dir.path().join("kid.js");
        let instance = dir.path().join("instance.js");
        fs::write(
            &kid,
            format!(
                "const srv = require('net').createServer();\n\
                 srv.on('error', (e) => {{ process.stdout.write('kid ' + e.code + '\\n'); process.exit(0); }});\n\
                 srv.listen({port});\n"
            ),
        )
        .expect("write kid.js");
        fs::write(
            &instance,
            "require('child_process').fork(__dirname + '/kid.js');\n",
        )
        .expect("write instance.js");
        let script = vec![instance.to_str().expect("utf-8 temp path").to_string()];
        let (child, _daemon) = cluster_instance(Launch::args(&preload, script));
        assert_eq!(child.line("kid "), "EADDRINUSE", "{}", child.report());
    }
}
