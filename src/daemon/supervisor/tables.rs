//! What the supervisor owns: the app and instance tables, and the bookkeeping beside
//! them (deadlines, waiting answers, subscribers, sampling demand, the helper threads'
//! handles).
//!
//! Data only: the behaviour is in the files named for it (`actions`, `instances`,
//! `waiters`, `notices`, `sampling`, `requests/`), which all import from here and never
//! the other way round. `App` is a spec with what derives from it; `Slot` is one
//! instance: the state machine's `Instance` (changed by `policy::step` only) plus what
//! the supervisor knows around it.

use std::collections::{BTreeMap, BTreeSet};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::mpsc::{Sender, SyncSender};
use std::time::{Instant, SystemTime};

use super::super::persist::Persister;
use super::super::policy::{Input, Instance, Policy};
use super::super::process::pidfd::PidWatcher;
use super::super::process::Processes;
use super::super::sampler::{Sample, Sampler};
use super::super::systemd_notify::SystemdNotifier;
use super::super::timers::Timers;
use crate::cluster::readiness::{ChannelKey, Readiness};
use crate::config::{AppSpec, CronExpr, Listen};
use crate::ipc::target::Target;
use crate::ipc::{LastRestart, ProcessInfo, Response};
use crate::logs::pump::{Outputs, Pump};
use crate::paths::Home;
use crate::watch::files::Watcher;

/// How the loop ended.
pub enum Exit {
    /// Planned stop: every app was stopped.
    Quit,
    /// `rpm update`: exec this binary, keeping the apps.
    Exec(PathBuf),
}

/// How `rpm run` ended, for its exit status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    /// Every app ended; these ended errored (none: every one stopped).
    Ended { errored: Vec<String> },
    /// The file's apps could not be started: the sentence `rpm start FILE` prints.
    Refused(String),
}

/// The threads and handles the supervisor drives.
pub struct Helpers {
    pub pump: Pump,
    pub pids: PidWatcher,
    pub persister: Persister,
    pub sampler: Sampler,
    /// How often the sampler runs while something needs it.
    pub sample_every: std::time::Duration,
    pub watcher: Watcher,
    pub processes: Box<dyn Processes>,
    /// The notify socket and Node IPC channels (none if it could not start).
    pub readiness: Option<Readiness>,
    /// The Node preload, written into RPM_HOME (none if it could not be).
    pub preload: Option<PathBuf>,
}

pub struct Supervisor {
    pub(crate) home: Home,
    pub(crate) apps: BTreeMap<String, App>,
    pub(crate) slots: BTreeMap<u32, Slot>,
    pub(crate) next_id: u32,
    pub(crate) pump: Pump,
    pub(crate) pids: PidWatcher,
    pub(crate) persister: Persister,
    pub(crate) watcher: Watcher,
    pub(crate) processes: Box<dyn Processes>,
    pub(crate) timers: Timers,
    pub(crate) waiters: Waiters,
    pub(crate) notices: Notices,
    pub(crate) sampling: Sampling,
    pub(crate) cluster: Cluster,
    pub(crate) exit: Option<Exit>,
    pub(crate) quitting: bool,
    /// The init system to tell when the daemon begins to stop (`STOPPING=1`).
    pub(crate) systemd: Option<SystemdNotifier>,
    /// `rpm run`: stop the daemon once every app has ended, and how it ended.
    pub(crate) ends_when_idle: bool,
    pub(crate) run_end: Option<RunEnd>,
    pub(crate) dirty: bool,
    /// Number of the last snapshot handed to the writer, and of the last one on disk.
    pub(crate) persist_seq: u64,
    pub(crate) durable_seq: u64,
}

impl Supervisor {
    pub fn new(home: Home, helpers: Helpers) -> Supervisor {
        Supervisor {
            home,
            apps: BTreeMap::new(),
            slots: BTreeMap::new(),
            next_id: 0,
            pump: helpers.pump,
            pids: helpers.pids,
            persister: helpers.persister,
            watcher: helpers.watcher,
            processes: helpers.processes,
            timers: Timers::default(),
            waiters: Waiters::default(),
            notices: Notices::default(),
            sampling: Sampling::new(helpers.sampler, helpers.sample_every),
            cluster: Cluster {
                readiness: helpers.readiness,
                preload: helpers.preload,
                channels: BTreeMap::new(),
                next_channel: 0,
                reloads: Vec::new(),
                deferred: Vec::new(),
            },
            exit: None,
            quitting: false,
            systemd: None,
            ends_when_idle: false,
            run_end: None,
            dirty: false,
            persist_seq: 0,
            durable_seq: 0,
        }
    }
}

