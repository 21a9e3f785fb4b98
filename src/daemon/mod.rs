//! The supervisor daemon: start-up, the single-daemon lock, threads, and planned exits.
//!
//! `rpm daemon` forks into the background (its parent returns once the daemon listens, so
//! the CLI that started it can connect at once), takes `RPM_HOME/daemon.lock` (two racing
//! starts end with exactly one daemon; a live one is never displaced), becomes a child
//! subreaper, binds `rpm.sock` (0600), adopts what `state.json` lists, and runs the
//! supervisor loop on its main thread. Threads: signals (reaping), pidfds (adopted apps),
//! log pump, state writer, IPC accept + one per client. `rpm update` ends the loop with
//! an exec of the new binary in place: same pid, so the apps stay our children.

pub(crate) mod adopt;
pub(crate) mod event;
pub(crate) mod fd_limit;
pub(crate) mod handlers;
pub(crate) mod info;
pub(crate) mod outputs;
pub mod persist;
pub(crate) mod pidfd;
pub mod policy;
pub mod proctree;
pub(crate) mod signals;
pub mod spawn;
pub(crate) mod stopping;
pub(crate) mod supervisor;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use thiserror::Error;

use crate::paths::{Home, HomeError};
use supervisor::{Exit, Supervisor};

/// Environment variable carrying the lock descriptor across an exec (`rpm update`).
const LOCK_FD_VAR: &str = "RPM_DAEMON_LOCK_FD";

