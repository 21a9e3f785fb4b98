//! `AppSpec`: one app, fully resolved and validated, as the daemon receives it.
//!
//! The CLI builds an `AppSpec` where the user stands (from command-line flags or an
//! ecosystem file): every path is absolute, every default is filled in, every environment
//! layer is merged. The daemon never reads the user's files or working directory; it only
//! sees these. Field names are PM2's attribute names, so the file attribute, the Rust
//! field and the error message all say the same word.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::duration_ms;
use super::signal::StopSignal;

/// PM2's default for `min_uptime` (1000 ms).
pub const DEFAULT_MIN_UPTIME: Duration = Duration::from_millis(1000);
/// PM2's default for `max_restarts`.
pub const DEFAULT_MAX_RESTARTS: u32 = 16;
/// PM2's default for `kill_timeout` (1600 ms).
pub const DEFAULT_KILL_TIMEOUT: Duration = Duration::from_millis(1600);
/// PM2's default for `listen_timeout` (3000 ms).
pub const DEFAULT_LISTEN_TIMEOUT: Duration = Duration::from_millis(3000);
/// PM2's default stop signal.
pub const DEFAULT_KILL_SIGNAL: StopSignal = StopSignal::SIGINT;
/// PM2's default name of the per-instance index variable.
pub const DEFAULT_INSTANCE_VAR: &str = "NODE_APP_INSTANCE";

/// How instances of an app are run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExecMode {
    /// Each instance is an independent process.
    #[default]
    Fork,
    /// Instances share one listening socket owned by the daemon.
    Cluster,
}

