//! systemd's notify protocol, the daemon's side: the `NOTIFY_SOCKET` datagram socket,
//! reading one datagram with the sender's pid from the kernel, and parsing
//! `sd_notify(3)`'s `KEY=VALUE` lines.
//!
//! `bind` runs on the thread calling `Readiness::start`; `drain` on the reader thread.
//! What a message means for an instance is the supervisor's business, not this file's.

use std::fs;
use std::io;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::socket::{
    self, sockopt, AddressFamily, ControlMessageOwned, MsgFlags, SockFlag, SockType, UnixAddr,
    UnixCredentials,
};

/// The longest path `sun_path` holds, without its terminating NUL.
const MAX_PATH: usize = 107;
/// systemd's own limit on a notify datagram (`NOTIFY_BUFFER_MAX`, one page).
const MAX_DATAGRAM: usize = 4096;
/// The most descriptors one `SCM_RIGHTS` message carries (the kernel's `SCM_MAX_FD`).
const MAX_FDS: usize = 253;

/// What one `sd_notify(3)` datagram said. Unknown keys are ignored.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotifyMessage {
    /// `READY=1`: startup finished.
    pub ready: bool,
    /// `STOPPING=1`: the service is shutting down.
    pub stopping: bool,
    /// `RELOADING=1`: the service is reloading its configuration.
    pub reloading: bool,
    /// `WATCHDOG=1`: the keep-alive ping.
    pub watchdog: bool,
    /// `STATUS=…`: a free-form status line (the last one, if several).
    pub status: Option<String>,
    /// `MAINPID=…`: the service's main process, when it is not the sender.
    pub main_pid: Option<i32>,
}

/// Parses an `sd_notify` datagram: newline-separated `KEY=VALUE` assignments.
pub fn parse_notify(datagram: &[u8]) -> NotifyMessage {
    let text = String::from_utf8_lossy(datagram);
    let mut message = NotifyMessage::default();
    for line in text.split('\n') {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "READY" => message.ready |= value == "1",
            "STOPPING" => message.stopping |= value == "1",
            "RELOADING" => message.reloading |= value == "1",
            "WATCHDOG" => message.watchdog |= value == "1",
            "STATUS" => message.status = Some(value.to_string()),
            "MAINPID" => {
                if let Some(pid) = value.parse::<i32>().ok().filter(|p| *p > 0) {
                    message.main_pid = Some(pid);
                }
            }
            _ => {}
        }
    }
    message
}

/// The bound notify socket and how children reach it.
pub(super) struct NotifySocket {
    pub(super) fd: OwnedFd,
    /// `NOTIFY_SOCKET`'s value: the path, or `@name` for an abstract socket.
    pub(super) env: String,
    /// The socket file to remove at the end; `None` for an abstract socket.
    pub(super) file: Option<PathBuf>,
}

/// Binds the notify socket at `path` (non-blocking, close-on-exec, `SO_PASSCRED`),
/// or at an abstract name derived from it when the path cannot be a socket address
/// (too long for `sun_path`, or not UTF-8 and so not expressible as `NOTIFY_SOCKET`).
pub(super) fn bind(path: &Path) -> io::Result<NotifySocket> {
    let context =
        |e: io::Error| io::Error::new(e.kind(), format!("notify socket {}: {e}", path.display()));
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )
    .map_err(|e| context(e.into()))?;
    socket::setsockopt(&fd, sockopt::PassCred, &true).map_err(|e| context(e.into()))?;
    let as_path = path
        .to_str()
        .filter(|p| p.len() <= MAX_PATH)
        .map(str::to_string);
    let Some(env) = as_path else {
        let name = abstract_name(path);
        let addr = UnixAddr::new_abstract(name.as_bytes()).map_err(|e| context(e.into()))?;
        socket::bind(fd.as_raw_fd(), &addr).map_err(|e| context(e.into()))?;
        log::debug!(
            "notify socket {} is too long for a socket path: using @{name}",
            path.display()
        );
        return Ok(NotifySocket {
            fd,
            env: format!("@{name}"),
            file: None,
        });
    };
    remove_stale(path).map_err(context)?;
    let addr = UnixAddr::new(path).map_err(|e| context(e.into()))?;
    socket::bind(fd.as_raw_fd(), &addr).map_err(|e| context(e.into()))?;
    // Like every file in RPM_HOME, writable by the daemon's user only (DESIGN 1.5):
    // instances running as another user (`uid`) cannot use sd_notify.
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(context)?;
    Ok(NotifySocket {
        fd,
        env,
        file: Some(path.to_path_buf()),
    })
}

