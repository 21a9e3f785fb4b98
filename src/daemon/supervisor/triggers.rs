//! The cron restart trigger: each instance of an app with `cron_restart` has a `Cron`
//! deadline at its schedule's next fire time (local time); when it comes due a running
//! instance restarts gracefully (`Input::Trigger`) and the next one is set. The memory
//! trigger is in `sampling`, beside the samples it reads.

use std::time::Instant;

use super::super::policy::Input;
use super::super::timers::TimerKey;
use super::tables::Supervisor;
use crate::ipc::RestartReason;
use crate::watch::next_after;

impl Supervisor {
    /// Sets instance `id`'s next cron deadline from its app's schedule, or clears it.
    pub(crate) fn arm_cron(&mut self, id: u32) {
        let key = TimerKey::Cron(id);
        let now_local = chrono::Local::now();
        let next = self
            .slots
            .get(&id)
            .and_then(|slot| self.apps.get(&slot.app))
            .and_then(|app| app.cron.as_ref())
            .and_then(|expr| next_after(expr, now_local));
        let at = next.map(|fire| {
            let wait = (fire - now_local).to_std().unwrap_or_default();
            (
                Instant::now() + wait,
                u64::try_from(fire.timestamp_millis()).unwrap_or(0),
            )
        });
        self.timers
            .set_or_cancel(key, at.map(|(instant, _)| instant));
        if let Some(slot) = self.slots.get_mut(&id) {
            slot.next_cron_ms = at.map(|(_, unix_ms)| unix_ms);
        }
    }

    /// Instance `id`'s schedule came due: restart it if it runs, then set the next one.
    pub(crate) fn cron_due(&mut self, id: u32) {
        let expr = self
            .slots
            .get(&id)
            .and_then(|slot| self.apps.get(&slot.app))
            .and_then(|app| app.spec.cron_restart.clone());
        self.apply(
            id,
            Input::Trigger {
                reason: RestartReason::Cron,
                detail: expr.map(|e| format!("cron_restart {e:?}")),
            },
        );
        self.arm_cron(id);
    }
}
