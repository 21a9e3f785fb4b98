//! Runs inputs through the state machine and carries out what it returns.
//!
//! `apply` is the only path from an input to a changed instance: it calls `policy::step`,
//! stores the result, keeps the instance's deadline in `Timers`, publishes notices for
//! what changed, and performs the actions in order. The actions carry their data (pid,
//! signal, group), so nothing here decides policy; a `Spawn` feeds `Spawned` or
//! `SpawnFailed` back into the same instance before the next input.

use std::os::fd::AsFd;
use std::time::{Instant, SystemTime};

use super::super::policy::{step, Action, Input, Instance, ReloadFailure, Report};
use super::super::process::Started;
use super::super::timers::TimerKey;
use super::tables::{unix_ms, SuccessorProcess, Supervisor};
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
            self.keep_deadlines(id, &next);
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
                    Action::SpawnSuccessor => inputs.push(self.spawn_successor(id)),
                    Action::SignalStop { pid, signal, group } => {
                        self.processes.signal(pid, signal, group)
                    }
                    Action::SendShutdown {
                        pid,
                        fallback,
                        group,
                    } => {
                        if !self.send_shutdown(pid) {
                            self.processes.signal(pid, fallback, group)
                        }
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

    /// Keeps the instance's deadlines in the timer set, keyed by what each is for: its
    /// status's (restart delay, kill timeout, readiness) and its successor's.
    fn keep_deadlines(&mut self, id: u32, next: &Instance) {
        self.timers.cancel_state_deadlines(id);
        let key = match next.status {
            Status::WaitingRestart => Some(TimerKey::RestartDelay(id)),
            Status::Stopping => Some(TimerKey::KillTimeout(id)),
            Status::Launching => Some(TimerKey::Readiness(id)),
            _ => None,
        };
        if let Some(key) = key {
            self.timers.set_or_cancel(key, next.deadline);
        }
        let successor = next.successor.as_ref().and_then(|s| s.deadline);
        self.timers
            .set_or_cancel(TimerKey::Successor(id), successor);
    }

    fn spawn(&mut self, id: u32) -> Input {
        let result = self.start_process(id);
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
                slot.last_error = Some(e);
                Input::SpawnFailed
            }
        }
    }

    /// Starts a reload's successor beside the instance's current process.
    fn spawn_successor(&mut self, id: u32) -> Input {
        let result = self.start_process(id);
        let Some(slot) = self.slots.get_mut(&id) else {
            return Input::SuccessorSpawnFailed;
        };
        match result {
            Ok(started) => {
                slot.successor = Some(SuccessorProcess {
                    pid: started.pid,
                    start_ticks: started.start_ticks,
                    uid: started.uid,
                    started_at_ms: unix_ms(SystemTime::now()),
                });
                Input::SuccessorSpawned { pid: started.pid }
            }
            Err(e) => {
                log::error!("{} (id {id}): reload: {e}", slot.app);
                slot.last_error = Some(e);
                Input::SuccessorSpawnFailed
            }
        }
    }

    /// Starts a process of instance `id` with what it receives beyond its spec (its
    /// app's socket, a Node IPC channel, the notify socket, the preload).
    fn start_process(&mut self, id: u32) -> Result<Started, String> {
        self.refuse_symlinked_logs(id)?;
        let key = self.cluster.next_channel;
        let Some((app_name, who, channel)) = self.spawn_plan(id, key) else {
            return Err("the instance is gone".into());
        };
        let Some(app) = self.apps.get(&app_name) else {
            return Err("the app is gone".into());
        };
        let name = crate::cluster::listener::fd_name(&app.spec.name);
        let extras = super::super::process::spawn::Extras {
            listen: app.socket.as_ref().map(|s| (s.fd.as_fd(), name.as_str())),
            channel,
            notify_socket: self.cluster.readiness.as_ref().map(|r| r.notify_socket()),
            preload: self
                .cluster
                .preload
                .as_deref()
                .filter(|_| app.spec.shares_socket()),
        };
        let had_channel = extras.channel.is_some();
        let result = self.processes.spawn(&self.home, &app.spec, who, extras);
        if had_channel {
            self.cluster.next_channel += 1;
            match &result {
                Ok(started) => {
                    self.cluster.channels.insert(
                        key,
                        super::tables::Channel {
                            id,
                            pid: Some(started.pid),
                        },
                    );
                }
                Err(_) => {
                    if let Some(r) = &self.cluster.readiness {
                        r.close_channel(key);
                    }
                }
            }
        }
        result.map_err(|e| e.to_string())
    }

    /// A link planted at one of the instance's log paths: refused before a process
    /// runs, rather than after, with its output going nowhere.
    fn refuse_symlinked_logs(&self, id: u32) -> Result<(), String> {
        let Some(slot) = self.slots.get(&id) else {
            return Ok(());
        };
        let log_file = self
            .apps
            .get(&slot.app)
            .and_then(|a| a.spec.log_file.as_ref());
        [&slot.out_file, &slot.error_file]
            .into_iter()
            .chain(log_file)
            .try_for_each(|path| crate::logs::refuse_symlink(path).map_err(|e| e.to_string()))
    }

    /// Process `pid` of instance `id` (its current one, or a reload's successor) is
    /// gone: kill what it left behind if told to, close its channel, stop watching it,
    /// and forget that it was adopted; a successor that took over becomes the current.
    fn process_ended(&mut self, id: u32, pid: i32, kill_leftovers: bool) {
        if kill_leftovers {
            let live: Vec<i32> = self
                .slots
                .values()
                .flat_map(|s| [s.inst.pid, s.inst.successor.as_ref().and_then(|n| n.pid)])
                .flatten()
                .collect();
            self.processes.kill_leftovers(pid, id, &live);
        }
        self.close_channel_of(pid);
        let Some(slot) = self.slots.get_mut(&id) else {
            return;
        };
        if slot.successor.is_some_and(|s| s.pid == pid) {
            // A reload's successor ended before it took over.
            slot.successor = None;
            return;
        }
        if !slot.child {
            self.pids.forget(pid);
        }
        match slot.successor {
            // The successor took over: it is now the instance's process.
            Some(s) if slot.live_pid() == Some(s.pid) => {
                slot.successor = None;
                slot.proc_start = s.start_ticks;
                slot.uid = s.uid;
                slot.started_at_ms = Some(s.started_at_ms);
                slot.child = true;
            }
            _ => slot.proc_start = None,
        }
        slot.adopted = false;
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
            Report::Ready { pid, timed_out } => {
                if *timed_out {
                    log::warn!(
                        "{} (id {id}): pid {pid} did not say it was ready within listen_timeout: taken as ready",
                        self.app_of(id)
                    );
                }
                NoticeEvent::Ready {
                    pid: *pid,
                    timed_out: *timed_out,
                }
            }
            Report::Replaced { old_pid, new_pid } => {
                log::info!(
                    "{} (id {id}): reloaded: pid {new_pid} replaced pid {old_pid}",
                    self.app_of(id)
                );
                NoticeEvent::Replaced {
                    old_pid: *old_pid,
                    new_pid: *new_pid,
                }
            }
            Report::ReloadFailed { cause } => {
                let message = self.reload_failure_message(id, cause);
                log::warn!("{message}");
                self.reload_failed(id, &message);
                NoticeEvent::ReloadFailed { message }
            }
            Report::Reset => NoticeEvent::Reset,
        };
        self.notify(id, event);
    }

    /// Why a reload of instance `id` gave up, as a sentence.
    fn reload_failure_message(&self, id: u32, cause: &ReloadFailure) -> String {
        let why = match cause {
            ReloadFailure::SpawnFailed => {
                let error = self
                    .slots
                    .get(&id)
                    .and_then(|s| s.last_error.as_deref())
                    .unwrap_or("unknown error");
                format!("the new process could not start: {error}")
            }
            ReloadFailure::Exited { code, signal } => {
                let how = match (code, signal) {
                    (Some(code), _) => format!(" with code {code}"),
                    (None, Some(signal)) => format!(" on {signal}"),
                    (None, None) => String::new(),
                };
                format!("the new process exited{how} before it replaced the old one")
            }
            ReloadFailure::NotReady { waited } => format!(
                "the new process did not say it was ready within listen_timeout ({} ms)",
                waited.as_millis()
            ),
            ReloadFailure::Superseded => {
                return format!(
                    "reload of {} (id {id}) cancelled: a stop, restart or delete came first",
                    self.app_of(id)
                )
            }
        };
        format!(
            "reload of {} (id {id}) failed: {why}; the old process keeps serving",
            self.app_of(id)
        )
    }
}
