//! Runs inputs through the state machine and carries out what it returns.
//!
//! `apply` is the only path from an input to a changed instance: it calls `policy::step`,
//! stores the result, keeps the instance's deadline in `Timers`, publishes notices for
//! what changed, and performs the actions in order. The actions carry their data (pid,
//! signal, group), so nothing here decides policy; a `Spawn` feeds `Spawned` or
//! `SpawnFailed` back into the same instance before the next input.

use std::time::{Instant, SystemTime};

use super::super::policy::{step, Action, Input, Report};
use super::super::process::spawn::InstanceRef;
use super::super::timers::TimerKey;
use super::tables::{unix_ms, Supervisor};
use crate::ipc::{LastRestart, NoticeEvent, RestartReason, Status};

impl Supervisor {
    /// Runs `input` through the state machine and carries out the actions.
    pub(crate) fn apply(&mut self, id: u32, input: Input) {
        self.apply_at(id, input, Instant::now());
    }

    /// `apply` at a given time: deadlines are judged at the time the loop woke for them.
    pub(crate) fn apply_at(&mut self, id: u32, input: Input, now: Instant) {
        let mut inputs = vec![input];
        while let Some(input) = inputs.pop() {
            let Some(slot) = self.slots.get(&id) else {
                return;
            };
            let Some(app) = self.apps.get(&slot.app) else {
                return;
            };
            let before = slot.inst.clone();
            let (next, actions) = step(&before, &app.policy, input, now);
            if next.status != before.status
                || next.pid != before.pid
                || next.restarts != before.restarts
                || next.unstable_restarts != before.unstable_restarts
            {
                self.dirty = true;
            }
            self.keep_deadline(id, next.status, next.deadline);
            let (from, to, pid) = (before.status, next.status, next.live_pid());
            if let Some(slot) = self.slots.get_mut(&id) {
                slot.inst = next;
            }
            for action in &actions {
                if let Action::Report(report) = action {
                    self.report(id, report);
                }
            }
            if from != to {
                self.notify(id, NoticeEvent::Status { from, to, pid });
            }
            for action in actions {
                match action {
                    Action::Spawn => inputs.push(self.spawn(id)),
                    Action::SignalStop { pid, signal, group } => {
                        self.processes.signal(pid, signal, group)
                    }
                    Action::KillTree { pid, group } => self.processes.kill_tree(pid, group),
                    Action::ProcessEnded {
                        pid,
                        kill_leftovers,
                    } => self.process_ended(id, pid, kill_leftovers),
                    Action::Remove => {
                        self.notify(id, NoticeEvent::Deleted);
                        self.remove(id);
                        return;
                    }
                    Action::Report(_) => {}
                }
            }
        }
    }

    /// Keeps the instance's one deadline in the timer set, keyed by what it is for.
    fn keep_deadline(&mut self, id: u32, status: Status, deadline: Option<Instant>) {
        self.timers.cancel_state_deadlines(id);
        let key = match status {
            Status::WaitingRestart => TimerKey::RestartDelay(id),
            Status::Stopping => TimerKey::KillTimeout(id),
            _ => return,
        };
        self.timers.set_or_cancel(key, deadline);
    }

    fn spawn(&mut self, id: u32) -> Input {
        let Some(slot) = self.slots.get(&id) else {
            return Input::SpawnFailed;
        };
        let Some(app) = self.apps.get(&slot.app) else {
            return Input::SpawnFailed;
        };
        let who = InstanceRef {
            id,
            index: slot.index,
        };
        let result = self.processes.spawn(&self.home, &app.spec, who);
        let Some(slot) = self.slots.get_mut(&id) else {
            return Input::SpawnFailed;
        };
        self.dirty = true;
        match result {
            Ok(started) => {
                slot.proc_start = started.start_ticks;
                slot.started_at_ms = Some(unix_ms(SystemTime::now()));
                slot.child = true;
                slot.adopted = false;
                slot.last_error = None;
                slot.sample = None;
                slot.uid = started.uid;
                Input::Spawned { pid: started.pid }
            }
            Err(e) => {
                log::error!("{} (id {id}): {e}", slot.app);
                slot.last_error = Some(e.to_string());
                Input::SpawnFailed
            }
        }
    }

    /// The main process `pid` is gone: kill what it left behind if told to, stop
    /// watching it, and forget that it was adopted.
    fn process_ended(&mut self, id: u32, pid: i32, kill_leftovers: bool) {
        if kill_leftovers {
            let live: Vec<i32> = self.slots.values().filter_map(|s| s.inst.pid).collect();
            self.processes.kill_leftovers(pid, id, &live);
        }
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        if !slot.child {
            self.pids.forget(pid);
        }
        slot.adopted = false;
        slot.proc_start = None;
        slot.sample = None;
    }

    /// Publishes what the state machine reported, and logs what deserves it.
    fn report(&mut self, id: u32, report: &Report) {
        let event = match report {
            Report::Exited {
                pid,
                code,
                signal,
                uptime,
            } => NoticeEvent::Exited {
                pid: *pid,
                code: *code,
                signal: signal.clone(),
                uptime_ms: uptime.map(|u| u.as_millis() as u64),
            },
            Report::Restarting {
                reason,
                delay,
                detail,
            } => {
                if let Some(slot) = self.slots.get_mut(&id) {
                    slot.last_restart = Some(LastRestart {
                        reason: *reason,
                        detail: detail.clone(),
                        at: unix_ms(SystemTime::now()),
                    });
                }
                if *reason != RestartReason::Crash {
                    let why = detail
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default();
                    log::info!(
                        "{} (id {id}): restarting ({}{why})",
                        self.app_of(id),
                        reason.as_str()
                    );
                }
                NoticeEvent::Restarting {
                    reason: *reason,
                    delay_ms: delay.as_millis() as u64,
                    detail: detail.clone(),
                }
            }
            Report::Errored { cause } => {
                let message = self.errored_message(id, *cause);
                log::warn!("{message}");
                NoticeEvent::Errored {
                    cause: *cause,
                    message,
                }
            }
        };
        self.notify(id, event);
    }
}
