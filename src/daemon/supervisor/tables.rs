//! The app and instance tables the supervisor owns, and the bookkeeping around them.
//!
//! `App` is a spec with what derives from it; `Slot` is one instance: the state machine's
//! `Instance` (changed by `policy::step` only) plus what the supervisor knows around it
//! (log paths, whether the process is its child or adopted, the last sample). Creating
//! and removing instances happens here; nothing here changes an instance's status.

use std::path::PathBuf;
use std::time::SystemTime;

use super::super::policy::{Instance, Policy};
use super::super::sampler::Sample;
use super::outputs::outputs_for;
use super::Supervisor;
use crate::config::AppSpec;
use crate::daemon::pump::{Outputs, PumpCommand};
use crate::ipc::target::Row;

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
    /// The last CPU and memory sample of the current process.
    pub sample: Option<Sample>,
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
            sample: None,
            uid: None,
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

impl Supervisor {
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

    /// Forgets instance `id`: its output, FIFOs and deadlines; its app once it has no
    /// instance left.
    pub(crate) fn remove(&mut self, id: u32) {
        let Some(slot) = self.slots.remove(&id) else {
            return;
        };
        self.timers.cancel_instance(id);
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

    /// The instance whose current process is `pid`. Exits reaped by waitpid only count
    /// for our children; pidfd exits only for adopted processes that are not.
    pub(crate) fn id_of_pid(&self, pid: i32, reaped: bool) -> Option<u32> {
        self.slots
            .values()
            .find(|s| s.live_pid() == Some(pid) && (reaped || !s.child))
            .map(|s| s.id)
    }

    /// Every instance as the target matcher sees it.
    pub(crate) fn target_rows(&self) -> impl Iterator<Item = Row<'_>> + Clone {
        self.slots.values().filter_map(|s| {
            let spec = &self.apps.get(&s.app)?.spec;
            Some(Row {
                id: s.id,
                name: &spec.name,
                namespace: &spec.namespace,
            })
        })
    }
}
