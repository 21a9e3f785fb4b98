//! Where an instance's output goes: log paths and formats from its spec, and attaching
//! its FIFOs to the log pump. Runs on the supervisor thread.

use std::path::PathBuf;

use super::tables::Supervisor;
use crate::config::AppSpec;
use crate::daemon::process::spawn;
use crate::logs::pump::{Outputs, PumpCommand};
use crate::logs::{default_log_paths, per_instance, LineFormat, Rotation};
use crate::paths::Home;

impl Supervisor {
    pub(crate) fn attach_output(&mut self, id: u32, outputs: Outputs) {
        let out = spawn::open_fifo_reader(&self.home.pipe(id, "out"));
        let err = spawn::open_fifo_reader(&self.home.pipe(id, "err"));
        match (out, err) {
            (Ok(out), Ok(err)) => self.pump.send(PumpCommand::Attach {
                id,
                out,
                err,
                partials: [
                    self.home.partial_line(id, "out"),
                    self.home.partial_line(id, "err"),
                ],
                outputs,
            }),
            (Err(e), _) | (_, Err(e)) => log::error!("instance {id}: {e}"),
        }
    }
}

/// Where an instance's output goes, from its spec.
pub(crate) fn outputs_for(home: &Home, spec: &AppSpec, id: u32, index: u32) -> Outputs {
    let (default_out, default_err) = default_log_paths(
        &home.logs_dir(),
        &spec.name,
        id,
        spec.instances > 1,
        spec.merge_logs,
    );
    let format = LineFormat::from_spec(spec, id, index).unwrap_or_else(|e| {
        // The CLI checks formats before sending; a bad one (say, in an old state file)
        // falls back to lines without timestamps rather than losing output.
        log::warn!(
            "{} (id {id}): {e}; writing lines without timestamps",
            spec.name
        );
        let mut plain = spec.clone();
        plain.log_date_format = None;
        plain.time = false;
        LineFormat::from_spec(&plain, id, index).expect("a format without timestamps always builds")
    });
    // Several instances given one file each write their own (`out-<id>.log`), as PM2
    // does, unless `merge_logs`.
    let own = |path: &PathBuf| {
        if spec.instances > 1 && !spec.merge_logs {
            per_instance(path, id)
        } else {
            path.clone()
        }
    };
    Outputs {
        format,
        out_file: spec.out_file.as_ref().map(own).unwrap_or(default_out),
        error_file: spec.error_file.as_ref().map(own).unwrap_or(default_err),
        log_file: spec.log_file.as_ref().map(own),
        rotation: Rotation::from_spec(spec),
        writers: Some(home.writers_dir()),
    }
}
