//! Request handlers of the supervisor, by verb group as in `cli/`: `start`, `control`
//! (stop, restart, delete, reset, signal, flush), `query` (list, describe, env) and
//! `daemon` (ping, save, kill, update, reload-logs) and `resurrect`. A handler shares its name with its
//! `Request` variant and its CLI verb.
//!
//! Handlers that change instances feed inputs to the state machine and, when the answer
//! must wait for processes (stop, restart, delete, kill), leave a waiter that the loop
//! answers once every instance concerned has settled.

mod control;
mod daemon;
mod query;
mod reload;
mod resurrect;
mod start;

use std::sync::mpsc::Sender;

use super::super::policy::Input;
use super::tables::Supervisor;
use crate::ipc::{ErrorKind, Request, Response};

/// A handler's failure: what to tell the user, and how bad it is.
pub(super) struct Refusal {
    kind: ErrorKind,
    message: String,
}

fn failed(message: impl Into<String>) -> Refusal {
    Refusal {
        kind: ErrorKind::Failed,
        message: message.into(),
    }
}

fn usage(message: impl Into<String>) -> Refusal {
    Refusal {
        kind: ErrorKind::Usage,
        message: message.into(),
    }
}

impl Supervisor {
    pub(crate) fn request(&mut self, request: Request, reply: Sender<Response>) {
        if self.quitting
            && !matches!(
                request,
                Request::Ping | Request::List | Request::Describe { .. }
            )
        {
            let _ = reply.send(Response::Error {
                kind: ErrorKind::Failed,
                message: "the daemon is stopping every app and exiting; try again in a moment"
                    .into(),
            });
            return;
        }
        let releases_memory = matches!(
            request,
            Request::Start { .. }
                | Request::Resurrect { .. }
                | Request::Delete { .. }
                | Request::Scale { .. }
        );
        let result = match request {
            Request::Ping => self.ping(),
            Request::Start { apps, mode, rows } => self.start(apps, mode, rows, &reply),
            Request::StartTargets { targets } => {
                self.apply_to_targets(&targets, Input::Start, &reply)
            }
            Request::Stop { targets } => self.apply_to_targets(&targets, Input::Stop, &reply),
            Request::Restart { targets } => self.apply_to_targets(&targets, Input::Restart, &reply),
            Request::Reload { targets } => self.reload(&targets, &reply),
            Request::Scale { name, change } => self.scale(&name, change, &reply),
            Request::Delete { targets } => self.delete(&targets, &reply),
            Request::Reset { targets } => self.reset(&targets),
            Request::Watch { targets, change } => self.watch(&targets, change),
            Request::Signal { signal, targets } => self.signal(&signal, &targets),
            Request::List => self.list(&reply),
            Request::Describe { targets } => self.describe(&targets, &reply),
            Request::Env { id } => self.env(id),
            Request::Flush { targets } => self.flush(&targets),
            Request::ReloadLogs => self.reload_logs(),
            Request::Save => self.save(),
            Request::Resurrect { apps } => self.resurrect(apps, &reply),
            Request::Kill => {
                self.begin_quit(Some(reply.clone()));
                Ok(None)
            }
            Request::Update { exe } => self.update(exe),
            // The server hands subscriptions over as `Event::Subscribe`, with their queue.
            Request::Subscribe { .. } => Err(failed(
                "a subscription needs its own connection: send it as the first request",
            )),
        };
        if releases_memory {
            // Apps came or went: give freed heap back to the system, so the daemon's
            // resident size follows what it holds (a few µs with one small arena).
            // SAFETY: malloc_trim has no preconditions.
            unsafe {
                libc::malloc_trim(0);
            }
        }
        match result {
            Ok(Some(response)) => {
                let _ = reply.send(response);
            }
            Ok(None) => {}
            Err(refusal) => {
                let _ = reply.send(Response::Error {
                    kind: refusal.kind,
                    message: refusal.message,
                });
            }
        }
    }

    /// Instance ids named by targets: `all`, an id, an app name or a namespace.
    fn resolve(&self, targets: &[String]) -> Result<Vec<u32>, Refusal> {
        crate::ipc::target::resolve(targets, self.target_rows()).map_err(failed)
    }
}
