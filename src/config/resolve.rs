//! Turning a checked `RawApp` into the `AppSpec` the daemon runs, where the user stands:
//! paths made absolute (relative `cwd` against the file's folder, the rest against the
//! app's cwd), the environment layered (caller < `env_file` < `env` < `env_<profile>`),
//! the script and interpreter found, `instances` resolved to a count. Runs in the CLI.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::dotenv;
use super::env_origin::EnvOrigin;
use super::error::ProblemKind;
use super::interpreter::{normalize, resolve_script, Resolved, ScriptError};
use super::report::Report;
use super::spec::{AppSpec, ExecMode, LogType};
use super::validate::RawApp;
use super::values::{FilterEnv, Parsed, WatchSpec};

/// What resolution needs besides the app itself.
pub(crate) struct Context<'a> {
    /// Absolute folder of the ecosystem file.
    pub file_dir: &'a Path,
    /// Absolute path of the ecosystem file.
    pub source_file: &'a Path,
    pub caller_env: &'a BTreeMap<String, String>,
    pub caller_cwd: &'a Path,
    pub profile: Option<&'a str>,
    /// `deploy.<profile>.env` when the profile names a deploy target.
    pub deploy_env: Option<&'a BTreeMap<String, String>>,
    /// Paths missing on this machine are warnings (`LoadOptions::paths_elsewhere`).
    pub paths_elsewhere: bool,
    /// CPUs available, for `instances: max`.
    pub cpus: u32,
}

/// Resolves `raw`, recording problems and warnings; `None` when it cannot be resolved.
pub(crate) fn resolve_app(
    raw: &RawApp,
    ctx: &Context<'_>,
    report: &mut Report<'_>,
) -> Option<AppSpec> {
    let app = Some(raw.name.as_str());
    let home = ctx.caller_env.get("HOME").map(String::as_str);
    let cwd = resolve_cwd(raw, ctx, home, report)?;
    let (env, env_origin) = layered_env(raw, ctx, &cwd, home, report)?;

    let script = raw.str("script")?;
    let path_var = env
        .get("PATH")
        .or_else(|| ctx.caller_env.get("PATH"))
        .map(OsStr::new);
    let resolved = match resolve_script(script, raw.str("interpreter"), &cwd, path_var) {
        Ok(r) => r,
        Err(e @ ScriptError::NotFound { .. }) if ctx.paths_elsewhere && !cwd.is_dir() => {
            // Nothing to look in: the script is taken as written.
            let message = format!("{e} (its `cwd` is not on this machine)");
            report.warn(
                &format!("script {script}"),
                raw.pos_of("script"),
                app,
                &message,
            );
            Resolved {
                script: cwd.join(script),
                interpreter: None,
                command_line: None,
            }
        }
        Err(e) => {
            report.error(raw.pos_of("script"), app, ProblemKind::Script(e));
            return None;
        }
    };
    let mut spec = AppSpec::new(raw.name.clone(), resolved.script.clone(), cwd.clone());
    let runs_on_node = resolved
        .interpreter
        .as_deref()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "node" || n == "nodejs");
    spec.interpreter = resolved.interpreter.clone();
    spec.interpreter_args = raw.list("interpreter_args");
    let node_args = raw.list("node_args");
    if runs_on_node {
        spec.interpreter_args.splice(0..0, node_args);
    } else if !node_args.is_empty() {
        let message =
            "`node_args` has no effect: this app does not run on node; use `interpreter_args`";
        report.warn("node_args", raw.pos_of("node_args"), app, message);
    }
    spec.args = resolved.args(raw.list("args"));
    spec.env = env;
    spec.env_origin = env_origin;
    if let (Some(true), Some(profile)) = (raw.flag("append_env_to_name"), ctx.profile) {
        spec.name = format!("{}-{profile}", raw.name);
    }
    if let Some(ns) = raw.str("namespace") {
        spec.namespace = ns.to_string();
    }
    spec.instances = match raw.get("instances") {
        Some(Parsed::Instances(instances)) => instances.resolve(ctx.cpus),
        _ => 1,
    };
    match raw.get("exec_mode") {
        Some(Parsed::Str(mode)) if mode == "cluster" => spec.exec_mode = ExecMode::Cluster,
        // PM2: a Node app with `instances` and no `exec_mode` runs in cluster mode.
        None if raw.get("instances").is_some() && spec.is_node() => {
            spec.exec_mode = ExecMode::Cluster
        }
        _ => {}
    }
    apply_policy(raw, &mut spec);
    apply_logs(raw, &mut spec, &cwd, home);
    spec.watch = match raw.get("watch") {
        Some(Parsed::Watch(WatchSpec::Cwd)) => vec![cwd.clone()],
        Some(Parsed::Watch(WatchSpec::Paths(p))) => {
            p.iter().map(|p| absolute(&cwd, p, home)).collect()
        }
        _ => Vec::new(),
    };
    spec.ignore_watch = raw.list("ignore_watch");
    spec.depends_on = raw.list("depends_on");
    spec.source_file = Some(ctx.source_file.to_path_buf());
    Some(spec)
}

