//! Answers that wait until the change they report is real: processes settled (none of
//! the instances concerned launching or stopping) and the state showing it on disk.
//!
//! `stop`, `restart`, `delete`, `start` and `kill` leave a `Waiter`; the loop checks them
//! at the end of every turn (`check_waiters`) and answers those that settled, so a CLI
//! that saw "stopped" can rely on it, and on a daemon crash not undoing it.

use std::sync::mpsc::Sender;

use super::super::policy::Input;
use super::tables::{Exit, OnSettled, PendingRows, Supervisor, Waiter};
use crate::ipc::{ProcessInfo, Response, Status};

impl Supervisor {
    /// Answers `reply` with the rows of `ids` (and the `deleted` rows captured before)
    /// once none of them is launching or stopping and the state showing it is on disk.
    pub(crate) fn answer_when_settled(
        &mut self,
        ids: Vec<u32>,
        reply: &Sender<Response>,
        deleted: Vec<ProcessInfo>,
    ) {
        self.wait_for(ids, Some(reply.clone()), deleted, OnSettled::Reply);
    }

    /// Answers `reply` as `answer_when_settled` does, but with every instance's row, as
    /// `list` would (figures from a fresh sample).
    pub(crate) fn answer_with_every_row_when_settled(
        &mut self,
        ids: Vec<u32>,
        reply: &Sender<Response>,
    ) {
        self.wait_for(
            ids,
            Some(reply.clone()),
            Vec::new(),
            OnSettled::ReplyWithEveryRow,
        );
    }

    fn wait_for(
        &mut self,
        ids: Vec<u32>,
        reply: Option<Sender<Response>>,
        deleted: Vec<ProcessInfo>,
        then: OnSettled,
    ) {
        self.waiters.0.push(Waiter {
            ids,
            reply,
            deleted,
            then,
            durable_at: None,
        });
    }

    /// Stops every app; the loop ends once they are all stopped.
    pub(crate) fn begin_quit(&mut self, reply: Option<Sender<Response>>) {
        if !self.quitting {
            if let Some(systemd) = &self.systemd {
                systemd.stopping();
            }
        }
        self.quitting = true;
        let ids: Vec<u32> = self.slots.keys().copied().collect();
        for id in &ids {
            self.apply(*id, Input::Stop);
        }
        self.wait_for(ids, reply, Vec::new(), OnSettled::Quit);
    }

    pub(crate) fn check_waiters(&mut self) {
        let mut i = 0;
        while i < self.waiters.0.len() {
            let settled = self.waiters.0[i].ids.iter().all(|id| {
                !self.is_deferred(*id)
                    && self.slots.get(id).is_none_or(|s| {
                        !matches!(s.inst.status, Status::Launching | Status::Stopping)
                    })
            });
            if !settled {
                i += 1;
                continue;
            }
            // Answer only once the state that shows the change is on disk (the snapshot
            // queued at the end of this turn when something changed).
            let needed = *self.waiters.0[i]
                .durable_at
                .get_or_insert(self.persist_seq + u64::from(self.dirty));
            let replies = !matches!(self.waiters.0[i].then, OnSettled::Quit);
            if replies && self.durable_seq < needed {
                i += 1;
                continue;
            }
            let waiter = self.waiters.0.remove(i);
            match waiter.then {
                OnSettled::Reply => {
                    let mut rows = waiter.deleted;
                    rows.extend(waiter.ids.iter().filter_map(|id| self.row(*id)));
                    rows.sort_by_key(|r| r.id);
                    if let Some(reply) = waiter.reply {
                        let _ = reply.send(Response::Processes { processes: rows });
                    }
                }
                OnSettled::ReplyWithEveryRow => {
                    if let Some(reply) = waiter.reply {
                        self.answer_rows(PendingRows::List(reply));
                    }
                }
                OnSettled::Quit => {
                    self.persister.flush(std::time::Duration::from_secs(5));
                    let state = self.home.state_file();
                    let _ = std::fs::remove_file(&state);
                    // Nothing runs any more: an older list must never be recovered.
                    let _ = std::fs::remove_file(super::super::persist::backup_path(&state));
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
