//! The supervisor thread: the one owner of the app and instance tables.
//!
//! It blocks on one channel with the earliest deadline (restart delay, kill timeout) as
//! its timeout, applies one event at a time through `policy::step`, and carries out the
//! returned actions: spawn, signal, kill the tree, clean up leftovers, remove. Other
//! threads only send events; nothing here polls process state on a timer. Requests are
//! handled in `handlers`, adoption and snapshots in `adopt`, `jlist` rows in `info`,
//! stop signals and leftovers in `stopping`, log targets in `outputs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::event::Event;
use super::outputs::outputs_for;
use super::pidfd::PidWatcher;
use super::policy::{step, Action, Input, Instance, Policy, Status};
use super::stopping::{app_treekill, kill_tree};
use super::{persist::Persister, proctree, spawn};
use crate::config::AppSpec;
use crate::ipc::{ProcessInfo, Response};
use crate::logs::pump::{Outputs, Pump, PumpCommand, PumpReport};
use crate::paths::Home;

/// An app: its spec and its instances' ids.
pub(crate) struct App {
    pub spec: AppSpec,
    pub policy: Policy,
    pub ids: Vec<u32>,
    /// `spec` as JSON, made once per change: state.json is written after every event,
    /// and re-encoding every spec (environments included) each time cost the crash path
    /// a quarter of a millisecond.
    pub spec_json: Box<serde_json::value::RawValue>,
}

impl App {
    pub fn new(spec: AppSpec) -> App {
        App {
            policy: Policy::from_spec(&spec),
            spec_json: encode(&spec),
            spec,
            ids: Vec::new(),
        }
    }

    /// Replaces the spec, keeping what derives from it in step.
    pub fn set_spec(&mut self, spec: AppSpec) {
        self.policy = Policy::from_spec(&spec);
        self.spec_json = encode(&spec);
        self.spec = spec;
    }
}

fn encode(spec: &AppSpec) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(spec)
        .expect("an AppSpec always encodes: plain data, string keys")
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
    /// The last CPU sample: (cpu ticks, when).
    pub cpu_sample: Option<(u64, Instant)>,
    /// The uid the current process runs as (read once per process).
    pub uid: Option<u32>,
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
            cpu_sample: None,
            uid: None,
        }
    }
}

/// What a deferred answer waits for and then sends.
pub(crate) struct Waiter {
    pub ids: Vec<u32>,
    pub reply: Option<Sender<Response>>,
    /// Rows of instances that will be gone (delete), captured beforehand.
    pub deleted: Vec<ProcessInfo>,
    pub then: Then,
    /// Once settled: the state snapshot that must be on disk before answering.
    pub durable_at: Option<u64>,
}

pub(crate) enum Then {
    Reply,
    /// All apps are stopped: answer, then leave the loop.
    Quit,
}

/// How the loop ended.
pub enum Exit {
    /// Planned stop: every app was stopped.
    Quit,
    /// `rpm update`: exec this binary, keeping the apps.
    Exec(PathBuf),
}

pub struct Supervisor {
    pub(crate) home: Home,
    pub(crate) apps: BTreeMap<String, App>,
    pub(crate) slots: BTreeMap<u32, Slot>,
    pub(crate) next_id: u32,
    pub(crate) pump: Pump,
    pub(crate) pids: PidWatcher,
    pub(crate) persister: Persister,
    pub(crate) waiters: Vec<Waiter>,
    pub(crate) exit: Option<Exit>,
    pub(crate) quitting: bool,
    pub(crate) dirty: bool,
    /// Number of the last snapshot handed to the writer, and of the last one on disk.
    pub(crate) persist_seq: u64,
    pub(crate) durable_seq: u64,
    pub(crate) me: i32,
}

