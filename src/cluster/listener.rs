//! Binding an app's `port` (`config::Listen`) into the listening socket the daemon owns.
//!
//! The supervisor calls [`bind`] once per app and keeps the socket across crashes and
//! reloads, handing it to instances as fd 3 (`LISTEN_FDS`, name from [`fd_name`]); it
//! calls [`unbind`] when the app is deleted. This module only makes and removes sockets:
//! it does not pass them, accept on them or know the supervisor. Everything runs on the
//! caller's thread.
//!
//! A bare port listens on IPv4 and IPv6 with one dual-stack socket (`[::]:p`,
//! `IPV6_V6ONLY=0`), falling back to `0.0.0.0:p` on a machine without IPv6. A Unix
//! socket path replaces a stale socket file nobody listens on, and refuses to touch
//! anything else. Errors are sentences that name the port or path and say what to do.

use std::fs;
use std::io;
use std::net::{Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::socket::{
    self, sockopt, AddressFamily, Backlog, SockFlag, SockType, SockaddrLike, UnixAddr,
};
use thiserror::Error;

use crate::config::Listen;

/// The listen queue: nginx's and Node's default.
const BACKLOG: i32 = 511;
/// The longest socket path `sun_path` holds, without its terminating NUL.
pub const MAX_SOCKET_PATH: usize = 107;

/// Why an app's `port` cannot be listened on.
#[derive(Debug, Error)]
pub enum ListenError {
    #[error("port {port} is already in use: stop what listens there or choose another `port`")]
    PortInUse { port: u16, source: io::Error },
    #[error(
        "{addr} is already in use: stop what listens there or choose another address in `port`"
    )]
    AddrInUse { addr: SocketAddr, source: io::Error },
    #[error("port {port} needs privileges: ports below 1024 are for root (or lower net.ipv4.ip_unprivileged_port_start)")]
    Privileged { port: u16, source: io::Error },
    #[error("cannot listen on {addr}: that address is not on this machine")]
    NotLocal { addr: SocketAddr, source: io::Error },
    #[error("cannot listen on {listen}: {source}")]
    Tcp { listen: Listen, source: io::Error },
    #[error("socket path {}: must be absolute", path.display())]
    RelativePath { path: PathBuf },
    #[error("socket path {}: it is {len} bytes long, and Unix socket paths are limited to {MAX_SOCKET_PATH} bytes: choose a shorter path", path.display())]
    PathTooLong { path: PathBuf, len: usize },
    #[error("socket path {}: folder {} does not exist", path.display(), folder.display())]
    NoFolder { path: PathBuf, folder: PathBuf },
    #[error("socket path {}: {} is not a folder", path.display(), folder.display())]
    NotAFolder { path: PathBuf, folder: PathBuf },
    #[error("socket path {}: a file that is not a socket is in the way", path.display())]
    NotASocket { path: PathBuf },
    #[error("socket path {} is in use: another program listens there; stop it or choose another `port`", path.display())]
    SocketInUse { path: PathBuf },
    #[error("socket path {}: {source}", path.display())]
    Unix { path: PathBuf, source: io::Error },
}

impl ListenError {
    /// The errno name Node gives a failed listen (for the preload's `error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            ListenError::PortInUse { .. }
            | ListenError::AddrInUse { .. }
            | ListenError::SocketInUse { .. } => "EADDRINUSE",
            ListenError::Privileged { .. } => "EACCES",
            ListenError::NotLocal { .. } => "EADDRNOTAVAIL",
            _ => "EINVAL",
        }
    }
}

/// Binds `listen` for the daemon: a listening socket, close-on-exec, backlog 511.
pub fn bind(listen: &Listen) -> Result<OwnedFd, ListenError> {
    match listen {
        Listen::Port(port) => bind_port(*port),
        Listen::Addr(addr) => bind_tcp(*addr).map_err(|e| tcp_error(listen, *addr, e)),
        Listen::Path(path) => bind_unix(path),
    }
}

