//! The supervisor's side of cluster mode: the listening sockets it holds for apps, the
//! Node IPC channels and notify socket of `cluster::readiness`, and what instances say
//! through them (ready, `STATUS=`, a Node app's request for a port's socket).
//!
//! Sockets are bound when an app is started (every one before any app is touched, so
//! a port in use refuses the request and changes nothing) and kept while the app
//! exists; a new daemon takes them back from a live instance (`pidfd_getfd`) or binds
//! them again.

use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};

use serde_json::{json, Value};

use super::super::policy::Input;
use super::super::process::spawn::{InstanceRef, LISTEN_FD};
use super::tables::{Socket, Supervisor};
use crate::cluster::listener;
use crate::cluster::readiness::{ChannelKey, ReadinessReport};
use crate::config::{AppSpec, Listen};

/// How far up from a notify message's sender to look for an instance's process
/// (interpreter wrappers such as pyenv's shims fork the real program).
const MAX_ANCESTORS: usize = 8;

impl Supervisor {
    /// The sockets `specs` need that their apps do not hold yet, bound now; the first
    /// that cannot be bound refuses them all, naming the app.
    pub(crate) fn bind_sockets(&self, specs: &[AppSpec]) -> Result<Vec<(String, Socket)>, String> {
        let mut bound = Vec::new();
        for spec in specs {
            let Some(listen) = &spec.port else {
                continue;
            };
            let held = self
                .apps
                .get(&spec.name)
                .and_then(|a| a.socket.as_ref())
                .is_some_and(|s| &s.listen == listen);
            if held {
                continue;
            }
            let fd = listener::bind(listen).map_err(|e| format!("app `{}`: {e}", spec.name))?;
            bound.push((
                spec.name.clone(),
                Socket {
                    listen: listen.clone(),
                    fd,
                },
            ));
        }
        Ok(bound)
    }

    /// Keeps `socket` for `app`, or drops the one it held when its spec has no `port`.
    pub(crate) fn install_socket(&mut self, app: &str, socket: Option<Socket>) {
        let Some(entry) = self.apps.get_mut(app) else {
            return;
        };
        match socket {
            Some(socket) => {
                if let Some(old) = entry.socket.replace(socket) {
                    listener::unbind(&old.listen);
                }
            }
            None if entry.spec.port.is_none() => {
                if let Some(old) = entry.socket.take() {
                    listener::unbind(&old.listen);
                }
            }
            None => {}
        }
    }

    /// Closes every socket the daemon holds (it is stopping), removing socket files.
    pub(crate) fn release_sockets(&mut self) {
        for app in self.apps.values_mut() {
            if let Some(socket) = app.socket.take() {
                listener::unbind(&socket.listen);
            }
            app.node_sockets.clear();
        }
    }

    /// After adoption: takes back the socket of each app with a `port` from one of its
    /// live processes (fd 3), or binds it again when none holds it.
    pub(crate) fn recover_sockets(&mut self) {
        let names: Vec<String> = self.apps.keys().cloned().collect();
        for name in names {
            let Some(app) = self.apps.get(&name) else {
                continue;
            };
            let Some(listen) = app.spec.port.clone() else {
                continue;
            };
            if app.socket.is_some() {
                continue;
            }
            let pids: Vec<i32> = app
                .ids
                .iter()
                .filter_map(|id| self.slots.get(id).and_then(|s| s.live_pid()))
                .collect();
            let fd = pids
                .iter()
                .find_map(|pid| take_socket_of(*pid))
                .map(Ok)
                .unwrap_or_else(|| listener::bind(&listen));
            match fd {
                Ok(fd) => self.install_socket(&name, Some(Socket { listen, fd })),
                Err(e) => log::warn!(
                    "{name}: cannot take back its socket ({e}): its instances keep serving, \
                     new ones cannot share it until it is restarted"
                ),
            }
        }
    }

