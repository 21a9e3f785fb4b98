//! `rpm start`: a script (resolved here, where the user stands), or known apps by target.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::args::StartArgs;
use super::{show, CliError};
use crate::config::interpreter::{normalize, resolve_script};
use crate::config::{self, AppSpec};
use crate::ipc::{Client, Request, StartMode};

pub fn start(client: &Client, args: StartArgs) -> Result<(), CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError::Failed(format!("cannot read the current directory: {e}")))?;
    let as_path = cwd.join(&args.target);
    if !as_path.exists() && !args.target.contains('/') {
        // Not a file here: maybe ids, names or namespaces of apps rpm knows.
        let known = client.list()?;
        let matches = args.target == "all"
            || known.iter().any(|p| {
                p.name == args.target
                    || p.namespace == args.target
                    || p.id.to_string() == args.target
            });
        if matches {
            let response = client.request_or_start(Request::StartTargets {
                targets: vec![args.target.clone()],
            })?;
            return show::print_after(client, response);
        }
    }
    let spec = spec_from_args(&args, &cwd)?;
    let response = client.request_or_start(Request::Start {
        apps: vec![spec],
        mode: StartMode::Script,
    })?;
    show::print_after(client, response)
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
        None => default_name(&resolved.script),
    };
    check_name(&name)?;
    let mut spec = AppSpec::new(name, resolved.script, app_cwd.clone());
    spec.interpreter = resolved.interpreter;
    spec.args = args.app_args.clone();
    if let Some(ia) = &args.interpreter_args {
        spec.interpreter_args = ia.split_whitespace().map(str::to_string).collect();
    }
    if let Some(ns) = &args.namespace {
        spec.namespace = ns.clone();
    }
    spec.env = std::env::vars().collect::<BTreeMap<_, _>>();
    if let Some(n) = &args.instances {
        spec.instances = parse_instances(n)?;
    }
    spec.autorestart = !args.no_autorestart;
    if let Some(n) = args.max_restarts {
        spec.max_restarts = n;
    }
    let ms = |flag: &str, v: &Option<String>| -> Result<Option<u64>, CliError> {
        v.as_deref()
            .map(|s| parse_duration_ms(s).map_err(|e| CliError::Usage(format!("--{flag}: {e}"))))
            .transpose()
    };
    if let Some(v) = ms("min-uptime", &args.min_uptime)? {
        spec.min_uptime = v;
    }
    if let Some(v) = ms("restart-delay", &args.restart_delay)? {
        spec.restart_delay = v;
    }
    if let Some(v) = ms("exp-backoff-restart-delay", &args.exp_backoff_restart_delay)? {
        spec.exp_backoff_restart_delay = Some(v);
    }
    if let Some(v) = ms("kill-timeout", &args.kill_timeout)? {
        spec.kill_timeout = v;
    }
    spec.stop_exit_codes = args.stop_exit_codes.clone();
    if let Some(sig) = &args.kill_signal {
        let parsed = crate::daemon::signal_names::parse(sig)
            .ok_or_else(|| CliError::Usage(format!("--kill-signal: unknown signal `{sig}`")))?;
        spec.kill_signal = parsed.as_str().to_string();
    }
    let log_path = |p: &Option<PathBuf>| p.as_ref().map(|p| normalize(&cwd.join(p)));
    spec.out_file = log_path(&args.output);
    spec.error_file = log_path(&args.error);
    spec.log_file = log_path(&args.log);
    spec.merge_logs = args.merge_logs;
    spec.log_date_format = args.log_date_format.clone();
    spec.time = args.time;
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

fn parse_instances(value: &str) -> Result<u32, CliError> {
    match value {
        "max" | "-1" | "0" => Ok(std::thread::available_parallelism()
            .map(|n| n.get() as u32)
            .unwrap_or(1)),
        other => other.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
            CliError::Usage(format!(
                "-i/--instances must be a number, `max` or -1, found `{other}`"
            ))
        }),
    }
}

fn parse_duration_ms(value: &str) -> Result<u64, String> {
    config::parse_duration_ms(value)
}
