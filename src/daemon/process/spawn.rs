//! Starting one instance's process: command line, environment, process group, output FIFOs.
//!
//! Runs on the supervisor thread. Each instance's stdout and stderr are FIFOs in
//! `RPM_HOME/pipes`, opened by the child read-write: the child is then always a reader of
//! its own pipe, so it never gets SIGPIPE or EPIPE, even while no daemon runs; its output
//! waits in the pipe (back-pressure when full) until a daemon reopens the FIFO by path and
//! drains it.
//!
//! Processes start with posix_spawn(3), called directly: glibc runs it as a vfork-like
//! clone that shares the daemon's memory until the exec, the short crash-to-restart
//! path. (std's `Command` also uses posix_spawn, but only when it can find glibc's
//! version at run time, which a statically linked rpm cannot: it would fork.) Nothing of
//! ours runs in the child: posix_spawn sets the process group, resets the signal mask
//! and SIGPIPE (which Rust ignores), opens stdin on /dev/null, puts the output FIFOs on
//! 1 and 2 and changes directory; every other descriptor is close-on-exec.

use std::ffi::{CString, OsStr};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use nix::fcntl::OFlag;
use nix::spawn::{PosixSpawnAttr, PosixSpawnFileActions, PosixSpawnFlags};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::stat::Mode;
use nix::unistd::Pid;

use thiserror::Error;

use crate::config::AppSpec;
use crate::paths::Home;

/// Held while a process is being spawned; see `spawn_instance` and the reaper.
pub static SPAWN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Size asked for each output pipe: room for output while a daemon is replaced, and
/// fewer wake-ups under heavy logging (1 MiB pipes log ~10% faster than 256 KiB here).
/// An unprivileged user's pipe buffers count against `fs.pipe-user-pages-soft` (64 MiB
/// by default, shared with every program of that user), so only root gets 1 MiB.
fn pipe_size() -> libc::c_int {
    if nix::unistd::geteuid().is_root() {
        1024 * 1024
    } else {
        256 * 1024
    }
}

/// Why a process could not be started.
#[derive(Debug, Error)]
pub enum SpawnError {
    #[error("cannot create the output pipe {}: {source}{}", path.display(), fd_hint(source))]
    Pipe { path: PathBuf, source: io::Error },
    #[error("cannot run {}: {source}{}", program.display(), fd_hint(source))]
    Exec { program: PathBuf, source: io::Error },
}

/// What to do when the daemon is out of descriptors.
fn fd_hint(source: &io::Error) -> &'static str {
    match source.raw_os_error() {
        Some(libc::EMFILE) => {
            " (the daemon is at its open-file limit: start it under a higher hard limit, \
             `ulimit -Hn` or LimitNOFILE= in its unit)"
        }
        Some(libc::ENFILE) => " (the system's open-file table is full: fs.file-max)",
        _ => "",
    }
}

/// The descriptor a shared listening socket has in the child (systemd's SD_LISTEN_FDS_START).
pub const LISTEN_FD: RawFd = 3;
/// The descriptor of a Node instance's IPC channel in the child.
pub const CHANNEL_FD: RawFd = 4;

/// Sets LISTEN_PID to the pid of the program it then execs (`$$` is the shell's pid,
/// which the program keeps): posix_spawn fixes the environment before the pid is known.
const WITH_LISTEN_PID: &str = "export LISTEN_PID=$$; exec \"$0\" \"$@\"";

/// What a process receives beyond its spec (DESIGN 1.4): the shared listening socket
/// and its LISTEN_FDNAMES name, its Node IPC channel (the child's end), the readiness
/// socket's address and the Node preload.
#[derive(Default)]
pub struct Extras<'a> {
    pub listen: Option<(BorrowedFd<'a>, &'a str)>,
    pub channel: Option<OwnedFd>,
    pub notify_socket: Option<&'a str>,
    pub preload: Option<&'a Path>,
}

