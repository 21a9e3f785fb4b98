//! What every connection thread of `rpm web` shares: the client, the token rule, the
//! notice hub, and the process list kept in memory.
//!
//! Requests are answered from the list in memory whenever it is known to be current, so
//! they never wait on the daemon (and its sampler): the daemon sends a notice with every
//! change to a row but CPU and memory (status, pid, restarts, a reset, a delete), each
//! notice or action marks the list out of date, and the refresher thread fetches a new
//! one at once; a request that finds it out of date waits for a list fetched after the
//! change (read-your-writes after an action). CPU and memory are the daemon's last
//! sample: while the server is being asked (a request in the last `IN_USE_FOR`) the
//! refresher lists again before the list is `REFRESH_AFTER` old, so they are as fresh as
//! the sampler's; after a quiet spell the first request is answered from the list in
//! memory, its `Age` header says how old, and a new list is fetched behind it
//! (stale-while-revalidate, RFC 5861). An idle server asks the daemon only after a
//! change. Concurrent misses wait for one fetch.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::auth::Access;
use super::metrics::DaemonFigures;
use super::sse::Hub;
use crate::client::{Client, ClientError};
use crate::ipc::ProcessInfo;

/// A list this old is refreshed ahead of requests while the server is in use.
const REFRESH_AFTER: Duration = Duration::from_millis(400);
/// How long after the last request the server counts as in use: past Prometheus's
/// default one-minute scrape, so a scraped server serves figures no older than
/// `REFRESH_AFTER` (plus a fetch).
const IN_USE_FOR: Duration = Duration::from_secs(70);
/// How often the refresher looks when nothing wakes it.
const REFRESH_TICK: Duration = Duration::from_millis(100);

/// Rows shared between requests while the cache holds them.
pub type Rows = Arc<Vec<ProcessInfo>>;

/// A body, the kind it is and the list it was rendered from.
type Rendered = (Rendering, Rows, Arc<Vec<u8>>);

/// A body rendered from the whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    List,
    Metrics,
}

/// The list a request is answered from, and how long ago it was fetched.
pub struct Listed {
    pub rows: Rows,
    pub age: Duration,
}

impl Listed {
    /// The `Age` header (whole seconds, RFC 9111) of an answer made from this list.
    pub fn age_header(&self) -> String {
        format!("Age: {}", self.age.as_secs())
    }
}

/// A list fetched from the daemon.
struct Fetched {
    /// When the fetch began: the rows are at least this fresh.
    at: Instant,
    /// `Cache::changes` when the fetch began: it saw every change counted until then.
    changes: u64,
    rows: Rows,
}

/// The list in memory and what the refresher and requests need to share it.
#[derive(Default)]
struct Cache {
    list: Option<Fetched>,
    /// Changes heard of (notices, actions): a list fetched before the last one may be
    /// out of date.
    changes: u64,
    /// A fetch is under way: others wait for it rather than asking too.
    fetching: bool,
    /// When a request last asked for the list.
    last_asked: Option<Instant>,
}

impl Cache {
    /// The list, if it saw every change up to `changes`.
    fn current(&self, changes: u64) -> Option<&Fetched> {
        self.list.as_ref().filter(|f| f.changes >= changes)
    }
}

/// Shared by every connection thread.
pub struct State {
    client: Client,
    token: String,
    loopback: bool,
    hub: Hub,
    cache: Mutex<Cache>,
    /// Signalled when a fetch ends or a change is heard of.
    cache_moved: Condvar,
    /// Bodies rendered from the cached list, kept while it is the one cached.
    rendered: Mutex<Vec<Rendered>>,
    caller_env: BTreeMap<String, String>,
    caller_cwd: PathBuf,
}

