//! One watched app, on the watcher thread: its roots (the spec's paths) and what each is now
//! (a folder, a file, missing), the folders it watches, its ignore list and debounce, and how
//! notify events become changes.
//!
//! Every folder is watched on its own (non-recursively). A folder root is walked here, ignored
//! folders left out; a new folder below it is walked when its creation is seen, and what the
//! walk finds inside counts as changed (it was created after the folder, so a write that beat
//! the new watch is not lost). A file root is watched through its parent folder, so an
//! editor's save (write `f.tmp`, rename over `f`) keeps being seen. A missing root, or one
//! deleted later, is waited for by watching its nearest existing ancestor; when it appears
//! it is watched again and its appearance counts as a change.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use notify::event::{AccessKind, AccessMode, MetadataKind, ModifyKind, RenameMode};
use notify::{Event, EventKind};

use super::backend::{unwatchable_message, SharedInotify};
use super::folders::{Ctx, Folders, Why};
use super::spec::{WatchReport, WatchSpec};
use crate::watch::debounce::Debounce;
use crate::watch::ignore::IgnoreList;

/// What a root is on disk, as last seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RootKind {
    Folder,
    File,
    Missing,
}

/// One of the spec's paths.
struct Root {
    path: PathBuf,
    /// `None` until first looked at.
    kind: Option<RootKind>,
}

/// One watched app.
pub(super) struct App {
    key: String,
    spec: WatchSpec,
    ignore: IgnoreList,
    roots: Vec<Root>,
    folders: Folders,
    debounce: Debounce,
    /// A path could not be watched at all (a `Degraded` report said so).
    degraded: bool,
}

impl App {
    /// Starts watching `spec` for `key`.
    pub fn start(key: String, spec: WatchSpec, generation: u64, ctx: &mut Ctx) -> App {
        let mut degraded = false;
        let mut roots = Vec::new();
        for path in &spec.paths {
            if path.is_absolute() {
                roots.push(Root {
                    path: path.clone(),
                    kind: None,
                });
            } else {
                // The daemon's working folder is nobody's business: the CLI resolves paths.
                ctx.out.push(WatchReport::Degraded {
                    key: key.clone(),
                    message: unwatchable_message(&key, path, "the path is not absolute"),
                });
                degraded = true;
            }
        }
        let mut app = App {
            ignore: IgnoreList::new(&spec.ignore),
            folders: Folders::new(&key, generation, &spec, ctx),
            key,
            spec,
            roots,
            debounce: Debounce::default(),
            degraded,
        };
        app.replan(ctx);
        app
    }

    /// Stops watching: every folder is given back.
    pub fn stop(self, inotify: &mut SharedInotify) {
        self.folders.stop(inotify);
    }

    /// What the app watches.
    pub fn spec(&self) -> &WatchSpec {
        &self.spec
    }

    /// True when it polls instead of using inotify, or could not watch a path.
    pub fn is_degraded(&self) -> bool {
        self.degraded || self.folders.is_degraded()
    }

    /// True when events of the shared inotify instance are this app's business.
    pub fn uses_inotify(&self) -> bool {
        self.folders.uses_inotify()
    }

    /// True when poll events of `generation` come from this app's poll watcher.
    pub fn owns_poll(&self, generation: u64) -> bool {
        self.folders.owns_poll(generation)
    }

    /// When the pending report is due.
    pub fn deadline(&self) -> Option<Instant> {
        self.debounce.deadline()
    }

    /// The report due by `now`, if any.
    pub fn due(&mut self, now: Instant) -> Option<WatchReport> {
        let path = self.debounce.due(now)?;
        Some(WatchReport::Changed {
            key: self.key.clone(),
            path,
        })
    }

    /// Takes in one notify event.
    pub fn on_event(&mut self, event: &Event, ctx: &mut Ctx) {
        if event.need_rescan() {
            self.rescan(ctx);
            return;
        }
        let counts = counts_as_change(&event.kind);
        let structural = matches!(
            event.kind,
            EventKind::Create(_)
                | EventKind::Remove(_)
                | EventKind::Modify(ModifyKind::Name(_))
                | EventKind::Any
                | EventKind::Other
        );
        let mut replan = false;
        for (i, path) in event.paths.iter().enumerate() {
            if structural && self.roots.iter().any(|r| r.path.starts_with(path)) {
                replan = true;
            }
            let Some(base) = self.base_for(path) else {
                continue;
            };
            if self.ignore.is_ignored(path, &base) {
                continue;
            }
            let metadata_of_folder =
                matches!(event.kind, EventKind::Modify(ModifyKind::Metadata(_))) && path.is_dir();
            if counts && !metadata_of_folder {
                self.changed(path.clone(), ctx.now);
            }
            if structural {
                let gone = match event.kind {
                    EventKind::Remove(_) => true,
                    EventKind::Modify(ModifyKind::Name(RenameMode::From)) => true,
                    EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => i == 0,
                    _ => false,
                };
                if gone {
                    self.folders.prune(path, ctx);
                }
                self.resync(path, ctx);
            }
        }
        if replan {
            self.replan(ctx);
        }
    }

