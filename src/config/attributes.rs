//! The one table of app attributes: name, aliases, value kind, default, description and
//! whether rpm acts on it. Validation reads values by this table and `schema_json()` is
//! generated from it, so the schema cannot drift from the parser. Names, aliases and
//! defaults are PM2's (`lib/API/schema.json`), plus rpm's own attributes.

/// What values an attribute takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Str,
    /// An app name (checked by `validate_app_name`).
    Name,
    Bool,
    /// A whole number ≥ 0.
    Count,
    /// Milliseconds as a number, or a string like `"5s"`.
    Duration,
    /// Bytes as a number, or a string like `"300M"`.
    Size,
    /// A number, `"max"` or -1.
    Instances,
    ExecMode,
    /// A string split like a shell would, or a list of strings.
    Args,
    /// An object whose scalar values become strings.
    Env,
    /// A path or a list of paths.
    EnvFile,
    /// `true`/`false`, a path or a list of paths.
    Watch,
    /// A string or a list of strings.
    StrList,
    /// An exit code or a list of them.
    ExitCodes,
    Signal,
    Cron,
    LogType,
    /// A path, or `false` for none.
    LogPath,
    Port,
    /// A user or group, by name or number.
    Id,
    /// `true`/`false`, a prefix or a list of prefixes.
    FilterEnv,
    /// A moment.js-style timestamp format (`log_date_format`).
    DateFormat,
    /// Anything (attributes rpm accepts for compatibility but does not use).
    Any,
}

impl Kind {
    /// What the attribute must be, as error messages say it.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Str | Kind::Name => "a string",
            Kind::Bool => "true or false",
            Kind::Count => "a whole number of 0 or more",
            Kind::Duration => "milliseconds or a duration like \"5s\"",
            Kind::Size => "bytes or a size like \"300M\"",
            Kind::Instances => "a number, \"max\" or -1",
            Kind::ExecMode => "\"fork\" or \"cluster\"",
            Kind::Args | Kind::StrList => "a string or a list of strings",
            Kind::Env => "an object of variables with string, number or boolean values",
            Kind::EnvFile => "a path or a list of paths",
            Kind::Watch => "true, false, a path or a list of paths",
            Kind::ExitCodes => "an exit code or a list of exit codes",
            Kind::Signal => "a signal name like \"SIGINT\"",
            Kind::Cron => "a cron expression",
            Kind::DateFormat => "a timestamp format like \"YYYY-MM-DD HH:mm:ss\"",
            Kind::LogType => "\"raw\" or \"json\"",
            Kind::LogPath => "a path or false",
            Kind::Port => "a port number from 1 to 65535, an address with a port (\"127.0.0.1:8000\") or a socket path",
            Kind::Id => "a name or a number",
            Kind::FilterEnv => "true, false, a prefix or a list of prefixes",
            Kind::Any => "any value",
        }
    }
}

/// Whether rpm acts on an attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Used,
    /// Accepted for PM2 compatibility, with a warning that it has no effect.
    Inert,
    /// Validated and kept, but the feature behind it is not built yet: a warning says so,
    /// so nobody believes an app is watched or memory-limited when it is not.
    NotYet,
}

/// One app attribute.
#[derive(Debug)]
pub(crate) struct Attribute {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    /// The default as JSON text, when there is a fixed one.
    pub default: Option<&'static str>,
    pub description: &'static str,
    pub effect: Effect,
    pub required: bool,
}

const fn attr(
    name: &'static str,
    kind: Kind,
    default: Option<&'static str>,
    description: &'static str,
) -> Attribute {
    Attribute {
        name,
        aliases: &[],
        kind,
        default,
        description,
        effect: Effect::Used,
        required: false,
    }
}

const fn alias(mut a: Attribute, aliases: &'static [&'static str]) -> Attribute {
    a.aliases = aliases;
    a
}

const fn later(mut a: Attribute) -> Attribute {
    a.effect = Effect::NotYet;
    a
}

const fn inert(name: &'static str, description: &'static str) -> Attribute {
    Attribute {
        name,
        aliases: &[],
        kind: Kind::Any,
        default: None,
        description,
        effect: Effect::Inert,
        required: false,
    }
}

use Kind::*;

