//! What every connection thread of `rpm web` shares: the client, the token rule, the
//! notice hub, and the short-lived cache of the process list.
//!
//! The cache is what keeps `/metrics` scraped 1,000 times a second from costing the
//! daemon 1,000 lists: a list younger than `LIST_TTL` is served again (it also keeps the
//! daemon's sampler going, as a viewer's `list` does). Concurrent misses wait on one
//! lock, so they cost one `list` too. Actions drop the cached list. While the server is
//! being asked (a request in the last `IN_USE_FOR`), a refresher thread lists again
//! before the cached list expires, so requests are answered from memory rather than
//! waiting on the daemon (and its sampler); an idle server asks the daemon nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::auth::Access;
use super::metrics::DaemonFigures;
use super::sse::Hub;
use crate::client::{Client, ClientError};
use crate::ipc::ProcessInfo;

/// How long a list is served again before the daemon is asked anew.
pub const LIST_TTL: Duration = Duration::from_millis(500);
/// A list this old is refreshed ahead of requests while the server is in use.
const REFRESH_AFTER: Duration = Duration::from_millis(300);
/// How long after the last request the server counts as in use.
const IN_USE_FOR: Duration = Duration::from_secs(10);
/// How often the refresher looks.
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

/// Shared by every connection thread.
pub struct State {
    client: Client,
    token: String,
    loopback: bool,
    hub: Hub,
    cache: Mutex<Option<(Instant, Rows)>>,
    /// When a request last asked for the list.
    last_asked: Mutex<Option<Instant>>,
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
            cache: Mutex::new(None),
            last_asked: Mutex::new(None),
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

    /// The process list, from the cache when it is fresh.
    pub fn rows(&self) -> Result<Rows, ClientError> {
        *self
            .last_asked
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Instant::now());
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((at, rows)) = cache.as_ref() {
            if at.elapsed() < LIST_TTL {
                return Ok(Arc::clone(rows));
            }
        }
        let rows = Arc::new(self.client.list()?);
        *cache = Some((Instant::now(), Arc::clone(&rows)));
        Ok(rows)
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

    /// The process list asked afresh (and cached).
    pub fn fresh_rows(&self) -> Result<Rows, ClientError> {
        self.invalidate();
        self.rows()
    }

    /// Forgets the cached list: something changed.
    pub fn invalidate(&self) {
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *cache = None;
    }

    /// Keeps the cached list fresh while the server is in use, on a thread of its own
    /// (for as long as the process runs).
    pub fn spawn_refresher(state: Arc<State>) -> std::io::Result<()> {
        std::thread::Builder::new()
            .name("web-refresh".into())
            .stack_size(256 * 1024)
            .spawn(move || loop {
                std::thread::sleep(REFRESH_TICK);
                let now = Instant::now();
                let asked = *state
                    .last_asked
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                let cached = state
                    .cache
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .as_ref()
                    .map(|(at, _)| *at);
                if refresh_due(now, asked, cached) {
                    // A failure is left to the next request, which reports it.
                    if let Ok(rows) = state.client.list() {
                        *state
                            .cache
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                            Some((Instant::now(), Arc::new(rows)));
                    }
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

/// Whether the refresher lists now: the server was asked within `IN_USE_FOR` and the
/// cached list is missing or `REFRESH_AFTER` old.
fn refresh_due(now: Instant, last_asked: Option<Instant>, cached_at: Option<Instant>) -> bool {
    let in_use = last_asked.is_some_and(|at| now.saturating_duration_since(at) < IN_USE_FOR);
    let stale = cached_at.is_none_or(|at| now.saturating_duration_since(at) >= REFRESH_AFTER);
    in_use && stale
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn the_list_is_refreshed_ahead_only_while_the_server_is_asked() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let rows = [
            // (last asked, cached, due)
            (None, None, false),
            (Some(t0), None, true),
            (Some(t0), Some(t0 + ms(100)), false),
            (Some(t0), Some(t0), true),
            (Some(t0 + ms(250)), Some(t0 + ms(250)), false),
        ];
        let now = t0 + ms(300);
        for (asked, cached, due) in rows {
            assert_eq!(refresh_due(now, asked, cached), due, "{asked:?} {cached:?}");
        }
        // Idle for longer than IN_USE_FOR: nothing is asked of the daemon.
        let later = t0 + IN_USE_FOR + ms(1);
        assert!(!refresh_due(later, Some(t0), Some(t0)));
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
