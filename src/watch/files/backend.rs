//! The notify watchers behind the apps, all owned by the watcher thread: one inotify
//! instance shared by every app (created on first use, dropped when no folder is left, each
//! folder counted by how many apps watch it) and, per app that polls, its own
//! `PollWatcher`. Every folder is watched non-recursively: `app.rs` walks the trees itself
//! so ignored folders (`node_modules`) cost no inotify watch.
//!
//! Also the fallback rule: which notify errors mean "poll instead" ([`fallback_for`]) and
//! the sentence the user then reads ([`degraded_message`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{Config, ErrorKind, PollWatcher, RecommendedWatcher, RecursiveMode, Watcher as _};

use super::channel::{Msg, MsgSender};

/// The poll interval when inotify cannot be used and the app named none.
pub(super) const FALLBACK_POLL: Duration = Duration::from_secs(1);

/// The inotify instance every app that does not poll shares.
pub(super) struct SharedInotify {
    tx: MsgSender,
    watcher: Option<RecommendedWatcher>,
    /// Each watched folder and how many apps want it.
    refs: HashMap<PathBuf, usize>,
    /// Test seam: how many folders may be watched before the "limit" is reached.
    #[cfg(test)]
    pub(super) budget: Option<usize>,
}

impl SharedInotify {
    /// Nothing watched yet; events will go to `tx`.
    pub(super) fn new(tx: MsgSender) -> SharedInotify {
        SharedInotify {
            tx,
            watcher: None,
            refs: HashMap::new(),
            #[cfg(test)]
            budget: None,
        }
    }

    /// The sender poll watchers' handlers use too.
    pub(super) fn sender(&self) -> &MsgSender {
        &self.tx
    }

    /// Watches `dir` (non-recursively) for one more app.
    pub(super) fn add(&mut self, dir: &Path) -> notify::Result<()> {
        if let Some(count) = self.refs.get_mut(dir) {
            *count += 1;
            return Ok(());
        }
        #[cfg(test)]
        if self.budget.is_some_and(|n| self.refs.len() >= n) {
            return Err(notify::Error::new(ErrorKind::MaxFilesWatch).add_path(dir.into()));
        }
        let watcher = match &mut self.watcher {
            Some(watcher) => watcher,
            None => {
                let tx = self.tx.clone();
                let handler = move |event| {
                    let _ = tx.send(Msg::Inotify(event));
                };
                self.watcher
                    .insert(RecommendedWatcher::new(handler, Config::default())?)
            }
        };
        watcher.watch(dir, RecursiveMode::NonRecursive)?;
        self.refs.insert(dir.to_path_buf(), 1);
        Ok(())
    }

    /// One app less wants `dir`; the last one removes the inotify watch.
    pub(super) fn remove(&mut self, dir: &Path) {
        match self.refs.get_mut(dir) {
            Some(count) if *count > 1 => *count -= 1,
            Some(_) => {
                self.refs.remove(dir);
                if let Some(watcher) = &mut self.watcher {
                    // Fails when inotify already dropped the watch (the folder is gone).
                    let _ = watcher.unwatch(dir);
                }
                if self.refs.is_empty() {
                    // No folder left: end notify's thread and close the inotify fd.
                    self.watcher = None;
                }
            }
            None => {}
        }
    }

    /// How many folders are watched (for tests).
    #[cfg(test)]
    pub(super) fn watched(&self) -> usize {
        self.refs.len()
    }
}

/// A poll watcher for one app, scanning every `interval`.
pub(super) fn poll_watcher(
    tx: &MsgSender,
    key: &str,
    generation: u64,
    interval: Duration,
    follow_symlinks: bool,
) -> notify::Result<PollWatcher> {
    let tx = tx.clone();
    let key = key.to_string();
    let handler = move |event| {
        let _ = tx.send(Msg::Poll {
            key: key.clone(),
            generation,
            event,
        });
    };
    let config = Config::default()
        .with_poll_interval(interval)
        .with_follow_symlinks(follow_symlinks);
    PollWatcher::new(handler, config)
}

/// Why an app polls instead of using inotify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fallback {
    /// `fs.inotify.max_user_watches` is reached (ENOSPC from inotify_add_watch).
    WatchLimit,
    /// No inotify instance could be made: `fs.inotify.max_user_instances` or the
    /// open-files limit (EMFILE from inotify_init).
    InstanceLimit,
}

/// The fallback for a failed inotify watch, or `None` when polling would not help (the
/// folder vanished, permission denied).
pub(super) fn fallback_for(error: &notify::Error) -> Option<Fallback> {
    match &error.kind {
        ErrorKind::MaxFilesWatch => Some(Fallback::WatchLimit),
        ErrorKind::Io(e) => match e.raw_os_error() {
            Some(libc::ENOSPC) => Some(Fallback::WatchLimit),
            Some(libc::EMFILE | libc::ENFILE) => Some(Fallback::InstanceLimit),
            _ => None,
        },
        _ => None,
    }
}

