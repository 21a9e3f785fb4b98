//! `rpm export`: the apps of an ecosystem file, resolved as `rpm start` would, rendered
//! for a bigger engine — systemd units (`systemd`), Kubernetes manifests (`kubernetes`),
//! a Nomad job (`nomad`) or a compose file (`compose`).
//!
//! Every renderer is a pure function from `ExportApp`s to files of text; nothing here
//! reads the disk, talks to the daemon or runs a process (the CLI loads the file and
//! writes the output). What a target has no equivalent for is never dropped silently:
//! each renderer returns `Unmapped` entries (`unmapped`), which the CLI prints on stderr
//! and which also open each file as comments. Output is deterministic: keys sorted, apps
//! in file order, so exports diff well.

mod compose;
mod container;
mod kubernetes;
mod nomad;
mod quote;
mod systemd;
#[cfg(test)]
mod tests;
mod unmapped;

use std::collections::BTreeMap;

use thiserror::Error;

use crate::config::AppSpec;

pub use container::is_secret_key;
pub use unmapped::Unmapped;

/// The engines rpm exports to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Systemd,
    Kubernetes,
    Nomad,
    Compose,
}

impl Target {
    /// The name used on the command line and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Systemd => "systemd",
            Target::Kubernetes => "kubernetes",
            Target::Nomad => "nomad",
            Target::Compose => "compose",
        }
    }
}

/// One app to export: its resolved spec, and the environment its file declares (the
/// `env_file`, `env` and `env_<profile>` layers, without the exporting shell's own
/// environment, which does not belong in a unit or a manifest).
#[derive(Debug, Clone, PartialEq)]
pub struct ExportApp {
    pub spec: AppSpec,
    pub env: BTreeMap<String, String>,
}

/// What the caller chooses beyond the apps.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportOptions {
    /// The container image (Kubernetes, compose; Nomad's docker driver).
    pub image: Option<String>,
    /// Where the app's files are inside the image (default `/app`).
    pub workdir: Option<String>,
    /// The Nomad job's name (default `rpm`).
    pub job: Option<String>,
}

/// One output file: a name (no directories) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    pub name: String,
    pub text: String,
}

/// The result of an export: the files, and what they could not carry.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub files: Vec<OutputFile>,
    pub unmapped: Vec<Unmapped>,
}

/// Why an export cannot be made at all.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ExportError {
    #[error("app \"{app}\": `{name}` is not a valid {target} name ({rule}): rename the app")]
    InvalidName {
        app: String,
        name: String,
        target: &'static str,
        rule: &'static str,
    },
    #[error("exporting to {target} needs the container image: add `--image IMAGE` (the image holds the app's files under --workdir, default /app)")]
    NeedsImage { target: &'static str },
    #[error("`{value}` cannot be written in a {target} file: {why}")]
    Unwritable {
        value: String,
        target: &'static str,
        why: &'static str,
    },
}

/// Renders `apps` for `target`.
pub fn export(
    target: Target,
    apps: &[ExportApp],
    opts: &ExportOptions,
) -> Result<Exported, ExportError> {
    let (files, unmapped) = match target {
        Target::Systemd => systemd::render(apps)?,
        Target::Kubernetes => kubernetes::render(apps, opts)?,
        Target::Nomad => nomad::render(apps, opts)?,
        Target::Compose => compose::render(apps, opts)?,
    };
    Ok(Exported { files, unmapped })
}

/// The default directory of the app inside a container image.
pub(crate) const DEFAULT_WORKDIR: &str = "/app";
