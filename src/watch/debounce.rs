//! The debounce of one watched app, as a pure planner: changes go in with the time they were
//! seen, a single report comes out `delay` after the last change of a burst (the trailing
//! edge), carrying the last path that changed.
//!
//! It owns no clock and no thread: the watcher thread (`watch::files`) calls it with
//! `Instant::now()` and sleeps until [`Debounce::deadline`], so the rules are table-tested
//! here with made-up instants.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The pending report of one app, if a burst of changes is in progress.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Debounce {
    /// When the report is due, and the last path that changed.
    pub pending: Option<(Instant, PathBuf)>,
}

impl Debounce {
    /// Records a change of `path` seen at `now`: the report becomes due `delay` after it,
    /// however many changes came before (each one pushes the deadline back).
    pub fn change(&mut self, path: PathBuf, now: Instant, delay: Duration) {
        // An Instant that cannot hold `now + delay` (a delay of centuries) never comes due.
        let due = now.checked_add(delay);
        match due {
            Some(due) => self.pending = Some((due, path)),
            None => self.pending = None,
        }
    }

    /// The path to report if the deadline has come by `now`; the burst is then over.
    pub fn due(&mut self, now: Instant) -> Option<PathBuf> {
        match &self.pending {
            Some((at, _)) if *at <= now => self.pending.take().map(|(_, path)| path),
            _ => None,
        }
    }

    /// When the pending report is due, if there is one: the watcher thread's timeout.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending.as_ref().map(|(at, _)| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_millis(100);

    enum Step {
        Change(u64, &'static str),
        Due(u64, Option<&'static str>),
        Deadline(Option<u64>),
    }
    use Step::*;

    fn run(name: &str, steps: &[Step]) {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut d = Debounce::default();
        for (i, step) in steps.iter().enumerate() {
            match step {
                Change(ms, path) => d.change(PathBuf::from(path), at(*ms), DELAY),
                Due(ms, want) => {
                    assert_eq!(
                        d.due(at(*ms)),
                        want.map(PathBuf::from),
                        "{name}: step {i}: due at {ms} ms"
                    )
                }
                Deadline(want) => {
                    assert_eq!(d.deadline(), want.map(at), "{name}: step {i}: deadline")
                }
            }
        }
    }

    #[test]
    fn debounce_table() {
        run("nothing pending", &[Deadline(None), Due(1_000, None)]);
        run(
            "one change is due delay after it, once",
            &[
                Change(0, "a"),
                Deadline(Some(100)),
                Due(99, None),
                Due(100, Some("a")),
                Due(101, None),
                Deadline(None),
            ],
        );
        run(
            "a burst is one report after its last change, with the last path",
            &[
                Change(0, "a"),
                Change(60, "b"),
                Change(120, "c"),
                Deadline(Some(220)),
                Due(150, None),
                Due(219, None),
                Due(220, Some("c")),
                Deadline(None),
            ],
        );
        run(
            "a change after the report starts a new burst",
            &[
                Change(0, "a"),
                Due(100, Some("a")),
                Change(300, "b"),
                Deadline(Some(400)),
                Due(400, Some("b")),
            ],
        );
        run(
            "a late check still reports",
            &[Change(0, "a"), Due(5_000, Some("a")), Due(5_001, None)],
        );
    }

    #[test]
    fn zero_delay_is_due_at_once() {
        let now = Instant::now();
        let mut d = Debounce::default();
        d.change(PathBuf::from("x"), now, Duration::ZERO);
        assert_eq!(d.deadline(), Some(now));
        assert_eq!(d.due(now), Some(PathBuf::from("x")));
    }

    #[test]
    fn an_unrepresentable_deadline_never_comes_due() {
        let now = Instant::now();
        let mut d = Debounce::default();
        d.change(PathBuf::from("x"), now, Duration::MAX);
        assert_eq!(d.deadline(), None);
        assert_eq!(d.due(now + Duration::from_secs(3600)), None);
    }
}