/// Removes a Unix socket file the daemon bound (when the app is deleted); no-op for TCP.
/// Only a socket is removed: a file someone put there since is left alone.
pub fn unbind(listen: &Listen) {
    let Listen::Path(path) = listen else {
        return;
    };
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if let Err(e) = fs::remove_file(path) {
                log::warn!("cannot remove socket {}: {e}", path.display());
            }
        }
        Ok(_) => log::warn!("not removing {}: it is no longer a socket", path.display()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => log::warn!("cannot remove socket {}: {e}", path.display()),
    }
}

/// The name for `LISTEN_FDNAMES` (systemd allows `[A-Za-z0-9_.:-]{1,255}`): the app
/// name with every other character replaced by `_`, cut to 255; `_` for an empty name.
pub fn fd_name(app: &str) -> String {
    let mut name: String = app
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(255)
        .collect();
    if name.is_empty() {
        name.push('_');
    }
    name
}

/// `[::]:port` dual stack, or `0.0.0.0:port` where the machine has no IPv6.
fn bind_port(port: u16) -> Result<OwnedFd, ListenError> {
    let any6 = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, port, 0, 0));
    let listen = Listen::Port(port);
    match bind_tcp(any6) {
        Ok(fd) => Ok(fd),
        Err(Errno::EAFNOSUPPORT | Errno::EADDRNOTAVAIL) => {
            log::debug!("no IPv6 here: port {port} listens on IPv4 only");
            let any4 = SocketAddr::V4(SocketAddrV4::new([0, 0, 0, 0].into(), port));
            bind_tcp(any4).map_err(|e| tcp_error(&listen, any4, e))
        }
        Err(e) => Err(tcp_error(&listen, any6, e)),
    }
}

/// A listening TCP socket on `addr`: `[::]` is dual stack, any other IPv6 address is
/// IPv6 only.
fn bind_tcp(addr: SocketAddr) -> Result<OwnedFd, Errno> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::Inet,
        SocketAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket::socket(family, SockType::Stream, SockFlag::SOCK_CLOEXEC, None)?;
    socket::setsockopt(&fd, sockopt::ReuseAddr, &true)?;
    if let SocketAddr::V6(v6) = addr {
        inet::set_v6only(&fd, !v6.ip().is_unspecified())?;
    }
    inet::bind(&fd, addr)?;
    listen(&fd)?;
    Ok(fd)
}

/// The two IP socket calls nix offers only behind its `net` feature, which rpm does not
/// build; plain libc, Linux's struct layouts.
mod inet {
    use std::mem::size_of;
    use std::net::SocketAddr;
    use std::os::fd::{AsRawFd, OwnedFd};

    use nix::errno::Errno;

    pub(super) fn set_v6only(fd: &OwnedFd, on: bool) -> Result<(), Errno> {
        let value = libc::c_int::from(on);
        // SAFETY: `value` is a live c_int and the length passed is its size.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                (&value as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        Errno::result(rc).map(drop)
    }

    pub(super) fn bind(fd: &OwnedFd, addr: SocketAddr) -> Result<(), Errno> {
        let rc = match addr {
            SocketAddr::V4(a) => {
                // SAFETY: sockaddr_in is plain data, valid all zeroes.
                let mut sin: libc::sockaddr_in = unsafe { std::mem::zeroed() };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr.s_addr = u32::from(*a.ip()).to_be();
                // SAFETY: `sin` is a live sockaddr_in and the length passed is its size.
                unsafe {
                    libc::bind(
                        fd.as_raw_fd(),
                        (&sin as *const libc::sockaddr_in).cast(),
                        size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    )
                }
            }
            SocketAddr::V6(a) => {
                // SAFETY: sockaddr_in6 is plain data, valid all zeroes.
                let mut sin6: libc::sockaddr_in6 = unsafe { std::mem::zeroed() };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr.s6_addr = a.ip().octets();
                sin6.sin6_scope_id = a.scope_id();
                // SAFETY: `sin6` is a live sockaddr_in6 and the length passed is its size.
                unsafe {
                    libc::bind(
                        fd.as_raw_fd(),
                        (&sin6 as *const libc::sockaddr_in6).cast(),
                        size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    )
                }
            }
        };
        Errno::result(rc).map(drop)
    }

