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

/// How often instances are sampled while something needs it, unless
/// `RPM_SAMPLE_INTERVAL` (in the environment that starts the daemon) says otherwise.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// Names the sampling period (`500ms`, `2s`, or milliseconds).
pub const INTERVAL_VAR: &str = "RPM_SAMPLE_INTERVAL";

/// The sampling period: `RPM_SAMPLE_INTERVAL` if set and valid (from 100 ms to 1 h), else
/// `SAMPLE_EVERY`; and the problem with the variable, to log once logging works.
pub fn interval_from_env() -> (Duration, Option<String>) {
    let Some(value) = std::env::var_os(INTERVAL_VAR) else {
        return (SAMPLE_EVERY, None);
    };
    let parsed = value
        .to_str()
        .ok_or_else(|| format!("{value:?} is not text"))
        .and_then(crate::config::parse_duration);
    match parsed {
        Ok(d) if (Duration::from_millis(100)..=Duration::from_secs(3600)).contains(&d) => (d, None),
        Ok(d) => (
            SAMPLE_EVERY,
            Some(format!(
                "{INTERVAL_VAR}: {d:?} is outside 100ms..1h; sampling every 1s"
            )),
        ),
        Err(e) => (
            SAMPLE_EVERY,
            Some(format!("{INTERVAL_VAR}: {e}; sampling every 1s")),
        ),
    }
}

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
    while let Ok(mut instances) = inbox.recv() {
        // Only the newest request matters when several waited.
        while let Ok(newer) = inbox.try_recv() {
            instances = newer;
        }
        let now = Instant::now();
        let clock = Clock {
            ticks_per_second: proctree::ticks_per_second() as f64,
            page_size: proctree::page_size(),
            uptime: proctree::uptime_seconds(),
        };
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
            let (cpu, memory) = measure(&tree, &previous, previous_at, now, &clock);
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

/// What turns `/proc` figures into seconds and bytes.
struct Clock {
    ticks_per_second: f64,
    page_size: u64,
    /// Seconds since boot, now.
    uptime: Option<f64>,
}

/// CPU% and resident bytes of one instance's process tree (its main process first).
/// CPU is over the time since the previous sample when the main process was in it
/// (processes new since then count whole: they started since), else over the main
/// process's life.
fn measure(
    tree: &[(i32, proctree::Stat)],
    previous: &HashMap<i32, u64>,
    previous_at: Option<Instant>,
    now: Instant,
    clock: &Clock,
) -> (f64, u64) {
    let memory = tree.iter().map(|(_, s)| s.rss_pages).sum::<u64>() * clock.page_size;
    let Some(&(main_pid, main)) = tree.first() else {
        return (0.0, 0);
    };
    let tps = clock.ticks_per_second;
    let cpu = match (previous.contains_key(&main_pid), previous_at) {
        (true, Some(at)) => {
            let used: u64 = tree
                .iter()
                .map(|(p, s)| s.cpu_ticks.saturating_sub(*previous.get(p).unwrap_or(&0)))
                .sum();
            share(used as f64 / tps, now.duration_since(at).as_secs_f64())
        }
        _ => match clock.uptime {
            Some(up) => {
                let ticks: u64 = tree.iter().map(|(_, s)| s.cpu_ticks).sum();
                share(ticks as f64 / tps, up - main.start_ticks as f64 / tps)
            }
            None => 0.0,
        },
    };
    (cpu, memory)
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

    fn stat(cpu_ticks: u64, start_ticks: u64, rss_pages: u64) -> proctree::Stat {
        proctree::Stat {
            ppid: 1,
            pgid: 1,
            state: 'S',
            cpu_ticks,
            start_ticks,
            rss_pages,
        }
    }

    #[test]
    fn a_tree_is_measured_whole_over_the_interval_or_over_its_life_the_first_time() {
        let clock = Clock {
            ticks_per_second: 100.0,
            page_size: 4096,
            uptime: Some(100.0),
        };
        let t = Instant::now();
        let later = t + Duration::from_secs(2);
        let tree = [(10, stat(150, 5000, 10)), (11, stat(40, 9000, 5))];
        let seen: HashMap<i32, u64> = [(10, 50), (11, 20)].into();
        let only_main: HashMap<i32, u64> = [(10, 50)].into();
        let table = [
            // First look: (150 + 40) ticks = 1.9 s over the 50 s the main process lived.
            ("first look", HashMap::new(), None, (3.8, 15 * 4096)),
            // (100 + 20) ticks = 1.2 s over 2 s.
            ("both seen before", seen, Some(t), (60.0, 15 * 4096)),
            // The child is new: all its 40 ticks count. (100 + 40) = 1.4 s over 2 s.
            ("a new child", only_main, Some(t), (70.0, 15 * 4096)),
        ];
        for (what, previous, at, want) in table {
            assert_eq!(measure(&tree, &previous, at, later, &clock), want, "{what}");
        }
        assert_eq!(measure(&[], &HashMap::new(), None, later, &clock), (0.0, 0));
    }

    #[test]
    fn a_live_process_is_sampled_on_the_thread() {
        let me = std::process::id() as i32;
        let (tx, rx) = mpsc::channel();
        let sampler = Sampler::spawn(move |s| tx.send(s).is_ok()).expect("thread");
        assert!(sampler.sample(vec![(7, me), (8, i32::MAX)]));
        let samples = rx.recv_timeout(Duration::from_secs(10)).expect("a sample");
        assert_eq!(samples.len(), 1, "a pid that is gone gets no sample");
        assert_eq!((samples[0].id, samples[0].pid), (7, me));
        assert!(samples[0].memory > 0);
    }
}
