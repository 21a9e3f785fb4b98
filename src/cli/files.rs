//! Ecosystem files on the command line: `start FILE`, file targets of stop/restart/delete,
//! `apply`, `validate` and `init`.
//!
//! The file is loaded here, where the user stands (relative paths, `--env`, `--only`), and
//! the daemon receives resolved specs. `apply` compares the file with what runs and does
//! only what differs, as systemd's `daemon-reload` does.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::args::{ApplyArgs, StartArgs};
use super::error::CliError;
use super::invoked::{invoked_name, with_invoked_name};
use super::overrides::apply_overrides;
use super::show;
use crate::client::Client;
use crate::config::{self, AppSpec, LoadOptions, SampleFormat};
use crate::ipc::{ProcessInfo, StartMode, StartRows};

/// Loads a file's apps as the CLI flags select them, printing its warnings.
pub fn load(
    path: &str,
    env: Option<&str>,
    only: &[String],
    strict: bool,
) -> Result<Vec<AppSpec>, CliError> {
    let opts = load_options(env, only, strict, std::env::vars().collect())?;
    load_with(path, opts)
}

/// `load` with options of the caller's choosing.
fn load_with(path: &str, opts: LoadOptions) -> Result<Vec<AppSpec>, CliError> {
    let mut loaded = config::load_file(Path::new(path), &opts)?;
    for warning in &loaded.warnings {
        eprintln!("{}", with_invoked_name(warning));
    }
    for app in &loaded.apps {
        if app.exec_mode == crate::config::ExecMode::Cluster && !app.shares_socket() {
            eprintln!(
                "warning: {path}: app \"{}\": cluster mode shares a listening socket only through `port` for apps that do not run under Node: set `port` so its instances share one",
                app.name
            );
        }
    }
    for app in &mut loaded.apps {
        app.unwrap_interpreter();
    }
    let order = config::start_order(&loaded.apps)?;
    let mut apps: Vec<Option<AppSpec>> = loaded.apps.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| apps.get_mut(i).and_then(Option::take))
        .collect())
}

/// How the CLI loads a file from where the user stands.
pub(super) fn load_options(
    env: Option<&str>,
    only: &[String],
    strict: bool,
    caller_env: BTreeMap<String, String>,
) -> Result<LoadOptions, CliError> {
    let caller_cwd = std::env::current_dir()
        .map_err(|e| CliError::Failed(format!("cannot read the current directory: {e}")))?;
    Ok(LoadOptions {
        env_profile: env.map(str::to_string),
        only: only.to_vec(),
        strict,
        caller_env,
        caller_cwd,
        paths_elsewhere: false,
    })
}

/// `rpm start FILE`: starts the file's apps; those already known are restarted with the
/// file's spec, never duplicated.
pub fn start(client: &Client, args: &StartArgs, cwd: &Path) -> Result<(), CliError> {
    let rows = start_with_file_settings(client, args, cwd)?;
    show::print_listed(&rows)
}

/// The file's apps started, or restarted with the file's settings when known; returns
/// every instance's row once they settled.
fn start_with_file_settings(
    client: &Client,
    args: &StartArgs,
    cwd: &Path,
) -> Result<Vec<ProcessInfo>, CliError> {
    let mut apps = load(&args.target, args.env.as_deref(), &args.only, args.strict)?;
    for spec in &mut apps {
        apply_overrides(spec, args, cwd)?;
    }
    Ok(client.start_with_rows(apps, StartMode::File, StartRows::All)?)
}

/// `rpm startOrReload FILE`: starts the file's missing apps and reloads the others with
/// the file's settings.
pub fn start_or_reload(client: &Client, args: &StartArgs) -> Result<(), CliError> {
    if !config::is_ecosystem_file(&args.target) {
        return Err(CliError::Usage(format!(
            "startOrReload takes an ecosystem file, found `{}`: use `{rpm} start` for a script, `{rpm} reload` for a running app",
            args.target,
            rpm = invoked_name(),
        )));
    }
    reload_file(client, args, args.update_env)?;
    show::print_after_change(client)
}