/// An app: its spec and its instances' ids.
pub(crate) struct App {
    pub spec: AppSpec,
    pub policy: Policy,
    /// `cron_restart`, parsed (the CLI checked it; an unparsable one from an old state
    /// file is no schedule).
    pub cron: Option<CronExpr>,
    /// What went wrong with watching its files, if anything (a fallback to polling).
    pub watch_problem: Option<String>,
    pub ids: Vec<u32>,
    /// The listening socket of its `port`, held for its instances.
    pub socket: Option<Socket>,
    /// Sockets a Node app in cluster mode asked for by port (`listen(8080)` with no
    /// `port` attribute), bound once and shared by its instances.
    pub node_sockets: BTreeMap<Listen, OwnedFd>,
    /// `spec` as JSON, made once per change: state.json is written after every event,
    /// and re-encoding every spec (environments included) each time cost the crash path
    /// a quarter of a millisecond.
    pub spec_json: Box<serde_json::value::RawValue>,
}

impl App {
    pub fn new(spec: AppSpec) -> App {
        App {
            policy: Policy::from_spec(&spec),
            cron: parse_cron(&spec),
            watch_problem: None,
            spec_json: encode(&spec),
            spec,
            ids: Vec::new(),
            socket: None,
            node_sockets: BTreeMap::new(),
        }
    }

    /// Replaces the spec, keeping what derives from it in step.
    pub fn set_spec(&mut self, spec: AppSpec) {
        self.policy = Policy::from_spec(&spec);
        self.cron = parse_cron(&spec);
        self.spec_json = encode(&spec);
        self.spec = spec;
    }
}

fn parse_cron(spec: &AppSpec) -> Option<CronExpr> {
    let expr = spec.cron_restart.as_deref()?;
    CronExpr::parse(expr)
        .map_err(|e| log::warn!("{}: cron_restart: {e}; no cron restarts", spec.name))
        .ok()
}

fn encode(spec: &AppSpec) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(spec)
        .expect("an AppSpec always encodes: plain data, string keys")
}

/// A listening socket the daemon holds for an app.
pub(crate) struct Socket {
    pub listen: Listen,
    pub fd: OwnedFd,
}

/// What the supervisor knows of a reload's successor process, until it takes over.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SuccessorProcess {
    pub pid: i32,
    pub start_ticks: Option<u64>,
    pub uid: Option<u32>,
    pub started_at_ms: u64,
}

/// Cluster mode's bookkeeping: readiness, channels, rolling reloads, and starts that
/// wait for their dependencies to be ready.
pub(crate) struct Cluster {
    pub readiness: Option<Readiness>,
    pub preload: Option<PathBuf>,
    /// Node IPC channels: the instance and process each belongs to.
    pub channels: BTreeMap<ChannelKey, Channel>,
    pub next_channel: ChannelKey,
    pub reloads: Vec<RollingReload>,
    pub deferred: Vec<DeferredStart>,
}

/// A Node IPC channel's owner.
pub(crate) struct Channel {
    pub id: u32,
    /// Its process, once started.
    pub pid: Option<i32>,
}

/// A reload that replaces instances one at a time, answering once all are done or at
/// the first failure.
pub(crate) struct RollingReload {
    /// The instances to replace, in order.
    pub order: Vec<u32>,
    pub begun: BTreeSet<u32>,
    /// Failures reported for begun instances.
    pub failures: BTreeMap<u32, String>,
    /// Instances restarted at once (no shared socket), answered with the rest.
    pub others: Vec<u32>,
    pub reply: Sender<Response>,
}

/// Instances whose start waits until the apps they depend on are ready.
pub(crate) struct DeferredStart {
    pub ids: Vec<u32>,
    pub input: Input,
    pub depends_on: Vec<String>,
}

