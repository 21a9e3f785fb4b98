//! The command line, as clap definitions: PM2's verbs, aliases and start options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// rpm: a process manager for any language.
#[derive(Debug, Parser)]
#[command(
    name = "rpm",
    version,
    about = "A process manager for any language: PM2's verbs, systemd's rigour"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a script, the apps of an ecosystem file, or stopped apps by id/name/namespace.
    Start(Box<StartArgs>),
    /// PM2's `startOrRestart`: start a file's apps, restarting those already running.
    #[command(name = "startOrRestart")]
    StartOrRestart(Box<StartArgs>),
    /// PM2's `startOrReload`: start a file's apps, reloading those already running.
    #[command(name = "startOrReload", alias = "startOrGracefulReload")]
    StartOrReload(Box<StartArgs>),
    /// Make what runs match an ecosystem file: start new apps, restart changed ones.
    Apply(ApplyArgs),
    /// Check an ecosystem file and print its apps as rpm resolves them.
    Validate {
        file: String,
        /// Overlay env_<profile> on env.
        #[arg(long)]
        env: Option<String>,
    },
    /// Write a commented sample ecosystem file (JSON unless --yaml or --toml).
    Init {
        #[arg(long, conflicts_with = "toml")]
        yaml: bool,
        #[arg(long)]
        toml: bool,
    },
    /// Stop apps (id, name, namespace, `all`, or an ecosystem file).
    Stop(WatchTargetArgs),
    /// Restart apps.
    Restart(WatchTargetArgs),
    /// Reload apps with zero downtime: instances sharing a socket are replaced one at a
    /// time once the new process is ready; others are restarted. A file: start its
    /// missing apps, reload the rest with its settings.
    #[command(alias = "gracefulReload")]
    Reload(TargetArgs),
    /// Change an app's number of instances: N, +N or -N.
    Scale {
        name: String,
        #[arg(allow_hyphen_values = true)]
        count: String,
    },
    /// Stop and forget apps.
    #[command(alias = "del")]
    Delete(TargetArgs),
    /// Show the process table.
    #[command(visible_aliases = ["ls", "status", "l"])]
    List,
    /// Print the process list as JSON.
    Jlist,
    /// Print the process list as indented JSON.
    Prettylist,
    /// Show every detail of an app.
    #[command(visible_aliases = ["show", "info"])]
    Describe { target: String },
    /// Show the environment an instance receives.
    Env { id: u32 },
    /// Zero the restart counters.
    Reset(TargetArgs),
    /// Send a signal to apps.
    #[command(alias = "sendSignal")]
    Signal {
        signal: String,
        targets: Vec<String>,
    },
    /// Check that the daemon answers (starting it if needed).
    Ping,
    /// Stop every app, then the daemon.
    Kill,
    /// Replace the running daemon with this binary; apps keep running.
    Update,
    /// Save the process list to RPM_HOME/dump.json.
    #[command(alias = "dump")]
    Save,
    /// Print the last lines of apps' logs, then follow new ones.
    Logs(LogsArgs),
    /// Print the supervisor's notices as they happen (exits, restarts, status changes),
    /// one line each, until Ctrl-C.
    Events {
        /// Ids, app names, namespaces or `all` (default: every app, present and future).
        targets: Vec<String>,
        /// One JSON object per notice and line, for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Start the apps saved by `rpm save` that are not running.
    Resurrect,
    /// Empty log files.
    Flush { targets: Vec<String> },
    /// Reopen log files (after an external logrotate).
    #[command(name = "reload-logs", alias = "reloadLogs")]
    ReloadLogs,
    /// Install the boot script that starts rpm and the saved apps at boot (`rpm save`
    /// first): as root, or print the sudo command to run. The init system is detected
    /// unless named.
    Startup(StartupArgs),
    /// Remove the boot script `rpm startup` installed (the running daemon is left alone).
    Unstartup(BootArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions { shell: clap_complete::Shell },
    /// Run the supervisor daemon (the CLI starts it on demand).
    Daemon {
        /// Stay in the foreground, logging to stderr.
        #[arg(long)]
        foreground: bool,
        #[arg(long, hide = true)]
        reexec: bool,
    },
}

/// Targets of stop and restart, with PM2's `--watch`.
#[derive(Debug, Args)]
pub struct WatchTargetArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// stop: stop watching the apps' files too; restart: turn watching on or off.
    #[arg(long)]
    pub watch: bool,
}

