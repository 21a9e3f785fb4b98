//! The folders one app watches and the notify watcher serving them (the shared inotify
//! instance, or the app's own poll watcher), on the watcher thread.
//!
//! Folders are kept by why they are watched: `trees` (inside a folder root) and `anchors`
//! (a file root's parent, a missing root's nearest ancestor); a folder in both is watched
//! once, and only given back when neither wants it. When inotify runs out of watches or
//! instances, every folder moves to a poll watcher and a `Degraded` report says so. Which
//! folders to watch is `app.rs`'s business.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use notify::{ErrorKind, PollWatcher, RecursiveMode, Watcher as _};

use super::backend::{
    cause_of, degraded_message, fallback_for, poll_watcher, unwatchable_message, Fallback,
    SharedInotify, FALLBACK_POLL,
};
use super::spec::{WatchReport, WatchSpec};

/// The mutable surroundings an app works in: the shared inotify instance, the reports
/// waiting to go out, and the time the message being handled arrived.
pub(super) struct Ctx<'a> {
    pub inotify: &'a mut SharedInotify,
    pub out: &'a mut Vec<WatchReport>,
    pub now: Instant,
}

/// Why a folder is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Why {
    /// It lies in a folder root.
    Tree,
    /// A file root's parent, or a missing root's nearest existing ancestor.
    Anchor,
}

/// Which notify watcher serves the app.
enum Mode {
    /// The shared inotify instance.
    Inotify,
    /// The app's own poll watcher.
    Poll(PollWatcher),
    /// Nothing could be set up; a `Degraded` report said so.
    Off,
}

/// The folders of one app.
pub(super) struct Folders {
    key: String,
    generation: u64,
    /// What the fallback needs: the paths its sentence names, the interval, symlinks.
    paths: Vec<PathBuf>,
    poll: Option<Duration>,
    follow_symlinks: bool,
    mode: Mode,
    trees: BTreeSet<PathBuf>,
    anchors: BTreeSet<PathBuf>,
    /// Polling instead of inotify, or watching nothing.
    degraded: bool,
}

impl Folders {
    /// No folder yet; a poll watcher of its own when `spec` asks for polling.
    pub fn new(key: &str, generation: u64, spec: &WatchSpec, ctx: &mut Ctx) -> Folders {
        let mut folders = Folders {
            key: key.to_string(),
            generation,
            paths: spec.paths.clone(),
            poll: spec.poll,
            follow_symlinks: spec.follow_symlinks,
            mode: Mode::Inotify,
            trees: BTreeSet::new(),
            anchors: BTreeSet::new(),
            degraded: false,
        };
        if let Some(interval) = spec.poll {
            let tx = ctx.inotify.sender();
            match poll_watcher(tx, key, generation, interval, spec.follow_symlinks) {
                Ok(watcher) => folders.mode = Mode::Poll(watcher),
                Err(error) => folders.switch_off(&error, ctx),
            }
        }
        folders
    }

    /// True when it polls instead of using inotify, or watches nothing.
    pub fn is_degraded(&self) -> bool {
        self.degraded
    }

    /// True when events of the shared inotify instance concern these folders.
    pub fn uses_inotify(&self) -> bool {
        matches!(self.mode, Mode::Inotify)
    }

    /// True when poll events of `generation` come from this app's poll watcher.
    pub fn owns_poll(&self, generation: u64) -> bool {
        self.generation == generation && matches!(self.mode, Mode::Poll(_))
    }

    /// True when `dir` is watched as part of a tree.
    pub fn has_tree(&self, dir: &Path) -> bool {
        self.trees.contains(dir)
    }

    /// The folders watched as anchors.
    pub fn anchors(&self) -> &BTreeSet<PathBuf> {
        &self.anchors
    }