/// Every attribute an app may have (besides `env_<profile>`), in documentation order.
pub(crate) const ATTRIBUTES: &[Attribute] = &[
    Attribute { required: true, ..alias(attr("script", Str, None, "Script, executable or command to run, relative to `cwd` or found on PATH (required)"), &["exec", "cmd", "command"]) },
    attr("name", Name, None, "Process name; defaults to the script file name without its extension"),
    attr("namespace", Str, Some("\"default\""), "Namespace the app belongs to"),
    attr("cwd", Str, None, "Working directory of the app; relative paths are resolved against the ecosystem file's folder (defaults to that folder)"),
    attr("args", Args, None, "Arguments passed to the script: a list, or a string split like a shell would"),
    alias(attr("interpreter", Str, None, "Interpreter to run the script with (name on PATH or path); chosen from the extension when absent; \"none\" runs the script directly"), &["exec_interpreter"]),
    alias(attr("interpreter_args", Args, None, "Arguments passed to the interpreter"), &["interpreterArgs"]),
    attr("node_args", Args, None, "Arguments passed to node (only for apps run with node)"),
    attr("instances", Instances, Some("1"), "Number of instances; \"max\" or 0 for one per CPU, -1 for one per CPU but one"),
    attr("exec_mode", ExecMode, Some("\"fork\""), "\"fork\" (independent processes) or \"cluster\" (instances share one listening socket)"),
    attr("port", Port, None, "Port of the listening socket the daemon owns and passes to instances (PORT, LISTEN_FDS)"),
    attr("env", Env, None, "Environment variables, over the caller's environment and env_file"),
    attr("env_file", EnvFile, None, "Dotenv file(s) loaded under `env`, relative to `cwd`"),
    attr("filter_env", FilterEnv, Some("false"), "Drop the caller's environment (true) or the caller's variables starting with the given prefixes"),
    attr("append_env_to_name", Bool, Some("false"), "Append `-<profile>` to the app name when started with --env"),
    attr("autorestart", Bool, Some("true"), "Restart the app when it exits"),
    attr("max_restarts", Count, Some("16"), "Unstable restarts (exits before min_uptime) allowed in a row before the app is errored"),
    attr("min_uptime", Duration, Some("1000"), "Uptime after which a start counts as stable (ms or \"5s\")"),
    attr("restart_delay", Duration, Some("0"), "Delay before restarting a crashed app (ms or \"5s\")"),
    attr("exp_backoff_restart_delay", Duration, Some("0"), "Initial delay of exponential backoff between restarts (ms or \"5s\"); 0 disables it"),
    attr("stop_exit_codes", ExitCodes, None, "Exit codes after which the app is not restarted"),
    alias(attr("cron_restart", Cron, None, "Cron expression (5 or 6 fields, local time) at which the app is restarted"), &["cron"]),
    attr("max_memory_restart", Size, None, "Restart the app when its memory with its children's passes this size (bytes or \"300M\", \"1G\")"),
    attr("watch", Watch, Some("false"), "Restart on file changes: true watches `cwd`, or give paths relative to `cwd`"),
    attr("ignore_watch", StrList, None, "Paths or glob patterns not watched (`node_modules`, `.git`, the app's logs and RPM_HOME are never watched)"),
    attr("watch_delay", Duration, None, "Quiet time after the last change of a burst before the one restart (ms or \"5s\"; 100 ms when unset)"),
    attr("kill_timeout", Duration, Some("1600"), "Time between the stop signal and SIGKILL (ms or \"5s\")"),
    attr("kill_signal", Signal, Some("\"SIGINT\""), "Signal sent to stop the app"),
    attr("treekill", Bool, Some("true"), "Stop the whole process tree, not only the main process"),
    attr("shutdown_with_message", Bool, Some("false"), "Ask the app to stop with a 'shutdown' message instead of a signal"),
    attr("wait_ready", Bool, Some("false"), "Wait for the app to signal readiness (sd_notify READY=1 or process.send('ready'))"),
    attr("listen_timeout", Duration, Some("3000"), "Time to wait for readiness (ms or \"5s\")"),
    alias(attr("out_file", LogPath, None, "File for stdout, relative to `cwd`; defaults to RPM_HOME/logs/<name>-out.log"), &["out", "output", "out_log"]),
    alias(attr("error_file", LogPath, None, "File for stderr, relative to `cwd`; defaults to RPM_HOME/logs/<name>-error.log"), &["error", "err", "err_file", "err_log"]),
    alias(attr("log_file", LogPath, None, "File receiving both stdout and stderr, relative to `cwd`"), &["log"]),
    attr("disable_logs", Bool, Some("false"), "Discard the app's output (logs go to /dev/null)"),
    alias(attr("merge_logs", Bool, Some("false"), "One log file for all instances instead of one per instance"), &["combine_logs"]),
    attr("log_date_format", DateFormat, None, "Timestamp format prefixed to each log line (e.g. \"YYYY-MM-DD HH:mm Z\")"),
    attr("time", Bool, Some("false"), "Prefix each log line with a timestamp"),
    attr("log_type", LogType, Some("\"raw\""), "\"raw\" lines or \"json\" objects"),
    attr("log_max_size", Size, None, "Rotate a log file when it passes this size (bytes or \"10M\")"),
    attr("log_retain", Count, None, "Rotated log files kept"),
    attr("log_compress", Bool, Some("false"), "Compress rotated log files"),
    attr("instance_var", Str, Some("\"NODE_APP_INSTANCE\""), "Name of the variable holding the instance number"),
    attr("increment_var", Str, None, "Variable incremented by one for each instance"),
    attr("depends_on", StrList, None, "Apps (by name) started before this one"),
    later(alias(attr("uid", Id, None, "User to run the app as"), &["user"])),
    later(attr("gid", Id, None, "Group to run the app as")),
    inert("name_prefix", "PM2 only"),
    inert("install_url", "PM2 only"),
    alias(inert("pid_file", "PM2 only: rpm keeps pids in its state file"), &["pid"]),
    inert("source_map_support", "Node/PM2 only"),
    inert("disable_source_map_support", "Node/PM2 only"),
    inert("vizion", "PM2 only (versioning metadata)"),
    later(attr("watch_options", Any, None, "PM2's chokidar options for `watch` (followSymlinks, usePolling, interval)")),
    inert("execute_command", "PM2 only"),
    inert("force", "PM2 only"),
    inert("post_update", "PM2 only (Keymetrics)"),
    inert("trace", "PM2 only (Keymetrics)"),
    inert("disable_trace", "PM2 only (Keymetrics)"),
    inert("v8", "PM2 only (Keymetrics)"),
    inert("event_loop_inspector", "PM2 only (Keymetrics)"),
    inert("deep_monitoring", "PM2 only (Keymetrics)"),
    inert("pmx", "PM2 only (Keymetrics)"),
    inert("automation", "PM2 only (Keymetrics)"),
    inert("io", "PM2 only (Keymetrics)"),
    inert("username", "PM2 only"),
    inert("windowsHide", "PM2 only (Windows)"),
    inert("kill_retry_time", "PM2 only"),
    inert("write", "PM2 only"),
];