impl ExecMode {
    /// The name used in `jlist` and the table.
    pub fn as_str(self) -> &'static str {
        match self {
            ExecMode::Fork => "fork",
            ExecMode::Cluster => "cluster",
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogType {
    /// The app's bytes, optionally prefixed by a timestamp.
    #[default]
    Raw,
    /// One JSON object per line: message, stream, app, instance, timestamp.
    Json,
}

/// One app, resolved: what the daemon needs to run and supervise its instances.
///
/// Durations are `Duration`s in Rust and whole milliseconds in JSON (`duration_ms`);
/// `kill_signal` is a `StopSignal` in Rust and its name (`"SIGINT"`) in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppSpec {
    pub name: String,
    #[serde(default = "default_namespace")]
    pub namespace: String,
    /// Absolute path of the script, or of the executable found on PATH.
    pub script: PathBuf,
    #[serde(default)]
    pub args: Vec<String>,
    /// Absolute path of the interpreter; `None` runs `script` directly.
    #[serde(default)]
    pub interpreter: Option<PathBuf>,
    #[serde(default)]
    pub interpreter_args: Vec<String>,
    /// Absolute working directory of the app.
    pub cwd: PathBuf,
    /// Number of instances, already resolved from `max` / `-1`.
    #[serde(default = "one")]
    pub instances: u32,
    #[serde(default)]
    pub exec_mode: ExecMode,
    /// The complete environment of the app: the caller's environment, then `env_file`,
    /// `env`, `env_<profile>`. The daemon adds only rpm's own variables (`RPM_ID`, …).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Where each variable the file or flags set came from (`config::env_origin`); the
    /// others came from the caller.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env_origin: BTreeMap<String, super::env_origin::EnvOrigin>,

    // Restart policy.
    #[serde(default = "yes")]
    pub autorestart: bool,
    #[serde(default = "default_max_restarts")]
    pub max_restarts: u32,
    #[serde(default = "default_min_uptime", with = "duration_ms")]
    pub min_uptime: Duration,
    #[serde(default, with = "duration_ms")]
    pub restart_delay: Duration,
    /// Initial delay of the exponential backoff; `None` disables it.
    #[serde(default, with = "duration_ms::option")]
    pub exp_backoff_restart_delay: Option<Duration>,
    #[serde(default)]
    pub stop_exit_codes: Vec<i32>,

    // Stopping.
    #[serde(default = "default_kill_timeout", with = "duration_ms")]
    pub kill_timeout: Duration,
    /// Written and read as its name, e.g. `"SIGINT"`.
    #[serde(default = "default_kill_signal")]
    pub kill_signal: StopSignal,
    #[serde(default = "yes")]
    pub treekill: bool,
    #[serde(default)]
    pub shutdown_with_message: bool,

    // Readiness.
    #[serde(default)]
    pub wait_ready: bool,
    #[serde(default = "default_listen_timeout", with = "duration_ms")]
    pub listen_timeout: Duration,

    // Logs. `None` means the default path under `RPM_HOME/logs`.
    #[serde(default)]
    pub out_file: Option<PathBuf>,
    #[serde(default)]
    pub error_file: Option<PathBuf>,
    /// Both streams combined into one more file.
    #[serde(default)]
    pub log_file: Option<PathBuf>,
    #[serde(default)]
    pub merge_logs: bool,
    /// PM2's moment.js-style format; implies a timestamp on every line.
    #[serde(default)]
    pub log_date_format: Option<String>,
    /// Prefix every line with a timestamp in the default format.
    #[serde(default)]
    pub time: bool,
    #[serde(default)]
    pub log_type: LogType,
    /// Rotate a log file once it passes this many bytes.
    #[serde(default)]
    pub log_max_size: Option<u64>,
    /// Rotated files kept per log file.
    #[serde(default)]
    pub log_retain: Option<u32>,
    #[serde(default)]
    pub log_compress: bool,

    // Watching, memory and cron (carried for the features built on them).
    #[serde(default)]
    pub watch: Vec<PathBuf>,
    #[serde(default)]
    pub ignore_watch: Vec<String>,
    #[serde(default, with = "duration_ms::option")]
    pub watch_delay: Option<Duration>,
    #[serde(default)]
    pub max_memory_restart: Option<u64>,
    #[serde(default)]
    pub cron_restart: Option<String>,

    // Instance environment.
    #[serde(default = "default_instance_var")]
    pub instance_var: String,
    #[serde(default)]
    pub increment_var: Option<String>,
    #[serde(default)]
    pub port: Option<super::listen::Listen>,
    #[serde(default)]
    pub depends_on: Vec<String>,
    #[serde(default)]
    pub uid: Option<String>,
    #[serde(default)]
    pub gid: Option<String>,

    /// The ecosystem file this app was declared in, if any (for file targets and
    /// `apply --prune`).
    #[serde(default)]
    pub source_file: Option<PathBuf>,
}

impl AppSpec {
    /// A spec with PM2's defaults for everything but what identifies the app.
    pub fn new(name: impl Into<String>, script: PathBuf, cwd: PathBuf) -> AppSpec {
        AppSpec {
            name: name.into(),
            namespace: default_namespace(),
            script,
            args: Vec::new(),
            interpreter: None,
            interpreter_args: Vec::new(),
            cwd,
            instances: 1,
            exec_mode: ExecMode::Fork,
            env: BTreeMap::new(),
            env_origin: BTreeMap::new(),
            autorestart: true,
            max_restarts: DEFAULT_MAX_RESTARTS,
            min_uptime: DEFAULT_MIN_UPTIME,
            restart_delay: Duration::ZERO,
            exp_backoff_restart_delay: None,
            stop_exit_codes: Vec::new(),
            kill_timeout: DEFAULT_KILL_TIMEOUT,
            kill_signal: DEFAULT_KILL_SIGNAL,
            treekill: true,
            shutdown_with_message: false,
            wait_ready: false,
            listen_timeout: DEFAULT_LISTEN_TIMEOUT,
            out_file: None,
            error_file: None,
            log_file: None,
            merge_logs: false,
            log_date_format: None,
            time: false,
            log_type: LogType::Raw,
            log_max_size: None,
            log_retain: None,
            log_compress: false,
            watch: Vec::new(),
            ignore_watch: Vec::new(),
            watch_delay: None,
            max_memory_restart: None,
            cron_restart: None,
            instance_var: default_instance_var(),
            increment_var: None,
            port: None,
            depends_on: Vec::new(),
            uid: None,
            gid: None,
            source_file: None,
        }
    }

    /// Sets `port`, and `PORT` as PM2's shortcut does (over `env`).
    pub fn set_port(&mut self, listen: super::listen::Listen) {
        self.env.insert("PORT".to_string(), listen.port_var());
        self.env_origin
            .insert("PORT".to_string(), super::env_origin::EnvOrigin::Port);
        self.port = Some(listen);
    }

    /// `--update-env`: the caller's environment now, under what the file or flags set.
    pub fn refresh_env(&mut self, caller: BTreeMap<String, String>) {
        self.env = super::env_origin::refreshed(&self.env, &self.env_origin, caller);
    }

    /// Without `--update-env`: this (freshly resolved) spec keeps `before`'s shell layer.
    pub fn keep_shell_env_of(&mut self, before: &AppSpec) {
        self.env = super::env_origin::with_shell_of(
            &self.env,
            &self.env_origin,
            (&before.env, &before.env_origin),
        );
    }

    /// Where variable `key` came from, for people.
    pub fn env_source(&self, key: &str) -> String {
        super::env_origin::source(&self.env_origin, key)
    }

    /// For an app that shares a socket, the real interpreter behind a wrapper script
    /// that would fork it (`config::wrapper`); other apps are left as they are.
    pub fn unwrap_interpreter(&mut self) {
        if !self.shares_socket() {
            return;
        }
        if let Some(real) = self
            .interpreter
            .as_deref()
            .and_then(super::wrapper::real_interpreter)
        {
            self.interpreter = Some(real);
        }
    }