impl State {
    pub fn new(client: Client, token: String, loopback: bool, caller_cwd: PathBuf) -> State {
        State {
            client,
            token,
            loopback,
            hub: Hub::default(),
            cache: Mutex::new(Cache::default()),
            cache_moved: Condvar::new(),
            rendered: Mutex::new(Vec::new()),
            caller_env: std::env::vars().collect(),
            caller_cwd,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub fn caller_env(&self) -> &BTreeMap<String, String> {
        &self.caller_env
    }

    pub fn caller_cwd(&self) -> &Path {
        &self.caller_cwd
    }

    /// Whether a request with `given` as its bearer token may go ahead.
    pub fn access(&self, is_action: bool, given: Option<&str>) -> Access {
        Access::decide(is_action, self.loopback, given, &self.token)
    }

    fn lock_cache(&self) -> MutexGuard<'_, Cache> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The process list: the one in memory when it saw every change heard of so far,
    /// else one fetched after them (by this request, or by the fetch under way).
    pub fn rows(&self) -> Result<Listed, ClientError> {
        let mut cache = self.lock_cache();
        let now = Instant::now();
        cache.last_asked = Some(now);
        let needed = cache.changes;
        loop {
            if let Some(f) = cache.current(needed) {
                let age = now.saturating_duration_since(f.at);
                let listed = Listed {
                    rows: Arc::clone(&f.rows),
                    age,
                };
                if age >= REFRESH_AFTER {
                    // Served as it is; the refresher fetches a newer one behind it.
                    self.cache_moved.notify_all();
                }
                return Ok(listed);
            }
            if !cache.fetching {
                let (result, _unlocked) = self.fetch(cache);
                // A list fetched after this request arrived is fresh enough for it,
                // even if a change was heard of meanwhile.
                return result.map(|rows| Listed {
                    rows,
                    age: Duration::ZERO,
                });
            }
            cache = self
                .cache_moved
                .wait(cache)
                .unwrap_or_else(|poisoned| poisoned.into_inner());
        }
    }

    /// Fetches a list with the lock released, stores it unless a newer one came
    /// meanwhile, and wakes whoever waits.
    fn fetch<'a>(
        &'a self,
        mut cache: MutexGuard<'a, Cache>,
    ) -> (Result<Rows, ClientError>, MutexGuard<'a, Cache>) {
        cache.fetching = true;
        let changes = cache.changes;
        let at = Instant::now();
        drop(cache);
        let result = self.client.list().map(Arc::new);
        let mut cache = self.lock_cache();
        cache.fetching = false;
        if let Ok(rows) = &result {
            let newer = cache.list.as_ref().is_some_and(|f| f.at > at);
            if !newer {
                cache.list = Some(Fetched {
                    at,
                    changes,
                    rows: Arc::clone(rows),
                });
            }
        }
        self.cache_moved.notify_all();
        (result, cache)
    }

    /// `kind` rendered from `rows`: again only when `rows` is a new list, so a burst of
    /// scrapes renders once per list.
    pub fn rendered(
        &self,
        kind: Rendering,
        rows: &Rows,
        render: impl FnOnce(&[ProcessInfo]) -> Vec<u8>,
    ) -> Arc<Vec<u8>> {
        let mut cache = self
            .rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, _, body)) = cache
            .iter()
            .find(|(k, list, _)| *k == kind && Arc::ptr_eq(list, rows))
        {
            return Arc::clone(body);
        }
        let body = Arc::new(render(rows));
        cache.retain(|(k, _, _)| *k != kind);
        cache.push((kind, Arc::clone(rows), Arc::clone(&body)));
        body
    }

    /// A process list fetched after every change heard of so far, this request
    /// included (`existing` checks an id with it before an action).
    pub fn fresh_rows(&self) -> Result<Rows, ClientError> {
        self.invalidate();
        self.rows().map(|listed| listed.rows)
    }

    /// Something changed (a notice, an action): the list in memory may be out of date,
    /// and the refresher fetches a new one.
    pub fn invalidate(&self) {
        self.lock_cache().changes += 1;
        self.cache_moved.notify_all();
    }

    /// Keeps the list in memory current, on a thread of its own (for as long as the
    /// process runs): at start, after every change, and ahead of requests while the
    /// server is in use.
    pub fn spawn_refresher(state: Arc<State>) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("web-refresh".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                let mut cache = state.lock_cache();
                loop {
                    let now = Instant::now();
                    let due = !cache.fetching
                        && refresh_due(
                            now,
                            cache.last_asked,
                            cache.list.as_ref().map(|f| (f.at, f.changes)),
                            cache.changes,
                        );
                    if due {
                        let (result, unlocked) = state.fetch(cache);
                        cache = unlocked;
                        if result.is_ok() {
                            continue;
                        }
                        // A failure is left to the next request, which reports it; the
                        // refresher tries again at the next tick, not in a busy loop.
                    }
                    cache = state
                        .cache_moved
                        .wait_timeout(cache, REFRESH_TICK)
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .0;
                }
            })?;
        Ok(())
    }

    /// The daemon's own memory and uptime, from `/proc` (zeros when it cannot be read).
    pub fn daemon_figures(&self) -> DaemonFigures {
        let pid = std::fs::read_to_string(self.client.home().pid_file())
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok());
        let Some(stat) = pid.and_then(crate::proctree::stat) else {
            return DaemonFigures::default();
        };
        let started = stat.start_ticks as f64 / crate::proctree::ticks_per_second() as f64;
        DaemonFigures {
            memory_bytes: stat.rss_pages * crate::proctree::page_size(),
            uptime_seconds: crate::proctree::uptime_seconds()
                .map_or(0.0, |up| ((up - started) * 100.0).round().max(0.0) / 100.0),
        }
    }
}

