//! `jlist` rows and `describe` details, with CPU and memory read from `/proc` on demand.
//!
//! Nothing samples in the background: a row's `cpu` is the share of one core the process
//! used since the previous look (or since it started), computed when someone asks.

use std::time::Instant;

use super::proctree;
use super::supervisor::{Slot, Supervisor};
use crate::ipc::{Details, ProcessInfo};

impl Supervisor {
    /// The `jlist` row of an instance.
    pub(crate) fn info(&mut self, id: u32) -> Option<ProcessInfo> {
        let slot = self.slots.get_mut(&id)?;
        let spec = &self.apps.get(&slot.app)?.spec;
        let (cpu, memory) = sample(slot);
        let online = slot.inst.status == super::policy::Status::Online;
        let uptime_ms = match (online, slot.inst.started) {
            (true, Some(started)) => Some(started.elapsed().as_millis() as u64),
            _ => None,
        };
        let pid = slot.inst.pid.filter(|_| slot.inst.status.has_process());
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
    pub(crate) fn all_infos(&mut self) -> Vec<ProcessInfo> {
        let ids: Vec<u32> = self.slots.keys().copied().collect();
        ids.into_iter().filter_map(|id| self.info(id)).collect()
    }

    /// Everything about an instance.
    pub(crate) fn details(&mut self, id: u32) -> Option<Details> {
        let process = self.info(id)?;
        let slot = self.slots.get(&id)?;
        let spec = self.apps.get(&slot.app)?.spec.clone();
        Some(Details {
            process,
            log_file: spec.log_file.clone(),
            spec,
            log_error: slot.log_error.clone().or_else(|| slot.last_error.clone()),
            adopted: slot.adopted,
        })
    }
}

/// CPU (% of one core since the last sample) and RSS bytes of the slot's process.
fn sample(slot: &mut Slot) -> (f64, u64) {
    let Some(pid) = slot.inst.pid.filter(|_| slot.inst.status.has_process()) else {
        return (0.0, 0);
    };
    let Some(stat) = proctree::stat(pid) else {
        return (0.0, 0);
    };
    let now = Instant::now();
    let tps = proctree::ticks_per_second() as f64;
    let cpu = match slot.cpu_sample {
        Some((ticks, at)) => {
            let secs = now.duration_since(at).as_secs_f64();
            if secs > 0.0 {
                (stat.cpu_ticks.saturating_sub(ticks) as f64 / tps) / secs * 100.0
            } else {
                0.0
            }
        }
        None => match proctree::uptime_seconds() {
            Some(up) => {
                let alive = up - stat.start_ticks as f64 / tps;
                if alive > 0.0 {
                    (stat.cpu_ticks as f64 / tps) / alive * 100.0
                } else {
                    0.0
                }
            }
            None => 0.0,
        },
    };
    slot.cpu_sample = Some((stat.cpu_ticks, now));
    let cpu = (cpu * 10.0).round() / 10.0;
    (cpu, stat.rss_pages * proctree::page_size())
}
