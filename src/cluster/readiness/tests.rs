//! `Readiness` against real sockets and real processes: datagrams from this process and
//! from a Python child, Node children on a channel (messages both ways, a passed
//! listening socket), and the channel's framing and limits from a plain socket.

use super::*;
use std::io::{IoSliceMut, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};

use serde_json::json;

const PATIENCE: Duration = Duration::from_secs(10);

/// A started `Readiness` whose reports land on a channel.
fn start(notify_path: &Path) -> (Readiness, Receiver<ReadinessReport>) {
    let (tx, rx) = mpsc::channel();
    let readiness = Readiness::start(
        notify_path,
        Box::new(move |report| {
            let _ = tx.send(report);
        }),
    )
    .unwrap();
    (readiness, rx)
}

/// The first report `want` accepts within `PATIENCE`; fails naming `what` and listing
/// everything else that arrived.
fn wait_for(
    rx: &Receiver<ReadinessReport>,
    what: &str,
    want: impl Fn(&ReadinessReport) -> bool,
) -> ReadinessReport {
    let deadline = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(report) if want(&report) => return report,
            Ok(report) => seen.push(report),
            Err(_) => panic!("timed out waiting for {what}; saw {seen:?}"),
        }
    }
}

fn message(key: ChannelKey, value: serde_json::Value) -> ReadinessReport {
    ReadinessReport::Message {
        key,
        message: value,
    }
}

/// A child that is killed and reaped however the test ends.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Node with `channel` as its IPC channel on fd 4, running `script`.
fn spawn_node(script: &str, channel: OwnedFd) -> ChildGuard {
    let raw = channel.as_raw_fd();
    let mut command = Command::new("node");
    command
        .arg("-e")
        .arg(script)
        .env("NODE_CHANNEL_FD", "4")
        .env("NODE_CHANNEL_SERIALIZATION_MODE", "json")
        .stdin(Stdio::null());
    // SAFETY: only dup2 and fcntl between fork and exec, both async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            // dup2 onto itself would leave close-on-exec set.
            let rc = if raw == 4 {
                libc::fcntl(4, libc::F_SETFD, 0)
            } else {
                libc::dup2(raw, 4)
            };
            if rc < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let child = command.spawn().unwrap();
    drop(channel); // the child's end now lives only in the child: its exit is EOF
    ChildGuard(child)
}

#[test]
fn a_datagram_arrives_with_the_senders_pid() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let (readiness, rx) = start(&path);
    assert_eq!(readiness.notify_socket(), path.to_str().unwrap());
    let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    UnixDatagram::unbound()
        .unwrap()
        .send_to(b"READY=1\nSTATUS=up", readiness.notify_socket())
        .unwrap();
    let got = wait_for(&rx, "READY=1 from this process", |r| {
        matches!(r, ReadinessReport::Notify { .. })
    });
    assert_eq!(
        got,
        ReadinessReport::Notify {
            pid: std::process::id() as i32,
            message: NotifyMessage {
                ready: true,
                status: Some("up".into()),
                ..NotifyMessage::default()
            },
        }
    );
    drop(readiness);
    assert!(!path.exists(), "the socket file is removed on drop");
}

#[test]
fn a_stale_notify_socket_is_replaced_and_a_regular_file_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    drop(UnixDatagram::bind(&path).unwrap()); // a killed daemon's leftover
    let (readiness, rx) = start(&path);
    UnixDatagram::unbound()
        .unwrap()
        .send_to(b"WATCHDOG=1", &path)
        .unwrap();
    wait_for(
        &rx,
        "WATCHDOG=1",
        |r| matches!(r, ReadinessReport::Notify { message, .. } if message.watchdog),
    );
    drop(readiness);

    fs::write(&path, "precious").unwrap();
    let err = Readiness::start(&path, Box::new(|_| {})).err().unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "notify socket {}: a file that is not a socket is in the way",
            path.display()
        )
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn a_path_too_long_becomes_an_abstract_socket() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("d".repeat(120));
    let path = deep.join("notify.sock");
    let (readiness, rx) = start(&path);
    let name = readiness.notify_socket().to_string();
    assert!(name.starts_with("@rpm-notify-"), "{name}");
    use std::os::linux::net::SocketAddrExt;
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(&name.as_bytes()[1..]).unwrap();
    UnixDatagram::unbound()
        .unwrap()
        .send_to_addr(b"STOPPING=1", &addr)
        .unwrap();
    let got = wait_for(&rx, "STOPPING=1", |r| {
        matches!(r, ReadinessReport::Notify { .. })
    });
    assert!(
        matches!(got, ReadinessReport::Notify { pid, message } if pid == std::process::id() as i32 && message.stopping)
    );
}