/// Starts a file's missing apps and reloads the known ones with its specs.
/// `rpm restart FILE`: the file's apps restarted with its settings (its `--env`
/// profile), the missing ones started, as PM2 does; known apps keep the shell
/// environment they were started with unless `update_env`. Prints nothing.
pub fn restart_file(client: &Client, args: &StartArgs, update_env: bool) -> Result<(), CliError> {
    restart_with_file_settings(client, args, update_env, StartMode::File)
}

/// `rpm reload FILE`: as `restart_file`, reloading.
pub fn reload_file(client: &Client, args: &StartArgs, update_env: bool) -> Result<(), CliError> {
    restart_with_file_settings(client, args, update_env, StartMode::Reload)
}

fn restart_with_file_settings(
    client: &Client,
    args: &StartArgs,
    update_env: bool,
    mode: StartMode,
) -> Result<(), CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::Failed(format!("cannot read the current directory: {e}")))?;
    let mut apps = load(&args.target, args.env.as_deref(), &args.only, args.strict)?;
    for spec in &mut apps {
        apply_overrides(spec, args, &cwd)?;
    }
    if !update_env {
        keep_started_shell(client, &mut apps)?;
    }
    client.start(apps, mode)?;
    Ok(())
}

/// Known apps among `apps` keep the shell environment they were started with.
fn keep_started_shell(client: &Client, apps: &mut [AppSpec]) -> Result<(), CliError> {
    let known = client.list()?;
    let names: Vec<String> = apps
        .iter()
        .filter(|a| known.iter().any(|p| p.name == a.name))
        .map(|a| a.name.clone())
        .collect();
    if names.is_empty() {
        return Ok(());
    }
    for details in client.describe(&names)? {
        if let Some(spec) = apps.iter_mut().find(|a| a.name == details.spec.name) {
            spec.keep_shell_env_of(&details.spec);
        }
    }
    Ok(())
}

/// The app names a file target stands for, in the order to act on them (dependents
/// first when stopping, so nothing loses what it depends on while running).
pub fn targets(path: &str, only: &[String], stopping: bool) -> Result<Vec<String>, CliError> {
    let apps = load(path, None, only, false)?;
    let mut names: Vec<String> = apps.into_iter().map(|a| a.name).collect();
    if stopping {
        names.reverse();
    }
    Ok(names)
}

/// `rpm apply FILE`: starts what is missing, restarts what changed, leaves the rest;
/// `--prune` deletes apps from this file that it no longer declares.
pub fn apply(client: &Client, args: &ApplyArgs) -> Result<(), CliError> {
    let apps = load(&args.file, args.env.as_deref(), &args.only, false)?;
    let declared = declared_env(&args.file, args.env.as_deref(), &args.only)?;
    let running = running_specs(client)?;
    let source = std::fs::canonicalize(&args.file).ok();
    let mut plan: Vec<(&str, String)> = Vec::new();
    let mut changes: Vec<AppSpec> = Vec::new();
    for spec in apps.iter() {
        match running.get(&spec.name) {
            None => {
                plan.push(("start", spec.name.clone()));
                changes.push(spec.clone());
            }
            Some(old) => {
                let changed = differences(old, spec, declared.get(&spec.name));
                if changed.is_empty() {
                    plan.push(("unchanged", spec.name.clone()));
                } else {
                    let why = format!("{} ({} changed)", spec.name, changed.join(", "));
                    plan.push(("restart", why));
                    changes.push(spec.clone());
                }
            }
        }
    }
    let mut to_delete = Vec::new();
    if args.prune {
        for (name, old) in &running {
            let old_source = old
                .source_file
                .as_ref()
                .and_then(|f| std::fs::canonicalize(f).ok());
            let from_this_file = old_source.is_some() && old_source == source;
            if from_this_file && !apps.iter().any(|a| &a.name == name) {
                plan.push(("delete", name.clone()));
                to_delete.push(name.clone());
            }
        }
    }
    let mut out = std::io::stdout().lock();
    for (verb, what) in &plan {
        writeln!(out, "{verb:<9} {what}")?;
    }
    drop(out);
    if args.dry_run {
        return Ok(());
    }
    if !to_delete.is_empty() {
        client.delete(&to_delete)?;
    }
    if !changes.is_empty() {
        client.start(changes, StartMode::File)?;
    }
    Ok(())
}

