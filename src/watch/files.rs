//! File watching for `watch` restarts: the [`Watcher`] handle the supervisor holds, and the
//! one thread ("watch") that owns every notify watcher.
//!
//! The supervisor calls [`Watcher::watch`] and [`Watcher::unwatch`]; they only put a command
//! on a channel, so they never block it. notify's event handlers send into the same channel,
//! and the thread blocks on it with the next debounce deadline as timeout (none when nothing
//! is pending: an idle watcher costs no CPU). When a burst of changes is over it calls the
//! owner's `report` closure, on this thread, with one [`WatchReport::Changed`].
//!
//! Apps share one inotify instance (`backend.rs`); an app polls with its own `PollWatcher`
//! when its spec asks for it, or when inotify runs out of watches or instances, which a
//! [`WatchReport::Degraded`] says (`folders.rs`). What counts as a change of which app is
//! `app.rs`'s business; the debounce rule is `watch::debounce`, the ignore patterns
//! `watch::ignore`.

mod app;
mod backend;
mod channel;
mod folders;
mod spec;
#[cfg(test)]
mod tests;

pub use spec::{WatchReport, WatchSpec};

use std::collections::BTreeMap;
use std::io;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::Instant;

use app::App;
use backend::SharedInotify;
use channel::{Msg, MsgSender};
use folders::Ctx;

/// The handle of the watcher thread; cheap to call from the supervisor thread, never blocks
/// it. Dropping it ends the thread.
pub struct Watcher {
    tx: MsgSender,
    /// The thread's kernel id, for the tests that look at its scheduling.
    #[cfg(test)]
    tid: std::sync::Arc<std::sync::atomic::AtomicI32>,
}

impl Watcher {
    /// Starts the watcher thread. `report` is called on it for every [`WatchReport`] and
    /// returns false once nobody listens; the thread then ends.
    pub fn spawn(report: impl Fn(WatchReport) -> bool + Send + 'static) -> io::Result<Watcher> {
        let (tx, rx) = mpsc::channel();
        let thread_tx = tx.clone();
        #[cfg(test)]
        let tid = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
        #[cfg(test)]
        let thread_tid = tid.clone();
        std::thread::Builder::new()
            .name("watch".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                #[cfg(test)]
                thread_tid.store(
                    nix::unistd::gettid().as_raw(),
                    std::sync::atomic::Ordering::SeqCst,
                );
                run(&rx, thread_tx, &report);
            })?;
        Ok(Watcher {
            tx,
            #[cfg(test)]
            tid,
        })
    }

    /// Starts watching `spec` for app `key`, or replaces what `key` watched. The same spec
    /// again changes nothing, unless the app was degraded: then inotify is tried again (after
    /// the user raised the limit, say).
    pub fn watch(&self, key: &str, spec: WatchSpec) {
        let _ = self.tx.send(Msg::Watch(key.to_string(), spec));
    }

    /// Stops watching app `key`; no report for it follows, not even one already pending.
    pub fn unwatch(&self, key: &str) {
        let _ = self.tx.send(Msg::Unwatch(key.to_string()));
    }

    /// Waits until the thread has handled everything sent before; `None` if it has ended.
    #[cfg(test)]
    fn sync(&self) -> Option<channel::Probe> {
        let (tx, rx) = mpsc::channel();
        self.tx.send(Msg::Sync(tx)).ok()?;
        rx.recv().ok()
    }

    /// Makes the shared inotify instance refuse watches beyond `count` folders.
    #[cfg(test)]
    fn limit_watches(&self, count: usize) {
        let _ = self.tx.send(Msg::LimitWatches(count));
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        // notify's handlers hold senders too, so the channel alone would never close.
        let _ = self.tx.send(Msg::Stop);
    }
}

/// The watcher thread's state.
struct State {
    apps: BTreeMap<String, App>,
    inotify: SharedInotify,
    out: Vec<WatchReport>,
    generations: u64,
}

/// The thread: handle whatever arrives, then hand out the reports that are due.
fn run(rx: &Receiver<Msg>, tx: MsgSender, report: &dyn Fn(WatchReport) -> bool) {
    let mut state = State {
        apps: BTreeMap::new(),
        inotify: SharedInotify::new(tx),
        out: Vec::new(),
        generations: 0,
    };
    loop {
        let deadline = state.apps.values().filter_map(App::deadline).min();
        let first = match deadline {
            None => match rx.recv() {
                Ok(msg) => Some(msg),
                Err(_) => return,
            },
            Some(at) => match rx.recv_timeout(at.saturating_duration_since(Instant::now())) {
                Ok(msg) => Some(msg),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        if let Some(msg) = first {
            if !state.handle(msg) {
                return;
            }
            // Everything already queued belongs to the same moment: take it all before
            // deciding that a burst is over.
            while let Ok(msg) = rx.try_recv() {
                if !state.handle(msg) {
                    return;
                }
            }
        }
        let now = Instant::now();
        for app in state.apps.values_mut() {
            if let Some(due) = app.due(now) {
                state.out.push(due);
            }
        }
        for out in state.out.drain(..) {
            if !report(out) {
                return;
            }
        }
    }
}

impl State {
    /// Handles one message; false when the thread should end.
    fn handle(&mut self, msg: Msg) -> bool {
        let mut ctx = Ctx {
            inotify: &mut self.inotify,
            out: &mut self.out,
            now: Instant::now(),
        };
        match msg {
            Msg::Watch(key, spec) => {
                if let Some(app) = self.apps.get(&key) {
                    if *app.spec() == spec && !app.is_degraded() {
                        return true;
                    }
                }
                self.generations += 1;
                let app = App::start(key.clone(), spec, self.generations, &mut ctx);
                // Started before the old one stops, so folders both watch keep their watch.
                if let Some(old) = self.apps.insert(key, app) {
                    old.stop(ctx.inotify);
                }
            }
            Msg::Unwatch(key) => {
                if let Some(old) = self.apps.remove(&key) {
                    old.stop(ctx.inotify);
                }
            }
            Msg::Stop => return false,
            Msg::Inotify(Ok(event)) => {
                for app in self.apps.values_mut().filter(|app| app.uses_inotify()) {
                    app.on_event(&event, &mut ctx);
                }
            }
            Msg::Poll {
                key,
                generation,
                event: Ok(event),
            } => {
                if let Some(app) = self.apps.get_mut(&key) {
                    if app.owns_poll(generation) {
                        app.on_event(&event, &mut ctx);
                    }
                }
            }
            Msg::Inotify(Err(error))
            | Msg::Poll {
                event: Err(error), ..
            } => {
                // A folder that vanished under a poll, a failed read of the inotify fd:
                // the events that matter arrive on their own.
                log::debug!("watch: {error}");
            }
            #[cfg(test)]
            Msg::Sync(done) => {
                let _ = done.send(channel::Probe {
                    inotify_watches: self.inotify.watched(),
                    pending: self
                        .apps
                        .values()
                        .filter(|a| a.deadline().is_some())
                        .count(),
                });
            }
            #[cfg(test)]
            Msg::LimitWatches(count) => self.inotify.budget = Some(count),
        }
        true
    }
}
