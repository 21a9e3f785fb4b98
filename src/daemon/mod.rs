//! The supervisor daemon: the start-up sequence and planned exits.
//!
//! `rpm daemon` forks into the background (its parent returns once the daemon listens, so
//! the CLI that started it can connect at once), takes `RPM_HOME/daemon.lock` (two racing
//! starts end with exactly one daemon; a live one is never displaced), becomes a child
//! subreaper, binds `rpm.sock` (0600), adopts what `state.json` lists (or, when that is
//! damaged, what `state_recovery` finds), with `--resurrect` starts `dump.json`'s apps
//! that are not running, tells an init system that it is ready (`systemd_notify`), and
//! runs the supervisor loop on its main thread. Threads: the reaper (signals), pidfds
//! (adopted apps), the log pump, the sampler, the state writer (at the lowest priority:
//! `background`), IPC accept + one per client; for `rpm run` also one printer per
//! stream (`foreground_run`). Each reports through a closure or type of its own,
//! wrapped into an `Event` here. `rpm update` ends the loop with an exec of the new
//! binary in place: same pid, so the apps stay our children.

mod background;
mod daemon_log;
pub(crate) mod event;
pub mod foreground_run;
pub mod persist;
pub mod policy;
pub mod process;
pub mod sampler;
pub(crate) mod server;
mod startup;
pub mod state_recovery;
pub(crate) mod supervisor;
pub mod systemd_notify;
pub mod timers;

use std::io;
use std::path::PathBuf;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use thiserror::Error;

use crate::logs::pump::Pump;
use crate::paths::{Home, HomeError};
use event::Event;
use process::reaper::Reaped;
use supervisor::{Exit, Helpers, Supervisor};

/// Why the daemon could not start.
#[derive(Debug, Error)]
pub enum DaemonError {
    #[error(transparent)]
    Home(#[from] HomeError),
    #[error("another rpm daemon already runs for this RPM_HOME (pid {pid}): `rpm kill` stops it, or set RPM_HOME to another folder")]
    AlreadyRunning { pid: String },
    #[error("{0}")]
    RunRefused(String),
    #[error("every app has ended and {} ended errored: see their output above and `rpm logs`", .errored.join(", "))]
    RunErrored { errored: Vec<String> },
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
    /// `rpm run`: in the foreground, stdout and stderr for the apps' output, the
    /// daemon's own log in daemon.log.
    Run,
}

/// What the daemon does at start-up beyond adopting what runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Boot {
    /// `--resurrect` (init systems): once listening and adopting, bring back the apps of
    /// `dump.json` that are not running; no dump is not an error.
    pub resurrect: bool,
    /// `rpm run`: start these apps, print their output, end when they have all ended.
    pub run: Option<foreground_run::RunPlan>,
}