/// Targets of stop, restart, delete, reset.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Ids, app names, namespaces, `all`, or ecosystem files (their apps).
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// With an ecosystem file: only these apps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// `rpm logs` options (PM2's).
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Id, app name, namespace or `all` (default: every app).
    pub target: Option<String>,
    /// Lines to show from the end of each file.
    #[arg(long, default_value_t = 15)]
    pub lines: usize,
    /// Print the last lines and exit instead of following.
    #[arg(long)]
    pub nostream: bool,
    /// Lines as written, without the `id|name |` prefix.
    #[arg(long)]
    pub raw: bool,
    /// Only the error stream.
    #[arg(long = "err", conflicts_with = "out")]
    pub err: bool,
    /// Only the output stream.
    #[arg(long = "out")]
    pub out: bool,
    /// Prefix each line with the time it is printed (optionally in this format).
    #[arg(long, num_args = 0..=1, default_missing_value = crate::logs::DEFAULT_TAIL_TIMESTAMP_FORMAT)]
    pub timestamp: Option<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// `rpm apply` options.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The ecosystem file.
    pub file: String,
    /// Overlay env_<profile> on env.
    #[arg(long)]
    pub env: Option<String>,
    /// Only these apps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Delete apps that came from this file and are no longer in it.
    #[arg(long)]
    pub prune: bool,
    /// Print the plan without doing it.
    #[arg(long)]
    pub dry_run: bool,
}