/// Who an instance is, for its environment.
#[derive(Debug, Clone, Copy)]
pub struct InstanceRef {
    pub id: u32,
    pub index: u32,
}

/// Creates the instance's FIFO for `stream` (`out` / `err`) if missing.
pub fn ensure_fifo(path: &Path) -> Result<(), SpawnError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_fifo() => return Ok(()),
        Ok(_) => {
            // Something else sits at the FIFO's path (never ours): replace it.
            std::fs::remove_file(path).map_err(|source| SpawnError::Pipe {
                path: path.to_path_buf(),
                source,
            })?;
        }
        Err(_) => {}
    }
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::from_bits_truncate(0o600)).map_err(|e| {
        SpawnError::Pipe {
            path: path.to_path_buf(),
            source: io::Error::from(e),
        }
    })
}

/// Opens a FIFO read-write and non-blocking: the daemon's end, which never sees EOF.
pub fn open_fifo_reader(path: &Path) -> Result<File, SpawnError> {
    ensure_fifo(path)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| SpawnError::Pipe {
            path: path.to_path_buf(),
            source,
        })?;
    grow_pipe(&file);
    Ok(file)
}

/// Asks for a larger pipe buffer; the kernel may refuse (user limits), which is harmless.
fn grow_pipe(file: &File) {
    use std::os::fd::AsRawFd;
    // SAFETY: F_SETPIPE_SZ on a descriptor we own; failure only leaves the default size.
    unsafe {
        libc::fcntl(file.as_raw_fd(), libc::F_SETPIPE_SZ, pipe_size());
    }
}

/// The child's end of a FIFO: read-write, so the child is a reader of its own output.
fn open_fifo_writer(path: &Path) -> Result<File, SpawnError> {
    ensure_fifo(path)?;
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| SpawnError::Pipe {
            path: path.to_path_buf(),
            source,
        })
}

/// Sets `key` in `env`, replacing an earlier value.
fn set_var(env: &mut Vec<(String, String)>, key: &str, value: String) {
    env.retain(|(k, _)| k != key);
    env.push((key.to_string(), value));
}

/// The environment a child receives (DESIGN 1.4): its spec's, then rpm's variables.
pub fn child_env(spec: &AppSpec, who: InstanceRef, home: &Home) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = spec
        .env
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut set = |key: &str, value: String| set_var(&mut env, key, value);
    if let Some(var) = &spec.increment_var {
        let base = spec
            .env
            .get(var)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .unwrap_or(0);
        set(var, (base + i64::from(who.index)).to_string());
    }
    // RPM_HOME with RPM_ID marks the process as this daemon's instance, so a daemon
    // that starts after a crash finds processes its predecessor had no time to record.
    set("RPM_HOME", home.root().to_string_lossy().into_owned());
    set("RPM_ID", who.id.to_string());
    set("RPM_NAME", spec.name.clone());
    set("RPM_INSTANCE", who.index.to_string());
    set("pm_id", who.id.to_string());
    set("name", spec.name.clone());
    set(&spec.instance_var, who.index.to_string());
    env
}