    /// What a process of instance `id` is started with: its app's name, who it is, and
    /// a new Node IPC channel (under `key`) when it runs under Node.
    pub(crate) fn spawn_plan(
        &self,
        id: u32,
        key: ChannelKey,
    ) -> Option<(String, InstanceRef, Option<OwnedFd>)> {
        let slot = self.slots.get(&id)?;
        let app = self.apps.get(&slot.app)?;
        let channel = match &self.cluster.readiness {
            Some(readiness) if app.spec.is_node() => readiness
                .open_channel(key)
                .map_err(|e| log::warn!("{} (id {id}): no Node IPC channel: {e}", slot.app))
                .ok(),
            _ => None,
        };
        let who = InstanceRef {
            id,
            index: slot.index,
        };
        Some((slot.app.clone(), who, channel))
    }

    /// Sends PM2's `shutdown` message to process `pid`; false when it has no channel.
    pub(crate) fn send_shutdown(&mut self, pid: i32) -> bool {
        let (Some(key), Some(readiness)) = (self.channel_of(pid), &self.cluster.readiness) else {
            return false;
        };
        match readiness.send(key, &json!("shutdown")) {
            Ok(()) => true,
            Err(e) => {
                log::warn!("pid {pid}: cannot send the shutdown message ({e}): signalling it");
                false
            }
        }
    }

    /// Forgets the channel of process `pid`, which ended.
    pub(crate) fn close_channel_of(&mut self, pid: i32) {
        if let Some(key) = self.channel_of(pid) {
            self.cluster.channels.remove(&key);
            if let Some(readiness) = &self.cluster.readiness {
                readiness.close_channel(key);
            }
        }
    }

    fn channel_of(&self, pid: i32) -> Option<ChannelKey> {
        self.cluster
            .channels
            .iter()
            .find(|(_, c)| c.pid == Some(pid))
            .map(|(key, _)| *key)
    }

    /// The instance whose reload successor is process `pid`.
    pub(crate) fn id_of_successor(&self, pid: i32) -> Option<u32> {
        self.slots
            .values()
            .find(|s| s.inst.successor.as_ref().and_then(|n| n.pid) == Some(pid))
            .map(|s| s.id)
    }

    /// What an instance said through the notify socket or its channel.
    pub(crate) fn readiness_report(&mut self, report: ReadinessReport) {
        match report {
            ReadinessReport::Notify { pid, message } => {
                let Some((id, process)) = self.instance_of_sender(pid) else {
                    log::debug!("notify message from pid {pid}, which is no instance's");
                    return;
                };
                if let Some(status) = message.status {
                    if let Some(slot) = self.slots.get_mut(&id) {
                        slot.notify_status = Some(status);
                    }
                }
                if message.ready {
                    self.apply(id, Input::Ready { pid: process });
                }
            }
            ReadinessReport::Message { key, message } => {
                let Some(channel) = self.cluster.channels.get(&key) else {
                    return;
                };
                let (id, pid) = (channel.id, channel.pid);
                if message == json!("ready") {
                    if let Some(pid) = pid {
                        self.apply(id, Input::Ready { pid });
                    }
                } else if message.get("cmd").and_then(Value::as_str) == Some("NODE_RPM_LISTEN") {
                    self.node_listen(key, id, &message);
                }
            }
            ReadinessReport::Closed { key } => {
                self.cluster.channels.remove(&key);
            }
        }
    }

    /// The instance and process a notify message came from: the sender itself, or the
    /// nearest ancestor that is an instance's process (current or successor).
    fn instance_of_sender(&self, pid: i32) -> Option<(u32, i32)> {
        let mut pid = pid;
        for _ in 0..MAX_ANCESTORS {
            let found = self.slots.values().find_map(|s| {
                let successor = s.inst.successor.as_ref().and_then(|n| n.pid);
                (s.live_pid() == Some(pid) || successor == Some(pid)).then_some((s.id, pid))
            });
            if found.is_some() {
                return found;
            }
            pid = crate::proctree::stat(pid)?.ppid;
            if pid <= 1 {
                return None;
            }
        }
        None
    }

