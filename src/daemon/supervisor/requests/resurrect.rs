//! `resurrect`: the apps of `dump.json` that the daemon does not know yet come back with
//! their saved ids, instance indexes and states; stopped instances are created, not
//! started. Known apps are left alone, so resurrecting twice changes nothing. Runs on
//! the supervisor thread, through `start`'s checks, socket binding and answering.

use std::collections::BTreeMap;
use std::sync::mpsc::Sender;

use super::super::tables::{App, Supervisor};
use super::Refusal;
use crate::config::AppSpec;
use crate::dump::{DumpedApp, DumpedInstance, DumpedState};
use crate::ipc::{Response, StartMode, StartRows};

/// The saved instances of each app, by name.
pub(super) type SavedInstances = BTreeMap<String, Vec<DumpedInstance>>;

impl Supervisor {
    pub(super) fn resurrect(
        &mut self,
        apps: Vec<DumpedApp>,
        reply: &Sender<Response>,
    ) -> Result<Option<Response>, Refusal> {
        let mut specs = Vec::new();
        let mut saved = SavedInstances::new();
        for app in apps {
            if self.apps.contains_key(&app.spec.name) {
                continue;
            }
            saved.insert(app.spec.name.clone(), app.rpm_instances);
            specs.push(app.spec);
        }
        self.start_apps(specs, StartMode::Missing, saved, StartRows::Started, reply)
    }

    /// Adds a new app with its saved instances; returns the ids of those saved online.
    pub(super) fn add_saved_app(
        &mut self,
        spec: AppSpec,
        instances: Vec<DumpedInstance>,
    ) -> Vec<u32> {
        let name = spec.name.clone();
        self.apps.insert(name.clone(), App::new(spec));
        let mut online = Vec::new();
        for saved in instances {
            let id = self.free_id(&name, saved.id);
            let created = self.create_instance_as(&name, saved.instance, id);
            if let Some(id) = created.filter(|_| saved.state == DumpedState::Online) {
                online.push(id);
            }
        }
        self.sync_watch(&name);
        online
    }

    /// `wanted` if no instance has it, else the next free id (and a line in the log).
    fn free_id(&self, app: &str, wanted: u32) -> u32 {
        let Some(holder) = self.slots.get(&wanted) else {
            return wanted;
        };
        let id = self.next_id;
        log::warn!(
            "resurrect: id {wanted} of `{app}` is taken by `{}`; that instance gets id {id}",
            holder.app
        );
        id
    }
}