/// Runs the daemon until a planned stop.
pub fn run(home: Home, mode: Mode, boot: Boot) -> Result<(), DaemonError> {
    startup::close_inherited_fds_on_exec();
    home.ensure()?;
    let Some(mut ready) = startup::detach(&home, mode)? else {
        return Ok(()); // The parent of a background daemon: it listens now.
    };
    let lock = match startup::take_lock(&home, mode) {
        Ok(lock) => lock,
        Err(DaemonError::AlreadyRunning { .. }) if mode == Mode::Background => {
            // Another CLI started a daemon first: that one serves everybody.
            ready.send(b'L');
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    daemon_log::init_logging(&home, mode)?;
    // A bug must leave a trace: stderr is /dev/null, so panics go to daemon.log.
    std::panic::set_hook(Box::new(|info| log::error!("daemon panicked: {info}")));
    if matches!(mode, Mode::Background | Mode::Reexec) {
        startup::redirect_stdio_to_null();
    }
    // Still one thread: the environment can change safely.
    startup::tune_process(mode);
    let systemd = systemd_notify::SystemdNotifier::take_from_env();
    startup::write_pid_file(&home)?;
    let listener = startup::bind_socket(&home)?;

    let (events, events_rx) = mpsc::channel();
    let recovered = state_recovery::recover(&home);
    let (mut sup, pump) = start_threads(&home, &events)?;
    sup.systemd = systemd.clone();
    if let Some(saved) = recovered.state {
        sup.adopt(saved, recovered.from_fallback);
    }
    if boot.resurrect {
        resurrect_dump(&mut sup, &home);
    }
    let mut console = None;
    if let Some(plan) = boot.run {
        sup.ends_when_idle = true;
        match foreground_run::begin(&mut sup, &home, plan) {
            Ok(started) => console = Some(started),
            Err(message) => {
                sup.run_end = Some(supervisor::RunEnd::Refused(message));
                sup.begin_quit(None);
            }
        }
    }
    let in_flight = server::serve(listener, events)?;
    log::info!(
        "daemon {} listening (pid {})",
        crate::ipc::protocol::VERSION,
        std::process::id()
    );
    ready.send(b'R');
    if let Some(systemd) = &systemd {
        systemd.ready();
    }

    let exit = sup.run(events_rx);
    let run_end = sup.run_end.take();
    drop(sup);
    in_flight.drain(Duration::from_secs(2));
    pump.shutdown(Duration::from_secs(5));
    // After the pump: every line the apps wrote is in the files now.
    if let Some(console) = console {
        console.finish();
    }
    match exit {
        Exit::Quit => {
            let _ = std::fs::remove_file(home.socket());
            let _ = std::fs::remove_file(home.pid_file());
            log::info!("daemon stopped");
            drop(lock);
            match run_end {
                Some(supervisor::RunEnd::Refused(message)) => Err(DaemonError::RunRefused(message)),
                Some(supervisor::RunEnd::Ended { errored }) if !errored.is_empty() => {
                    Err(DaemonError::RunErrored { errored })
                }
                _ => Ok(()),
            }
        }
        Exit::Exec(exe) => {
            log::info!("replacing the daemon with {}", exe.display());
            startup::exec_replacement(&exe, &home, lock, systemd.as_ref())
        }
    }
}

/// `--resurrect`: starts `dump.json`'s apps on `sup` before its loop (so before any
/// client's request); it skips those it knows (just adopted), so nothing starts twice.
/// A missing dump is nothing to do, a damaged one or a refusal is logged: the daemon
/// runs either way.
fn resurrect_dump(sup: &mut Supervisor, home: &Home) {
    let path = home.dump_file();
    let apps = match crate::dump::read(&path) {
        Ok(apps) => apps,
        Err(crate::dump::DumpError::Missing { .. }) => {
            log::info!("--resurrect: no {}, nothing to bring back", path.display());
            return;
        }
        Err(e) => {
            log::error!("--resurrect: {e}");
            return;
        }
    };
    let (reply, answer) = mpsc::channel();
    sup.request(crate::ipc::Request::Resurrect { apps }, reply);
    // A refusal is answered at once; success once the apps settle, unheard.
    match answer.try_recv() {
        Ok(crate::ipc::Response::Error { message, .. }) => log::error!("--resurrect: {message}"),
        _ => log::info!("--resurrect: bringing back the apps of {}", path.display()),
    }
}

/// Starts the threads that report to the supervisor, each wrapping its reports into an
/// `Event` on `events`, and the supervisor that owns their handles.
fn start_threads(home: &Home, events: &Sender<Event>) -> io::Result<(Supervisor, Pump)> {
    let tx = events.clone();
    process::reaper::spawn(move |reaped| {
        let event = match reaped {
            Reaped::Exited { pid, code, signal } => Event::Exited { pid, code, signal },
            Reaped::Signal(signal) => Event::Signal(signal),
        };
        tx.send(event).is_ok()
    })?;
    let tx = events.clone();
    let pump = Pump::spawn(move |report| {
        let _ = tx.send(Event::Log(report));
    })?;
    let tx = events.clone();
    let pids =
        process::pidfd::PidWatcher::spawn(move |pid| tx.send(Event::Vanished { pid }).is_ok())?;
    let tx = events.clone();
    let sampler = sampler::Sampler::spawn(move |samples| tx.send(Event::Samples(samples)).is_ok())?;
    let persister = persist::Persister::spawn(home.state_file(), events.clone())?;
    let tx = events.clone();
    let watcher =
        crate::watch::files::Watcher::spawn(move |report| tx.send(Event::Watch(report)).is_ok())?;
    let (sample_every, problem) = sampler::interval_from_env();
    if let Some(problem) = problem {
        log::warn!("{problem}");
    }
    let tx = events.clone();
    let readiness = crate::cluster::readiness::Readiness::start(
        &home.notify_socket(),
        Box::new(move |report| {
            let _ = tx.send(Event::Readiness(report));
        }),
    )
    .map_err(|e| log::warn!("no readiness socket ({e}): wait_ready and Node IPC are off"))
    .ok();
    let preload = crate::cluster::preload::install(home.root())
        .map_err(|e| {
            log::warn!("cannot write the Node preload ({e}): Node apps bind their own ports")
        })
        .ok();
    let helpers = Helpers {
        pump: pump.clone(),
        pids,
        persister,
        sampler,
        sample_every,
        watcher,
        readiness,
        preload,
        processes: Box::new(process::System {
            daemon: std::process::id() as i32,
        }),
    };
    Ok((Supervisor::new(home.clone(), helpers), pump))
}