#[test]
fn a_child_process_is_reported_by_its_own_pid() {
    // `python3` may be a pyenv shim that forks the real interpreter: ask for it.
    let Ok(out) = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
    else {
        eprintln!("skipped: python3 is not installed");
        return;
    };
    let python = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let dir = tempfile::tempdir().unwrap();
    let (readiness, rx) = start(&dir.path().join("notify.sock"));
    let child = ChildGuard(
        Command::new(&python)
            .args([
                "-c",
                "import socket, sys\n\
                 socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'READY=1', sys.argv[1])",
                readiness.notify_socket(),
            ])
            .stdin(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let pid = child.0.id() as i32;
    let got = wait_for(&rx, "READY=1 from the python child", |r| {
        matches!(r, ReadinessReport::Notify { .. })
    });
    assert_eq!(
        got,
        ReadinessReport::Notify {
            pid,
            message: NotifyMessage {
                ready: true,
                ..NotifyMessage::default()
            },
        }
    );
}

#[test]
fn node_talks_on_its_channel_and_exits_on_shutdown() {
    if !installed("node") {
        eprintln!("skipped: node is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (readiness, rx) = start(&dir.path().join("notify.sock"));
    let key = 7;
    let mut child = spawn_node(
        "process.send('ready'); process.on('message', m => { \
         if (m === 'shutdown') { process.send({got: m}); process.exit(0) } })",
        readiness.open_channel(key).unwrap(),
    );
    let want = message(key, json!("ready"));
    wait_for(&rx, "'ready' from node", |r| *r == want);
    readiness.send(key, &json!("shutdown")).unwrap();
    let want = message(key, json!({"got": "shutdown"}));
    wait_for(&rx, "{got: 'shutdown'} from node", |r| *r == want);
    let want = ReadinessReport::Closed { key };
    wait_for(&rx, "the channel to close", |r| *r == want);
    // The channel closes as node exits: the wait is short.
    let status = child.0.wait().unwrap();
    assert!(status.success(), "{status}");
    let err = readiness.send(key, &json!("again")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

#[test]
fn node_listens_on_a_socket_passed_over_its_channel() {
    if !installed("node") {
        eprintln!("skipped: node is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (readiness, rx) = start(&dir.path().join("notify.sock"));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let key = 11;
    // An 'internalMessage' listener alone does not keep node alive: 'message' does.
    let _child = spawn_node(
        "process.on('message', () => {}); \
         process.on('internalMessage', (m, h) => { if (m.cmd === 'NODE_RPM_SOCKET') { \
         const s = require('net').createServer(c => c.end('hi')); \
         s.listen(h, () => process.send({listening: true})) } })",
        readiness.open_channel(key).unwrap(),
    );
    readiness
        .send_handle(
            key,
            &json!({"cmd": "NODE_RPM_SOCKET", "seq": 1}),
            listener.as_fd(),
        )
        .unwrap();
    let want = message(key, json!({"listening": true}));
    wait_for(&rx, "{listening: true} from node", |r| *r == want);
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    c.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut got = String::new();
    c.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hi");
}

#[test]
fn channel_lines_are_framed_and_bad_ones_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (readiness, rx) = start(&dir.path().join("notify.sock"));
    let key = 3;
    let mut peer = UnixStream::from(readiness.open_channel(key).unwrap());
    peer.write_all(b"\"a\"\n{\"b\"").unwrap();
    let want = message(key, json!("a"));
    wait_for(&rx, "\"a\"", |r| *r == want);
    let mut long = vec![b'"'; 70 * 1024];
    long.push(b'\n');
    peer.write_all(b":1}\nnot json\n").unwrap();
    peer.write_all(&long).unwrap();
    peer.write_all(b"2\n").unwrap();
    drop(peer);
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(wait_for(&rx, "the rest of the channel", |_| true));
    }
    assert_eq!(
        got,
        [
            message(key, json!({"b": 1})),
            message(key, json!(2)),
            ReadinessReport::Closed { key },
        ]
    );
}

#[test]
fn sends_are_node_json_lines_and_handles_ride_with_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let (readiness, _rx) = start(&dir.path().join("notify.sock"));
    let key = 5;
    let peer = UnixStream::from(readiness.open_channel(key).unwrap());
    readiness.send(key, &json!("shutdown")).unwrap();
    let (file, _) = tempfile::NamedTempFile::new().unwrap().into_parts();
    readiness
        .send_handle(
            key,
            &json!({"cmd": "NODE_RPM_SOCKET", "seq": 1}),
            file.as_fd(),
        )
        .unwrap();

    let mut data = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut data)];
    let mut control = nix::cmsg_space!([RawFd; 1]);
    let mut bytes = Vec::new();
    let mut fds = Vec::new();
    let want = "\"shutdown\"\n{\"cmd\":\"NODE_HANDLE\",\"type\":\"net.Native\",\"msg\":{\"cmd\":\"NODE_RPM_SOCKET\",\"seq\":1}}\n";
    while bytes.len() < want.len() {
        let msg = socket::recvmsg::<()>(
            peer.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::MSG_CMSG_CLOEXEC,
        )
        .unwrap();
        for cmsg in msg.cmsgs().unwrap() {
            if let socket::ControlMessageOwned::ScmRights(got) = cmsg {
                fds.extend(got);
            }
        }
        let n = msg.bytes;
        assert!(n > 0, "EOF after {:?}", String::from_utf8_lossy(&bytes));
        bytes.extend_from_slice(&iov[0][..n]);
    }
    assert_eq!(String::from_utf8(bytes).unwrap(), want);
    assert_eq!(fds.len(), 1);
    // SAFETY: the descriptor was just received and is owned by nobody else.
    let passed = unsafe { OwnedFd::from_raw_fd(fds[0]) };
    let same = |fd: &OwnedFd| {
        let st = nix::sys::stat::fstat(fd).unwrap();
        (st.st_dev, st.st_ino)
    };
    assert_eq!(same(&passed), same(&OwnedFd::from(file)));
}

#[test]
fn a_child_that_stops_reading_does_not_block_sends() {
    let dir = tempfile::tempdir().unwrap();
    let (readiness, _rx) = start(&dir.path().join("notify.sock"));
    let key = 9;
    let _peer = readiness.open_channel(key).unwrap(); // never read
    let err = (0..1_000_000)
        .find_map(|_| readiness.send(key, &json!("ping")).err())
        .expect("the socket buffer fills");
    assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "{err}");
}

#[test]
fn a_closed_channel_is_forgotten_without_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let (readiness, rx) = start(&dir.path().join("notify.sock"));
    let peer = readiness.open_channel(1).unwrap();
    readiness.close_channel(1);
    drop(peer);
    let err = readiness.send(1, &json!("x")).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
    // Channel 1's EOF was there first: had it been reported, it would come first.
    let peer = readiness.open_channel(2).unwrap();
    let again = readiness.open_channel(2).err().map(|e| e.kind());
    assert_eq!(again, Some(io::ErrorKind::AlreadyExists));
    drop(peer);
    let got = wait_for(&rx, "a report", |_| true);
    assert_eq!(got, ReadinessReport::Closed { key: 2 });
    // Key 1 reopened is a new channel, reported as usual.
    drop(readiness.open_channel(1).unwrap());
    let got = wait_for(&rx, "a report", |_| true);
    assert_eq!(got, ReadinessReport::Closed { key: 1 });
}
