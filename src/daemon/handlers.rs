//! Request handlers of the supervisor: one method per `Request` variant, named alike.
//!
//! Handlers that change instances feed inputs to the state machine and, when the answer
//! must wait for processes (stop, restart, delete, kill), leave a `Waiter` that the loop
//! answers once every instance concerned has settled.

use std::sync::mpsc::Sender;

use super::outputs::outputs_for;
use super::policy::{Input, Status};
use super::spawn;
use super::supervisor::{App, Exit, Supervisor, Then, Waiter};
use crate::atomic_write::write_atomic;
use crate::config::interpreter::is_executable;
use crate::config::AppSpec;
use crate::ipc::protocol::VERSION;
use crate::ipc::{ErrorKind, Request, Response, StartMode};
use crate::signal_names;

/// A handler's failure: what to tell the user, and how bad it is.
struct Refusal {
    kind: ErrorKind,
    message: String,
}

fn failed(message: impl Into<String>) -> Refusal {
    Refusal {
        kind: ErrorKind::Failed,
        message: message.into(),
    }
}

fn usage(message: impl Into<String>) -> Refusal {
    Refusal {
        kind: ErrorKind::Usage,
        message: message.into(),
    }
}

impl Supervisor {
    pub(crate) fn request(&mut self, request: Request, reply: Sender<Response>) {
        if self.quitting
            && !matches!(
                request,
                Request::Ping | Request::List | Request::Describe { .. }
            )
        {
            let _ = reply.send(Response::Error {
                kind: ErrorKind::Failed,
                message: "the daemon is stopping every app and exiting; try again in a moment"
                    .into(),
            });
            return;
        }
        let releases_memory = matches!(request, Request::Start { .. } | Request::Delete { .. });
        let result = match request {
            Request::Ping => Ok(Some(Response::Pong {
                version: VERSION.to_string(),
                pid: std::process::id(),
            })),
            Request::Start { apps, mode } => self.start(apps, mode, &reply),
            Request::StartTargets { targets } => self.each(&targets, Input::Start, &reply),
            Request::Stop { targets } => self.each(&targets, Input::Stop, &reply),
            Request::Restart { targets } => self.each(&targets, Input::Restart, &reply),
            Request::Delete { targets } => self.delete(&targets, &reply),
            Request::Reset { targets } => self.reset(&targets),
            Request::Signal { signal, targets } => self.signal(&signal, &targets),
            Request::List => Ok(Some(Response::Processes {
                processes: self.all_infos(),
            })),
            Request::Describe { targets } => self.resolve(&targets).map(|ids| {
                Some(Response::Described {
                    details: ids.into_iter().filter_map(|id| self.details(id)).collect(),
                })
            }),
            Request::Env { id } => self.env(id),
            Request::Flush { targets } => self.flush(&targets),
            Request::ReloadLogs => {
                self.pump.send(crate::logs::pump::PumpCommand::Reopen);
                Ok(Some(Response::Ok {
                    message: "log files reopened".into(),
                }))
            }
            Request::Save => self.save(),
            Request::Kill => {
                self.begin_quit(Some(reply.clone()));
                Ok(None)
            }
            // Checked first, so a bad path leaves this daemon alone instead of failing at
            // exec after it has already wound down.
            Request::Update { exe } if !is_executable(&exe) => Err(failed(format!(
                "cannot replace the daemon with {}: not an executable file",
                exe.display()
            ))),
            Request::Update { exe } => {
                self.persist();
                self.persister.flush(std::time::Duration::from_secs(5));
                self.exit = Some(Exit::Exec(exe));
                Ok(Some(Response::Ok {
                    message: "the daemon is being replaced; apps keep running".into(),
                }))
            }
        };
        if releases_memory {
            // Apps came or went: give freed heap back to the system, so the daemon's
            // resident size follows what it holds (a few µs with one small arena).
            // SAFETY: malloc_trim has no preconditions.
            unsafe {
                libc::malloc_trim(0);
            }
        }
        match result {
            Ok(Some(response)) => {
                let _ = reply.send(response);
            }
            Ok(None) => {}
            Err(refusal) => {
                let _ = reply.send(Response::Error {
                    kind: refusal.kind,
                    message: refusal.message,
                });
            }
        }
    }

    /// Answers `reply` with the rows of `ids` (and the `deleted` rows captured before)
    /// once none of them is launching or stopping and the state showing it is on disk.
    fn answer_when_settled(
        &mut self,
        ids: Vec<u32>,
        reply: &Sender<Response>,
        deleted: Vec<crate::ipc::ProcessInfo>,
    ) {
        self.waiters.push(Waiter {
            ids,
            reply: Some(reply.clone()),
            deleted,
            then: Then::Reply,
            durable_at: None,
        });
    }

