//! Start-up and hand-over of the daemon process: detaching, the single-daemon lock, the
//! pid file, the socket, the process's own settings, and the exec of `rpm update`.
//!
//! All of it runs on the main thread before the supervisor loop starts (or after it
//! ended, for the exec). `daemon::run` calls these in order.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;

use super::process::fd_limit;
use super::{DaemonError, Mode};
use crate::paths::Home;

/// Environment variable carrying the lock descriptor across an exec (`rpm update`).
const LOCK_FD_VAR: &str = "RPM_DAEMON_LOCK_FD";

/// Where a background daemon tells the CLI that started it how start-up went: `R` once
/// it listens, `L` when another daemon already held the lock.
pub(super) struct ReadyPipe(Option<File>);

impl ReadyPipe {
    pub(super) fn send(&mut self, byte: u8) {
        if let Some(mut pipe) = self.0.take() {
            let _ = pipe.write_all(&[byte]);
        }
    }
}

/// Forks into the background when asked: the parent returns `None` once the daemon
/// listens (so the CLI that started it can connect at once); the child goes on in a new
/// session with the pipe to tell it.
pub(super) fn detach(home: &Home, mode: Mode) -> Result<Option<ReadyPipe>, DaemonError> {
    if mode != Mode::Background {
        return Ok(Some(ReadyPipe(None)));
    }
    let (read, write) = nix::unistd::pipe().map_err(io::Error::from)?;
    // SAFETY: no other thread exists yet in this process, so fork is sound.
    match unsafe { nix::unistd::fork() }.map_err(io::Error::from)? {
        nix::unistd::ForkResult::Parent { .. } => {
            drop(write);
            wait_ready(read, home).map(|()| None)
        }
        nix::unistd::ForkResult::Child => {
            drop(read);
            nix::unistd::setsid().map_err(io::Error::from)?;
            Ok(Some(ReadyPipe(Some(File::from(write)))))
        }
    }
}

/// The process settings of a daemon: its open-file limit, child subreaper, its name in
/// `ps`, and malloc tuned for a small resident size. Call while it has one thread.
pub(super) fn tune_process(mode: Mode) {
    let inherited = std::env::var(fd_limit::APPS_LIMIT_VAR).ok();
    std::env::remove_var(fd_limit::APPS_LIMIT_VAR);
    fd_limit::raise(inherited.as_deref().filter(|_| mode == Mode::Reexec));
    // SAFETY: plain prctl/mallopt calls with constant arguments.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        libc::prctl(
            libc::PR_SET_NAME,
            c"rpm daemon".as_ptr() as libc::c_ulong,
            0,
            0,
            0,
        );
        // One malloc arena: the daemon's threads allocate little, and every extra arena
        // costs resident memory.
        libc::mallopt(libc::M_ARENA_MAX, 1);
        // Big buffers (the log pump's) always in their own mappings, so freeing one gives
        // its memory back at once (glibc would otherwise raise the threshold after the
        // first such free and keep later ones in the heap).
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// Parent side of the background fork: returns once the daemon listens.
fn wait_ready(read: OwnedFd, home: &Home) -> Result<(), DaemonError> {
    let mut byte = [0u8; 1];
    let mut file = File::from(read);
    match file.read(&mut byte) {
        Ok(1) => Ok(()),
        _ => Err(DaemonError::Setup(io::Error::other(format!(
            "the daemon exited during start-up; see {}",
            home.daemon_log().display()
        )))),
    }
}

/// Takes the single-daemon lock, or inherits it after `rpm update`.
pub(super) fn take_lock(home: &Home, mode: Mode) -> Result<File, DaemonError> {
    if mode == Mode::Reexec {
        if let Some(fd) = std::env::var(LOCK_FD_VAR)
            .ok()
            .and_then(|v| v.parse::<i32>().ok())
        {
            std::env::remove_var(LOCK_FD_VAR);
            // SAFETY: the previous image of this process left this descriptor open for us.
            let file = unsafe { File::from_raw_fd(fd) };
            set_cloexec(&file, true);
            return Ok(file);
        }
    }
    let path = home.lock_file();
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&path)
        .map_err(|source| DaemonError::File {
            what: "open",
            path: path.clone(),
            source,
        })?;
    // SAFETY: flock on a descriptor we own.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if locked != 0 {
        let pid = std::fs::read_to_string(home.pid_file()).unwrap_or_default();
        return Err(DaemonError::AlreadyRunning {
            pid: pid.trim().to_string(),
        });
    }
    Ok(file)
}