/// Starts one process of `spec`; returns its pid (also its process group id).
pub fn spawn_instance(
    home: &Home,
    spec: &AppSpec,
    who: InstanceRef,
    extras: Extras<'_>,
) -> Result<i32, SpawnError> {
    let stdout = open_fifo_writer(&home.pipe(who.id, "out"))?;
    let stderr = open_fifo_writer(&home.pipe(who.id, "err"))?;
    let preload: Vec<String> = match extras.preload {
        Some(path) if spec.is_node() => {
            vec!["--require".into(), path.to_string_lossy().into_owned()]
        }
        _ => Vec::new(),
    };
    let (mut program, mut args): (PathBuf, Vec<String>) = match &spec.interpreter {
        Some(interpreter) => {
            let mut args = preload;
            args.extend(spec.interpreter_args.iter().cloned());
            args.push(spec.script.to_string_lossy().into_owned());
            (interpreter.clone(), args)
        }
        None => (spec.script.clone(), preload),
    };
    args.extend(spec.args.iter().cloned());
    let mut env = child_env(spec, who, home);
    // A socket the caller's environment describes is not this process's, nor is the
    // init system's notify socket (a CLI run by a systemd unit passes it on): an app
    // gets rpm's own notify socket, below, or none.
    env.retain(|(k, _)| !k.starts_with("LISTEN_") && k != "NOTIFY_SOCKET");
    let mut set = |key: &str, value: String| set_var(&mut env, key, value);
    if let Some(socket) = extras.notify_socket {
        set("NOTIFY_SOCKET", socket.to_string());
    }
    // Descriptors for the child, first moved above the ones posix_spawn writes to.
    let mut inherited: Vec<(OwnedFd, RawFd)> = Vec::new();
    if let Some((fd, name)) = extras.listen {
        inherited.push((high_copy(fd.as_raw_fd(), &program)?, LISTEN_FD));
        set("LISTEN_FDS", "1".into());
        set("LISTEN_FDNAMES", name.to_string());
        args.insert(0, program.to_string_lossy().into_owned());
        args.insert(0, WITH_LISTEN_PID.to_string());
        args.insert(0, "-c".to_string());
        program = PathBuf::from("/bin/sh");
    }
    if let Some(channel) = &extras.channel {
        inherited.push((high_copy(channel.as_raw_fd(), &program)?, CHANNEL_FD));
        set("NODE_CHANNEL_FD", CHANNEL_FD.to_string());
        set("NODE_CHANNEL_SERIALIZATION_MODE", "json".into());
        if spec.exec_mode == crate::config::ExecMode::Cluster {
            set("RPM_CLUSTER", "1".into());
        }
    }
    let fds: Vec<(RawFd, RawFd)> = inherited
        .iter()
        .map(|(fd, target)| (fd.as_raw_fd(), *target))
        .collect();
    let spawned = {
        // When the exec fails, posix_spawn itself waitpid()s the child; the reaper must
        // not collect that child first, so it waits for this lock.
        let _guard = SPAWN_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        posix_spawn(&program, &args, &env, &spec.cwd, &stdout, &stderr, &fds)
    };
    // The child has its own copies of the descriptors; ours close here.
    drop((stdout, stderr, inherited, extras.channel));
    let pid = spawned.map_err(|source| SpawnError::Exec {
        program: program.clone(),
        source,
    })?;
    super::fd_limit::restore(pid);
    Ok(pid)
}

/// A close-on-exec copy of `fd` numbered 10 or above, so putting the child's
/// descriptors in place (3, 4) never overwrites another one first.
fn high_copy(fd: RawFd, program: &Path) -> Result<OwnedFd, SpawnError> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor the caller keeps open; the new one is ours.
    let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
    if copy < 0 {
        return Err(SpawnError::Exec {
            program: program.to_path_buf(),
            source: io::Error::last_os_error(),
        });
    }
    // SAFETY: `copy` was just returned by fcntl and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(copy) })
}

