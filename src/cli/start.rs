//! `rpm start`: a script (resolved here, where the user stands), or known apps by target.

use std::collections::BTreeMap;
use std::path::Path;

use super::args::StartArgs;
use super::error::CliError;
use super::overrides::apply_overrides;
use super::show;
use super::targets::target_row;
use crate::client::{Client, ScriptStart};
use crate::config::interpreter::{normalize, resolve_script};
use crate::config::{self, AppSpec};
use crate::ipc::{Scale, Target};

/// The ecosystem files bare `rpm start` looks for, in PM2's order.
pub const ECOSYSTEM_FILES: [&str; 7] = [
    "ecosystem.config.js",
    "ecosystem.config.cjs",
    "ecosystem.config.mjs",
    "ecosystem.json",
    "ecosystem.yaml",
    "ecosystem.yml",
    "ecosystem.toml",
];

/// `rpm start`, as PM2 does it: a known target is started, or restarted when it runs; a
/// script already running under its name is left alone (`-f` adds another instance);
/// with no target, the folder's ecosystem file is started.
pub fn start(client: &Client, mut args: StartArgs) -> Result<(), CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::Failed(format!("cannot read the current directory: {e}")))?;
    if args.target.is_empty() {
        args.target = ecosystem_file_in(&cwd)?;
    }
    let as_path = cwd.join(&args.target);
    if !as_path.exists() {
        // Not a file here: maybe ids, names or namespaces of apps rpm knows.
        let known = client.list()?;
        let target = Target::parse(&args.target);
        let selected = target.select(known.iter().map(target_row));
        if target == Target::All || !selected.is_empty() {
            let running = known
                .iter()
                .any(|p| selected.contains(&p.id) && p.status.has_process());
            let targets = std::slice::from_ref(&args.target);
            if running {
                client.restart(targets)?;
            } else {
                client.start_targets(targets)?;
            }
            return show::print_after_change(client);
        }
    }
    if config::is_ecosystem_file(&args.target) {
        return super::files::start(client, &args, &cwd);
    }
    let spec = spec_from_args(&args, &cwd)?;
    let name = spec.name.clone();
    // The daemon decides "already running?" and answers with the whole table: no list
    // before, so the app starts one round trip sooner, and none after, while its first
    // output is on its way.
    let ids = match client.start_script(spec)? {
        ScriptStart::Started(rows) => return show::print_listed(&rows),
        ScriptStart::AlreadyRunning { ids } => ids,
    };
    if args.force {
        client.scale(&name, Scale::Add(1))?;
        return show::print_after_change(client);
    }
    let ids: Vec<String> = ids.iter().map(u32::to_string).collect();
    let note = format!(
        "`{name}` is already running (id {}): `rpm restart {name}` restarts it, `rpm start -f` starts another instance",
        ids.join(", "),
    );
    eprintln!("{}", super::invoked::with_invoked_name(&note));
    Ok(())
}

/// The first of PM2's ecosystem file names found in `dir`.
fn ecosystem_file_in(dir: &Path) -> Result<String, CliError> {
    ECOSYSTEM_FILES
        .iter()
        .find(|f| dir.join(f).is_file())
        .map(|f| f.to_string())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "nothing to start: give a script, an ecosystem file or an app, or put an ecosystem file here ({} has none of {})",
                dir.display(),
                ECOSYSTEM_FILES.join(", ")
            ))
        })
}

/// Builds the spec of a script started from the command line.
pub fn spec_from_args(args: &StartArgs, cwd: &Path) -> Result<AppSpec, CliError> {
    let app_cwd = match &args.cwd {
        Some(dir) => normalize(&cwd.join(dir)),
        None => cwd.to_path_buf(),
    };
    if !app_cwd.is_dir() {
        return Err(CliError::Failed(format!(
            "--cwd {}: no such directory",
            app_cwd.display()
        )));
    }
    let path_var = std::env::var_os("PATH");
    let resolved = resolve_script(
        &args.target,
        args.interpreter.as_deref(),
        &app_cwd,
        path_var.as_deref(),
    )
    .map_err(|e| CliError::Failed(e.to_string()))?;
    let name = match &args.name {
        Some(name) => name.clone(),
        None => match &resolved.command_line {
            // PM2 names a command line after itself.
            Some(line) => line.clone(),
            None => default_name(&resolved.script),
        },
    };
    check_name(&name)?;
    let mut spec = AppSpec::new(name, resolved.script.clone(), app_cwd.clone());
    spec.interpreter = resolved.interpreter.clone();
    spec.args = resolved.args(args.app_args.clone());
    if let Some(ia) = &args.interpreter_args {
        spec.interpreter_args = ia.split_whitespace().map(str::to_string).collect();
    }
    spec.env = std::env::vars().collect::<BTreeMap<_, _>>();
    apply_overrides(&mut spec, args, cwd)?;
    Ok(spec)
}

/// PM2's default name: the script's file name without its extension.
fn default_name(script: &Path) -> String {
    script
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "app".to_string())
}

fn check_name(name: &str) -> Result<(), CliError> {
    config::validate_app_name(name).map_err(|e| CliError::Usage(format!("--name {name:?}: {e}")))
}