    /// A Node instance in cluster mode asks for the socket of the port it listens on:
    /// the app's `port` socket if it is that one, else one bound once for the app and
    /// shared by its instances. The answer goes back on the channel, with the socket.
    fn node_listen(&mut self, key: ChannelKey, id: u32, message: &Value) {
        let seq = message.get("seq").cloned().unwrap_or(Value::Null);
        let listen = requested_listen(message);
        let answer = |error: &str, code: &str| json!({"cmd": "NODE_RPM_SOCKET", "seq": seq, "error": error, "code": code});
        let Some(readiness) = &self.cluster.readiness else {
            return;
        };
        let Some(app) = self.slots.get(&id).and_then(|s| self.apps.get_mut(&s.app)) else {
            return;
        };
        let listen = match listen {
            Ok(listen) => listen,
            Err(e) => {
                let _ = readiness.send(key, &answer(&e, "EINVAL"));
                return;
            }
        };
        if app.socket.as_ref().is_none_or(|s| s.listen != listen)
            && !app.node_sockets.contains_key(&listen)
        {
            match listener::bind(&listen) {
                Ok(fd) => {
                    log::info!(
                        "{}: sharing port {listen} between its instances",
                        app.spec.name
                    );
                    app.node_sockets.insert(listen.clone(), fd);
                }
                Err(e) => {
                    log::warn!("{}: {e}", app.spec.name);
                    let _ = readiness.send(key, &answer(&e.to_string(), e.code()));
                    return;
                }
            }
        }
        let fd = match &app.socket {
            Some(socket) if socket.listen == listen => Some(socket.fd.as_fd()),
            _ => app.node_sockets.get(&listen).map(|fd| fd.as_fd()),
        };
        let sent = match fd {
            Some(fd) => {
                readiness.send_handle(key, &json!({"cmd": "NODE_RPM_SOCKET", "seq": seq}), fd)
            }
            None => Err(std::io::Error::other("no socket bound for it")),
        };
        if let Err(e) = sent {
            // The preload waits for an answer: an error, if not the socket.
            log::warn!(
                "{} (id {id}): cannot hand over the socket: {e}",
                app.spec.name
            );
            let _ = readiness.send(
                key,
                &answer(&format!("cannot hand over the socket: {e}"), "EIO"),
            );
        }
    }
}

/// The socket a `NODE_RPM_LISTEN` message asks for: a port, on one host if it names one.
fn requested_listen(message: &Value) -> Result<Listen, String> {
    let port = message
        .get("port")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .filter(|p| *p > 0)
        .ok_or_else(|| "the request names no port from 1 to 65535".to_string())?;
    match message.get("host").and_then(Value::as_str) {
        None | Some("") | Some("::") | Some("0.0.0.0") => Ok(Listen::Port(port)),
        Some(host) => {
            let ip: std::net::IpAddr = host
                .parse()
                .map_err(|_| format!("host `{host}` is not an IP address"))?;
            Ok(Listen::Addr(std::net::SocketAddr::new(ip, port)))
        }
    }
}

/// A duplicate of fd 3 of process `pid` if that is a listening socket (pidfd_getfd:
/// Linux 5.6+, and the right to ptrace it); `None` otherwise.
fn take_socket_of(pid: i32) -> Option<OwnedFd> {
    // SAFETY: plain system calls; every descriptor returned is checked and owned.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0);
        if pidfd < 0 {
            return None;
        }
        let pidfd = OwnedFd::from_raw_fd(pidfd as i32);
        let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), LISTEN_FD, 0);
        if fd < 0 {
            return None;
        }
        let fd = OwnedFd::from_raw_fd(fd as i32);
        let mut listening: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let rc = libc::getsockopt(
            fd.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            std::ptr::from_mut(&mut listening).cast(),
            &mut len,
        );
        (rc == 0 && listening == 1).then_some(fd)
    }
}
