//! The sampler: CPU and memory of instances, read from `/proc` on a thread of its own.
//!
//! The supervisor asks for a sample only while something needs one (a recent `list` or
//! `describe`, a viewer, later a memory limit) and schedules the next one itself; the
//! sampler reads each instance's process tree (main process and descendants), and hands
//! the figures back through a closure that the daemon turns into `Event::Samples`. Rows
//! then show the last sample: reading them changes nothing, and CPU% is over the
//! sampler's interval, the same for every reader.

use std::collections::HashMap;
use std::io;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crate::proctree;

/// How often instances are sampled while something needs it.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// One instance's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub id: u32,
    /// The main process sampled (a restarted instance's old figures are not its new one's).
    pub pid: i32,
    /// Percent of one core since the previous sample (or over the process's life, the
    /// first time), main process and descendants together, to one decimal.
    pub cpu: f64,
    /// Resident memory in bytes, main process and descendants together.
    pub memory: u64,
    pub at: Instant,
}

/// Handle on the sampler thread.
pub struct Sampler {
    requests: Sender<Vec<(u32, i32)>>,
}

impl Sampler {
    /// Starts the thread; `report` gets each sample set and returns false once nobody
    /// listens any more.
    pub fn spawn(report: impl Fn(Vec<Sample>) -> bool + Send + 'static) -> io::Result<Sampler> {
        let (requests, inbox) = mpsc::channel();
        std::thread::Builder::new()
            .name("sampler".into())
            .stack_size(64 * 1024)
            .spawn(move || run(inbox, report))?;
        Ok(Sampler { requests })
    }

    /// Asks for a sample of these (instance id, main pid) pairs; false if the thread is
    /// gone (then no sample will come).
    pub fn sample(&self, instances: Vec<(u32, i32)>) -> bool {
        self.requests.send(instances).is_ok()
    }
}

fn run(inbox: Receiver<Vec<(u32, i32)>>, report: impl Fn(Vec<Sample>) -> bool) {
    // CPU ticks of every process seen at the previous sample, and when.
    let mut previous: HashMap<i32, u64> = HashMap::new();
    let mut previous_at: Option<Instant> = None;
    let tps = proctree::ticks_per_second() as f64;
    let page = proctree::page_size();
    while let Ok(mut instances) = inbox.recv() {
        // Only the newest request matters when several waited.
        while let Ok(newer) = inbox.try_recv() {
            instances = newer;
        }
        let now = Instant::now();
        let uptime = proctree::uptime_seconds();
        let mut seen = HashMap::new();
        let mut samples = Vec::with_capacity(instances.len());
        for (id, pid) in instances {
            let Some(main) = proctree::stat(pid) else {
                continue;
            };
            let mut tree = vec![(pid, main)];
            tree.extend(
                proctree::descendants(pid)
                    .into_iter()
                    .filter_map(|p| proctree::stat(p).map(|s| (p, s))),
            );
            let ticks: u64 = tree.iter().map(|(_, s)| s.cpu_ticks).sum();
            let memory = tree.iter().map(|(_, s)| s.rss_pages).sum::<u64>() * page;
            let cpu = match (previous.contains_key(&pid), previous_at) {
                (true, Some(at)) => {
                    // Processes new since the last sample count whole: they started since.
                    let used: u64 = tree
                        .iter()
                        .map(|(p, s)| s.cpu_ticks.saturating_sub(*previous.get(p).unwrap_or(&0)))
                        .sum();
                    share(used as f64 / tps, now.duration_since(at).as_secs_f64())
                }
                _ => match uptime {
                    Some(up) => share(ticks as f64 / tps, up - main.start_ticks as f64 / tps),
                    None => 0.0,
                },
            };
            for (p, s) in &tree {
                seen.insert(*p, s.cpu_ticks);
            }
            samples.push(Sample {
                id,
                pid,
                cpu,
                memory,
                at: now,
            });
        }
        previous = seen;
        previous_at = Some(now);
        if !report(samples) {
            return;
        }
    }
}

/// `busy` seconds of CPU over `wall` seconds, as a percentage of one core to one decimal.
fn share(busy: f64, wall: f64) -> f64 {
    if wall <= 0.0 {
        return 0.0;
    }
    (busy / wall * 1000.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_share_is_percent_of_one_core_to_one_decimal() {
        for (busy, wall, want) in [
            (0.5, 1.0, 50.0),
            (2.0, 1.0, 200.0),
            (0.0123, 1.0, 1.2),
            (1.0, 0.0, 0.0),
            (1.0, -3.0, 0.0),
        ] {
            assert_eq!(share(busy, wall), want, "{busy} over {wall}");
        }
    }

    #[test]
    fn a_sample_covers_the_process_and_its_children() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 30 & wait"])
            .spawn()
            .expect("sh runs");
        let pid = child.id() as i32;
        let (tx, rx) = mpsc::channel();
        let sampler = Sampler::spawn(move |s| tx.send(s).is_ok()).expect("thread");
        // Wait (with a deadline) until the shell has started its child.
        let deadline = Instant::now() + Duration::from_secs(10);
        while proctree::descendants(pid).is_empty() && Instant::now() < deadline {
            std::thread::yield_now();
        }
        assert!(sampler.sample(vec![(7, pid)]));
        let samples = rx.recv_timeout(Duration::from_secs(10)).expect("a sample");
        let own = proctree::stat(pid).expect("alive").rss_pages * proctree::page_size();
        for p in proctree::descendants(pid) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(p),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(samples.len(), 1);
        assert_eq!((samples[0].id, samples[0].pid), (7, pid));
        assert!(
            samples[0].memory > own,
            "the tree's {} bytes include more than the shell's own {own}",
            samples[0].memory
        );
    }
}