    fn changed(&mut self, path: PathBuf, now: Instant) {
        self.debounce.change(path, now, self.spec.delay);
    }

    /// The events were too many for the kernel's queue: watch every tree afresh and count
    /// it as a change.
    fn rescan(&mut self, ctx: &mut Ctx) {
        let folders: Vec<PathBuf> = self
            .roots
            .iter()
            .filter(|r| r.kind == Some(RootKind::Folder))
            .map(|r| r.path.clone())
            .collect();
        for root in &folders {
            self.folders.prune(root, ctx);
            self.walk(root, false, ctx);
        }
        self.replan(ctx);
        if let Some(first) = self.spec.paths.first() {
            self.changed(first.clone(), ctx.now);
        }
    }

    /// Looks at every root again and watches what each needs now.
    fn replan(&mut self, ctx: &mut Ctx) {
        for i in 0..self.roots.len() {
            let path = self.roots[i].path.clone();
            let kind = match fs::metadata(&path) {
                Ok(meta) if meta.is_dir() => RootKind::Folder,
                Ok(_) => RootKind::File,
                Err(_) => RootKind::Missing,
            };
            let old = self.roots[i].kind.replace(kind);
            if old == Some(kind) {
                continue;
            }
            if old == Some(RootKind::Missing) {
                self.changed(path.clone(), ctx.now);
            }
            if old == Some(RootKind::Folder) {
                self.folders.prune(&path, ctx);
            }
            if kind == RootKind::Folder {
                self.walk(&path, old.is_some(), ctx);
            }
        }
        let wanted: BTreeSet<PathBuf> = self.roots.iter().filter_map(anchor_of).collect();
        let anchors = self.folders.anchors();
        let stale: Vec<PathBuf> = anchors.difference(&wanted).cloned().collect();
        let new: Vec<PathBuf> = wanted.difference(anchors).cloned().collect();
        for dir in stale {
            self.folders.unwatch(&dir, Why::Anchor, ctx);
        }
        for dir in new {
            self.watch(dir, Why::Anchor, ctx);
        }
    }

    /// After a structural event on `path`: a folder (new, or moved in) gets walked, a path
    /// that is no folder any more loses its watches.
    fn resync(&mut self, path: &Path, ctx: &mut Ctx) {
        let Ok(meta) = fs::symlink_metadata(path) else {
            self.folders.prune(path, ctx);
            return;
        };
        let is_dir = meta.is_dir()
            || (meta.file_type().is_symlink()
                && self.spec.follow_symlinks
                && fs::metadata(path).is_ok_and(|m| m.is_dir()));
        if !is_dir {
            self.folders.prune(path, ctx);
        } else if !self.folders.has_tree(path) {
            self.walk(path, true, ctx);
        }
    }

