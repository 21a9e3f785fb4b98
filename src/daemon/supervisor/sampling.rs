//! When to sample CPU and memory, and the rows that wait for a sample.
//!
//! Sampling runs only while something needs it: a `list` or `describe` keeps it going
//! for `VIEW_WINDOW` (so `watch rpm list` sees figures over the sampler's interval), and
//! an app with `max_memory_restart` keeps it going while it runs (each sample is checked
//! against the limit); later a viewer (`monit`, the web API) will too. A row request that
//! finds no fresh sample asks the sampler for one and is answered when it arrives, so
//! the first `list` after a quiet spell still shows real figures. An idle daemon with no
//! memory limit samples nothing. The period is `Sampling::every` (`RPM_SAMPLE_INTERVAL`).

use std::time::{Duration, Instant};

use super::super::policy::Input;
use super::super::sampler::Sample;
use super::super::timers::TimerKey;
use super::tables::{PendingRows, Supervisor};
use crate::ipc::{Response, RestartReason};

/// How long a look at the rows keeps the sampler going: two samples, so `watch rpm list`
/// sees CPU over the sampler's interval, while a single `list` costs an idle daemon two
/// samples and no more.
const VIEW_WINDOW: Duration = Duration::from_secs(2);

impl Supervisor {
    /// Answers a row request now if the samples are fresh, else once the next arrives.
    pub(crate) fn answer_rows(&mut self, pending: PendingRows) {
        let now = Instant::now();
        self.sampling.wanted_until = Some(now + VIEW_WINDOW);
        // While the sampler runs, rows are answered at once: an instance started since the
        // last sample shows 0 until the next one, at most one period later, rather than
        // making every `list` right after a restart wait for the sampler.
        if self.sampling.fresh(now) || !self.ask_for_sample() {
            self.send_rows(pending);
        } else {
            self.sampling.waiting.push(pending);
        }
        // Sampling may have gone quiet while its last figures are still fresh: keep it
        // going for the look that just came.
        if !self.sampling.in_flight && !self.timers.is_set(TimerKey::Sample) {
            let last = self.sampling.last.unwrap_or(now);
            self.timers
                .set(TimerKey::Sample, (last + self.sampling.every).max(now));
        }
    }

    /// Asks the sampler about every live process; false when there is none or the
    /// sampler is gone (no sample will come).
    fn ask_for_sample(&mut self) -> bool {
        if self.sampling.in_flight {
            return true;
        }
        let live: Vec<(u32, i32)> = self
            .slots
            .values()
            .filter_map(|s| s.live_pid().map(|pid| (s.id, pid)))
            .collect();
        if live.is_empty() || !self.sampling.sampler.sample(live) {
            return false;
        }
        self.sampling.in_flight = true;
        true
    }

    /// The sample deadline passed: sample again if somebody still looks or a limit
    /// needs it.
    pub(crate) fn sample_due(&mut self) {
        let needed = self.sampling.wanted(Instant::now()) || self.memory_limits_running();
        if needed && !self.ask_for_sample() {
            self.sampling.last = None;
        }
    }

    /// Whether an instance with a `max_memory_restart` runs (sampling must go on).
    fn memory_limits_running(&self) -> bool {
        self.slots.values().any(|s| {
            s.live_pid().is_some()
                && self
                    .apps
                    .get(&s.app)
                    .is_some_and(|a| a.spec.max_memory_restart.is_some())
        })
    }

    /// Starts sampling when an app with a memory limit runs and nothing samples yet;
    /// called at the end of every turn.
    pub(crate) fn keep_sampling_for_limits(&mut self) {
        if self.sampling.in_flight || self.timers.is_set(TimerKey::Sample) {
            return;
        }
        if self.memory_limits_running() {
            let at = Instant::now() + self.sampling.every;
            self.timers.set(TimerKey::Sample, at);
        }
    }

    /// Restarts, gracefully, every online instance whose sample is above its app's
    /// `max_memory_restart`.
    fn enforce_memory_limits(&mut self, samples: &[Sample]) {
        let over: Vec<(u32, u64, u64)> = samples
            .iter()
            .filter_map(|sample| {
                let slot = self.slots.get(&sample.id)?;
                let limit = self.apps.get(&slot.app)?.spec.max_memory_restart?;
                let online = slot.inst.status == crate::ipc::Status::Online;
                (online && slot.live_pid() == Some(sample.pid) && sample.memory > limit)
                    .then_some((sample.id, sample.memory, limit))
            })
            .collect();
        for (id, memory, limit) in over {
            let detail = format!(
                "memory {} is above max_memory_restart {}",
                mebibytes(memory),
                mebibytes(limit)
            );
            self.apply(
                id,
                Input::Trigger {
                    reason: RestartReason::Memory,
                    detail: Some(detail),
                },
            );
        }
    }

    pub(crate) fn samples_arrived(&mut self, samples: Vec<Sample>) {
        let now = Instant::now();
        self.sampling.in_flight = false;
        self.sampling.last = Some(now);
        for sample in &samples {
            if let Some(slot) = self.slots.get_mut(&sample.id) {
                if slot.live_pid() == Some(sample.pid) {
                    slot.sample = Some(*sample);
                }
            }
        }
        self.enforce_memory_limits(&samples);
        if self.sampling.wanted(now) || self.memory_limits_running() {
            self.timers.set(TimerKey::Sample, now + self.sampling.every);
        }
        for pending in std::mem::take(&mut self.sampling.waiting) {
            self.send_rows(pending);
        }
    }

    fn send_rows(&mut self, pending: PendingRows) {
        match pending {
            PendingRows::List(reply) => {
                let _ = reply.send(Response::Processes {
                    processes: self.all_rows(),
                });
            }
            PendingRows::Describe(ids, reply) => {
                let _ = reply.send(Response::Described {
                    details: ids.into_iter().filter_map(|id| self.details(id)).collect(),
                });
            }
        }
    }
}

/// `312.4 MiB`: a size for a log line.
fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}
