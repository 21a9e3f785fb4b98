//! `list`, `describe`, `env`: questions about instances, answered without changing them.

use std::sync::mpsc::Sender;

use super::super::tables::{PendingRows, Supervisor};
use super::{failed, Refusal};
use crate::daemon::process::spawn;
use crate::ipc::Response;

impl Supervisor {
    /// `jlist`: every row, with figures no older than the sampler's interval.
    pub(super) fn list(&mut self, reply: &Sender<Response>) -> Result<Option<Response>, Refusal> {
        self.answer_rows(PendingRows::List(reply.clone()));
        Ok(None)
    }

    /// `describe`: everything about the targeted instances.
    pub(super) fn describe(
        &mut self,
        targets: &[String],
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let ids = self.resolve(targets)?;
        self.answer_rows(PendingRows::Describe(ids, reply.clone()));
        Ok(None)
    }

    pub(super) fn env(&self, id: u32) -> Result<Option<Response>, Refusal> {
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
}
