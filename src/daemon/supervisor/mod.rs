//! The supervisor thread: the one owner of the app and instance tables.
//!
//! It blocks on one channel with the earliest deadline (`Timers`) as its timeout and
//! applies one event at a time: requests go to `requests/`, exits and deadlines become
//! inputs of `policy::step` (`actions`), which alone changes an instance's status, pid
//! and counters; `actions` carries out what it returns, publishes a notice for each
//! change (`notices`) and marks the state dirty. Answers that wait for processes or the
//! disk are in `waiters`; adoption and `state.json` snapshots in `adopt`; rows in `rows`;
//! log targets in `outputs`; sampling demand in `sampling`. Other threads only send
//! events; nothing here polls process state on a timer.

mod actions;
mod adopt;
mod cluster;
mod instances;
mod notices;
mod outputs;
mod requests;
mod rows;
mod run_end;
mod sampling;
mod tables;
#[cfg(test)]
mod tests;
mod triggers;
mod waiters;
mod watching;

use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Instant;

use super::event::Event;
use super::policy::Input;
use super::timers::TimerKey;
use crate::logs::pump::{PumpCommand, PumpReport};
pub use tables::{Exit, Helpers, RunEnd, Supervisor};

impl Supervisor {
    /// Runs until a planned stop or an update.
    pub fn run(&mut self, events: Receiver<Event>) -> Exit {
        let exit = loop {
            // First, before any event: a turn may already be due (adopted instances to
            // write down, a run that was refused).
            if let Some(exit) = self.end_of_turn() {
                break exit;
            }
            let received = match self.timers.next() {
                Some(at) => events.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => events.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(event) => self.handle(event),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break Exit::Quit,
            }
        };
        // Subscribers' connections end with the loop, so their threads can finish.
        self.notices.close_all();
        if matches!(exit, Exit::Quit) {
            self.release_sockets();
        }
        exit
    }

    /// Fires due deadlines, answers settled waiters and queues the state when it
    /// changed; returns how the loop ends, if it does now.
    pub(crate) fn end_of_turn(&mut self) -> Option<Exit> {
        self.fire_deadlines(Instant::now());
        self.start_deferred();
        self.advance_reloads();
        self.keep_sampling_for_limits();
        self.end_run_when_idle();
        self.check_waiters();
        // A planned stop has just removed state.json: nothing may write it again.
        if matches!(self.exit, Some(Exit::Quit)) {
            return self.exit.take();
        }
        if self.dirty {
            self.dirty = false;
            self.persist();
        }
        self.exit.take()
    }

    pub(crate) fn handle(&mut self, event: Event) {
        match event {
            Event::Request { request, reply } => self.request(request, reply),
            Event::Subscribe { targets, queue } => self.subscribe(&targets, queue),
            Event::Exited { pid, code, signal } => {
                if let Some(id) = self.id_of_pid(pid, true) {
                    self.pump.send(PumpCommand::Exited { id });
                    self.apply(id, Input::Exited { code, signal });
                } else if let Some(id) = self.id_of_successor(pid) {
                    self.apply(id, Input::SuccessorExited { code, signal });
                }
            }
            Event::Vanished { pid } => {
                if let Some(id) = self.id_of_pid(pid, false) {
                    self.pump.send(PumpCommand::Exited { id });
                    self.apply(
                        id,
                        Input::Exited {
                            code: None,
                            signal: None,
                        },
                    );
                }
            }
            Event::Signal(signal) => self.daemon_signal(signal),
            Event::Persisted { seq } => self.durable_seq = self.durable_seq.max(seq),
            Event::Log(PumpReport::LogError { id, message }) => {
                if let Some(slot) = self.slots.get_mut(&id) {
                    slot.log_error = message;
                }
            }
            Event::Samples(samples) => self.samples_arrived(samples),
            Event::Watch(report) => self.watch_report(report),
            Event::Readiness(report) => self.readiness_report(report),
        }
    }

    fn daemon_signal(&mut self, signal: i32) {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR2};
        match signal {
            SIGTERM | SIGINT | SIGQUIT => {
                log::info!("signal {signal}: stopping every app, then the daemon");
                self.begin_quit(None);
            }
            SIGUSR2 => {
                log::info!("SIGUSR2: reopening log files");
                self.pump.send(PumpCommand::Reopen);
            }
            SIGHUP => log::info!("SIGHUP ignored: the daemon keeps running"),
            other => log::warn!(
                "{} ignored: the daemon keeps running",
                crate::signal_names::describe(other)
            ),
        }
    }

    fn fire_deadlines(&mut self, now: Instant) {
        for key in self.timers.due(now) {
            match key {
                TimerKey::RestartDelay(id)
                | TimerKey::KillTimeout(id)
                | TimerKey::Readiness(id)
                | TimerKey::Successor(id) => self.apply_at(id, Input::Deadline, now),
                TimerKey::Cron(id) => self.cron_due(id),
                TimerKey::Sample => self.sample_due(),
            }
        }
    }
}
