//! `state.json`: the live process list, written so a new daemon can adopt the apps.
//!
//! The supervisor hands each new snapshot to a writer thread, which keeps only the newest
//! and replaces the file atomically (temp file, fsync, rename, fsync directory), so the
//! supervisor loop never waits on the disk. The thread runs at the lowest priority
//! (`background`): a save never takes a busy core from the apps. Each snapshot carries
//! a sequence number; once it is on disk the thread reports `Event::Persisted`, and the
//! supervisor answers a request that changed apps only then, so a CLI that saw
//! "started" can rely on a daemon crash not losing the app. `flush` writes
//! synchronously before `rpm update` execs.
//! Once a snapshot is in place (and reported), the same bytes are written to
//! `state.json.bak` the same atomic way: a second file, so a `state.json` damaged behind
//! the daemon's back (a disk error, an editor) can be recovered (`state_recovery`) with
//! at worst the change written in between lost.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::event::Event;
use crate::atomic_write::write_atomic;
use crate::config::AppSpec;
use crate::ipc::Status;

/// What the user wants once a stopping instance has exited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    Stop,
    Restart,
    Delete,
}

/// Format version of `state.json`.
pub const STATE_VERSION: u32 = 1;

/// Everything a new daemon needs to adopt the apps of an old one.
/// `S` is `AppSpec` when read; when written, the app's pre-encoded spec.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedState<S = AppSpec> {
    pub version: u32,
    pub daemon_version: String,
    pub next_id: u32,
    pub apps: Vec<SavedApp<S>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedApp<S = AppSpec> {
    pub spec: S,
    pub instances: Vec<SavedInstance>,
}

/// One instance; `pid` with `proc_start` identifies its process beyond pid reuse.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedInstance {
    pub id: u32,
    pub instance: u32,
    pub status: Status,
    pub pid: Option<i32>,
    pub proc_start: Option<u64>,
    pub started_at: Option<u64>,
    pub created_at: u64,
    pub restarts: u32,
    pub unstable_restarts: u32,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<String>,
    #[serde(default)]
    pub intent: Option<Intent>,
    #[serde(default)]
    pub backoff_ms: Option<u64>,
}

enum Job {
    Write(u64, Vec<u8>),
    Flush(Sender<()>),
}

/// Handle on the writer thread.
pub struct Persister {
    jobs: Sender<Job>,
}

impl Persister {
    pub fn spawn(path: PathBuf, events: Sender<Event>) -> std::io::Result<Persister> {
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("state-writer".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                super::background::yield_to_apps("state-writer");
                run(path, rx, events)
            })?;
        Ok(Persister { jobs: tx })
    }

    /// Queues snapshot number `seq`; older queued ones are skipped.
    pub fn save(&self, seq: u64, data: Vec<u8>) {
        let _ = self.jobs.send(Job::Write(seq, data));
    }

    /// Waits until everything queued is on disk.
    pub fn flush(&self, timeout: Duration) {
        let (done, wait) = mpsc::channel();
        if self.jobs.send(Job::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(timeout);
        }
    }
}

fn run(path: PathBuf, jobs: Receiver<Job>, events: Sender<Event>) {
    let backup = backup_path(&path);
    while let Ok(job) = jobs.recv() {
        let mut latest = None;
        let mut waiting = Vec::new();
        let mut next = Some(job);
        while let Some(job) = next {
            match job {
                Job::Write(seq, data) => latest = Some((seq, data)),
                Job::Flush(done) => waiting.push(done),
            }
            next = jobs.try_recv().ok();
        }
        if let Some((seq, data)) = latest {
            let written = write_atomic(&path, &data, 0o600);
            if let Err(e) = &written {
                log::error!("cannot write {}: {e}", path.display());
            }
            // Reported even after a failure (logged above): answers must not hang on a
            // full disk; the apps themselves keep running either way.
            let _ = events.send(Event::Persisted { seq });
            // The same state again, after the answer: a file of its own, so whatever
            // damages one copy leaves the other to recover from.
            if written.is_ok() {
                if let Err(e) = write_atomic(&backup, &data, 0o600) {
                    log::error!("cannot write {}: {e}", backup.display());
                }
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

/// What reading `state.json` (or its backup) found.
#[derive(Debug)]
pub enum Loaded {
    /// No file: no daemon ran here, or the last one stopped everything.
    Missing,
    Good(SavedState),
    /// The file cannot be read or decoded; why, for people.
    Damaged(String),
}

/// Reads one state file. Specs go through `SavedSpec`: an older daemon's bad
/// `kill_signal` costs a warning, not every app in the file.
pub fn load(path: &std::path::Path) -> Loaded {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Loaded::Missing,
        Err(e) => return Loaded::Damaged(format!("cannot read it: {e}")),
    };
    match serde_json::from_slice::<SavedState<crate::config::SavedSpec>>(&data) {
        Ok(state) => Loaded::Good(SavedState {
            version: state.version,
            daemon_version: state.daemon_version,
            next_id: state.next_id,
            apps: state
                .apps
                .into_iter()
                .map(|app| {
                    if let Some(warning) = app.spec.warning() {
                        log::warn!("{}: {warning}", path.display());
                    }
                    SavedApp {
                        spec: app.spec.spec,
                        instances: app.instances,
                    }
                })
                .collect(),
        }),
        Err(e) => Loaded::Damaged(e.to_string()),
    }
}

/// `state.json.bak` beside `path`.
pub fn backup_path(path: &Path) -> PathBuf {
    crate::dump::backup_path(path)
}

#[cfg(test)]
#[path = "persist_tests.rs"]
mod tests;
