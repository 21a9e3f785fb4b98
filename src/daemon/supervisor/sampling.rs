//! When to sample CPU and memory, and the rows that wait for a sample.
//!
//! Sampling runs only while something needs it: a `list` or `describe` keeps it going
//! for `VIEW_WINDOW` (so `watch rpm list` sees figures over the sampler's interval), and
//! later a viewer (`monit`, the web API) or a memory limit. A row request that finds no fresh sample asks the
//! sampler for one and is answered when it arrives, so the first `list` after a quiet
//! spell still shows real figures. An idle daemon samples nothing.

use std::time::{Duration, Instant};

use super::super::sampler::{Sample, SAMPLE_EVERY};
use super::super::timers::TimerKey;
use super::tables::{PendingRows, Supervisor};
use crate::ipc::Response;

/// How long a look at the rows keeps the sampler going: two samples, so `watch rpm list`
/// sees CPU over the sampler's interval, while a single `list` costs an idle daemon two
/// samples and no more.
const VIEW_WINDOW: Duration = Duration::from_secs(2);

impl Supervisor {
    /// Answers a row request now if the samples are fresh, else once the next arrives.
    pub(crate) fn answer_rows(&mut self, pending: PendingRows) {
        let now = Instant::now();
        self.sampling.wanted_until = Some(now + VIEW_WINDOW);
        let complete = self.slots.values().all(|s| {
            s.live_pid().is_none() || s.sample.is_some_and(|x| Some(x.pid) == s.live_pid())
        });
        if (complete && self.sampling.fresh(now)) || !self.ask_for_sample() {
            self.send_rows(pending);
        } else {
            self.sampling.waiting.push(pending);
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

    /// The sample deadline passed: sample again if somebody still looks.
    pub(crate) fn sample_due(&mut self) {
        if self.sampling.wanted(Instant::now()) && !self.ask_for_sample() {
            self.sampling.last = None;
        }
    }

    pub(crate) fn samples_arrived(&mut self, samples: Vec<Sample>) {
        let now = Instant::now();
        self.sampling.in_flight = false;
        self.sampling.last = Some(now);
        for sample in samples {
            if let Some(slot) = self.slots.get_mut(&sample.id) {
                if slot.live_pid() == Some(sample.pid) {
                    slot.sample = Some(sample);
                }
            }
        }
        if self.sampling.wanted(now) {
            self.timers.set(TimerKey::Sample, now + SAMPLE_EVERY);
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
