//! The start flags that override a spec's attributes (`--namespace`, `-i`, restart and
//! stop settings, log files and formats), for a script and for an ecosystem file alike:
//! flags win over the file.

use std::path::{Path, PathBuf};

use super::args::StartArgs;
use super::error::CliError;
use crate::config::interpreter::normalize;
use crate::config::{self, AppSpec};

/// Applies the start flags the user gave to a spec (from a script or a file: flags win
/// over the file's attributes).
pub(super) fn apply_overrides(
    spec: &mut AppSpec,
    args: &StartArgs,
    cwd: &Path,
) -> Result<(), CliError> {
    if let Some(ns) = &args.namespace {
        spec.namespace = ns.clone();
    }
    if let Some(n) = &args.instances {
        spec.instances = parse_instances(n)?;
        if !args.fork {
            // PM2: `-i` means cluster mode (for rpm, in any language).
            spec.exec_mode = config::ExecMode::Cluster;
        }
    }
    if args.fork {
        spec.exec_mode = config::ExecMode::Fork;
    }
    if let Some(port) = &args.port {
        let listen = config::Listen::parse(port)
            .map_err(|e| CliError::Usage(format!("--port: {e}")))?
            .absolute(cwd);
        spec.set_port(listen);
    }
    if args.wait_ready {
        spec.wait_ready = true;
    }
    if args.no_autorestart {
        spec.autorestart = false;
    }
    if let Some(n) = args.max_restarts {
        spec.max_restarts = n;
    }
    let ms = |flag: &str, v: &Option<String>| -> Result<Option<std::time::Duration>, CliError> {
        v.as_deref()
            .map(|s| {
                config::parse_duration(s).map_err(|e| CliError::Usage(format!("--{flag}: {e}")))
            })
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
    if let Some(v) = ms("listen-timeout", &args.listen_timeout)? {
        spec.listen_timeout = v;
    }
    if let Some(v) = ms("kill-timeout", &args.kill_timeout)? {
        spec.kill_timeout = v;
    }
    if !args.stop_exit_codes.is_empty() {
        spec.stop_exit_codes = args.stop_exit_codes.clone();
    }
    if let Some(sig) = &args.kill_signal {
        let parsed = crate::signal_names::parse(sig)
            .ok_or_else(|| CliError::Usage(format!("--kill-signal: unknown signal `{sig}`")))?;
        spec.kill_signal = parsed.into();
    }
    match &args.watch {
        Some(paths) if paths.is_empty() => spec.watch = vec![spec.cwd.clone()],
        Some(paths) => spec.watch = paths.iter().map(|p| normalize(&cwd.join(p))).collect(),
        None if args.no_watch => spec.watch = Vec::new(),
        None => {}
    }
    if !args.ignore_watch.is_empty() {
        spec.ignore_watch = args.ignore_watch.clone();
    }
    if let Some(v) = ms("watch-delay", &args.watch_delay)? {
        spec.watch_delay = Some(v);
    }
    if let Some(size) = &args.max_memory_restart {
        let bytes = config::parse_size(size)
            .map_err(|e| CliError::Usage(format!("--max-memory-restart: {e}")))?;
        spec.max_memory_restart = Some(bytes);
    }
    if let Some(expr) = &args.cron {
        config::validate_cron(expr).map_err(|e| CliError::Usage(format!("--cron: {e}")))?;
        spec.cron_restart = Some(expr.clone());
    }
    let log_path = |p: &PathBuf| normalize(&cwd.join(p));
    if let Some(p) = &args.output {
        spec.out_file = Some(log_path(p));
    }
    if let Some(p) = &args.error {
        spec.error_file = Some(log_path(p));
    }
    if let Some(p) = &args.log {
        spec.log_file = Some(log_path(p));
    }
    if args.merge_logs {
        spec.merge_logs = true;
    }
    if let Some(f) = &args.log_date_format {
        crate::logs::TimestampFormat::parse(f)
            .map_err(|e| CliError::Usage(format!("--log-date-format: {e}")))?;
        spec.log_date_format = Some(f.clone());
    }
    if args.time {
        spec.time = true;
    }
    if args.disable_logs {
        spec.out_file = Some(PathBuf::from("/dev/null"));
        spec.error_file = Some(PathBuf::from("/dev/null"));
        spec.log_file = None;
    }
    if args.no_treekill {
        spec.treekill = false;
    }
    if let Some(var) = &args.instance_var {
        spec.instance_var = var.clone();
    }
    if args.shutdown_with_message {
        spec.shutdown_with_message = true;
    }
    if let Some(node_args) = &args.node_args {
        if !spec.is_node() {
            return Err(CliError::Usage(format!(
                "--node-args: `{}` does not run on node; use --interpreter-args",
                spec.name
            )));
        }
        let words = node_args.split_whitespace().map(str::to_string);
        spec.interpreter_args.splice(0..0, words);
    }
    spec.unwrap_interpreter();
    Ok(())
}

fn parse_instances(value: &str) -> Result<u32, CliError> {
    config::parse_instances(value).ok_or_else(|| {
        CliError::Usage(format!(
            "-i/--instances must be a number, `max`, 0 (one per core) or -1 (one less), found `{value}`"
        ))
    })
}