/// Whether the refresher lists now: there is no list yet, a change was heard of since
/// the list was fetched, or the server was asked within `IN_USE_FOR` and the list is
/// `REFRESH_AFTER` old. `list` is when the list in memory was fetched and the changes it
/// saw.
fn refresh_due(
    now: Instant,
    last_asked: Option<Instant>,
    list: Option<(Instant, u64)>,
    changes: u64,
) -> bool {
    let Some((fetched_at, saw)) = list else {
        return true;
    };
    let in_use = last_asked.is_some_and(|at| now.saturating_duration_since(at) < IN_USE_FOR);
    saw < changes || (in_use && now.saturating_duration_since(fetched_at) >= REFRESH_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn the_list_is_refreshed_after_a_change_and_ahead_only_while_the_server_is_asked() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let now = t0 + ms(500);
        let rows = [
            // (what, last asked, list fetched at and the changes it saw, changes, due)
            ("no list yet, never asked", None, None, 0, true),
            ("no list yet, asked", Some(t0), None, 0, true),
            ("young, in use", Some(t0), Some((t0 + ms(200), 0)), 0, false),
            ("old, in use", Some(t0), Some((t0, 0)), 0, true),
            ("old, never asked", None, Some((t0, 0)), 0, false),
            (
                "young, a change since",
                None,
                Some((t0 + ms(450), 2)),
                3,
                true,
            ),
            (
                "young, saw every change",
                None,
                Some((t0 + ms(450), 3)),
                3,
                false,
            ),
        ];
        for (what, asked, list, changes, due) in rows {
            assert_eq!(refresh_due(now, asked, list, changes), due, "{what}");
        }
        // Idle for longer than IN_USE_FOR: nothing is asked of the daemon but a change.
        let later = t0 + IN_USE_FOR + ms(1);
        assert!(!refresh_due(later, Some(t0), Some((t0, 0)), 0));
        assert!(refresh_due(later, Some(t0), Some((t0, 0)), 1));
    }

    #[test]
    fn a_request_waits_for_the_daemon_only_when_a_change_was_heard_of() {
        use crate::client::fake_daemon::{line, FakeDaemon};
        use crate::ipc::protocol::Response;
        let empty = line(&Response::Processes { processes: vec![] });
        let fake = FakeDaemon::serve(vec![vec![empty.clone()], vec![empty]]);
        let state = State::new(fake.client(), "t".into(), true, PathBuf::from("/"));
        let first = state.rows().expect("the first list is fetched");
        assert_eq!(first.age, Duration::ZERO);
        // Answered from memory: the fake would refuse a third conversation.
        let again = state.rows().expect("from memory");
        assert!(Arc::ptr_eq(&first.rows, &again.rows));
        assert_eq!(again.age_header(), "Age: 0");
        state.invalidate();
        let after = state.rows().expect("fetched after the change");
        assert!(!Arc::ptr_eq(&first.rows, &after.rows));
        assert_eq!(fake.requests().len(), 2);
    }

    #[test]
    fn a_body_is_rendered_once_per_list() {
        let client = Client::new(crate::paths::Home::at("/nonexistent"));
        let state = State::new(client, "t".into(), true, PathBuf::from("/"));
        let renders = Cell::new(0);
        let render = |_: &[ProcessInfo]| {
            renders.set(renders.get() + 1);
            format!("render {}", renders.get()).into_bytes()
        };
        let first: Rows = Arc::new(Vec::new());
        let a = state.rendered(Rendering::Metrics, &first, render);
        let b = state.rendered(Rendering::Metrics, &first, render);
        assert_eq!(
            (a.as_slice(), b.as_slice()),
            (&b"render 1"[..], &b"render 1"[..])
        );
        // Another kind of body from the same list, then a new list: rendered anew.
        state.rendered(Rendering::List, &first, render);
        let second: Rows = Arc::new(Vec::new());
        let c = state.rendered(Rendering::Metrics, &second, render);
        assert_eq!(c.as_slice(), b"render 3");
        assert_eq!(renders.get(), 3);
    }
}