fn apply_policy(raw: &RawApp, spec: &mut AppSpec) {
    if let Some(b) = raw.flag("autorestart") {
        spec.autorestart = b;
    }
    if let Some(n) = raw.num("max_restarts") {
        spec.max_restarts = u32::try_from(n).unwrap_or(u32::MAX);
    }
    spec.min_uptime = raw.duration("min_uptime").unwrap_or(spec.min_uptime);
    spec.restart_delay = raw.duration("restart_delay").unwrap_or_default();
    spec.exp_backoff_restart_delay = raw
        .duration("exp_backoff_restart_delay")
        .filter(|d| !d.is_zero());
    if let Some(Parsed::Codes(codes)) = raw.get("stop_exit_codes") {
        spec.stop_exit_codes = codes.clone();
    }
    spec.kill_timeout = raw.duration("kill_timeout").unwrap_or(spec.kill_timeout);
    if let Some(Parsed::Signal(sig)) = raw.get("kill_signal") {
        spec.kill_signal = *sig;
    }
    spec.treekill = raw.flag("treekill").unwrap_or(true);
    spec.shutdown_with_message = raw.flag("shutdown_with_message").unwrap_or(false);
    spec.wait_ready = raw.flag("wait_ready").unwrap_or(false);
    spec.listen_timeout = raw
        .duration("listen_timeout")
        .unwrap_or(spec.listen_timeout);
    spec.watch_delay = raw.duration("watch_delay");
    spec.max_memory_restart = raw.num("max_memory_restart");
    spec.cron_restart = raw.str("cron_restart").map(str::to_string);
    if let Some(var) = raw.str("instance_var") {
        spec.instance_var = var.to_string();
    }
    spec.increment_var = raw.str("increment_var").map(str::to_string);
    if let Some(Parsed::Port(listen)) = raw.get("port") {
        let listen = listen.clone().absolute(&spec.cwd);
        spec.set_port(listen);
    }
    spec.uid = raw.str("uid").map(str::to_string);
    spec.gid = raw.str("gid").map(str::to_string);
}

fn apply_logs(raw: &RawApp, spec: &mut AppSpec, cwd: &Path, home: Option<&str>) {
    let path = |name: &str| match raw.get(name) {
        Some(Parsed::Path(Some(p))) => Some(absolute(cwd, p, home)),
        _ => None,
    };
    spec.out_file = path("out_file");
    spec.error_file = path("error_file");
    spec.log_file = path("log_file");
    if raw.flag("disable_logs") == Some(true) {
        spec.out_file = Some(PathBuf::from("/dev/null"));
        spec.error_file = Some(PathBuf::from("/dev/null"));
        spec.log_file = None;
    }
    spec.merge_logs = raw.flag("merge_logs").unwrap_or(false);
    spec.log_date_format = raw.str("log_date_format").map(str::to_string);
    spec.time = raw.flag("time").unwrap_or(false);
    if raw.str("log_type") == Some("json") {
        spec.log_type = LogType::Json;
    }
    spec.log_max_size = raw.num("log_max_size");
    spec.log_retain = raw
        .num("log_retain")
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    spec.log_compress = raw.flag("log_compress").unwrap_or(false);
}

/// `p` made absolute against `base`, with a leading `~/` meaning the caller's home.
fn absolute(base: &Path, p: &str, home: Option<&str>) -> PathBuf {
    match (p.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => normalize(&Path::new(home).join(rest)),
        _ => normalize(&base.join(p)),
    }
}