/// Marks every descriptor the daemon inherited (beyond stdio) close-on-exec, so whatever
/// the starting process leaked (a jobserver pipe, a terminal) never reaches an app.
pub(super) fn close_inherited_fds_on_exec() {
    // SAFETY: close_range with CLOSE_RANGE_CLOEXEC only sets flags on our descriptors.
    let done = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        )
    };
    if done == 0 {
        return;
    }
    let fds: Vec<i32> = std::fs::read_dir("/proc/self/fd")
        .map(|dir| {
            dir.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
                .filter(|fd| *fd > 2)
                .collect()
        })
        .unwrap_or_default();
    for fd in fds {
        // SAFETY: fcntl on a descriptor number; a stale one just fails with EBADF.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

fn set_cloexec(file: &File, on: bool) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        libc::fcntl(
            file.as_raw_fd(),
            libc::F_SETFD,
            if on { libc::FD_CLOEXEC } else { 0 },
        );
    }
}

pub(super) fn write_pid_file(home: &Home) -> Result<(), DaemonError> {
    let path = home.pid_file();
    crate::atomic_write::write_atomic(&path, format!("{}\n", std::process::id()).as_bytes(), 0o600)
        .map_err(|source| DaemonError::File {
            what: "write",
            path,
            source,
        })
}

/// Binds `rpm.sock`, replacing a stale one (we hold the lock, so no live daemon owns it).
pub(super) fn bind_socket(home: &Home) -> Result<UnixListener, DaemonError> {
    let path = home.socket();
    match std::fs::remove_file(&path) {
        Ok(()) => log::info!("removed a stale socket left by a dead daemon"),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(source) => {
            return Err(DaemonError::File {
                what: "remove the stale socket",
                path,
                source,
            })
        }
    }
    let listener = UnixListener::bind(&path).map_err(|source| DaemonError::File {
        what: "listen on",
        path: path.clone(),
        source,
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(|source| {
        DaemonError::File {
            what: "restrict",
            path,
            source,
        }
    })?;
    Ok(listener)
}

pub(super) fn redirect_stdio_to_null() {
    if let Ok(null) = OpenOptions::new().read(true).write(true).open("/dev/null") {
        for fd in 0..=2 {
            // SAFETY: dup2 onto the standard descriptors of this process.
            unsafe {
                libc::dup2(null.as_raw_fd(), fd);
            }
        }
    }
}

/// Execs the new binary in place of this process, keeping the lock open for it.
pub(super) fn exec_replacement(
    exe: &std::path::Path,
    home: &Home,
    lock: File,
    systemd: Option<&super::systemd_notify::SystemdNotifier>,
) -> Result<(), DaemonError> {
    set_cloexec(&lock, false);
    let fd = lock.as_raw_fd();
    let _ = std::fs::remove_file(home.socket());
    let mut command = std::process::Command::new(exe);
    command
        .arg("daemon")
        .arg("--reexec")
        .env("RPM_HOME", home.root())
        .env(LOCK_FD_VAR, fd.to_string());
    // The same process goes on under the init system: its notify socket with it.
    if let Some(systemd) = systemd {
        command.env(
            super::systemd_notify::NOTIFY_SOCKET_VAR,
            systemd.env_value(),
        );
    }
    if let Some(limit) = fd_limit::apps_limit_for_reexec() {
        command.env(fd_limit::APPS_LIMIT_VAR, limit);
    }
    let err = command.exec();
    // Only reached when exec failed. The loop has ended and the pump is drained, so this
    // daemon exits (run returns the error); the apps keep running, state.json was
    // flushed before the loop ended, and the next rpm command starts a daemon that
    // adopts them.
    log::error!(
        "cannot exec {}: {err}; this daemon exits, its apps keep running and the next daemon adopts them",
        exe.display()
    );
    set_cloexec(&lock, true);
    Err(DaemonError::Setup(err))
}