/// What `env` a file declares per app (its own layers, without the caller's environment),
/// so `apply` does not restart an app because the shell it runs from differs.
fn declared_env(
    path: &str,
    env: Option<&str>,
    only: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, CliError> {
    // Enough of the caller's environment to resolve paths and find node.
    let caller_env: BTreeMap<String, String> = ["HOME", "PATH"]
        .into_iter()
        .filter_map(|key| std::env::var(key).ok().map(|v| (key.to_string(), v)))
        .collect();
    let opts = load_options(env, only, false, caller_env.clone())?;
    let loaded = config::load_file(Path::new(path), &opts)?;
    Ok(loaded
        .apps
        .into_iter()
        .map(|a| {
            let own = a
                .env
                .into_iter()
                .filter(|(k, v)| caller_env.get(k) != Some(v))
                .collect();
            (a.name, own)
        })
        .collect())
}

/// The attributes that differ between a running app and the file's version of it; `env`
/// counts only where the file's own variables differ.
fn differences(
    old: &AppSpec,
    new: &AppSpec,
    declared: Option<&BTreeMap<String, String>>,
) -> Vec<&'static str> {
    let mut changed: Vec<&'static str> = old
        .changed_attributes(new)
        .into_iter()
        .filter(|a| *a != "env")
        .collect();
    let env_changed =
        declared.is_some_and(|vars| vars.iter().any(|(k, v)| old.env.get(k) != Some(v)));
    if env_changed {
        changed.push("env");
        changed.sort_unstable();
    }
    changed
}

/// The spec of every app the daemon runs, by name.
fn running_specs(client: &Client) -> Result<BTreeMap<String, AppSpec>, CliError> {
    Ok(client
        .describe(&["all".to_string()])?
        .into_iter()
        .map(|d| (d.spec.name.clone(), d.spec))
        .collect())
}

/// `rpm validate FILE`: checks the file (unknown attributes are errors) and prints the
/// apps as resolved.
/// `rpm validate`: the same checks as `start`, except that the file may be meant for
/// another machine (a `cwd` or `env_file` missing here is a warning).
pub fn validate(path: &str, env: Option<&str>, strict: bool) -> Result<(), CliError> {
    let mut opts = load_options(env, &[], strict, std::env::vars().collect())?;
    opts.paths_elsewhere = true;
    let apps = load_with(path, opts)?;
    let mut out = std::io::stdout().lock();
    for app in &apps {
        let mut shown = app.clone();
        // The caller's environment is noise here: show what the file sets.
        shown
            .env
            .retain(|k, v| std::env::var(k).ok().as_ref() != Some(v));
        let text = serde_json::to_string_pretty(&shown)
            .map_err(|e| CliError::Failed(format!("cannot print {}: {e}", app.name)))?;
        writeln!(out, "{text}")?;
    }
    writeln!(out, "{path}: {} app(s), valid", apps.len())?;
    Ok(())
}

/// `rpm init`: writes a commented sample ecosystem file, never over an existing one.
pub fn init(format: SampleFormat) -> Result<(), CliError> {
    let name = format.file_name();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(name);
    match file {
        Ok(mut f) => {
            f.write_all(config::sample(format).as_bytes())?;
            println!(
                "wrote {name}: edit it, then `{} start {name}`",
                invoked_name()
            );
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(CliError::Failed(format!(
            "{name} already exists: remove it or edit it"
        ))),
        Err(e) => Err(CliError::Failed(format!("cannot write {name}: {e}"))),
    }
}
