//! `rpm export TARGET FILE`: loads an ecosystem file as `rpm start` would (without the
//! daemon), hands the apps to `export::export`, writes the files to `--out DIR` or
//! stdout, and lists what could not be carried over on stderr.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::args::{ExportArgs, ExportTarget};
use super::error::CliError;
use super::files::load_options;
use crate::config;
use crate::export::{self, ExportApp, ExportOptions, Target};

/// The variables of the exporting shell that loading needs (to find interpreters and
/// expand `~`); they are not exported unless the file sets them to something else.
const LOADING_ENV: [&str; 2] = ["HOME", "PATH"];

pub fn export(args: &ExportArgs) -> Result<(), CliError> {
    let mut apps = load_for_export(&args.file, args.env.as_deref(), &args.only)?;
    if args.target == ExportTarget::Systemd {
        // A unit runs without the user's shell set-up that a wrapper (a pyenv shim, nvm)
        // relies on: name the interpreter it runs today.
        for app in &mut apps {
            let real = app
                .spec
                .interpreter
                .as_deref()
                .and_then(config::wrapper::real_interpreter);
            if let Some(real) = real {
                app.spec.interpreter = Some(real);
            }
        }
    }
    let target = match args.target {
        ExportTarget::Systemd => Target::Systemd,
        ExportTarget::Kubernetes => Target::Kubernetes,
        ExportTarget::Nomad => Target::Nomad,
        ExportTarget::Compose => Target::Compose,
    };
    let opts = ExportOptions {
        image: args.image.clone(),
        workdir: args.workdir.clone(),
        job: args.job.clone(),
    };
    let exported = export::export(target, &apps, &opts)?;
    match &args.out {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .map_err(|e| CliError::Failed(format!("cannot create {}: {e}", dir.display())))?;
            let mut out = std::io::stdout().lock();
            for file in &exported.files {
                let path = dir.join(&file.name);
                std::fs::write(&path, &file.text).map_err(|e| {
                    CliError::Failed(format!("cannot write {}: {e}", path.display()))
                })?;
                writeln!(out, "wrote {}", path.display())?;
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            let several = exported.files.len() > 1;
            for file in &exported.files {
                if several {
                    writeln!(out, "# ==> {} <==", file.name)?;
                }
                out.write_all(file.text.as_bytes())?;
                if several {
                    writeln!(out)?;
                }
            }
        }
    }
    for unmapped in &exported.unmapped {
        eprintln!("warning: {}: {unmapped}", args.file);
    }
    Ok(())
}

/// The file's apps with the environment the file declares (not the caller's).
fn load_for_export(
    path: &str,
    env: Option<&str>,
    only: &[String],
) -> Result<Vec<ExportApp>, CliError> {
    let caller_env: BTreeMap<String, String> = LOADING_ENV
        .into_iter()
        .filter_map(|key| std::env::var(key).ok().map(|v| (key.to_string(), v)))
        .collect();
    let opts = load_options(env, only, false, caller_env.clone())?;
    let loaded = config::load_file(Path::new(path), &opts)?;
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let order = config::start_order(&loaded.apps)?;
    let mut apps: Vec<Option<config::AppSpec>> = loaded.apps.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| apps.get_mut(i).and_then(Option::take))
        .map(|mut spec| {
            spec.unwrap_interpreter();
            let env = spec
                .env
                .iter()
                .filter(|(k, v)| caller_env.get(*k) != Some(*v))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            ExportApp { spec, env }
        })
        .collect())
}