    /// `IPV6_V6ONLY` as set on `fd`.
    #[cfg(test)]
    pub(super) fn v6only(fd: &OwnedFd) -> bool {
        let mut value: libc::c_int = -1;
        let mut len = size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `value` and `len` are live and `len` is `value`'s size.
        let rc = unsafe {
            libc::getsockopt(
                fd.as_raw_fd(),
                libc::IPPROTO_IPV6,
                libc::IPV6_V6ONLY,
                (&mut value as *mut libc::c_int).cast(),
                &mut len,
            )
        };
        assert_eq!(rc, 0, "getsockopt(IPV6_V6ONLY)");
        value == 1
    }
}

fn listen(fd: &OwnedFd) -> Result<(), Errno> {
    // musl's SOMAXCONN is 128, below which Backlog::new refuses 511.
    let backlog = Backlog::new(BACKLOG).unwrap_or(Backlog::MAXCONN);
    socket::listen(fd, backlog)
}

fn tcp_error(listen: &Listen, addr: SocketAddr, errno: Errno) -> ListenError {
    let source = io::Error::from(errno);
    match (errno, listen) {
        (Errno::EADDRINUSE, Listen::Port(port)) => ListenError::PortInUse {
            port: *port,
            source,
        },
        (Errno::EADDRINUSE, _) => ListenError::AddrInUse { addr, source },
        (Errno::EACCES, _) if addr.port() < 1024 => ListenError::Privileged {
            port: addr.port(),
            source,
        },
        (Errno::EADDRNOTAVAIL, Listen::Addr(_)) => ListenError::NotLocal { addr, source },
        _ => ListenError::Tcp {
            listen: listen.clone(),
            source,
        },
    }
}

/// A listening Unix stream socket at `path`, replacing a stale socket file.
fn bind_unix(path: &Path) -> Result<OwnedFd, ListenError> {
    let unix = |source: io::Error| ListenError::Unix {
        path: path.to_path_buf(),
        source,
    };
    if path.is_relative() {
        return Err(ListenError::RelativePath {
            path: path.to_path_buf(),
        });
    }
    let len = path.as_os_str().as_bytes().len();
    if len > MAX_SOCKET_PATH {
        return Err(ListenError::PathTooLong {
            path: path.to_path_buf(),
            len,
        });
    }
    check_folder(path)?;
    clear_stale(path)?;
    let addr = UnixAddr::new(path).map_err(|e| unix(e.into()))?;
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC,
        None,
    )
    .map_err(|e| unix(e.into()))?;
    match socket::bind(fd.as_raw_fd(), &addr as &dyn SockaddrLike) {
        Ok(()) => {}
        // Someone bound it between our check and our bind.
        Err(Errno::EADDRINUSE) => {
            return Err(ListenError::SocketInUse {
                path: path.to_path_buf(),
            })
        }
        Err(e) => return Err(unix(e.into())),
    }
    if let Err(e) = listen(&fd) {
        let _ = fs::remove_file(path);
        return Err(unix(e.into()));
    }
    Ok(fd)
}