/// Why the daemon could not start.
#[derive(Debug, Error)]
pub enum DaemonError {
    #[error(transparent)]
    Home(#[from] HomeError),
    #[error("another rpm daemon already runs for this RPM_HOME (pid {pid})")]
    AlreadyRunning { pid: String },
    #[error("cannot {what} {}: {source}", path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot start the daemon: {0}")]
    Setup(#[from] io::Error),
}

/// How `rpm daemon` was asked to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Fork into the background; the parent returns once the daemon listens.
    Background,
    /// Stay in the foreground (for init systems and debugging).
    Foreground,
    /// Re-executed by `rpm update`: already detached, lock inherited.
    Reexec,
}

/// Runs the daemon until a planned stop.
pub fn run(home: Home, mode: Mode) -> Result<(), DaemonError> {
    close_inherited_fds_on_exec();
    home.ensure()?;
    let mut ready_pipe = None;
    if mode == Mode::Background {
        let (read, write) = nix::unistd::pipe().map_err(io::Error::from)?;
        // SAFETY: no other thread exists yet in this process, so fork is sound.
        match unsafe { nix::unistd::fork() }.map_err(io::Error::from)? {
            nix::unistd::ForkResult::Parent { .. } => {
                drop(write);
                return wait_ready(read, &home);
            }
            nix::unistd::ForkResult::Child => {
                drop(read);
                nix::unistd::setsid().map_err(io::Error::from)?;
                ready_pipe = Some(File::from(write));
            }
        }
    }
    let lock = match take_lock(&home, mode) {
        Ok(lock) => lock,
        Err(DaemonError::AlreadyRunning { .. }) if mode == Mode::Background => {
            // Another CLI started a daemon first: that one serves everybody.
            if let Some(mut pipe) = ready_pipe {
                let _ = pipe.write_all(b"L");
            }
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    init_logging(&home, mode)?;
    // A bug must leave a trace: stderr is /dev/null, so panics go to daemon.log.
    std::panic::set_hook(Box::new(|info| log::error!("daemon panicked: {info}")));
    if mode != Mode::Foreground {
        redirect_stdio_to_null();
    }
    // Still one thread: the environment can change safely.
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
    write_pid_file(&home)?;
    let listener = bind_socket(&home)?;

    let (events_tx, events_rx) = mpsc::channel();
    signals::spawn(events_tx.clone())?;
    let log_events = events_tx.clone();
    let pump = crate::logs::pump::Pump::spawn(move |report| {
        let _ = log_events.send(event::Event::Log(report));
    })?;
    let pids = pidfd::PidWatcher::spawn(events_tx.clone())?;
    let persister = persist::Persister::spawn(home.state_file(), events_tx.clone())?;
    let mut sup = Supervisor::new(home.clone(), pump.clone(), pids, persister);
    if let Some(saved) = persist::load(&home.state_file()) {
        sup.adopt(saved);
    }
    let in_flight = crate::ipc::server::serve(listener, events_tx)?;
    log::info!(
        "daemon {} listening (pid {})",
        crate::ipc::protocol::VERSION,
        std::process::id()
    );
    if let Some(mut pipe) = ready_pipe {
        let _ = pipe.write_all(b"R");
    }

    let exit = sup.run(events_rx);
    in_flight.drain(Duration::from_secs(2));
    match exit {
        Exit::Quit => {
            pump.shutdown(Duration::from_secs(5));
            let _ = std::fs::remove_file(home.socket());
            let _ = std::fs::remove_file(home.pid_file());
            log::info!("daemon stopped");
            drop(lock);
            Ok(())
        }
        Exit::Exec(exe) => {
            pump.shutdown(Duration::from_secs(5));
            log::info!("replacing the daemon with {}", exe.display());
            exec_replacement(&exe, &home, lock)
        }
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
fn take_lock(home: &Home, mode: Mode) -> Result<File, DaemonError> {
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
fn close_inherited_fds_on_exec() {
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

fn write_pid_file(home: &Home) -> Result<(), DaemonError> {
    let path = home.pid_file();
    crate::atomic_write::write_atomic(&path, format!("{}\n", std::process::id()).as_bytes(), 0o600)
        .map_err(|source| DaemonError::File {
            what: "write",
            path,
            source,
        })
}

/// Binds `rpm.sock`, replacing a stale one (we hold the lock, so no live daemon owns it).
fn bind_socket(home: &Home) -> Result<UnixListener, DaemonError> {
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

/// `daemon.log` is rotated like app logs: 10 MB per file (`RPM_DAEMON_LOG_MAX_SIZE`, in
/// the daemon's environment, sets another size), 5 files kept.
const DAEMON_LOG_ROTATION: crate::logs::Rotation = crate::logs::Rotation {
    max_size: Some(10 * 1024 * 1024),
    retain: Some(5),
    compress: false,
};

/// Names the size at which `daemon.log` rotates.
const DAEMON_LOG_SIZE_VAR: &str = "RPM_DAEMON_LOG_MAX_SIZE";

/// The rotation of `daemon.log`, and a problem with `RPM_DAEMON_LOG_MAX_SIZE` to log once
/// logging works.
fn daemon_log_rotation() -> (crate::logs::Rotation, Option<String>) {
    let mut rotation = DAEMON_LOG_ROTATION;
    let Some(value) = std::env::var_os(DAEMON_LOG_SIZE_VAR) else {
        return (rotation, None);
    };
    let size = value
        .to_str()
        .ok_or_else(|| format!("{value:?} is not text"))
        .and_then(crate::config::units::parse_size)
        .and_then(|size| match size {
            0 => Err("0 is not a size".to_string()),
            size => Ok(size),
        });
    match size {
        Ok(size) => {
            rotation.max_size = Some(size);
            (rotation, None)
        }
        Err(e) => (
            rotation,
            Some(format!("{DAEMON_LOG_SIZE_VAR}: {e}; using 10M")),
        ),
    }
}

/// Hands env_logger's records (one whole line per write) to a rotating `LogFile`.
struct DaemonLog(crate::logs::LogFile);

impl Write for DaemonLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn init_logging(home: &Home, mode: Mode) -> Result<(), DaemonError> {
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&std::env::var("RPM_LOG").unwrap_or_else(|_| "info".into()));
    builder.format_timestamp_millis();
    let (rotation, problem) = daemon_log_rotation();
    if mode != Mode::Foreground {
        let path = home.daemon_log();
        let file = crate::logs::LogFile::open(&path, rotation).map_err(|e| DaemonError::File {
            what: "open",
            path,
            source: io::Error::other(e),
        })?;
        builder.target(env_logger::Target::Pipe(Box::new(DaemonLog(file))));
    }
    let _ = builder.try_init();
    if let Some(problem) = problem {
        log::warn!("{problem}");
    }
    Ok(())
}

fn redirect_stdio_to_null() {
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
fn exec_replacement(exe: &std::path::Path, home: &Home, lock: File) -> Result<(), DaemonError> {
    set_cloexec(&lock, false);
    let fd = lock.as_raw_fd();
    let _ = std::fs::remove_file(home.socket());
    let mut command = std::process::Command::new(exe);
    command
        .arg("daemon")
        .arg("--reexec")
        .env("RPM_HOME", home.root())
        .env(LOCK_FD_VAR, fd.to_string());
    if let Some(limit) = fd_limit::apps_limit_for_reexec() {
        command.env(fd_limit::APPS_LIMIT_VAR, limit);
    }
    let err = command.exec();
    // Only reached when exec failed: keep serving with the old binary.
    log::error!(
        "cannot exec {}: {err}; this daemon keeps running",
        exe.display()
    );
    set_cloexec(&lock, true);
    Err(DaemonError::Setup(err))
}
