//! `dump.json`: the process list `rpm save` writes and `rpm resurrect` brings back.
//!
//! The file is a JSON array with one object per app: the app's full `AppSpec`, plus
//! `rpm_instances`, the id, instance index and state (`online` or `stopped`) of each of
//! its instances. Release 0.1.0 wrote bare specs; their `rpm_instances` is missing and
//! reads as empty, which resurrect takes as "start every instance, with new ids". Code
//! that only knows specs ignores the extra field, so older readers still load new files.
//!
//! This module owns the format, the atomic write that keeps the previous save as
//! `dump.json.bak`, and the errors people see when the file is missing or damaged. The
//! daemon writes (on its supervisor thread); the CLI reads. It knows no daemon or CLI
//! types, so both can use it.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::atomic_write::write_atomic;
use crate::config::AppSpec;

/// One app as saved: its spec and its instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DumpedApp {
    #[serde(flatten)]
    pub spec: AppSpec,
    /// Empty in dumps of release 0.1.0, which recorded no instances.
    #[serde(default)]
    pub rpm_instances: Vec<DumpedInstance>,
}

/// One instance as saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpedInstance {
    pub id: u32,
    pub instance: u32,
    pub state: DumpedState,
}

/// Whether resurrect starts an instance or only creates it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DumpedState {
    Online,
    Stopped,
}

/// Why `dump.json` could not be written or read; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    #[error("nothing to resurrect: {} does not exist (run `rpm save` first)", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Unreadable { path: PathBuf, source: io::Error },
    #[error("{} is damaged ({reason}): nothing was changed; {}", path.display(), advice(path, backup.as_deref()))]
    Damaged {
        path: PathBuf,
        reason: String,
        /// A backup that parses, if there is one.
        backup: Option<PathBuf>,
    },
    #[error("cannot encode the process list: {0}")]
    Encode(serde_json::Error),
    #[error("cannot write {}: {source}", path.display())]
    Unwritable { path: PathBuf, source: io::Error },
}

fn advice(path: &Path, backup: Option<&Path>) -> String {
    match backup {
        Some(bak) => format!(
            "the previous save is in {}: cp {} {} && rpm resurrect",
            bak.display(),
            bak.display(),
            path.display()
        ),
        None => format!(
            "repair or remove {} (no usable backup {} exists)",
            path.display(),
            backup_path(path).display()
        ),
    }
}

/// `dump.json.bak` beside `path`.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".bak");
    PathBuf::from(name)
}

/// Replaces `path` with `apps`, atomically, after copying the previous save (when it
/// parses: a damaged file never replaces a good backup) to `dump.json.bak`, atomically.
pub fn write(path: &Path, apps: &[DumpedApp]) -> Result<(), DumpError> {
    let data = serde_json::to_vec_pretty(apps).map_err(DumpError::Encode)?;
    let unwritable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DumpError::Unwritable { path, source }
    };
    if let Ok(previous) = std::fs::read(path) {
        if parse(&previous).is_ok() {
            let bak = backup_path(path);
            write_atomic(&bak, &previous, 0o600).map_err(unwritable(&bak))?;
        }
    }
    write_atomic(path, &data, 0o600).map_err(unwritable(path))
}

/// Reads `path`; a missing, unreadable or damaged file is an error that says what to do.
pub fn read(path: &Path) -> Result<Vec<DumpedApp>, DumpError> {
    let data = std::fs::read(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => DumpError::Missing {
            path: path.to_path_buf(),
        },
        _ => DumpError::Unreadable {
            path: path.to_path_buf(),
            source,
        },
    })?;
    parse(&data).map_err(|reason| {
        let bak = backup_path(path);
        let usable = std::fs::read(&bak).is_ok_and(|d| parse(&d).is_ok());
        DumpError::Damaged {
            path: path.to_path_buf(),
            reason,
            backup: usable.then_some(bak),
        }
    })
}

/// Decodes a dump; the error is `line N: what` for people.
fn parse(data: &[u8]) -> Result<Vec<DumpedApp>, String> {
    serde_json::from_slice(data).map_err(|e| {
        let text = e.to_string();
        let position = format!(" at line {} column {}", e.line(), e.column());
        let what = text.strip_suffix(&position).unwrap_or(&text);
        format!("line {}: {what}", e.line())
    })
}

#[cfg(test)]
#[path = "dump_tests.rs"]
mod tests;