fn check_folder(path: &Path) -> Result<(), ListenError> {
    let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty()) else {
        return Ok(());
    };
    match fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(ListenError::NotAFolder {
            path: path.to_path_buf(),
            folder: folder.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(ListenError::NoFolder {
            path: path.to_path_buf(),
            folder: folder.to_path_buf(),
        }),
        Err(source) => Err(ListenError::Unix {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Removes a socket file nobody answers on; refuses a live socket or any other file.
fn clear_stale(path: &Path) -> Result<(), ListenError> {
    let unix = |source: io::Error| ListenError::Unix {
        path: path.to_path_buf(),
        source,
    };
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(unix(e)),
    };
    if !meta.file_type().is_socket() {
        return Err(ListenError::NotASocket {
            path: path.to_path_buf(),
        });
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(ListenError::SocketInUse {
            path: path.to_path_buf(),
        }),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            log::info!("removing stale socket {}", path.display());
            fs::remove_file(path).map_err(unix)
        }
        Err(e) => Err(unix(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{Ipv4Addr, TcpListener, TcpStream};
    use std::os::unix::net::UnixListener as StdUnixListener;

    /// A port nobody listens on right now (the kernel's pick, released again).
    fn free_port() -> u16 {
        let probe = TcpListener::bind((Ipv6Addr::UNSPECIFIED, 0))
            .or_else(|_| TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)))
            .unwrap();
        probe.local_addr().unwrap().port()
    }

    /// Accepts one connection on `fd` and answers "ok", from another thread.
    fn answer_once(listener: &TcpListener) -> std::thread::JoinHandle<()> {
        let listener = listener.try_clone().unwrap();
        std::thread::spawn(move || {
            let (mut c, _) = listener.accept().unwrap();
            c.write_all(b"ok").unwrap();
        })
    }

    fn read_reply(mut c: TcpStream) -> String {
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        got
    }

    fn ipv6_loopback_works() -> bool {
        TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).is_ok()
    }

    #[test]
    fn a_port_listens_on_ipv4_and_ipv6() {
        let port = free_port();
        let listener = TcpListener::from(bind(&Listen::Port(port)).unwrap());
        let t = answer_once(&listener);
        let c = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        assert_eq!(read_reply(c), "ok");
        t.join().unwrap();
        if ipv6_loopback_works() {
            let t = answer_once(&listener);
            let c = TcpStream::connect((Ipv6Addr::LOCALHOST, port)).unwrap();
            assert_eq!(read_reply(c), "ok");
            t.join().unwrap();
        } else {
            eprintln!("skipped the ::1 half: this machine has no IPv6 loopback");
        }
    }

    #[test]
    fn a_port_in_use_is_named() {
        let held = TcpListener::bind((Ipv4Addr::UNSPECIFIED, 0)).unwrap();
        let port = held.local_addr().unwrap().port();
        let err = bind(&Listen::Port(port)).unwrap_err();
        assert!(matches!(err, ListenError::PortInUse { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "port {port} is already in use: stop what listens there or choose another `port`"
            )
        );
    }

    #[test]
    fn an_address_listens_there_only() {
        let port = free_port();
        let addr: SocketAddr = (Ipv4Addr::LOCALHOST, port).into();
        let listener = TcpListener::from(bind(&Listen::Addr(addr)).unwrap());
        assert_eq!(listener.local_addr().unwrap(), addr);
        let t = answer_once(&listener);
        assert_eq!(read_reply(TcpStream::connect(addr).unwrap()), "ok");
        t.join().unwrap();
        let err = bind(&Listen::Addr(addr)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("{addr} is already in use: stop what listens there or choose another address in `port`")
        );
    }

    #[test]
    fn an_ipv6_address_is_ipv6_only() {
        if !ipv6_loopback_works() {
            eprintln!("skipped: this machine has no IPv6 loopback");
            return;
        }
        let addr: SocketAddr = (Ipv6Addr::LOCALHOST, free_port()).into();
        let fd = bind(&Listen::Addr(addr)).unwrap();
        assert!(inet::v6only(&fd));
    }

    #[test]
    fn an_address_elsewhere_is_named() {
        // TEST-NET-1 (RFC 5737): never assigned to a machine.
        let addr: SocketAddr = "192.0.2.1:8000".parse().unwrap();
        let err = bind(&Listen::Addr(addr)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "cannot listen on 192.0.2.1:8000: that address is not on this machine"
        );
    }

    /// The errors the tests cannot provoke here (they run as root, or need other
    /// machines), from the errno the kernel would give.
    #[test]
    fn os_errors_become_sentences() {
        let v4: SocketAddr = "0.0.0.0:80".parse().unwrap();
        let rows = [
            (Listen::Port(80), Errno::EACCES, "port 80 needs privileges: ports below 1024 are for root (or lower net.ipv4.ip_unprivileged_port_start)"),
            (Listen::Addr(v4), Errno::EACCES, "port 80 needs privileges: ports below 1024 are for root (or lower net.ipv4.ip_unprivileged_port_start)"),
            (Listen::Port(80), Errno::EADDRINUSE, "port 80 is already in use: stop what listens there or choose another `port`"),
            (Listen::Addr(v4), Errno::EADDRNOTAVAIL, "cannot listen on 0.0.0.0:80: that address is not on this machine"),
            (Listen::Port(8080), Errno::ENOBUFS, "cannot listen on 8080: No buffer space available (os error 105)"),
        ];
        for (listen, errno, want) in rows {
            let err = tcp_error(&listen, v4, errno);
            assert_eq!(err.to_string(), want);
            assert!(std::error::Error::source(&err).is_some(), "{want}");
        }
    }

    #[test]
    fn sockets_are_close_on_exec() {
        let dir = tempfile::tempdir().unwrap();
        for listen in [
            Listen::Port(free_port()),
            Listen::Addr((Ipv4Addr::LOCALHOST, free_port()).into()),
            Listen::Path(dir.path().join("a.sock")),
        ] {
            let fd = bind(&listen).unwrap();
            let flags = nix::fcntl::fcntl(&fd, nix::fcntl::FcntlArg::F_GETFD).unwrap();
            assert_ne!(flags & libc::FD_CLOEXEC, 0, "{listen}");
            assert!(
                socket::getsockopt(&fd, sockopt::AcceptConn).unwrap(),
                "{listen}"
            );
        }
    }

    #[test]
    fn a_socket_path_accepts_and_unbind_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sock");
        let listen = Listen::Path(path.clone());
        let listener = StdUnixListener::from(bind(&listen).unwrap());
        let mut c = UnixStream::connect(&path).unwrap();
        let (mut s, _) = listener.accept().unwrap();
        s.write_all(b"ok").unwrap();
        drop(s);
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert_eq!(got, "ok");
        unbind(&listen);
        assert!(!path.exists());
        unbind(&listen); // already gone: quiet
    }

    #[test]
    fn a_stale_socket_file_is_replaced_and_a_live_one_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sock");
        let listen = Listen::Path(path.clone());
        let live = StdUnixListener::bind(&path).unwrap();
        let err = bind(&listen).unwrap_err();
        assert!(matches!(err, ListenError::SocketInUse { .. }), "{err:?}");
        drop(live); // the file stays, nobody listens: stale
        assert!(path.exists());
        let listener = StdUnixListener::from(bind(&listen).unwrap());
        let _c = UnixStream::connect(&path).unwrap();
        listener.accept().unwrap();
    }

    #[test]
    fn a_regular_file_in_the_way_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.sock");
        fs::write(&path, "precious").unwrap();
        let listen = Listen::Path(path.clone());
        let err = bind(&listen).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "socket path {}: a file that is not a socket is in the way",
                path.display()
            )
        );
        unbind(&listen);
        assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
    }

    #[test]
    fn a_missing_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("missing");
        let path = folder.join("app.sock");
        let err = bind(&Listen::Path(path.clone())).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "socket path {}: folder {} does not exist",
                path.display(),
                folder.display()
            )
        );
    }

    #[test]
    fn a_path_too_long_names_the_limit() {
        let path = PathBuf::from(format!("/tmp/{}.sock", "x".repeat(110)));
        let err = bind(&Listen::Path(path.clone())).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "socket path {}: it is 120 bytes long, and Unix socket paths are limited to 107 bytes: choose a shorter path",
                path.display()
            )
        );
    }

    #[test]
    fn fd_names_keep_what_systemd_allows() {
        let rows = [
            ("api", "api"),
            ("my-app_v2.0:x", "my-app_v2.0:x"),
            ("web server/1", "web_server_1"),
            ("café", "caf_"),
            ("", "_"),
        ];
        for (app, want) in rows {
            assert_eq!(fd_name(app), want, "{app:?}");
        }
        assert_eq!(fd_name(&"a".repeat(300)).len(), 255);
    }
}