/// One instance: the state machine's part plus what the supervisor knows around it.
pub(crate) struct Slot {
    pub id: u32,
    pub app: String,
    pub index: u32,
    pub inst: Instance,
    /// Start time (ticks since boot) of `inst.pid`, to tell it from a reused pid.
    pub proc_start: Option<u64>,
    pub started_at_ms: Option<u64>,
    pub created_at_ms: u64,
    /// The current process was adopted from an earlier daemon.
    pub adopted: bool,
    /// The current process is our child (reaped by waitpid), not watched by pidfd.
    pub child: bool,
    /// Why the last start failed.
    pub last_error: Option<String>,
    pub log_error: Option<String>,
    pub out_file: PathBuf,
    pub error_file: PathBuf,
    /// The last CPU and memory sample of the current process.
    pub sample: Option<Sample>,
    /// The uid the current process runs as (read once per process).
    pub uid: Option<u32>,
    /// The last restart and why.
    pub last_restart: Option<LastRestart>,
    /// When its cron schedule fires next (Unix ms).
    pub next_cron_ms: Option<u64>,
    /// A reload's successor process, while there is one.
    pub successor: Option<SuccessorProcess>,
    /// The last `STATUS=` it sent through `sd_notify`.
    pub notify_status: Option<String>,
}

impl Slot {
    /// An instance that has not run yet, writing to `outputs`.
    pub fn new(id: u32, app: &str, index: u32, outputs: &Outputs, created_at_ms: u64) -> Slot {
        Slot {
            id,
            app: app.to_string(),
            index,
            inst: Instance::new(),
            proc_start: None,
            started_at_ms: None,
            created_at_ms,
            adopted: false,
            child: false,
            last_error: None,
            log_error: None,
            out_file: outputs.out_file.clone(),
            error_file: outputs.error_file.clone(),
            sample: None,
            uid: None,
            last_restart: None,
            next_cron_ms: None,
            successor: None,
            notify_status: None,
        }
    }

    /// The live process of this instance, if it has one.
    pub fn live_pid(&self) -> Option<i32> {
        self.inst.pid.filter(|_| self.inst.status.has_process())
    }
}

pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What a deferred answer waits for and then sends.
pub(crate) struct Waiter {
    pub ids: Vec<u32>,
    pub reply: Option<Sender<Response>>,
    /// Rows of instances that will be gone (delete), captured beforehand.
    pub deleted: Vec<ProcessInfo>,
    pub then: OnSettled,
    /// Once settled: the state snapshot that must be on disk before answering.
    pub durable_at: Option<u64>,
}

pub(crate) enum OnSettled {
    /// Answer with the rows of `ids` (and `deleted`).
    Reply,
    /// Answer with every instance's row, as `list` does (figures from a fresh sample).
    ReplyWithEveryRow,
    /// All apps are stopped: answer, then leave the loop.
    Quit,
}

/// The waiters, oldest first.
#[derive(Default)]
pub(crate) struct Waiters(pub Vec<Waiter>);

/// One subscriber: what it asked for and its queue.
pub(crate) struct Subscriber {
    /// Empty: every instance.
    pub targets: Vec<Target>,
    pub queue: SyncSender<Response>,
}

/// The subscribers.
#[derive(Default)]
pub(crate) struct Notices {
    pub subscribers: Vec<Subscriber>,
}

impl Notices {
    /// Whether anybody listens.
    pub fn any(&self) -> bool {
        !self.subscribers.is_empty()
    }

    /// Ends every subscription (the daemon stops or is replaced).
    pub fn close_all(&mut self) {
        self.subscribers.clear();
    }
}

/// A row request waiting for a fresh sample.
pub(crate) enum PendingRows {
    List(Sender<Response>),
    Describe(Vec<u32>, Sender<Response>),
}

/// Sampling demand and what waits for it.
pub(crate) struct Sampling {
    pub sampler: Sampler,
    /// The sampling period.
    pub every: std::time::Duration,
    /// Someone looked at rows: keep sampling until then.
    pub wanted_until: Option<Instant>,
    /// A sample was asked for and has not come back yet.
    pub in_flight: bool,
    /// When the last sample arrived.
    pub last: Option<Instant>,
    pub waiting: Vec<PendingRows>,
}

impl Sampling {
    pub fn new(sampler: Sampler, every: std::time::Duration) -> Sampling {
        Sampling {
            sampler,
            every,
            wanted_until: None,
            in_flight: false,
            last: None,
            waiting: Vec::new(),
        }
    }

    pub fn wanted(&self, now: Instant) -> bool {
        self.wanted_until.is_some_and(|until| now < until)
    }

    /// Whether the last sample is recent enough to answer from.
    pub fn fresh(&self, now: Instant) -> bool {
        self.last
            .is_some_and(|at| now.saturating_duration_since(at) < self.every * 2)
    }
}
