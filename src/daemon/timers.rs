//! The supervisor's deadlines, keyed by what each is for.
//!
//! The loop sleeps until the earliest deadline (`next`), then takes those due (`due`) and
//! turns each into an input. Setting a key again moves its deadline; an instance's
//! deadlines go when it does. Pure data, on the supervisor thread.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// What a deadline is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TimerKey {
    /// The instance waits to restart (`restart_delay`, exponential backoff).
    RestartDelay(u32),
    /// The instance was asked to stop: kill its tree when `kill_timeout` runs out (or, once
    /// killed, stop waiting for it).
    KillTimeout(u32),
    /// The instance's new process has not said it is ready: `listen_timeout` runs out.
    Readiness(u32),
    /// A reload's successor must be ready by then (or, given up, be killed).
    Successor(u32),
    /// The instance's `cron_restart` schedule comes due.
    Cron(u32),
    /// Time to sample CPU and memory again.
    Sample,
}

/// A set of deadlines, at most one per key.
#[derive(Debug, Default)]
pub struct Timers {
    by_key: BTreeMap<TimerKey, Instant>,
    by_time: BTreeSet<(Instant, TimerKey)>,
}

impl Timers {
    /// Sets (or moves) the deadline of `key`.
    pub fn set(&mut self, key: TimerKey, at: Instant) {
        if let Some(old) = self.by_key.insert(key, at) {
            self.by_time.remove(&(old, key));
        }
        self.by_time.insert((at, key));
    }

    /// Removes the deadline of `key`, if set.
    pub fn cancel(&mut self, key: TimerKey) {
        if let Some(old) = self.by_key.remove(&key) {
            self.by_time.remove(&(old, key));
        }
    }

    /// Sets `key` to `at`, or cancels it when `at` is `None`.
    pub fn set_or_cancel(&mut self, key: TimerKey, at: Option<Instant>) {
        match at {
            Some(at) => self.set(key, at),
            None => self.cancel(key),
        }
    }

    /// Removes the deadlines of instance `id`'s status (restart delay, kill timeout,
    /// readiness); its successor's and its cron schedule stay.
    pub fn cancel_state_deadlines(&mut self, id: u32) {
        self.cancel(TimerKey::RestartDelay(id));
        self.cancel(TimerKey::KillTimeout(id));
        self.cancel(TimerKey::Readiness(id));
    }

    /// Removes every deadline of instance `id`.
    pub fn cancel_instance(&mut self, id: u32) {
        self.cancel_state_deadlines(id);
        self.cancel(TimerKey::Successor(id));
        self.cancel(TimerKey::Cron(id));
    }

    /// Whether `key` has a deadline.
    pub fn is_set(&self, key: TimerKey) -> bool {
        self.by_key.contains_key(&key)
    }

    /// The earliest deadline.
    pub fn next(&self) -> Option<Instant> {
        self.by_time.first().map(|(at, _)| *at)
    }

    /// Removes and returns the keys due at `now`, earliest first.
    pub fn due(&mut self, now: Instant) -> Vec<TimerKey> {
        let mut due = Vec::new();
        while let Some(&(at, key)) = self.by_time.first() {
            if at > now {
                break;
            }
            self.by_time.remove(&(at, key));
            self.by_key.remove(&key);
            due.push(key);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn deadlines_come_due_earliest_first_and_moving_one_replaces_it() {
        let t = Instant::now();
        let ms = Duration::from_millis;
        let mut timers = Timers::default();
        timers.set(TimerKey::KillTimeout(1), t + ms(30));
        timers.set(TimerKey::RestartDelay(2), t + ms(10));
        timers.set(TimerKey::Sample, t + ms(20));
        timers.set(TimerKey::KillTimeout(1), t + ms(5));
        assert_eq!(timers.next(), Some(t + ms(5)));
        assert_eq!(timers.due(t + ms(4)), vec![]);
        assert_eq!(
            timers.due(t + ms(20)),
            vec![
                TimerKey::KillTimeout(1),
                TimerKey::RestartDelay(2),
                TimerKey::Sample
            ]
        );
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn an_instance_takes_its_deadlines_with_it() {
        let t = Instant::now();
        let mut timers = Timers::default();
        timers.set(TimerKey::KillTimeout(1), t);
        timers.set(TimerKey::RestartDelay(1), t);
        timers.set(TimerKey::RestartDelay(2), t);
        timers.set(TimerKey::Cron(2), t);
        timers.cancel_state_deadlines(2);
        assert!(
            timers.is_set(TimerKey::Cron(2)),
            "a schedule outlives a restart delay"
        );
        timers.set(TimerKey::RestartDelay(2), t);
        timers.set(TimerKey::Cron(1), t);
        timers.cancel_instance(1);
        timers.set_or_cancel(TimerKey::Sample, None);
        assert!(!timers.is_set(TimerKey::KillTimeout(1)));
        assert_eq!(
            timers.due(t),
            vec![TimerKey::RestartDelay(2), TimerKey::Cron(2)]
        );
    }
}