fn resolve_cwd(
    raw: &RawApp,
    ctx: &Context<'_>,
    home: Option<&str>,
    report: &mut Report<'_>,
) -> Option<PathBuf> {
    let Some(given) = raw.str("cwd") else {
        return Some(ctx.file_dir.to_path_buf());
    };
    let from_file = absolute(ctx.file_dir, given, home);
    if from_file.is_dir() {
        return Some(from_file);
    }
    let from_caller = absolute(ctx.caller_cwd, given, home);
    if from_caller.is_dir() {
        let message = format!(
            "`cwd` {given:?} does not exist next to the ecosystem file; using {} (relative to your working directory, as PM2 does): make `cwd` absolute or relative to the file's folder",
            from_caller.display()
        );
        report.warn(
            &format!("cwd {given}"),
            raw.pos_of("cwd"),
            Some(&raw.name),
            &message,
        );
        return Some(from_caller);
    }
    let path = from_file.display().to_string();
    if ctx.paths_elsewhere {
        let message = format!(
            "{} (fine if the file is for another machine; `rpm start` refuses it)",
            ProblemKind::MissingCwd { path }
        );
        report.warn(
            &format!("cwd {given}"),
            raw.pos_of("cwd"),
            Some(&raw.name),
            &message,
        );
        return Some(from_file);
    }
    report.error(
        raw.pos_of("cwd"),
        Some(&raw.name),
        ProblemKind::MissingCwd { path },
    );
    None
}

fn layered_env(
    raw: &RawApp,
    ctx: &Context<'_>,
    cwd: &Path,
    home: Option<&str>,
    report: &mut Report<'_>,
) -> Option<(BTreeMap<String, String>, BTreeMap<String, EnvOrigin>)> {
    let mut origin: BTreeMap<String, EnvOrigin> = BTreeMap::new();
    let mut env: BTreeMap<String, String> = match raw.get("filter_env") {
        Some(Parsed::FilterEnv(FilterEnv::DropAll)) => BTreeMap::new(),
        Some(Parsed::FilterEnv(FilterEnv::Prefixes(prefixes))) => ctx
            .caller_env
            .iter()
            .filter(|(k, _)| !prefixes.iter().any(|p| k.starts_with(p.as_str())))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => ctx.caller_env.clone(),
    };
    let mut ok = true;
    for file in raw.list("env_file") {
        let path = absolute(cwd, &file, home);
        let shown = path.display().to_string();
        let pos = raw.pos_of("env_file");
        match std::fs::read(&path) {
            Err(e) if ctx.paths_elsewhere && e.kind() == std::io::ErrorKind::NotFound => {
                let message = format!(
                    "env_file {shown} does not exist here (fine if the file is for another machine; `rpm start` refuses it)"
                );
                report.warn(&format!("env_file {shown}"), pos, Some(&raw.name), &message);
            }
            Err(e) => {
                let message = e.kind().to_string();
                report.error(
                    pos,
                    Some(&raw.name),
                    ProblemKind::EnvFileUnreadable {
                        path: shown,
                        message,
                    },
                );
                ok = false;
            }
            Ok(bytes) => match String::from_utf8(bytes)
                .map_err(|e| dotenv::DotenvError {
                    line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                        .iter()
                        .filter(|b| **b == b'\n')
                        .count(),
                    message: "invalid UTF-8".to_string(),
                })
                .and_then(|text| dotenv::parse(&text))
            {
                Ok(vars) => {
                    for (k, v) in vars {
                        origin.insert(k.clone(), EnvOrigin::EnvFile);
                        env.insert(k, v);
                    }
                }
                Err(e) => {
                    let kind = ProblemKind::EnvFile {
                        path: shown,
                        line: e.line,
                        message: e.message,
                    };
                    report.error(pos, Some(&raw.name), kind);
                    ok = false;
                }
            },
        }
    }
    let mut layer = |vars: &BTreeMap<String, String>, from: EnvOrigin| {
        for (k, v) in vars {
            env.insert(k.clone(), v.clone());
            origin.insert(k.clone(), from.clone());
        }
    };
    if let (Some(vars), Some(profile)) = (ctx.deploy_env, ctx.profile) {
        layer(vars, EnvOrigin::Deploy(profile.to_string()));
    }
    if let Some(Parsed::Env(vars)) = raw.get("env") {
        layer(vars, EnvOrigin::Env);
    }
    if let Some(profile) = ctx.profile {
        if let Some((vars, _)) = raw.profiles.get(profile) {
            layer(vars, EnvOrigin::Profile(profile.to_string()));
        }
    }
    ok.then_some((env, origin))
}