/// The sentence for `rpm describe` and the daemon log when app `key` polls `paths`.
pub(super) fn degraded_message(
    key: &str,
    paths: &[PathBuf],
    why: Fallback,
    interval: Duration,
) -> String {
    let paths = paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let every = human_interval(interval);
    match why {
        Fallback::WatchLimit => format!(
            "app \"{key}\": the inotify watch limit (fs.inotify.max_user_watches) is reached, \
             so rpm polls {paths} every {every} instead; raise the limit, e.g. \
             `sysctl fs.inotify.max_user_watches=524288` (see inotify(7)), and restart the app"
        ),
        Fallback::InstanceLimit => format!(
            "app \"{key}\": no inotify instance could be created (fs.inotify.max_user_instances \
             or the open-files limit is reached), so rpm polls {paths} every {every} instead; \
             raise the limit, e.g. `sysctl fs.inotify.max_user_instances=1024` (see inotify(7)), \
             and restart the app"
        ),
    }
}

/// The sentence when app `key` cannot watch `path` at all, `cause` saying why.
pub(super) fn unwatchable_message(key: &str, path: &Path, cause: &str) -> String {
    format!(
        "app \"{key}\": cannot watch {}: {cause}; changes there will not restart it",
        path.display()
    )
}

/// Why notify refused a watch, in words for [`unwatchable_message`].
pub(super) fn cause_of(error: &notify::Error) -> String {
    match &error.kind {
        ErrorKind::Io(e) => e.to_string(),
        ErrorKind::Generic(text) => text.clone(),
        ErrorKind::PathNotFound => "it does not exist".to_string(),
        ErrorKind::MaxFilesWatch => "the inotify watch limit is reached".to_string(),
        _ => "the file watcher refused it".to_string(),
    }
}

/// `1s`, `1.5s`, `200ms`.
fn human_interval(interval: Duration) -> String {
    let ms = interval.as_millis();
    if ms >= 1000 && ms % 100 == 0 {
        let tenths = ms / 100;
        if tenths % 10 == 0 {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
    } else {
        format!("{ms}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn fallback_table() {
        let os = |code| notify::Error::io(io::Error::from_raw_os_error(code));
        let rows: Vec<(&str, notify::Error, Option<Fallback>)> = vec![
            (
                "notify's watch limit",
                notify::Error::new(ErrorKind::MaxFilesWatch),
                Some(Fallback::WatchLimit),
            ),
            ("raw ENOSPC", os(libc::ENOSPC), Some(Fallback::WatchLimit)),
            ("EMFILE", os(libc::EMFILE), Some(Fallback::InstanceLimit)),
            ("ENFILE", os(libc::ENFILE), Some(Fallback::InstanceLimit)),
            ("permission denied", os(libc::EACCES), None),
            ("gone", notify::Error::path_not_found(), None),
            ("generic", notify::Error::generic("x"), None),
        ];
        for (name, error, want) in rows {
            assert_eq!(fallback_for(&error), want, "{name}");
        }
    }

    #[test]
    fn watch_limit_sentence() {
        let paths = [PathBuf::from("/srv/api"), PathBuf::from("/srv/lib")];
        assert_eq!(
            degraded_message("api", &paths, Fallback::WatchLimit, FALLBACK_POLL),
            "app \"api\": the inotify watch limit (fs.inotify.max_user_watches) is reached, \
             so rpm polls /srv/api, /srv/lib every 1s instead; raise the limit, e.g. \
             `sysctl fs.inotify.max_user_watches=524288` (see inotify(7)), and restart the app"
        );
    }

    #[test]
    fn instance_limit_sentence() {
        let paths = [PathBuf::from("/srv/api")];
        assert_eq!(
            degraded_message(
                "api",
                &paths,
                Fallback::InstanceLimit,
                Duration::from_millis(250)
            ),
            "app \"api\": no inotify instance could be created (fs.inotify.max_user_instances \
             or the open-files limit is reached), so rpm polls /srv/api every 250ms instead; \
             raise the limit, e.g. `sysctl fs.inotify.max_user_instances=1024` (see inotify(7)), \
             and restart the app"
        );
    }

    #[test]
    fn unwatchable_sentence() {
        let error = notify::Error::io(io::Error::from_raw_os_error(libc::EACCES));
        assert_eq!(
            unwatchable_message("api", Path::new("/srv/api"), &cause_of(&error)),
            "app \"api\": cannot watch /srv/api: Permission denied (os error 13); \
             changes there will not restart it"
        );
    }

    #[test]
    fn interval_table() {
        for (ms, want) in [
            (1000, "1s"),
            (1500, "1.5s"),
            (200, "200ms"),
            (1234, "1234ms"),
        ] {
            assert_eq!(human_interval(Duration::from_millis(ms)), want);
        }
    }
}