    /// Watches `dir` for `why`. `Err` carries the cause when it cannot be watched and
    /// polling would not help either (permission denied); a folder that vanished meanwhile
    /// is no error (the event saying so follows).
    pub fn watch(&mut self, dir: PathBuf, why: Why, ctx: &mut Ctx) -> Result<(), String> {
        let already = self.trees.contains(&dir) || self.anchors.contains(&dir);
        match why {
            Why::Tree => self.trees.insert(dir.clone()),
            Why::Anchor => self.anchors.insert(dir.clone()),
        };
        if already {
            return Ok(());
        }
        let result = match &mut self.mode {
            Mode::Inotify => ctx.inotify.add(&dir),
            Mode::Poll(watcher) => watcher.watch(&dir, RecursiveMode::NonRecursive),
            Mode::Off => Ok(()),
        };
        let Err(error) = result else {
            return Ok(());
        };
        if self.uses_inotify() {
            if let Some(fallback) = fallback_for(&error) {
                self.fall_back(fallback, ctx);
                return Ok(());
            }
        }
        self.trees.remove(&dir);
        self.anchors.remove(&dir);
        let vanished = match &error.kind {
            ErrorKind::PathNotFound => true,
            ErrorKind::Io(e) => e.kind() == std::io::ErrorKind::NotFound,
            _ => false,
        };
        if vanished {
            Ok(())
        } else {
            Err(cause_of(&error))
        }
    }

    /// `dir` is no longer wanted for `why`; its watch goes when nothing else wants it.
    pub fn unwatch(&mut self, dir: &Path, why: Why, ctx: &mut Ctx) {
        let removed = match why {
            Why::Tree => self.trees.remove(dir),
            Why::Anchor => self.anchors.remove(dir),
        };
        if !removed || self.trees.contains(dir) || self.anchors.contains(dir) {
            return;
        }
        match &mut self.mode {
            Mode::Inotify => ctx.inotify.remove(dir),
            Mode::Poll(watcher) => {
                // Fails only when the poll watcher never had it (it vanished first).
                let _ = watcher.unwatch(dir);
            }
            Mode::Off => {}
        }
    }

    /// Forgets the tree watches of `path` and every folder below it (gone from disk).
    pub fn prune(&mut self, path: &Path, ctx: &mut Ctx) {
        // Paths order by components, so a folder's descendants follow it.
        let gone: Vec<PathBuf> = self
            .trees
            .range(path.to_path_buf()..)
            .take_while(|dir| dir.starts_with(path))
            .cloned()
            .collect();
        for dir in gone {
            self.unwatch(&dir, Why::Tree, ctx);
        }
    }

    /// Gives every folder back: the shared inotify instance forgets them, a poll watcher
    /// stops when dropped.
    pub fn stop(self, inotify: &mut SharedInotify) {
        if matches!(self.mode, Mode::Inotify) {
            for dir in self.trees.union(&self.anchors) {
                inotify.remove(dir);
            }
        }
    }

    /// Moves every folder from inotify to a poll watcher of the app's own.
    fn fall_back(&mut self, fallback: Fallback, ctx: &mut Ctx) {
        let interval = self.poll.unwrap_or(FALLBACK_POLL);
        let dirs: Vec<PathBuf> = self.trees.union(&self.anchors).cloned().collect();
        for dir in &dirs {
            ctx.inotify.remove(dir);
        }
        let tx = ctx.inotify.sender();
        let follow = self.follow_symlinks;
        match poll_watcher(tx, &self.key, self.generation, interval, follow) {
            Ok(mut watcher) => {
                for dir in &dirs {
                    // Never fails: a folder that vanished is reported as an event.
                    let _ = watcher.watch(dir, RecursiveMode::NonRecursive);
                }
                self.mode = Mode::Poll(watcher);
                self.degraded = true;
                ctx.out.push(WatchReport::Degraded {
                    key: self.key.clone(),
                    message: degraded_message(&self.key, &self.paths, fallback, interval),
                });
            }
            Err(error) => self.switch_off(&error, ctx),
        }
    }

    /// No watcher could be made at all.
    fn switch_off(&mut self, error: &notify::Error, ctx: &mut Ctx) {
        self.mode = Mode::Off;
        self.degraded = true;
        let first = self.paths.first().cloned().unwrap_or_default();
        ctx.out.push(WatchReport::Degraded {
            key: self.key.clone(),
            message: unwatchable_message(&self.key, &first, &cause_of(error)),
        });
    }
}
