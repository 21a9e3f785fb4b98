//! `ping`, `save`, `kill`, `update`, `reload-logs`: requests about the daemon itself.

use super::super::tables::{App, Exit, Supervisor};
use super::{failed, Refusal};
use crate::config::interpreter::is_executable;
use crate::dump::{DumpedApp, DumpedInstance, DumpedState};
use crate::ipc::protocol::VERSION;
use crate::ipc::{Response, Status};
use crate::logs::pump::PumpCommand;

impl Supervisor {
    pub(super) fn ping(&self) -> Result<Option<Response>, Refusal> {
        Ok(Some(Response::Pong {
            version: VERSION.to_string(),
            pid: std::process::id(),
        }))
    }

    pub(super) fn reload_logs(&self) -> Result<Option<Response>, Refusal> {
        self.pump.send(PumpCommand::Reopen);
        Ok(Some(Response::Ok {
            message: "log files reopened".into(),
        }))
    }

    /// Checked first, so a bad path leaves this daemon alone instead of failing at exec
    /// after it has already wound down.
    pub(super) fn update(&mut self, exe: std::path::PathBuf) -> Result<Option<Response>, Refusal> {
        if self.ends_when_idle {
            // The replacement would be a plain daemon: no output, no end of the run.
            return Err(failed(
                "this daemon is an `rpm run`, which cannot be replaced in place: stop it and run the new binary",
            ));
        }
        if !is_executable(&exe) {
            return Err(failed(format!(
                "cannot replace the daemon with {}: not an executable file",
                exe.display()
            )));
        }
        self.persist();
        self.persister.flush(std::time::Duration::from_secs(5));
        self.exit = Some(Exit::Exec(exe));
        Ok(Some(Response::Ok {
            message: "the daemon is being replaced; apps keep running".into(),
        }))
    }

    /// Writes every app's spec with its instances' ids and states (`dump.json`),
    /// keeping the previous save as `dump.json.bak`.
    pub(super) fn save(&self) -> Result<Option<Response>, Refusal> {
        let apps: Vec<DumpedApp> = self.apps.values().map(|app| self.dumped(app)).collect();
        let path = self.home.dump_file();
        crate::dump::write(&path, &apps).map_err(|e| failed(e.to_string()))?;
        Ok(Some(Response::Saved {
            path,
            apps: apps.len(),
        }))
    }

    fn dumped(&self, app: &App) -> DumpedApp {
        let rpm_instances = app
            .ids
            .iter()
            .filter_map(|id| self.slots.get(id))
            .map(|slot| DumpedInstance {
                id: slot.id,
                instance: slot.index,
                state: dumped_state(slot.inst.status),
            })
            .collect();
        DumpedApp {
            spec: app.spec.clone(),
            rpm_instances,
        }
    }
}

/// What resurrect should bring back: an instance that is running or about to run again
/// is online; one that is stopped or gave up (errored) is stopped.
fn dumped_state(status: Status) -> DumpedState {
    match status {
        Status::Launching | Status::Online | Status::Stopping | Status::WaitingRestart => {
            DumpedState::Online
        }
        Status::Stopped | Status::Errored => DumpedState::Stopped,
    }
}
