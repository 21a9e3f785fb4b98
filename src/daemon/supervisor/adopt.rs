//! Snapshots of the tables for `state.json`, and adoption of a dead daemon's apps.
//!
//! A new daemon (after a crash, SIGKILL or `rpm update`) reads `state.json` and takes every
//! instance back: a process still alive with the recorded start time is adopted as it is
//! (same pid, not restarted; watched by waitpid if it is our child, else by pidfd), its
//! output FIFOs are reopened and what waited in them is drained. An instance whose
//! process died while no daemon was there goes through the restart policy as a crash.
//! One that was being started or was waiting to restart is started once, now.

use std::time::{Duration, Instant, SystemTime};

use super::super::persist::{Intent, SavedApp, SavedInstance, SavedState, STATE_VERSION};
use super::super::policy::{Input, Instance};
use super::outputs::outputs_for;
use super::tables::{unix_ms, App, Slot, Supervisor};
use crate::ipc::protocol::VERSION;
use crate::ipc::Status;
use crate::logs::pump::PumpCommand;
use crate::proctree;

impl Supervisor {
    /// The tables as `state.json` keeps them.
    pub(crate) fn snapshot(&self) -> SavedState<&serde_json::value::RawValue> {
        let apps = self
            .apps
            .values()
            .map(|app| SavedApp {
                spec: &*app.spec_json,
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
    pub(crate) fn persist(&mut self) {
        match serde_json::to_vec(&self.snapshot()) {
            Ok(data) => {
                self.persist_seq += 1;
                self.persister.save(self.persist_seq, data);
            }
            Err(e) => log::error!("cannot encode the state: {e}"),
        }
    }

    /// Takes over the apps an earlier daemon left. `recovered`: the list is a fallback
    /// for a damaged `state.json` and may miss the latest change, so live processes it
    /// does not name are left running (and logged), never stopped.
    pub(crate) fn adopt(&mut self, saved: SavedState, recovered: bool) {
        self.next_id = saved.next_id;
        // Main processes of this home, recorded or not: a daemon killed between a spawn
        // and its state write leaves a process that state.json does not name yet.
        let home_marker = self.home.root().to_string_lossy().into_owned();
        let mut leaders = proctree::instance_leaders(&home_marker);
        let mut to_apply: Vec<(u32, Vec<Input>)> = Vec::new();
        for saved_app in saved.apps {
            let name = saved_app.spec.name.clone();
            self.apps
                .insert(name.clone(), App::new(saved_app.spec.clone()));
            for s in saved_app.instances {
                self.next_id = self.next_id.max(s.id + 1);
                let outputs = outputs_for(&self.home, &saved_app.spec, s.id, s.instance);
                let mut slot = Slot::new(s.id, &name, s.instance, &outputs, s.created_at);
                slot.started_at_ms = s.started_at;
                slot.inst = Instance::restored(&s, s.started_at.map(monotonic_since));
                let found = leaders.remove(&s.id).unwrap_or_default();
                let inputs = self.take_back(&mut slot, &s, found);
                self.attach_output(s.id, outputs);
                if inputs.contains(&Input::ExitedWhileAway) {
                    // Gone while no daemon ran: drain what it wrote, end its last line.
                    self.pump.send(PumpCommand::Exited { id: s.id });
                }
                to_apply.push((s.id, inputs));
                if let Some(app) = self.apps.get_mut(&name) {
                    app.ids.push(s.id);
                }
                self.slots.insert(s.id, slot);
                self.arm_cron(s.id);
            }
        }
        let names: Vec<String> = self.apps.keys().cloned().collect();
        for name in names {
            self.sync_watch(&name);
        }
        // Processes of instances that no longer exist at all.
        for (id, pids) in leaders {
            for pid in pids {
                if recovered {
                    log::warn!(
                        "pid {pid} (RPM_ID {id}) is not in the recovered list: left running, unsupervised; stop it by hand or `rpm start` its app again"
                    );
                } else {
                    log::warn!("stopping pid {pid}: it belongs to no instance rpm knows");
                    self.processes.kill_tree(pid, true);
                }
            }
        }
        // Before anything is started again: the sockets live instances hold.
        self.recover_sockets();
        for (id, inputs) in to_apply {
            for input in inputs {
                self.apply(id, input);
            }
        }
        self.dirty = true;
    }

    /// Decides what an instance's process is now; returns the inputs that settle it.
    /// `found` lists the live main processes carrying this instance's id.
    fn take_back(&mut self, slot: &mut Slot, s: &SavedInstance, found: Vec<i32>) -> Vec<Input> {
        let recorded = match (s.pid, s.proc_start) {
            (Some(pid), Some(start))
                if s.status.has_process() && proctree::is_same_process(pid, start) =>
            {
                Some((pid, start))
            }
            _ => None,
        };
        // The live process: the recorded one, else the newest unrecorded one.
        let live = recorded.or_else(|| {
            found
                .iter()
                .filter_map(|p| proctree::stat(*p).map(|st| (*p, st.start_ticks)))
                .max_by_key(|(_, start)| *start)
        });
        for pid in found.iter().filter(|p| Some(**p) != live.map(|(l, _)| l)) {
            log::warn!(
                "{} (id {}): stopping duplicate process {pid}",
                slot.app,
                slot.id
            );
            self.processes.kill_tree(*pid, true);
        }
        if let Some((pid, start)) = live {
            slot.adopted = true;
            slot.proc_start = Some(start);
            let wall_now = unix_ms(SystemTime::now());
            let started_ms = if recorded.is_some() {
                s.started_at.unwrap_or(wall_now)
            } else {
                proctree::started_unix_ms(start, wall_now)
            };
            slot.started_at_ms = Some(started_ms);
            slot.child = proctree::stat(pid).is_some_and(|st| st.ppid == std::process::id() as i32);
            slot.uid = proctree::uid(pid);
            if !slot.child {
                if let Err(e) = self.pids.watch(pid) {
                    log::warn!("{} (id {}): cannot watch pid {pid}: {e}", slot.app, slot.id);
                }
            }
            log::info!("{} (id {}): adopted pid {pid}", slot.app, slot.id);
            let adopted = Input::Adopted {
                pid,
                started: monotonic_since(started_ms),
            };
            // A stop the dead daemon had begun is begun again: signal, then kill timeout.
            return match (s.status, s.intent) {
                (Status::Stopping, Some(Intent::Stop)) => vec![adopted, Input::Stop],
                (Status::Stopping, Some(Intent::Restart)) => vec![adopted, Input::Restart],
                (Status::Stopping, Some(Intent::Delete)) => vec![adopted, Input::Delete],
                _ => vec![adopted],
            };
        }
        if slot.inst.live_pid().is_some() {
            log::info!(
                "{} (id {}): its process ended while no daemon ran",
                slot.app,
                slot.id
            );
            slot.adopted = true;
            return vec![Input::ExitedWhileAway];
        }
        match s.status {
            Status::Launching | Status::WaitingRestart => vec![Input::Start],
            _ => Vec::new(),
        }
    }
}

/// The monotonic instant matching a Unix time in ms (now, if that is too far back).
fn monotonic_since(unix_ms_then: u64) -> Instant {
    let age = Duration::from_millis(unix_ms(SystemTime::now()).saturating_sub(unix_ms_then));
    let now = Instant::now();
    now.checked_sub(age).unwrap_or(now)
}