/// The attribute called `key`, by name or alias, or by their camelCase spelling
/// (`maxRestarts`, `ignoreWatch`), which PM2 takes as a synonym of every attribute.
pub(crate) fn lookup(key: &str) -> Option<&'static Attribute> {
    let exact = |key: &str| {
        ATTRIBUTES
            .iter()
            .find(|a| a.name == key || a.aliases.contains(&key))
    };
    exact(key).or_else(|| snake_case(key).and_then(|snake| exact(&snake)))
}

/// `maxMemoryRestart` → `max_memory_restart`; `None` unless `key` is camelCase (starts
/// lowercase, has an uppercase letter, no `_`).
fn snake_case(key: &str) -> Option<String> {
    let camel = key.starts_with(|c: char| c.is_ascii_lowercase())
        && key.contains(|c: char| c.is_ascii_uppercase())
        && !key.contains('_');
    camel.then(|| {
        key.chars()
            .fold(String::with_capacity(key.len() + 4), |mut out, c| {
                if c.is_ascii_uppercase() {
                    out.push('_');
                    out.push(c.to_ascii_lowercase());
                } else {
                    out.push(c);
                }
                out
            })
    })
}

/// Whether `key` is an `env_<profile>` attribute, returning the profile.
pub(crate) fn profile_of(key: &str) -> Option<&str> {
    key.strip_prefix("env_")
        .filter(|p| !p.is_empty() && key != "env_file")
}

/// Every name and alias, for suggestions.
pub(crate) fn all_names() -> impl Iterator<Item = &'static str> {
    ATTRIBUTES
        .iter()
        .flat_map(|a| std::iter::once(a.name).chain(a.aliases.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_defaults_are_json() {
        let mut seen = std::collections::BTreeSet::new();
        for name in all_names() {
            assert!(seen.insert(name), "{name} appears twice");
        }
        for a in ATTRIBUTES {
            if let Some(d) = a.default {
                assert!(
                    serde_json::from_str::<serde_json::Value>(d).is_ok(),
                    "{}",
                    a.name
                );
            }
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("exec").map(|a| a.name), Some("script"));
        assert_eq!(lookup("combine_logs").map(|a| a.name), Some("merge_logs"));
        assert_eq!(lookup("instanses").map(|a| a.name), None);
        let camel = [
            ("ignoreWatch", "ignore_watch"),
            ("maxRestarts", "max_restarts"),
            ("execMode", "exec_mode"),
            ("minUptime", "min_uptime"),
            ("maxMemoryRestart", "max_memory_restart"),
            ("expBackoffRestartDelay", "exp_backoff_restart_delay"),
            ("errFile", "error_file"),
            ("cronRestart", "cron_restart"),
            ("cmd", "script"),
            ("command", "script"),
        ];
        for (key, want) in camel {
            assert_eq!(lookup(key).map(|a| a.name), Some(want), "{key}");
        }
        assert_eq!(lookup("Script").map(|a| a.name), None, "only camelCase");
        assert_eq!(lookup("max_Restarts").map(|a| a.name), None);
        assert_eq!(profile_of("env_production"), Some("production"));
        assert_eq!(profile_of("env_file"), None);
        assert_eq!(profile_of("env_"), None);
        assert_eq!(profile_of("env"), None);
    }
}