pub fn unix_ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Supervisor {
    pub fn new(home: Home, pump: Pump, pids: PidWatcher, persister: Persister) -> Supervisor {
        Supervisor {
            home,
            apps: BTreeMap::new(),
            slots: BTreeMap::new(),
            next_id: 0,
            pump,
            pids,
            persister,
            waiters: Vec::new(),
            exit: None,
            quitting: false,
            dirty: false,
            persist_seq: 0,
            durable_seq: 0,
            me: std::process::id() as i32,
        }
    }

    /// Runs until a planned stop or an update.
    pub fn run(&mut self, events: Receiver<Event>) -> Exit {
        loop {
            let now = Instant::now();
            let next = self.slots.values().filter_map(|s| s.inst.deadline).min();
            let received = match next {
                Some(at) => events.recv_timeout(at.saturating_duration_since(now)),
                None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(event) => self.handle(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Exit::Quit,
            }
            self.fire_deadlines(Instant::now());
            self.check_waiters();
            // A planned stop has just removed state.json: nothing may write it again.
            if matches!(self.exit, Some(Exit::Quit)) {
                return Exit::Quit;
            }
            if self.dirty {
                self.dirty = false;
                self.persist();
            }
            if let Some(exit) = self.exit.take() {
                return exit;
            }
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Request { request, reply } => self.request(request, reply),
            Event::Exited { pid, code, signal } => {
                if let Some(id) = self.id_of_pid(pid, true) {
                    self.pump.send(PumpCommand::Exited { id });
                    self.apply(id, Input::Exited { code, signal });
                }
            }
            Event::Vanished { pid } => {
                if let Some(id) = self.id_of_pid(pid, false) {
                    self.pump.send(PumpCommand::Exited { id });
                    self.apply(
                        id,
                        Input::Exited {
                            code: None,
                            signal: None,
                        },
                    );
                }
            }
            Event::Signal(signal) => self.daemon_signal(signal),
            Event::Persisted { seq } => self.durable_seq = self.durable_seq.max(seq),
            Event::Log(PumpReport::LogError { id, message }) => {
                if let Some(slot) = self.slots.get_mut(&id) {
                    slot.log_error = message;
                }
            }
        }
    }

    fn daemon_signal(&mut self, signal: i32) {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
        match signal {
            SIGTERM | SIGINT | SIGQUIT => {
                log::info!("signal {signal}: stopping every app, then the daemon");
                self.begin_quit(None);
            }
            SIGUSR2 => {
                log::info!("SIGUSR2: reopening log files");
                self.pump.send(PumpCommand::Reopen);
            }
            SIGHUP => log::info!("SIGHUP ignored: the daemon keeps running"),
            _ => {}
        }
    }

    /// Stops every app; the loop ends once they are all stopped.
    pub(crate) fn begin_quit(&mut self, reply: Option<Sender<Response>>) {
        self.quitting = true;
        let ids: Vec<u32> = self.slots.keys().copied().collect();
        for id in &ids {
            self.apply(*id, Input::Stop);
        }
        self.waiters.push(Waiter {
            ids,
            reply,
            deleted: Vec::new(),
            then: Then::Quit,
            durable_at: None,
        });
    }

    /// The instance whose current process is `pid`. Exits reaped by waitpid only count
    /// for our children; pidfd exits only for adopted processes that are not.
    fn id_of_pid(&self, pid: i32, reaped: bool) -> Option<u32> {
        self.slots
            .values()
            .find(|s| {
                s.inst.pid == Some(pid) && s.inst.status.has_process() && (reaped || !s.child)
            })
            .map(|s| s.id)
    }

    fn fire_deadlines(&mut self, now: Instant) {
        let due: Vec<u32> = self
            .slots
            .values()
            .filter(|s| s.inst.deadline.is_some_and(|d| d <= now))
            .map(|s| s.id)
            .collect();
        for id in due {
            self.apply(id, Input::Deadline);
        }
    }

    /// Runs `input` through the state machine and carries out the actions.
    pub(crate) fn apply(&mut self, id: u32, input: Input) {
        let mut inputs = vec![input];
        while let Some(input) = inputs.pop() {
            let Some(slot) = self.slots.get(&id) else {
                return;
            };
            let Some(app) = self.apps.get(&slot.app) else {
                return;
            };
            let old_pid = slot.inst.pid;
            let was_adopted_dead = matches!(input, Input::Exited { .. })
                && slot.adopted
                && !slot.child
                && slot.proc_start.is_none();
            let (next, actions) = step(&slot.inst, &app.policy, input, Instant::now());
            if let Some(slot) = self.slots.get_mut(&id) {
                if next.status != slot.inst.status
                    || next.pid != slot.inst.pid
                    || next.restarts != slot.inst.restarts
                {
                    self.dirty = true;
                }
                slot.inst = next;
            }
            for action in actions {
                match action {
                    Action::Spawn => inputs.push(self.spawn(id)),
                    Action::SignalStop => self.signal_stop(id),
                    Action::KillTree => {
                        if let Some(pid) = old_pid {
                            kill_tree(pid, app_treekill(&self.apps, &self.slots, id));
                        }
                    }
                    Action::CleanupLeftovers => {
                        if let Some(pid) = old_pid {
                            if !was_adopted_dead {
                                self.cleanup_leftovers(id, pid);
                            }
                            if !self.slots.get(&id).is_some_and(|s| s.child) {
                                self.pids.forget(pid);
                            }
                        }
                        if let Some(slot) = self.slots.get_mut(&id) {
                            slot.adopted = false;
                            slot.proc_start = None;
                        }
                    }
                    Action::Remove => {
                        self.remove(id);
                        return;
                    }
                }
            }
        }
    }

    fn spawn(&mut self, id: u32) -> Input {
        let Some(slot) = self.slots.get(&id) else {
            return Input::SpawnFailed;
        };
        let Some(app) = self.apps.get(&slot.app) else {
            return Input::SpawnFailed;
        };
        let who = spawn::InstanceRef {
            id,
            index: slot.index,
        };
        let result = spawn::spawn_instance(&self.home, &app.spec, who);
        let Some(slot) = self.slots.get_mut(&id) else {
            return Input::SpawnFailed;
        };
        self.dirty = true;
        match result {
            Ok(pid) => {
                slot.proc_start = proctree::stat(pid).map(|s| s.start_ticks);
                slot.started_at_ms = Some(unix_ms(SystemTime::now()));
                slot.child = true;
                slot.adopted = false;
                slot.last_error = None;
                slot.cpu_sample = None;
                slot.uid = proctree::uid(pid);
                Input::Spawned { pid }
            }
            Err(e) => {
                log::error!("{} (id {id}): {e}", slot.app);
                slot.last_error = Some(e.to_string());
                Input::SpawnFailed
            }
        }
    }

    fn remove(&mut self, id: u32) {
        let Some(slot) = self.slots.remove(&id) else {
            return;
        };
        self.pump.send(PumpCommand::Detach { id });
        for stream in ["out", "err"] {
            let _ = std::fs::remove_file(self.home.pipe(id, stream));
        }
        if let Some(app) = self.apps.get_mut(&slot.app) {
            app.ids.retain(|i| *i != id);
            if app.ids.is_empty() {
                self.apps.remove(&slot.app);
            }
        }
        self.dirty = true;
    }

    /// Creates a new instance of `app` (not started) and attaches its output.
    pub(crate) fn create_instance(&mut self, app_name: &str, index: u32) -> Option<u32> {
        let id = self.next_id;
        self.next_id += 1;
        let spec = &self.apps.get(app_name)?.spec;
        let outputs = outputs_for(&self.home, spec, id, index);
        let slot = Slot::new(id, app_name, index, &outputs, unix_ms(SystemTime::now()));
        self.attach_output(id, outputs);
        self.slots.insert(id, slot);
        if let Some(app) = self.apps.get_mut(app_name) {
            app.ids.push(id);
        }
        self.dirty = true;
        Some(id)
    }

    fn check_waiters(&mut self) {
        let mut i = 0;
        while i < self.waiters.len() {
            let settled = self.waiters[i].ids.iter().all(|id| {
                self.slots
                    .get(id)
                    .is_none_or(|s| !matches!(s.inst.status, Status::Launching | Status::Stopping))
            });
            if !settled {
                i += 1;
                continue;
            }
            // Answer only once the state that shows the change is on disk (the snapshot
            // queued at the end of this turn when something changed).
            let needed = *self.waiters[i]
                .durable_at
                .get_or_insert(self.persist_seq + u64::from(self.dirty));
            if matches!(self.waiters[i].then, Then::Reply) && self.durable_seq < needed {
                i += 1;
                continue;
            }
            let waiter = self.waiters.remove(i);
            let mut rows = waiter.deleted;
            rows.extend(waiter.ids.iter().filter_map(|id| self.info(*id)));
            rows.sort_by_key(|r| r.id);
            let response = Response::Processes { processes: rows };
            match waiter.then {
                Then::Reply => {
                    if let Some(reply) = waiter.reply {
                        let _ = reply.send(response);
                    }
                }
                Then::Quit => {
                    self.persister.flush(std::time::Duration::from_secs(5));
                    let _ = std::fs::remove_file(self.home.state_file());
                    if let Some(reply) = waiter.reply {
                        let _ = reply.send(Response::Ok {
                            message: "every app stopped; the daemon exits".into(),
                        });
                    }
                    self.exit = Some(Exit::Quit);
                }
            }
        }
    }
}
