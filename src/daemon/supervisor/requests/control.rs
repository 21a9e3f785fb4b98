//! `stop`, `restart`, `start <target>`, `delete`, `reset`, `signal`, `flush`: what users
//! do to instances they name.

use std::sync::mpsc::Sender;

use super::super::super::policy::Input;
use super::super::tables::Supervisor;
use super::{failed, usage, Refusal};
use crate::ipc::{Response, WatchChange};
use crate::logs::pump::PumpCommand;
use crate::signal_names;

impl Supervisor {
    /// Feeds `input` to every targeted instance and answers once they settled.
    pub(super) fn apply_to_targets(
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

    pub(super) fn delete(
        &mut self,
        targets: &[String],
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        let deleted = ids.iter().filter_map(|id| self.row(*id)).collect();
        for id in &ids {
            self.apply(*id, Input::Delete);
        }
        self.answer_when_settled(ids, reply, deleted);
        Ok(None)
    }

    pub(super) fn reset(&mut self, targets: &[String]) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        for id in &ids {
            self.apply(*id, Input::Reset);
        }
        Ok(Some(Response::Processes {
            processes: ids.into_iter().filter_map(|id| self.row(id)).collect(),
        }))
    }

    pub(super) fn signal(
        &mut self,
        name: &str,
        targets: &[String],
    ) -> Result<Option<Response>, Refusal> {
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
            processes: sent.into_iter().filter_map(|id| self.row(id)).collect(),
        }))
    }

    pub(super) fn flush(&mut self, targets: &[String]) -> Result<Option<Response>, Refusal> {
        let ids = if targets.is_empty() {
            self.slots.keys().copied().collect()
        } else {
            self.resolve(targets)?
        };
        let count = ids.len();
        self.pump.send(PumpCommand::Truncate { ids });
        Ok(Some(Response::Ok {
            message: format!("emptied the logs of {count} instance(s)"),
        }))
    }

    /// `stop --watch` / `restart --watch`: changes whether the targeted instances' apps
    /// are watched, before the stop or restart itself.
    pub(super) fn watch(
        &mut self,
        targets: &[String],
        change: WatchChange,
    ) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        let mut names: Vec<String> = ids
            .iter()
            .filter_map(|id| self.slots.get(id).map(|s| s.app.clone()))
            .collect();
        names.dedup();
        for name in &names {
            let Some(app) = self.apps.get_mut(name) else {
                continue;
            };
            let mut spec = app.spec.clone();
            spec.watch = match change {
                WatchChange::Off => Vec::new(),
                WatchChange::Toggle if spec.watch.is_empty() => vec![spec.cwd.clone()],
                WatchChange::Toggle => Vec::new(),
            };
            log::info!(
                "{name}: {}",
                if spec.watch.is_empty() {
                    "no longer watched"
                } else {
                    "watched"
                }
            );
            app.set_spec(spec);
            app.watch_problem = None;
            self.sync_watch(name);
        }
        self.dirty = true;
        Ok(Some(Response::Processes {
            processes: ids.into_iter().filter_map(|id| self.row(id)).collect(),
        }))
    }
}
