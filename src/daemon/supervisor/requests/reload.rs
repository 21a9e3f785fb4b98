//! `reload` and `scale`: replacing instances without downtime, one at a time, and
//! changing how many an app has; also starts that wait for their dependencies.
//!
//! A reload of instances that share a socket is a `RollingReload`: the planner
//! (`cluster::reload::next`) picks the next instance once the one before is replaced;
//! the answer comes when all are, or at the first failure (exit 1, the old process still
//! serving). Instances without a shared socket are restarted at once, as PM2 does.

use std::sync::mpsc::Sender;

use super::super::super::policy::Input;
use super::super::tables::{DeferredStart, RollingReload, Supervisor};
use super::{failed, usage, Refusal};
use crate::cluster::reload::{next, Next, Phase};
use crate::ipc::{ErrorKind, Response, Scale, Status};

impl Supervisor {
    pub(super) fn reload(
        &mut self,
        targets: &[String],
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        self.reload_ids(ids, Vec::new(), reply);
        Ok(None)
    }

    /// Reloads `ids` (rolling where they share a socket), answering with them and
    /// `also` once done.
    pub(super) fn reload_ids(&mut self, ids: Vec<u32>, also: Vec<u32>, reply: &Sender<Response>) {
        let (rolling, others): (Vec<u32>, Vec<u32>) = ids.into_iter().partition(|id| {
            self.slots.get(id).is_some_and(|s| {
                s.inst.status == Status::Online
                    && self
                        .apps
                        .get(&s.app)
                        .is_some_and(|a| a.policy.zero_downtime)
            })
        });
        for id in &others {
            self.apply(*id, Input::Reload);
        }
        let mut others = others;
        others.extend(also);
        if rolling.is_empty() {
            self.answer_when_settled(others, reply, Vec::new());
            return;
        }
        self.cluster.reloads.push(RollingReload {
            order: rolling,
            begun: Default::default(),
            failures: Default::default(),
            others,
            reply: reply.clone(),
        });
        self.advance_reloads();
    }

    /// Moves every rolling reload on: begins the next instance, answers those done.
    pub(crate) fn advance_reloads(&mut self) {
        if self.cluster.reloads.is_empty() {
            return;
        }
        let mut jobs = std::mem::take(&mut self.cluster.reloads);
        jobs.retain_mut(|job| loop {
            match next(&job.order, |id| self.reload_phase(job, id)) {
                Next::Begin(id) => {
                    job.begun.insert(id);
                    self.apply(id, Input::Reload);
                }
                Next::Wait => return true,
                Next::Finished => {
                    let mut ids = job.order.clone();
                    ids.extend(job.others.iter().copied());
                    self.answer_when_settled(ids, &job.reply, Vec::new());
                    return false;
                }
                Next::Failed { message, .. } => {
                    let _ = job.reply.send(Response::Error {
                        kind: ErrorKind::Failed,
                        message,
                    });
                    return false;
                }
            }
        });
        // Reloads begun while these ran (none today) are kept after them.
        jobs.append(&mut self.cluster.reloads);
        self.cluster.reloads = jobs;
    }

    fn reload_phase(&self, job: &RollingReload, id: u32) -> Phase {
        if !job.begun.contains(&id) {
            return Phase::Pending;
        }
        if let Some(message) = job.failures.get(&id) {
            return Phase::Failed(message.clone());
        }
        match self.slots.get(&id) {
            None => Phase::Done,
            Some(s)
                if s.inst.successor.is_some()
                    || matches!(s.inst.status, Status::Launching | Status::Stopping) =>
            {
                Phase::InProgress
            }
            Some(_) => Phase::Done,
        }
    }

    /// Records that the reload of instance `id` failed, for the reloads waiting on it.
    pub(crate) fn reload_failed(&mut self, id: u32, message: &str) {
        for job in &mut self.cluster.reloads {
            if job.begun.contains(&id) {
                job.failures
                    .entry(id)
                    .or_insert_with(|| message.to_string());
            }
        }
    }

    /// `rpm scale NAME N|+N|-N`: starts new instances, or gracefully deletes the
    /// highest ones; answers once they settled.
    pub(super) fn scale(
        &mut self,
        name: &str,
        change: Scale,
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let Some(app) = self.apps.get(name) else {
            let known = self.resolve(&[name.to_string()]).ok();
            return Err(failed(match known {
                Some(_) => format!("`{name}` is not an app name: scale takes an app's name"),
                None => format!("no app named `{name}`: see `rpm list`"),
            }));
        };
        let current = app.ids.len() as u32;
        let wanted = change.apply(current);
        if wanted == 0 {
            return Err(usage(format!(
                "cannot scale `{name}` to 0 instances: use `rpm stop {name}` or `rpm delete {name}`"
            )));
        }
        let mut spec = app.spec.clone();
        spec.instances = wanted;
        let mut ids: Vec<u32> = app.ids.clone();
        ids.sort_by_key(|id| self.slots.get(id).map_or(u32::MAX, |s| s.index));
        if let Some(app) = self.apps.get_mut(name) {
            app.set_spec(spec);
        }
        self.dirty = true;
        let mut touched = Vec::new();
        let mut deleted = Vec::new();
        if wanted > current {
            for index in current..wanted {
                if let Some(id) = self.create_instance(name, index) {
                    self.apply(id, Input::Start);
                    touched.push(id);
                }
            }
        } else {
            for id in ids.into_iter().skip(wanted as usize) {
                if let Some(row) = self.row(id) {
                    deleted.push(row);
                }
                self.apply(id, Input::Delete);
                touched.push(id);
            }
        }
        log::info!("{name}: scaled from {current} to {wanted} instance(s)");
        self.answer_when_settled(touched, reply, deleted);
        Ok(None)
    }

    /// Starts the deferred instances whose dependencies are no longer launching.
    pub(crate) fn start_deferred(&mut self) {
        if self.cluster.deferred.is_empty() {
            return;
        }
        let deferred = std::mem::take(&mut self.cluster.deferred);
        for start in deferred {
            if self.dependencies_launching(&start.depends_on) {
                self.cluster.deferred.push(start);
                continue;
            }
            for id in &start.ids {
                self.apply(*id, start.input.clone());
            }
        }
    }

    /// Whether any instance of the apps named is still launching (not ready yet).
    pub(crate) fn dependencies_launching(&self, names: &[String]) -> bool {
        names.iter().any(|name| {
            self.apps.get(name).is_some_and(|app| {
                app.ids.iter().any(|id| {
                    self.slots
                        .get(id)
                        .is_some_and(|s| s.inst.status == Status::Launching)
                })
            })
        })
    }

    /// Defers `input` for `ids` until the apps they depend on are ready.
    pub(crate) fn defer(&mut self, ids: Vec<u32>, input: Input, depends_on: Vec<String>) {
        self.cluster.deferred.push(DeferredStart {
            ids,
            input,
            depends_on,
        });
    }

    /// Whether instance `id` waits for its dependencies.
    pub(crate) fn is_deferred(&self, id: u32) -> bool {
        self.cluster.deferred.iter().any(|d| d.ids.contains(&id))
    }
}
