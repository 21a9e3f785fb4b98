//! `start`: new apps, and known apps whose spec changed, from fully resolved specs.
//!
//! Every spec is checked before any app is touched, so a refused request changes
//! nothing; a new app none of whose instances could start is not kept.

use std::sync::mpsc::Sender;

use super::super::super::policy::Input;
use super::super::outputs::outputs_for;
use super::super::tables::{App, Supervisor};
use super::resurrect::SavedInstances;
use super::{failed, Refusal};
use crate::config::AppSpec;
use crate::ipc::{Response, StartMode, StartRows, Status};
use crate::logs::pump::PumpCommand;

impl Supervisor {
    /// `rows` says what the answer lists once the started instances settled (a start
    /// that reloads known apps answers with the instances it touched either way).
    pub(super) fn start(
        &mut self,
        specs: Vec<AppSpec>,
        mode: StartMode,
        rows: StartRows,
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        self.start_apps(specs, mode, SavedInstances::new(), rows, reply)
    }

    /// `start`, where a new app named in `saved` gets the instances saved for it (ids,
    /// indexes, which ones start) instead of fresh ones, all started.
    pub(super) fn start_apps(
        &mut self,
        specs: Vec<AppSpec>,
        mode: StartMode,
        mut saved: SavedInstances,
        rows: StartRows,
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        // Check every app before touching any, so a bad request changes nothing.
        for spec in &specs {
            if let Some(app) = self.apps.get(&spec.name) {
                if mode == StartMode::Script && app.spec.script != spec.script {
                    return Err(failed(format!(
                        "the name `{}` is taken by {} (id {}): choose another --name or `rpm delete {}` first",
                        spec.name,
                        app.spec.script.display(),
                        app.ids.first().copied().unwrap_or_default(),
                        spec.name
                    )));
                }
                let running = app.ids.iter().any(|id| {
                    self.slots
                        .get(id)
                        .is_some_and(|s| s.inst.status.has_process())
                });
                if mode == StartMode::Script && running {
                    // As PM2: no failure, and nothing in the request is started.
                    return Ok(Some(Response::AlreadyRunning {
                        name: spec.name.clone(),
                        ids: app.ids.clone(),
                    }));
                }
            }
        }
        let specs: Vec<AppSpec> = specs
            .into_iter()
            .filter(|s| mode != StartMode::Missing || !self.apps.contains_key(&s.name))
            .collect();
        // Every socket is bound before any app changes: a port in use refuses it all.
        let mut sockets = self.bind_sockets(&specs).map_err(failed)?;
        let mut touched = Vec::new();
        let mut added = Vec::new();
        let mut reloading = Vec::new();
        for spec in specs {
            let name = spec.name.clone();
            let known = self.apps.contains_key(&name);
            if !known {
                added.push(name.clone());
            }
            let depends_on = spec.depends_on.clone();
            let ids = match (known, saved.remove(&name)) {
                (true, _) => self.update_app(spec),
                (false, Some(instances)) if !instances.is_empty() => {
                    self.add_saved_app(spec, instances)
                }
                (false, _) => self.add_app(spec),
            };
            let socket = sockets
                .iter()
                .position(|(app, _)| *app == name)
                .map(|i| sockets.swap_remove(i).1);
            self.install_socket(&name, socket);
            let input = match (known, mode) {
                (true, StartMode::File) => Input::Restart,
                (true, StartMode::Reload) => {
                    reloading.extend(ids);
                    continue;
                }
                _ => Input::Start,
            };
            touched.extend(ids.iter().copied());
            if self.dependencies_launching(&depends_on) {
                // `depends_on` waits until what it names is ready.
                self.defer(ids, input, depends_on);
                continue;
            }
            for id in ids {
                self.apply(id, input.clone());
            }
        }
        let failure = touched
            .iter()
            .filter_map(|id| self.slots.get(id))
            .filter(|s| s.inst.status == Status::Errored)
            .find_map(|s| {
                s.last_error
                    .as_ref()
                    .map(|e| format!("`{}` failed to start: {e}", s.app))
            });
        if let Some(first) = failure {
            // A new app that could not start at all is not kept: the request changed nothing.
            for name in added {
                let ids = self
                    .apps
                    .get(&name)
                    .map(|a| a.ids.clone())
                    .unwrap_or_default();
                let all_failed = ids.iter().all(|id| {
                    self.slots
                        .get(id)
                        .is_some_and(|s| s.inst.status == Status::Errored)
                });
                if all_failed {
                    for id in ids {
                        self.apply(id, Input::Delete);
                    }
                }
            }
            return Err(failed(first));
        }
        if !reloading.is_empty() {
            self.reload_ids(reloading, touched, reply);
        } else if rows == StartRows::All {
            self.answer_with_every_row_when_settled(touched, reply);
        } else {
            self.answer_when_settled(touched, reply, Vec::new());
        }
        Ok(None)
    }

    /// Adds a new app and its instances; returns their ids.
    fn add_app(&mut self, spec: AppSpec) -> Vec<u32> {
        let name = spec.name.clone();
        let count = spec.instances.max(1);
        self.apps.insert(name.clone(), App::new(spec));
        let ids = (0..count)
            .filter_map(|index| self.create_instance(&name, index))
            .collect();
        self.sync_watch(&name);
        ids
    }

    /// Replaces a known app's spec, adding or removing instances to match; returns the
    /// ids to (re)start.
    fn update_app(&mut self, spec: AppSpec) -> Vec<u32> {
        let name = spec.name.clone();
        let count = spec.instances.max(1);
        let Some(app) = self.apps.get_mut(&name) else {
            return Vec::new();
        };
        app.set_spec(spec);
        let existing = app.ids.clone();
        let surplus: Vec<u32> = existing.iter().skip(count as usize).copied().collect();
        for id in surplus {
            self.apply(id, Input::Delete);
        }
        let mut ids: Vec<u32> = existing.into_iter().take(count as usize).collect();
        for id in &ids {
            let Some(slot) = self.slots.get_mut(id) else {
                continue;
            };
            let Some(app) = self.apps.get(&name) else {
                continue;
            };
            let outputs = outputs_for(&self.home, &app.spec, *id, slot.index);
            slot.out_file = outputs.out_file.clone();
            slot.error_file = outputs.error_file.clone();
            self.pump.send(PumpCommand::Retarget { id: *id, outputs });
        }
        for id in &ids {
            self.arm_cron(*id);
        }
        self.sync_watch(&name);
        let have = ids.len() as u32;
        for index in have..count {
            if let Some(id) = self.create_instance(&name, index) {
                ids.push(id);
            }
        }
        self.dirty = true;
        ids
    }
}