    /// Instance ids named by targets: `all`, an id, an app name or a namespace.
    fn resolve(&self, targets: &[String]) -> Result<Vec<u32>, Refusal> {
        let mut ids = Vec::new();
        for target in targets {
            let found: Vec<u32> = if target == "all" {
                self.slots.keys().copied().collect()
            } else if let Ok(id) = target.parse::<u32>() {
                if !self.slots.contains_key(&id) {
                    return Err(failed(format!(
                        "no instance with id {id}: `rpm list` shows the ids"
                    )));
                }
                vec![id]
            } else if let Some(app) = self.apps.get(target) {
                app.ids.clone()
            } else {
                let in_namespace: Vec<u32> = self
                    .apps
                    .values()
                    .filter(|a| &a.spec.namespace == target)
                    .flat_map(|a| a.ids.iter().copied())
                    .collect();
                if in_namespace.is_empty() {
                    return Err(failed(format!(
                        "no app or namespace named `{target}`: `rpm list` shows what rpm knows"
                    )));
                }
                in_namespace
            };
            for id in found {
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
        ids.sort_unstable();
        Ok(ids)
    }

    /// Feeds `input` to every targeted instance and answers once they settled.
    fn each(
        &mut self,
        targets: &[String],
        input: Input,
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        for id in &ids {
            self.apply(*id, input.clone());
        }
        self.answer_when_settled(ids, reply, Vec::new());
        Ok(None)
    }

    fn delete(
        &mut self,
        targets: &[String],
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        let deleted = ids.iter().filter_map(|id| self.info(*id)).collect();
        for id in &ids {
            self.apply(*id, Input::Delete);
        }
        self.answer_when_settled(ids, reply, deleted);
        Ok(None)
    }

    fn start(
        &mut self,
        specs: Vec<AppSpec>,
        mode: StartMode,
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
                    return Err(failed(format!(
                        "`{}` is already running: use `rpm restart {}` to restart it",
                        spec.name, spec.name
                    )));
                }
            }
        }
        let mut touched = Vec::new();
        let mut added = Vec::new();
        for spec in specs {
            let name = spec.name.clone();
            let known = self.apps.contains_key(&name);
            if known && mode == StartMode::Missing {
                continue;
            }
            if !known {
                added.push(name.clone());
            }
            let ids = if known {
                self.update_app(spec)
            } else {
                self.add_app(spec)
            };
            for id in ids {
                let input = if known && mode == StartMode::File {
                    Input::Restart
                } else {
                    Input::Start
                };
                self.apply(id, input);
                touched.push(id);
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
        self.answer_when_settled(touched, reply, Vec::new());
        Ok(None)
    }

    /// Adds a new app and its instances; returns their ids.
    fn add_app(&mut self, spec: AppSpec) -> Vec<u32> {
        let name = spec.name.clone();
        let count = spec.instances.max(1);
        self.apps.insert(name.clone(), App::new(spec));
        (0..count)
            .filter_map(|index| self.create_instance(&name, index))
            .collect()
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
            self.pump
                .send(crate::logs::pump::PumpCommand::Retarget { id: *id, outputs });
        }
        let have = ids.len() as u32;
        for index in have..count {
            if let Some(id) = self.create_instance(&name, index) {
                ids.push(id);
            }
        }
        self.dirty = true;
        ids
    }

    fn reset(&mut self, targets: &[String]) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        for id in &ids {
            if let Some(slot) = self.slots.get_mut(id) {
                slot.inst.restarts = 0;
                slot.inst.unstable_restarts = 0;
            }
        }
        self.dirty = true;
        Ok(Some(Response::Processes {
            processes: ids.into_iter().filter_map(|id| self.info(id)).collect(),
        }))
    }

    fn signal(&mut self, name: &str, targets: &[String]) -> Result<Option<Response>, Refusal> {
        let signal = signal_names::parse(name).ok_or_else(|| {
            usage(format!(
                "unknown signal `{name}`: use a name such as SIGUSR1 or HUP, or a number"
            ))
        })?;
        let ids = self.resolve(targets)?;
        let mut sent = Vec::new();
        for id in &ids {
            let Some(slot) = self.slots.get(id) else {
                continue;
            };
            if let Some(pid) = slot.inst.pid.filter(|_| slot.inst.status.has_process()) {
                if nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal).is_ok() {
                    sent.push(*id);
                }
            }
        }
        if sent.is_empty() {
            return Err(failed(format!(
                "no running process among {} to send {signal} to",
                targets.join(" ")
            )));
        }
        Ok(Some(Response::Processes {
            processes: sent.into_iter().filter_map(|id| self.info(id)).collect(),
        }))
    }

    fn env(&mut self, id: u32) -> Result<Option<Response>, Refusal> {
        let slot = self.slots.get(&id).ok_or_else(|| {
            failed(format!(
                "no instance with id {id}: `rpm list` shows the ids"
            ))
        })?;
        let spec = &self
            .apps
            .get(&slot.app)
            .ok_or_else(|| failed(format!("no instance with id {id}")))?
            .spec;
        let env = spawn::child_env(
            spec,
            spawn::InstanceRef {
                id,
                index: slot.index,
            },
            &self.home,
        );
        Ok(Some(Response::Env {
            env: env.into_iter().collect(),
        }))
    }

    fn flush(&mut self, targets: &[String]) -> Result<Option<Response>, Refusal> {
        let ids = if targets.is_empty() {
            self.slots.keys().copied().collect()
        } else {
            self.resolve(targets)?
        };
        let count = ids.len();
        self.pump
            .send(crate::logs::pump::PumpCommand::Truncate { ids });
        Ok(Some(Response::Ok {
            message: format!("emptied the logs of {count} instance(s)"),
        }))
    }

    fn save(&mut self) -> Result<Option<Response>, Refusal> {
        let specs: Vec<&AppSpec> = self.apps.values().map(|a| &a.spec).collect();
        let data = serde_json::to_vec_pretty(&specs)
            .map_err(|e| failed(format!("cannot encode the process list: {e}")))?;
        let path = self.home.dump_file();
        write_atomic(&path, &data, 0o600)
            .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(Response::Saved {
            path,
            apps: specs.len(),
        }))
    }
}