/// `rpm start` options (PM2's names).
#[derive(Debug, Args, Clone, Default)]
pub struct StartArgs {
    /// Script, ecosystem file, or id/name/namespace of stopped apps.
    pub target: String,
    /// Arguments passed to the app (after `--`).
    #[arg(last = true)]
    pub app_args: Vec<String>,
    /// App name (default: the script's file name without extension).
    #[arg(short = 'n', long)]
    pub name: Option<String>,
    /// Namespace.
    #[arg(long)]
    pub namespace: Option<String>,
    /// Interpreter (default: chosen from the extension; `none` runs the file directly).
    #[arg(long)]
    pub interpreter: Option<String>,
    /// Arguments for the interpreter.
    #[arg(long, allow_hyphen_values = true)]
    pub interpreter_args: Option<String>,
    /// Working directory of the app.
    #[arg(long)]
    pub cwd: Option<PathBuf>,
    /// Instances to run in cluster mode (unless -x): a number, `max` or 0 (one per
    /// core), -1 (one less). They share the `--port` socket (a Node app's own port too).
    #[arg(short = 'i', long, allow_hyphen_values = true)]
    pub instances: Option<String>,
    /// Fork mode, even with -i.
    #[arg(short = 'x', long = "execute-command")]
    pub fork: bool,
    /// The port (or `host:port`, or a Unix socket path) whose listening socket the
    /// daemon holds and shares between instances (fd 3, LISTEN_FDS, PORT).
    #[arg(long, value_name = "PORT")]
    pub port: Option<String>,
    /// Online only once the app says it is ready (sd_notify READY=1, process.send('ready')).
    #[arg(long)]
    pub wait_ready: bool,
    /// How long to wait for readiness (ms or 5s; default 3000 ms).
    #[arg(long, value_name = "DELAY")]
    pub listen_timeout: Option<String>,
    /// Do not restart the app when it exits.
    #[arg(long)]
    pub no_autorestart: bool,
    /// Unstable restarts (exits before min_uptime) before the app is errored.
    #[arg(long)]
    pub max_restarts: Option<u32>,
    /// Time an app must stay up to count as started (ms or 5s, 1m).
    #[arg(long)]
    pub min_uptime: Option<String>,
    /// Delay before restarting a crashed app (ms or 5s).
    #[arg(long)]
    pub restart_delay: Option<String>,
    /// Exponential backoff restart delay, initial value (ms or 5s).
    #[arg(long)]
    pub exp_backoff_restart_delay: Option<String>,
    /// Exit codes that leave the app stopped (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub stop_exit_codes: Vec<i32>,
    /// Time between the stop signal and SIGKILL (ms or 5s).
    #[arg(long)]
    pub kill_timeout: Option<String>,
    /// Signal that asks the app to stop (default SIGINT).
    #[arg(long)]
    pub kill_signal: Option<String>,
    /// Restart the app when its memory (with its children's) passes this size (300M, 1G, bytes).
    #[arg(long, value_name = "SIZE")]
    pub max_memory_restart: Option<String>,
    /// Restart the app when files change: its cwd, or these paths (relative to here).
    #[arg(short = 'w', long, num_args = 0.., value_name = "PATHS")]
    pub watch: Option<Vec<PathBuf>>,
    /// Paths or glob patterns not watched (comma-separated or repeated).
    #[arg(long, value_delimiter = ',', value_name = "PATTERNS")]
    pub ignore_watch: Vec<String>,
    /// Quiet time after the last change before the restart (ms or 1s; default 100ms).
    #[arg(long, value_name = "DELAY")]
    pub watch_delay: Option<String>,
    /// Do not watch, whatever the ecosystem file says.
    #[arg(long, conflicts_with = "watch")]
    pub no_watch: bool,
    /// Restart the app on this cron schedule (5 fields, or 6 with seconds first), local time.
    #[arg(
        short = 'c',
        long = "cron",
        visible_alias = "cron-restart",
        value_name = "EXPR"
    )]
    pub cron: Option<String>,
    /// Stdout log file.
    #[arg(short = 'o', long = "output")]
    pub output: Option<PathBuf>,
    /// Stderr log file.
    #[arg(short = 'e', long = "error")]
    pub error: Option<PathBuf>,
    /// Combined log file.
    #[arg(short = 'l', long = "log")]
    pub log: Option<PathBuf>,
    /// One log file for all instances.
    #[arg(long)]
    pub merge_logs: bool,
    /// Prefix log lines with a timestamp in this format.
    #[arg(long)]
    pub log_date_format: Option<String>,
    /// Prefix log lines with a timestamp.
    #[arg(long)]
    pub time: bool,
    /// Ecosystem file: overlay env_<profile> on env.
    #[arg(long)]
    pub env: Option<String>,
    /// Ecosystem file: only these apps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Ecosystem file: unknown attributes are errors, not warnings.
    #[arg(long)]
    pub strict: bool,
}

/// Which boot script `rpm startup`/`rpm unstartup` is about (PM2's options).
#[derive(Debug, Args, Clone)]
pub struct BootArgs {
    /// The init system (default: the one running here).
    #[arg(value_enum)]
    pub system: Option<crate::startup::InitSystem>,
    /// The user rpm runs as (default: you).
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// The user's home directory (default: from the user database); RPM_HOME is
    /// `<hp>/.rpm` unless RPM_HOME is set.
    #[arg(long = "hp", value_name = "DIR")]
    pub hp: Option<PathBuf>,
    /// The service's name (default: rpm-<user>; launchd rpm.<user>; rc.d rpm_<user>).
    #[arg(long)]
    pub service_name: Option<String>,
    /// Install into this folder instead of / (nothing of the live init system is run).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
}

/// `rpm startup` options.
#[derive(Debug, Args, Clone)]
pub struct StartupArgs {
    #[command(flatten)]
    pub boot: BootArgs,
    /// Write the script to stdout and change nothing.
    #[arg(long, conflicts_with = "root")]
    pub print: bool,
}