    /// Watches `dir` and every folder below it that is not ignored; with `report_new`,
    /// what is found counts as changed. Each folder is watched before it is listed, so
    /// what appears in it meanwhile is either listed or reported by the new watch.
    fn walk(&mut self, dir: &Path, report_new: bool, ctx: &mut Ctx) {
        let Some(base) = self.folder_base(dir) else {
            return;
        };
        if dir != base {
            if self.ignore.is_ignored(dir, &base) {
                return;
            }
            let is_link = fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink());
            if is_link && !self.spec.follow_symlinks {
                return;
            }
        }
        let Ok(meta) = fs::metadata(dir) else {
            return;
        };
        // Each folder with the identities of the folders above it, to stop at symlink loops.
        let mut stack = vec![(dir.to_path_buf(), vec![(meta.dev(), meta.ino())])];
        let mut newest = None;
        while let Some((dir, above)) = stack.pop() {
            self.watch(dir.clone(), Why::Tree, ctx);
            let Ok(entries) = fs::read_dir(&dir) else {
                // Vanished meanwhile; the event saying so follows.
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if self.ignore.is_ignored(&path, &base) {
                    continue;
                }
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                let folder = if file_type.is_dir() {
                    fs::symlink_metadata(&path).ok()
                } else if file_type.is_symlink() && self.spec.follow_symlinks {
                    fs::metadata(&path).ok().filter(|m| m.is_dir())
                } else {
                    None
                };
                if let Some(meta) = folder {
                    let id = (meta.dev(), meta.ino());
                    if !above.contains(&id) {
                        let mut ids = above.clone();
                        ids.push(id);
                        stack.push((path.clone(), ids));
                    }
                }
                if report_new {
                    newest = Some(path);
                }
            }
        }
        if let Some(path) = newest {
            self.changed(path, ctx.now);
        }
    }

    /// Watches `dir`; a root's folder that cannot be watched is said with a `Degraded`
    /// report, one deeper down only in the daemon log.
    fn watch(&mut self, dir: PathBuf, why: Why, ctx: &mut Ctx) {
        let Err(cause) = self.folders.watch(dir.clone(), why, ctx) else {
            return;
        };
        let message = unwatchable_message(&self.key, &dir, &cause);
        if why == Why::Anchor || self.roots.iter().any(|r| r.path == dir) {
            self.degraded = true;
            ctx.out.push(WatchReport::Degraded {
                key: self.key.clone(),
                message,
            });
        } else {
            log::warn!("{message}");
        }
    }

    /// The folder `path`'s ignore patterns are relative to, when `path` is this app's
    /// business: the innermost folder root (or missing root) holding it, or the parent of
    /// the file root it is.
    fn base_for(&self, path: &Path) -> Option<PathBuf> {
        self.roots
            .iter()
            .filter(|r| match r.kind {
                Some(RootKind::Folder | RootKind::Missing) => path.starts_with(&r.path),
                Some(RootKind::File) => path == r.path,
                None => false,
            })
            .max_by_key(|r| r.path.as_os_str().len())
            .map(|r| match r.kind {
                Some(RootKind::File) => r.path.parent().unwrap_or(&r.path).to_path_buf(),
                _ => r.path.clone(),
            })
    }

    /// The innermost folder root holding `path`.
    fn folder_base(&self, path: &Path) -> Option<PathBuf> {
        self.roots
            .iter()
            .filter(|r| r.kind == Some(RootKind::Folder) && path.starts_with(&r.path))
            .max_by_key(|r| r.path.as_os_str().len())
            .map(|r| r.path.clone())
    }
}

/// The folder to watch for a root that is not a folder: a file's parent, or a missing
/// path's nearest existing ancestor.
fn anchor_of(root: &Root) -> Option<PathBuf> {
    match root.kind {
        Some(RootKind::File | RootKind::Missing) => root
            .path
            .ancestors()
            .skip(1)
            .find(|dir| dir.is_dir())
            .map(Path::to_path_buf),
        _ => None,
    }
}

/// Opening and reading files (an app loading its own code) is no change; writing,
/// creating, removing, renaming and touching are.
fn counts_as_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)) => false,
        EventKind::Other => false,
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, RemoveKind};

    #[test]
    fn change_table() {
        let rows: &[(EventKind, bool)] = &[
            (EventKind::Create(CreateKind::File), true),
            (EventKind::Remove(RemoveKind::Folder), true),
            (EventKind::Modify(ModifyKind::Data(DataChange::Any)), true),
            (EventKind::Modify(ModifyKind::Name(RenameMode::Both)), true),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::WriteTime)),
                true,
            ),
            (
                EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
                false,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Write)),
                true,
            ),
            (
                EventKind::Access(AccessKind::Close(AccessMode::Read)),
                false,
            ),
            (EventKind::Access(AccessKind::Open(AccessMode::Any)), false),
            (EventKind::Other, false),
            (EventKind::Any, true),
        ];
        for (kind, want) in rows {
            assert_eq!(counts_as_change(kind), *want, "{kind:?}");
        }
    }

    #[test]
    fn anchors_are_the_nearest_existing_folder() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let base = dir.path().to_path_buf();
        fs::write(base.join("f"), "x").expect("write f");
        let root = |path: PathBuf, kind| Root {
            path,
            kind: Some(kind),
        };
        assert_eq!(
            anchor_of(&root(base.join("f"), RootKind::File)),
            Some(base.clone())
        );
        assert_eq!(
            anchor_of(&root(base.join("a/b/c"), RootKind::Missing)),
            Some(base.clone())
        );
        assert_eq!(anchor_of(&root(base.clone(), RootKind::Folder)), None);
    }
}
