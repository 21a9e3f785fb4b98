//! Notices: every change the supervisor makes, streamed to subscribers.
//!
//! `rpm events`, and later `monit` and the web API, subscribe with `Request::Subscribe`.
//! Each subscriber has a bounded queue (`server::SUBSCRIBER_QUEUE`) drained by its own
//! connection thread; a subscriber whose queue is full has fallen behind and is dropped
//! (its connection ends), so a slow or stuck client never blocks the supervisor.

use std::sync::mpsc::{SyncSender, TrySendError};
use std::time::SystemTime;

use super::tables::{unix_ms, Subscriber, Supervisor};
use crate::ipc::target::Target;
use crate::ipc::{ErroredCause, Notice, NoticeEvent, Response};

impl Supervisor {
    /// Opens a subscription, or answers why not.
    pub(crate) fn subscribe(&mut self, targets: &[String], queue: SyncSender<Response>) {
        if let Err(message) = crate::ipc::target::resolve(targets, self.target_rows()) {
            let _ = queue.try_send(Response::Error {
                kind: crate::ipc::ErrorKind::Failed,
                message,
            });
            return;
        }
        if queue.try_send(Response::Subscribed).is_ok() {
            log::info!(
                "a client subscribed to the notices of {}",
                if targets.is_empty() {
                    "every instance".to_string()
                } else {
                    targets.join(" ")
                }
            );
            self.notices.subscribers.push(Subscriber {
                targets: targets.iter().map(|t| Target::parse(t)).collect(),
                queue,
            });
        }
    }

    /// Publishes `event` about instance `id` to every subscriber that wants it.
    pub(crate) fn notify(&mut self, id: u32, event: NoticeEvent) {
        if !self.notices.any() {
            return;
        }
        let Some(spec) = self
            .slots
            .get(&id)
            .and_then(|slot| self.apps.get(&slot.app))
            .map(|app| &app.spec)
        else {
            return;
        };
        let notice = Notice {
            at: unix_ms(SystemTime::now()),
            id,
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            event,
        };
        let apps = &self.apps;
        let wanted = |target: &Target| match target {
            Target::All => true,
            Target::Id(n) => *n == id,
            // An app name wins over a namespace of the same name, as in `resolve`.
            Target::Name(name) => {
                notice.name == *name || (!apps.contains_key(name) && notice.namespace == *name)
            }
        };
        self.notices.subscribers.retain(|sub| {
            if !sub.targets.is_empty() && !sub.targets.iter().any(wanted) {
                return true;
            }
            match sub.queue.try_send(Response::Notice {
                notice: notice.clone(),
            }) {
                Ok(()) => true,
                Err(TrySendError::Full(_)) => {
                    log::warn!("dropped an event subscriber that fell behind");
                    false
                }
                Err(TrySendError::Disconnected(_)) => false,
            }
        });
    }

    /// The sentence `daemon.log` and subscribers get when an instance goes to errored.
    /// Why instances of an app without `port` keep crashing, when their error log says
    /// they fight over one port: set `port`, so the daemon binds it once for them.
    pub(crate) fn port_hint(&self, id: u32) -> Option<String> {
        let slot = self.slots.get(&id)?;
        let app = self.apps.get(&slot.app)?;
        if app.ids.len() < 2 || app.spec.shares_socket() {
            return None;
        }
        let tail = read_tail(&slot.error_file, 8192)?;
        let fighting = [
            "EADDRINUSE",
            "Address already in use",
            "address already in use",
        ]
        .iter()
        .any(|m| tail.contains(m));
        fighting.then(|| {
            format!(
                "its instances fight over one port (\"address already in use\" in {}): set `port` so the daemon binds it once and they share it",
                slot.error_file.display()
            )
        })
    }

    pub(crate) fn errored_message(&self, id: u32, cause: ErroredCause) -> String {
        let Some(slot) = self.slots.get(&id) else {
            return format!("instance {id} errored");
        };
        let name = &slot.app;
        match cause {
            ErroredCause::CrashLoop => {
                let last = match (&slot.inst.exit_code, &slot.inst.exit_signal) {
                    (Some(code), _) => format!("exit code {code}"),
                    (None, Some(signal)) => format!("killed by {signal}"),
                    (None, None) => "exit status unknown".to_string(),
                };
                let min_uptime = self
                    .apps
                    .get(name)
                    .map(|a| a.policy.min_uptime.as_millis())
                    .unwrap_or_default();
                let hint = self
                    .port_hint(id)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                format!(
                    "{name} (id {id}) errored: it exited {} times in a row within min_uptime ({min_uptime} ms), last with {last}{hint}; fix it, then `rpm restart {name}`",
                    slot.inst.unstable_restarts
                )
            }
            ErroredCause::SpawnFailed => format!(
                "{name} (id {id}) errored: it could not be started: {}",
                slot.last_error.as_deref().unwrap_or("unknown reason")
            ),
        }
    }
}

/// The last `max` bytes of a file, as text.
fn read_tail(path: &std::path::Path, max: u64) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(max))).ok()?;
    let mut bytes = Vec::new();
    file.take(max).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
