//! Creating and removing instances, and finding them: by pid, and as the target
//! matcher sees them. Nothing here changes an instance's status.

use std::time::SystemTime;

use super::outputs::outputs_for;
use super::tables::{unix_ms, Slot, Supervisor};
use crate::ipc::target::Row;
use crate::logs::pump::PumpCommand;

impl Supervisor {
    /// Creates a new instance of `app` (not started) and attaches its output.
    pub(crate) fn create_instance(&mut self, app_name: &str, index: u32) -> Option<u32> {
        self.create_instance_as(app_name, index, self.next_id)
    }

    /// `create_instance` with a chosen id, which must be free (resurrect keeps saved
    /// ids); the next id given out is past it.
    pub(crate) fn create_instance_as(
        &mut self,
        app_name: &str,
        index: u32,
        id: u32,
    ) -> Option<u32> {
        self.next_id = self.next_id.max(id.saturating_add(1));
        let spec = &self.apps.get(app_name)?.spec;
        let outputs = outputs_for(&self.home, spec, id, index);
        let slot = Slot::new(id, app_name, index, &outputs, unix_ms(SystemTime::now()));
        self.attach_output(id, outputs);
        self.slots.insert(id, slot);
        if let Some(app) = self.apps.get_mut(app_name) {
            app.ids.push(id);
        }
        self.dirty = true;
        self.arm_cron(id);
        Some(id)
    }

    /// Forgets instance `id`: its output, FIFOs and deadlines; its app once it has no
    /// instance left.
    pub(crate) fn remove(&mut self, id: u32) {
        let Some(slot) = self.slots.remove(&id) else {
            return;
        };
        self.timers.cancel_instance(id);
        self.pump.send(PumpCommand::Detach { id });
        for stream in ["out", "err"] {
            let _ = std::fs::remove_file(self.home.pipe(id, stream));
        }
        if let Some(app) = self.apps.get_mut(&slot.app) {
            app.ids.retain(|i| *i != id);
            if app.ids.is_empty() {
                if let Some(socket) = self.apps.remove(&slot.app).and_then(|a| a.socket) {
                    crate::cluster::listener::unbind(&socket.listen);
                }
                self.watcher.unwatch(&slot.app);
            }
        }
        if self.slots.is_empty() {
            // As under PM2: once the list is empty, ids start again at 0.
            self.next_id = 0;
        }
        self.dirty = true;
    }

    /// The instance whose current process is `pid`. Exits reaped by waitpid only count
    /// for our children; pidfd exits only for adopted processes that are not.
    pub(crate) fn id_of_pid(&self, pid: i32, reaped: bool) -> Option<u32> {
        self.slots
            .values()
            .find(|s| s.live_pid() == Some(pid) && (reaped || !s.child))
            .map(|s| s.id)
    }

    /// Every instance as the target matcher sees it.
    pub(crate) fn target_rows(&self) -> impl Iterator<Item = Row<'_>> + Clone {
        self.slots.values().filter_map(|s| {
            let spec = &self.apps.get(&s.app)?.spec;
            Some(Row {
                id: s.id,
                name: &spec.name,
                namespace: &spec.namespace,
            })
        })
    }

    /// The app name of instance `id`, for log lines.
    pub(crate) fn app_of(&self, id: u32) -> &str {
        self.slots.get(&id).map_or("?", |s| s.app.as_str())
    }
}
