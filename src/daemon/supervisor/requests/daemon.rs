//! `ping`, `save`, `kill`, `update`, `reload-logs`: requests about the daemon itself.

use super::super::tables::{Exit, Supervisor};
use super::{failed, Refusal};
use crate::atomic_write::write_atomic;
use crate::config::interpreter::is_executable;
use crate::config::AppSpec;
use crate::ipc::protocol::VERSION;
use crate::ipc::Response;
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

    pub(super) fn save(&self) -> Result<Option<Response>, Refusal> {
        let specs: Vec<&AppSpec> = self.apps.values().map(|a| &a.spec).collect();
        let data = serde_json::to_vec_pretty(&specs)
            .map_err(|e| failed(format!("cannot encode the process list: {e}")))?;
        let path = self.home.dump_file();
        write_atomic(&path, &data, 0o600)
            .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(Response::Saved {
            path,
            apps: specs.len(),
        }))
    }
}
