//! What every connection thread of `rpm web` shares: the client, the token rule, the
//! notice hub, and the short-lived cache of the process list.
//!
//! The cache is what keeps `/metrics` scraped 1,000 times a second from costing the
//! daemon 1,000 lists: a list younger than `LIST_TTL` is served again (it also keeps the
//! daemon's sampler going, as a viewer's `list` does). Concurrent misses wait on one
//! lock, so they cost one `list` too. Actions drop the cached list.

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

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