/// A socket file left by an earlier daemon is removed; any other file is an error.
fn remove_stale(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "a file that is not a socket is in the way",
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// `rpm-notify-<FNV-1a of the path>`: stable for a path, so a restarted daemon gets
/// the same name.
fn abstract_name(path: &Path) -> String {
    let hash = crate::fnv::hash(path.as_os_str().as_bytes());
    format!("rpm-notify-{hash:016x}")
}

/// Reusable receive buffers, owned by the reader thread.
pub(super) struct Receiver {
    data: Vec<u8>,
    control: Vec<u8>,
}

impl Receiver {
    pub(super) fn new() -> Receiver {
        Receiver {
            data: vec![0; MAX_DATAGRAM],
            control: nix::cmsg_space!(UnixCredentials, [RawFd; MAX_FDS]),
        }
    }

    /// Reads every datagram waiting on `fd` and reports each with its sender's pid.
    pub(super) fn drain(&mut self, fd: &OwnedFd, report: &dyn Fn(i32, NotifyMessage)) {
        loop {
            match self.receive(fd) {
                Ok(Some((pid, message))) => report(pid, message),
                Ok(None) => {}
                Err(Errno::EAGAIN) => return,
                Err(Errno::EINTR) => {}
                Err(e) => {
                    log::warn!("notify socket: cannot read: {e}");
                    return;
                }
            }
        }
    }

    /// One datagram; `None` for one that is skipped (truncated, or without credentials).
    fn receive(&mut self, fd: &OwnedFd) -> Result<Option<(i32, NotifyMessage)>, Errno> {
        let mut iov = [IoSliceMut::new(&mut self.data)];
        let msg = socket::recvmsg::<()>(
            fd.as_raw_fd(),
            &mut iov,
            Some(&mut self.control),
            MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC,
        )?;
        let mut pid = None;
        match msg.cmsgs() {
            Ok(cmsgs) => {
                for cmsg in cmsgs {
                    match cmsg {
                        ControlMessageOwned::ScmCredentials(creds) => pid = Some(creds.pid()),
                        // FDSTORE=1 and the like: rpm keeps no descriptors for apps.
                        ControlMessageOwned::ScmRights(fds) => close_all(&fds),
                        _ => {}
                    }
                }
            }
            Err(e) => log::warn!("notify socket: control data lost: {e}"),
        }
        let bytes = msg.bytes;
        let truncated = msg.flags.contains(MsgFlags::MSG_TRUNC);
        if truncated {
            log::warn!("notify socket: ignoring a datagram longer than {MAX_DATAGRAM} bytes");
            return Ok(None);
        }
        let Some(pid) = pid.filter(|p| *p > 0) else {
            log::debug!("notify socket: ignoring a datagram without the sender's pid");
            return Ok(None);
        };
        Ok(Some((pid, parse_notify(&self.data[..bytes]))))
    }
}

fn close_all(fds: &[RawFd]) {
    for &fd in fds {
        // SAFETY: the kernel just installed these descriptors in this process for this
        // message; nothing else knows them, so this is their only owner.
        drop(unsafe { OwnedFd::from_raw_fd(fd) });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_datagrams_are_parsed() {
        let ready = NotifyMessage {
            ready: true,
            ..NotifyMessage::default()
        };
        let rows: &[(&[u8], NotifyMessage)] = &[
            (b"READY=1", ready.clone()),
            (b"READY=1\n", ready.clone()),
            (b"READY=0", NotifyMessage::default()),
            (
                b"READY=1\nSTATUS=Listening on 8000\nMAINPID=4242",
                NotifyMessage {
                    ready: true,
                    status: Some("Listening on 8000".into()),
                    main_pid: Some(4242),
                    ..NotifyMessage::default()
                },
            ),
            (
                b"STOPPING=1",
                NotifyMessage {
                    stopping: true,
                    ..NotifyMessage::default()
                },
            ),
            (
                b"RELOADING=1\nMONOTONIC_USEC=123",
                NotifyMessage {
                    reloading: true,
                    ..NotifyMessage::default()
                },
            ),
            (
                b"WATCHDOG=1",
                NotifyMessage {
                    watchdog: true,
                    ..NotifyMessage::default()
                },
            ),
            (
                b"STATUS=a=b\nSTATUS=second",
                NotifyMessage {
                    status: Some("second".into()),
                    ..NotifyMessage::default()
                },
            ),
            (
                b"STATUS=",
                NotifyMessage {
                    status: Some(String::new()),
                    ..NotifyMessage::default()
                },
            ),
            (
                b"MAINPID=0\nMAINPID=-3\nMAINPID=x",
                NotifyMessage::default(),
            ),
            (
                b"FDSTORE=1\nERRNO=2\nBUSERROR=x\nnonsense\n\n",
                NotifyMessage::default(),
            ),
            (b"", NotifyMessage::default()),
            (b"ready=1", NotifyMessage::default()),
        ];
        for (datagram, want) in rows {
            assert_eq!(
                &parse_notify(datagram),
                want,
                "{:?}",
                String::from_utf8_lossy(datagram)
            );
        }
    }

    #[test]
    fn abstract_names_are_stable_per_path() {
        let a = abstract_name(Path::new("/a/notify.sock"));
        assert_eq!(a, abstract_name(Path::new("/a/notify.sock")));
        assert_ne!(a, abstract_name(Path::new("/b/notify.sock")));
        assert!(a.starts_with("rpm-notify-") && a.len() == "rpm-notify-".len() + 16);
    }
}