/// Starts `program` with `args` (after argv[0], the program itself) and exactly `env`, in
/// `cwd`, in a process group of its own (pgid = pid; the daemon has no controlling
/// terminal, so neither has the child), with stdin on /dev/null and stdout and stderr on
/// the given files. Fails with the error of the first step that failed, the exec
/// included (glibc reports it from the child).
fn posix_spawn(
    program: &Path,
    args: &[String],
    env: &[(String, String)],
    cwd: &Path,
    stdout: &File,
    stderr: &File,
    fds: &[(RawFd, RawFd)],
) -> io::Result<i32> {
    let c_string = |bytes: &[u8]| {
        CString::new(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{:?} contains a NUL byte", String::from_utf8_lossy(bytes)),
            )
        })
    };
    let path = c_string(program.as_os_str().as_bytes())?;
    let mut argv = vec![path.clone()];
    for arg in args {
        argv.push(c_string(arg.as_bytes())?);
    }
    let envp = env
        .iter()
        .map(|(key, value)| c_string(format!("{key}={value}").as_bytes()))
        .collect::<io::Result<Vec<CString>>>()?;
    let dir = c_string(cwd.as_os_str().as_bytes())?;

    let mut actions = PosixSpawnFileActions::init()?;
    actions.add_open(0, OsStr::new("/dev/null"), OFlag::O_RDONLY, Mode::empty())?;
    actions.add_dup2(stdout.as_raw_fd(), 1)?;
    actions.add_dup2(stderr.as_raw_fd(), 2)?;
    for (fd, target) in fds {
        actions.add_dup2(*fd, *target)?;
    }
    // SAFETY: `PosixSpawnFileActions` is a `repr(transparent)` wrapper of the C object,
    // initialised above and alive for the call; `dir` is NUL-terminated and is copied.
    let rc = unsafe {
        libc::posix_spawn_file_actions_addchdir_np(
            std::ptr::from_mut(&mut actions).cast::<libc::posix_spawn_file_actions_t>(),
            dir.as_ptr(),
        )
    };
    if rc != 0 {
        return Err(io::Error::from_raw_os_error(rc));
    }

    let mut attr = PosixSpawnAttr::init()?;
    attr.set_flags(
        PosixSpawnFlags::POSIX_SPAWN_SETPGROUP
            | PosixSpawnFlags::POSIX_SPAWN_SETSIGMASK
            | PosixSpawnFlags::POSIX_SPAWN_SETSIGDEF,
    )?;
    attr.set_pgroup(Pid::from_raw(0))?;
    attr.set_sigmask(&SigSet::empty())?;
    let mut default = SigSet::empty();
    default.add(Signal::SIGPIPE);
    attr.set_sigdefault(&default)?;

    let pid = nix::spawn::posix_spawn(path.as_c_str(), &actions, &attr, &argv, &envp)?;
    Ok(pid.as_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_out_of_descriptors_says_what_to_raise() {
        let error = SpawnError::Pipe {
            path: "/h/pipes/0.out".into(),
            source: io::Error::from_raw_os_error(libc::EMFILE),
        };
        let text = error.to_string();
        assert!(
            text.starts_with("cannot create the output pipe /h/pipes/0.out: "),
            "{text}"
        );
        assert!(
            text.ends_with("`ulimit -Hn` or LimitNOFILE= in its unit)"),
            "{text}"
        );
        let other = SpawnError::Exec {
            program: "/bin/x".into(),
            source: io::Error::from_raw_os_error(libc::ENOENT),
        };
        assert!(other.to_string().ends_with("(os error 2)"), "{other}");
    }

    #[test]
    fn child_env_adds_rpm_and_pm2_variables_and_increments() {
        let mut spec = AppSpec::new("api", "/bin/true".into(), "/".into());
        spec.env.insert("PORT".into(), "8000".into());
        spec.env.insert("KEEP".into(), "yes".into());
        spec.increment_var = Some("PORT".into());
        let env = child_env(
            &spec,
            InstanceRef { id: 7, index: 2 },
            &Home::at("/srv/rpm"),
        );
        let get = |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("PORT"), Some("8002"));
        assert_eq!(get("KEEP"), Some("yes"));
        assert_eq!(get("RPM_ID"), Some("7"));
        assert_eq!(get("RPM_HOME"), Some("/srv/rpm"));
        assert_eq!(get("RPM_NAME"), Some("api"));
        assert_eq!(get("RPM_INSTANCE"), Some("2"));
        assert_eq!(get("pm_id"), Some("7"));
        assert_eq!(get("name"), Some("api"));
        assert_eq!(get("NODE_APP_INSTANCE"), Some("2"));
    }
}
