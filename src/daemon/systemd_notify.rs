//! The daemon's own `sd_notify`: telling the init system that started it (systemd's
//! `Type=notify`) that it is ready (`READY=1`) and that it is stopping (`STOPPING=1`).
//!
//! The receiving side for apps is `cluster::readiness`; this is the sending side for the
//! daemon itself. `take_from_env` reads `NOTIFY_SOCKET` once, while the daemon has one
//! thread, and removes it from the environment, so no child inherits the init system's
//! socket (apps get rpm's own where rpm gives them one). Messages are single datagrams to
//! the path, or to the abstract name when it starts with `@`; a failed send is logged and
//! changes nothing else. Called from the main thread (ready) and the supervisor (stopping).

use std::ffi::OsString;
use std::io;
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;

/// The variable systemd sets for `Type=notify` services.
pub const NOTIFY_SOCKET_VAR: &str = "NOTIFY_SOCKET";

/// Where the init system listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyTarget {
    /// A socket file.
    Path(PathBuf),
    /// A Linux abstract socket (written `@name` in `NOTIFY_SOCKET`).
    Abstract(Vec<u8>),
}

impl NotifyTarget {
    /// Reads a `NOTIFY_SOCKET` value; an empty one names nothing.
    pub fn parse(value: &str) -> Option<NotifyTarget> {
        match value.strip_prefix('@') {
            Some(name) if !name.is_empty() => Some(NotifyTarget::Abstract(name.as_bytes().into())),
            Some(_) => None,
            None if value.is_empty() => None,
            None => Some(NotifyTarget::Path(PathBuf::from(value))),
        }
    }
}

/// A handle on the init system's notify socket.
#[derive(Debug, Clone)]
pub struct SystemdNotifier {
    target: NotifyTarget,
    /// `NOTIFY_SOCKET` as it was, for the image that replaces this one (`rpm update`).
    value: OsString,
}

impl SystemdNotifier {
    /// Takes `NOTIFY_SOCKET` out of the process environment and returns a notifier for
    /// it, if it named a socket. Call while the process has one thread.
    pub fn take_from_env() -> Option<SystemdNotifier> {
        let value = std::env::var_os(NOTIFY_SOCKET_VAR)?;
        std::env::remove_var(NOTIFY_SOCKET_VAR);
        let target = value.to_str().and_then(NotifyTarget::parse);
        if target.is_none() {
            log::warn!("{NOTIFY_SOCKET_VAR}={value:?} names no socket: the init system is not told when the daemon is ready");
        }
        target.map(|target| SystemdNotifier { target, value })
    }

    /// `NOTIFY_SOCKET` as the daemon received it.
    pub fn env_value(&self) -> &OsString {
        &self.value
    }

    /// Sends `READY=1`: the daemon listens and its apps are being brought back.
    pub fn ready(&self) {
        self.send("READY=1\nSTATUS=supervising\n");
    }

    /// Sends `STOPPING=1`: the daemon has begun stopping every app.
    pub fn stopping(&self) {
        self.send("STOPPING=1\nSTATUS=stopping every app\n");
    }

    fn send(&self, message: &str) {
        if let Err(e) = self.try_send(message.as_bytes()) {
            log::warn!(
                "cannot tell the init system `{}` through {:?}: {e}",
                message.lines().next().unwrap_or_default(),
                self.target
            );
        }
    }

    fn try_send(&self, message: &[u8]) -> io::Result<()> {
        let socket = UnixDatagram::unbound()?;
        match &self.target {
            NotifyTarget::Path(path) => socket.send_to(message, path)?,
            NotifyTarget::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                socket.send_to_addr(message, &addr)?
            }
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_socket_values_name_a_path_or_an_abstract_socket() {
        let rows: &[(&str, Option<NotifyTarget>)] = &[
            (
                "/run/systemd/notify",
                Some(NotifyTarget::Path("/run/systemd/notify".into())),
            ),
            (
                "@/org/systemd/notify",
                Some(NotifyTarget::Abstract(b"/org/systemd/notify".to_vec())),
            ),
            ("@", None),
            ("", None),
        ];
        for (value, want) in rows {
            assert_eq!(&NotifyTarget::parse(value), want, "{value:?}");
        }
    }

    #[test]
    fn ready_and_stopping_arrive_as_datagrams_on_a_path_and_an_abstract_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("notify");
        let by_path = UnixDatagram::bind(&path).expect("bind");
        let name = format!("rpm-test-notify-{}", std::process::id());
        let addr = {
            use std::os::linux::net::SocketAddrExt;
            std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("name")
        };
        let by_name = UnixDatagram::bind_addr(&addr).expect("bind abstract");
        let rows = [
            (NotifyTarget::Path(path.clone()), &by_path),
            (NotifyTarget::Abstract(name.into_bytes()), &by_name),
        ];
        for (target, socket) in rows {
            let notifier = SystemdNotifier {
                target,
                value: OsString::new(),
            };
            notifier.ready();
            notifier.stopping();
            let mut buf = [0u8; 256];
            let n = socket.recv(&mut buf).expect("ready datagram");
            assert_eq!(&buf[..n], b"READY=1\nSTATUS=supervising\n");
            let n = socket.recv(&mut buf).expect("stopping datagram");
            assert_eq!(&buf[..n], b"STOPPING=1\nSTATUS=stopping every app\n");
        }
    }
}