    /// Whether the app runs under Node (its interpreter is `node`, or a `nodeNN`).
    pub fn is_node(&self) -> bool {
        let program = self.interpreter.as_deref().unwrap_or(&self.script);
        program
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| {
                n == "node"
                    || n.strip_prefix("node")
                        .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
            })
    }

    /// Whether the daemon holds a listening socket its instances share: it has a
    /// `port`, or it is a Node app in cluster mode (whose `listen(port)` the preload
    /// turns into a request for the daemon's socket of that port).
    pub fn shares_socket(&self) -> bool {
        self.port.is_some() || (self.exec_mode == ExecMode::Cluster && self.is_node())
    }

    /// The attributes whose values differ between two specs of the same app, by name
    /// (used by `apply` to say why an app restarts).
    pub fn changed_attributes(&self, other: &AppSpec) -> Vec<&'static str> {
        let (a, b) = (
            serde_json::to_value(self).unwrap_or_default(),
            serde_json::to_value(other).unwrap_or_default(),
        );
        let mut changed = Vec::new();
        if let (Some(a), Some(b)) = (a.as_object(), b.as_object()) {
            for key in FIELD_NAMES {
                if a.get(*key) != b.get(*key) {
                    changed.push(*key);
                }
            }
        }
        changed
    }
}

/// Every serialized field of `AppSpec`, in declaration order.
const FIELD_NAMES: &[&str] = &[
    "name",
    "namespace",
    "script",
    "args",
    "interpreter",
    "interpreter_args",
    "cwd",
    "instances",
    "exec_mode",
    "env",
    "env_origin",
    "autorestart",
    "max_restarts",
    "min_uptime",
    "restart_delay",
    "exp_backoff_restart_delay",
    "stop_exit_codes",
    "kill_timeout",
    "kill_signal",
    "treekill",
    "shutdown_with_message",
    "wait_ready",
    "listen_timeout",
    "out_file",
    "error_file",
    "log_file",
    "merge_logs",
    "log_date_format",
    "time",
    "log_type",
    "log_max_size",
    "log_retain",
    "log_compress",
    "watch",
    "ignore_watch",
    "watch_delay",
    "max_memory_restart",
    "cron_restart",
    "instance_var",
    "increment_var",
    "port",
    "depends_on",
    "uid",
    "gid",
    "source_file",
];

fn default_namespace() -> String {
    "default".to_string()
}
fn one() -> u32 {
    1
}
fn yes() -> bool {
    true
}
fn default_max_restarts() -> u32 {
    DEFAULT_MAX_RESTARTS
}
fn default_min_uptime() -> Duration {
    DEFAULT_MIN_UPTIME
}
fn default_kill_timeout() -> Duration {
    DEFAULT_KILL_TIMEOUT
}
fn default_kill_signal() -> StopSignal {
    DEFAULT_KILL_SIGNAL
}
fn default_listen_timeout() -> Duration {
    DEFAULT_LISTEN_TIMEOUT
}
fn default_instance_var() -> String {
    DEFAULT_INSTANCE_VAR.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_cover_every_serialized_field() {
        let mut spec = AppSpec::new("a", "/bin/true".into(), "/".into());
        // Serialized only when not empty.
        spec.env_origin
            .insert("A".into(), crate::config::env_origin::EnvOrigin::Env);
        let value = serde_json::to_value(&spec).expect("spec serializes");
        let keys: Vec<&str> = value
            .as_object()
            .expect("object")
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut expected: Vec<&str> = FIELD_NAMES.to_vec();
        expected.sort_unstable();
        let mut got = keys.clone();
        got.sort_unstable();
        assert_eq!(got, expected);
    }

    /// The schema's defaults (JSON text in the attribute table) are the spec's.
    #[test]
    fn documented_defaults_are_the_specs_defaults() {
        let spec = serde_json::to_value(AppSpec::new("a", "/bin/true".into(), "/".into()))
            .expect("spec encodes");
        for name in [
            "max_restarts",
            "min_uptime",
            "restart_delay",
            "kill_timeout",
            "kill_signal",
            "listen_timeout",
        ] {
            let documented = super::super::attributes::ATTRIBUTES
                .iter()
                .find(|a| a.name == name)
                .and_then(|a| a.default)
                .unwrap_or_else(|| panic!("{name} has a default"));
            let documented: serde_json::Value =
                serde_json::from_str(documented).expect("default is JSON");
            assert_eq!(spec[name], documented, "{name}");
        }
    }

    #[test]
    fn changed_attributes_names_what_differs() {
        let a = AppSpec::new("a", "/bin/true".into(), "/".into());
        let mut b = a.clone();
        b.kill_timeout = Duration::from_millis(5);
        b.args = vec!["x".into()];
        assert_eq!(a.changed_attributes(&b), vec!["args", "kill_timeout"]);
        assert!(a.changed_attributes(&a).is_empty());
    }
}
