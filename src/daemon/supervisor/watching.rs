//! The file-watch restart trigger on the supervisor's side: what each app's watcher is
//! told (its `watch` paths, its `ignore_watch` plus the defaults that keep an app from
//! restarting itself), and what a change does (every instance of the app restarts,
//! `Input::Trigger { Watch }`). The watching itself is `watch::files`, on its own thread.

use std::time::Duration;

use super::super::policy::Input;
use super::tables::Supervisor;
use crate::ipc::RestartReason;
use crate::watch::files::{WatchReport, WatchSpec};

/// The debounce when `watch_delay` is unset: short enough that a save restarts the app
/// at once to a person, long enough that an editor's save (write, rename, chmod) or a
/// build writing many files is one restart.
const DEFAULT_WATCH_DELAY: Duration = Duration::from_millis(100);

/// Never watched, whatever the file says: dependencies and VCS data change by the
/// thousand and never need a restart.
const ALWAYS_IGNORED: &[&str] = &["node_modules", ".git"];

impl Supervisor {
    /// Tells the watcher what to watch for app `name`, or to stop watching it.
    pub(crate) fn sync_watch(&mut self, name: &str) {
        let Some(app) = self.apps.get(name) else {
            self.watcher.unwatch(name);
            return;
        };
        if app.spec.watch.is_empty() {
            self.watcher.unwatch(name);
            return;
        }
        let spec = &app.spec;
        let mut ignore: Vec<String> = ALWAYS_IGNORED.iter().map(|s| s.to_string()).collect();
        ignore.extend(spec.ignore_watch.iter().cloned());
        // The app's own logs, and everything rpm writes in RPM_HOME: an app that logs
        // into its watched folder must not restart itself with every line (nor with
        // every state.json write when it lives inside RPM_HOME).
        let home = &self.home;
        for own in [
            home.logs_dir(),
            home.pipes_dir(),
            home.state_file(),
            home.dump_file(),
            home.daemon_log(),
            home.socket(),
            home.pid_file(),
            home.lock_file(),
        ] {
            ignore.push(own.to_string_lossy().into_owned());
        }
        let root = home.root().to_string_lossy().into_owned();
        for rotated in ["state.json*", "dump.json*", "daemon.log*"] {
            ignore.push(format!("{root}/{rotated}"));
        }
        for id in &app.ids {
            if let Some(slot) = self.slots.get(id) {
                ignore.push(slot.out_file.to_string_lossy().into_owned());
                ignore.push(slot.error_file.to_string_lossy().into_owned());
            }
        }
        if let Some(log) = &spec.log_file {
            ignore.push(log.to_string_lossy().into_owned());
        }
        let watch = WatchSpec {
            paths: spec.watch.clone(),
            ignore,
            delay: spec.watch_delay.unwrap_or(DEFAULT_WATCH_DELAY),
            follow_symlinks: true,
            poll: None,
        };
        self.watcher.watch(name, watch);
    }

    /// What the watcher reported: a change restarts the app's instances; a fallback is
    /// kept for `describe` and logged.
    pub(crate) fn watch_report(&mut self, report: WatchReport) {
        match report {
            WatchReport::Changed { key, path } => {
                let Some(ids) = self.apps.get(&key).map(|a| a.ids.clone()) else {
                    return;
                };
                let shown = path.to_string_lossy().into_owned();
                for id in ids {
                    self.apply(
                        id,
                        Input::Trigger {
                            reason: RestartReason::Watch,
                            detail: Some(format!("{shown} changed")),
                        },
                    );
                }
            }
            WatchReport::Degraded { key, message } => {
                log::warn!("{key}: {message}");
                if let Some(app) = self.apps.get_mut(&key) {
                    app.watch_problem = Some(message);
                }
            }
        }
    }
}
