//! Snapshots of the tables for `state.json`, and adoption of a dead daemon's apps.
//!
//! A new daemon (after a crash, SIGKILL or `rpm update`) reads `state.json` and takes every
//! instance back: a process still alive with the recorded start time is adopted as it is
//! (same pid, not restarted; watched by waitpid if it is our child, else by pidfd), its
//! output FIFOs are reopened and what waited in them is drained. An instance whose
//! process died while no daemon was there goes through the restart policy as a crash.
//! One that was being started or was waiting to restart is started once, now.

use std::time::{Duration, Instant, SystemTime};

use super::persist::{SavedApp, SavedInstance, SavedState, STATE_VERSION};
use super::policy::{Input, Instance, Intent, Policy, Status};
use super::proctree;
use super::supervisor::{outputs_for, unix_ms, App, Slot, Supervisor};
use crate::ipc::protocol::VERSION;

impl Supervisor {
    /// The tables as `state.json` keeps them.
    pub(crate) fn snapshot(&self) -> SavedState {
        let apps = self
            .apps
            .values()
            .map(|app| SavedApp {
                spec: app.spec.clone(),
                instances: app
                    .ids
                    .iter()
                    .filter_map(|id| self.slots.get(id))
                    .map(|s| SavedInstance {
                        id: s.id,
                        instance: s.index,
                        status: s.inst.status,
                        pid: s.inst.pid,
                        proc_start: s.proc_start,
                        started_at: s.started_at_ms,
                        created_at: s.created_at_ms,
                        restarts: s.inst.restarts,
                        unstable_restarts: s.inst.unstable_restarts,
                        exit_code: s.inst.exit_code,
                        exit_signal: s.inst.exit_signal.clone(),
                        intent: s.inst.intent,
                        backoff_ms: s.inst.backoff_ms,
                    })
                    .collect(),
            })
            .collect();
        SavedState {
            version: STATE_VERSION,
            daemon_version: VERSION.to_string(),
            next_id: self.next_id,
            apps,
        }
    }

    /// Queues the current tables for `state.json`.
    pub(crate) fn persist(&self) {
        match serde_json::to_vec(&self.snapshot()) {
            Ok(data) => self.persister.save(data),
            Err(e) => log::error!("cannot encode the state: {e}"),
        }
    }

    /// Takes over the apps an earlier daemon left.
    pub(crate) fn adopt(&mut self, saved: SavedState) {
        self.next_id = saved.next_id;
        let now = Instant::now();
        let wall_now = unix_ms(SystemTime::now());
        let mut to_apply: Vec<(u32, Input)> = Vec::new();
        for saved_app in saved.apps {
            let name = saved_app.spec.name.clone();
            self.apps.insert(
                name.clone(),
                App {
                    policy: Policy::from_spec(&saved_app.spec),
                    spec: saved_app.spec.clone(),
                    ids: Vec::new(),
                },
            );
            for s in saved_app.instances {
                self.next_id = self.next_id.max(s.id + 1);
                let outputs = outputs_for(&self.home, &saved_app.spec, s.id, s.instance);
                let mut inst = Instance::new();
                inst.status = s.status;
                inst.restarts = s.restarts;
                inst.unstable_restarts = s.unstable_restarts;
                inst.exit_code = s.exit_code;
                inst.exit_signal = s.exit_signal.clone();
                inst.backoff_ms = s.backoff_ms;
                let mut slot = Slot {
                    id: s.id,
                    app: name.clone(),
                    index: s.instance,
                    inst,
                    proc_start: None,
                    started_at_ms: s.started_at,
                    created_at_ms: s.created_at,
                    adopted: false,
                    child: false,
                    last_error: None,
                    log_error: None,
                    out_file: outputs.out_file.clone(),
                    error_file: outputs.error_file.clone(),
                    cpu_sample: None,
                };
                match (s.status, s.pid, s.proc_start) {
                    (status, Some(pid), Some(start)) if status.has_process() => {
                        slot.inst.pid = Some(pid);
                        slot.inst.status = Status::Online;
                        slot.adopted = true;
                        let age = wall_now.saturating_sub(s.started_at.unwrap_or(wall_now));
                        slot.inst.started =
                            now.checked_sub(Duration::from_millis(age)).or(Some(now));
                        if proctree::is_same_process(pid, start) {
                            slot.proc_start = Some(start);
                            slot.child = proctree::stat(pid).is_some_and(|st| st.ppid == self.me);
                            if !slot.child {
                                if let Err(e) = self.pids.watch(pid) {
                                    log::warn!("{name} (id {}): cannot watch pid {pid}: {e}", s.id);
                                }
                            }
                            log::info!("{name} (id {}): adopted pid {pid}", s.id);
                            match s.intent {
                                Some(Intent::Stop) if status == Status::Stopping => {
                                    to_apply.push((s.id, Input::Stop))
                                }
                                Some(Intent::Restart) if status == Status::Stopping => {
                                    to_apply.push((s.id, Input::Restart))
                                }
                                Some(Intent::Delete) if status == Status::Stopping => {
                                    to_apply.push((s.id, Input::Delete))
                                }
                                _ => {}
                            }
                        } else {
                            log::info!("{name} (id {}): pid {pid} ended while no daemon ran", s.id);
                            // Its process is gone: the policy treats it as a crash.
                            let input = match s.intent {
                                Some(_) if status == Status::Stopping => Input::Exited {
                                    code: None,
                                    signal: None,
                                },
                                _ => Input::Exited {
                                    code: None,
                                    signal: None,
                                },
                            };
                            slot.inst.status = if status == Status::Stopping {
                                Status::Stopping
                            } else {
                                Status::Online
                            };
                            slot.inst.intent = s.intent;
                            to_apply.push((s.id, input));
                        }
                    }
                    (Status::Launching | Status::WaitingRestart, _, _) => {
                        slot.inst.status = Status::Stopped;
                        to_apply.push((s.id, Input::Start));
                    }
                    (status, _, _) if status.has_process() => {
                        slot.inst.status = Status::Stopped;
                    }
                    _ => {}
                }
                self.attach_output(s.id, outputs);
                if let Some(app) = self.apps.get_mut(&name) {
                    app.ids.push(s.id);
                }
                self.slots.insert(s.id, slot);
            }
        }
        for (id, input) in to_apply {
            self.apply(id, input);
        }
        self.dirty = true;
    }
}
