//! The end of `rpm run`: once every app has ended (stopped or errored, none about to
//! run again), the run stops the daemon, and says whether apps ended errored.
//!
//! A daemon started by the CLI or an init system never ends this way: it keeps running
//! with nothing to supervise. Runs on the supervisor thread, at the end of each turn.

use super::tables::{RunEnd, Supervisor};
use crate::ipc::Status;

/// The apps that ended errored, if every instance has ended; `None` while any instance
/// runs, is about to run again, or none exists. Pure, for table tests.
pub(crate) fn ended(instances: &[(&str, Status)]) -> Option<Vec<String>> {
    if instances.is_empty()
        || !instances
            .iter()
            .all(|(_, s)| matches!(s, Status::Stopped | Status::Errored))
    {
        return None;
    }
    let mut errored: Vec<String> = instances
        .iter()
        .filter(|(_, s)| *s == Status::Errored)
        .map(|(app, _)| app.to_string())
        .collect();
    errored.dedup();
    Some(errored)
}

impl Supervisor {
    /// In `rpm run`, stops the daemon once every app has ended.
    pub(crate) fn end_run_when_idle(&mut self) {
        if !self.ends_when_idle || self.quitting || !self.cluster.deferred.is_empty() {
            return;
        }
        let instances: Vec<(&str, Status)> = self
            .slots
            .values()
            .map(|s| (s.app.as_str(), s.inst.status))
            .collect();
        let Some(errored) = ended(&instances) else {
            return;
        };
        if errored.is_empty() {
            log::info!("every app has stopped: rpm run ends");
        } else {
            log::warn!("every app has ended, errored: {}", errored.join(", "));
        }
        self.run_end = Some(RunEnd::Ended { errored });
        self.begin_quit(None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_ends_once_every_instance_has_ended() {
        use Status::*;
        type Row<'a> = (&'a [(&'a str, Status)], Option<&'a [&'a str]>);
        let rows: &[Row] = &[
            (&[], None),
            (&[("api", Online)], None),
            (&[("api", Errored), ("worker", Online)], None),
            (&[("api", Errored), ("worker", WaitingRestart)], None),
            (&[("api", Errored), ("api", Launching)], None),
            (&[("api", Stopping)], None),
            (&[("api", Stopped), ("job", Stopped)], Some(&[])),
            (&[("api", Errored), ("api", Errored)], Some(&["api"])),
            (&[("api", Errored), ("job", Stopped)], Some(&["api"])),
            (&[("api", Errored), ("job", Errored)], Some(&["api", "job"])),
        ];
        for (instances, want) in rows {
            let want = want.map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>());
            assert_eq!(ended(instances), want, "{instances:?}");
        }
    }
}
