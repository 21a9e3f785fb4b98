//! `jlist` rows and `describe` details, from the tables and the last sample.
//!
//! Reading a row changes nothing: CPU and memory are the sampler's last figures for the
//! instance's current process (see `sampling`), the same for every reader.

use super::tables::Supervisor;
use crate::ipc::{Details, ProcessInfo, Status};

impl Supervisor {
    /// The `jlist` row of an instance.
    pub(crate) fn row(&self, id: u32) -> Option<ProcessInfo> {
        let slot = self.slots.get(&id)?;
        let spec = &self.apps.get(&slot.app)?.spec;
        let pid = slot.live_pid();
        let (cpu, memory) = slot
            .sample
            .filter(|s| Some(s.pid) == pid)
            .map_or((0.0, 0), |s| (s.cpu, s.memory));
        let uptime_ms = match (slot.inst.status, slot.inst.started) {
            (Status::Online, Some(started)) => Some(started.elapsed().as_millis() as u64),
            _ => None,
        };
        Some(ProcessInfo {
            id,
            name: spec.name.clone(),
            namespace: spec.namespace.clone(),
            instance: slot.index,
            exec_mode: spec.exec_mode,
            status: slot.inst.status,
            pid,
            restarts: slot.inst.restarts,
            unstable_restarts: slot.inst.unstable_restarts,
            uptime_ms,
            exit_code: slot.inst.exit_code,
            exit_signal: slot.inst.exit_signal.clone(),
            cpu,
            memory,
            script: spec.script.clone(),
            args: spec.args.clone(),
            cwd: spec.cwd.clone(),
            interpreter: spec.interpreter.clone(),
            out_file: slot.out_file.clone(),
            error_file: slot.error_file.clone(),
            watch: !spec.watch.is_empty(),
            started_at: slot.started_at_ms,
            created_at: slot.created_at_ms,
            user: pid.and(slot.uid),
        })
    }

    /// Every row, in id order.
    pub(crate) fn all_rows(&self) -> Vec<ProcessInfo> {
        self.slots.keys().filter_map(|id| self.row(*id)).collect()
    }

    /// Everything about an instance.
    pub(crate) fn details(&self, id: u32) -> Option<Details> {
        let process = self.row(id)?;
        let slot = self.slots.get(&id)?;
        let spec = self.apps.get(&slot.app)?.spec.clone();
        let app = self.apps.get(&slot.app)?;
        let mut sockets: Vec<String> = app.socket.iter().map(|s| s.listen.to_string()).collect();
        sockets.extend(app.node_sockets.keys().map(|l| l.to_string()));
        Some(Details {
            socket: (!sockets.is_empty()).then(|| sockets.join(", ")),
            notify_status: slot.notify_status.clone(),
            hint: self.port_hint(id),
            process,
            log_file: spec.log_file.clone(),
            spec,
            log_error: slot.log_error.clone().or_else(|| slot.last_error.clone()),
            adopted: slot.adopted,
            last_restart: slot.last_restart.clone(),
            next_cron: slot.next_cron_ms,
            watch_problem: self
                .apps
                .get(&slot.app)
                .and_then(|a| a.watch_problem.clone()),
        })
    }
}
