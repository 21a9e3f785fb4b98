//! The command line, as clap definitions: PM2's verbs, aliases and start options.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// rpm: a process manager for any language.
#[derive(Debug, Parser)]
#[command(
    name = "rpm",
    version,
    about = "A process manager for any language: PM2's verbs, systemd's rigour",
    arg_required_else_help = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print nothing after a change (PM2's `-s`); errors still go to stderr.
    #[arg(short = 's', long, global = true)]
    pub silent: bool,
    /// No colours (as NO_COLOR does).
    #[arg(long, global = true)]
    pub no_color: bool,
}

/// Each subcommand's arguments are built only once it is the one invoked (`defer`): a
/// command line builds one of some forty subcommands, not all, which is a third of the
/// CLI's start-up (its heap, its page faults) before it reaches the daemon. Deferred, an
/// arguments struct's doc comment would replace its variant's as the subcommand's about,
/// so those structs carry plain comments.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
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
    /// Run a file's apps in the foreground, for containers and init systems (PM2's
    /// pm2-runtime): their output on stdout/stderr, SIGTERM/SIGINT stop them all.
    Run(RunArgs),
    /// Check an ecosystem file and print its apps as rpm resolves them (a `cwd` or
    /// `env_file` missing on this machine is a warning here, an error for `start`).
    Validate {
        file: String,
        /// Overlay env_<profile> on env.
        #[arg(long)]
        env: Option<String>,
        /// Unknown attributes are errors, not warnings.
        #[arg(long)]
        strict: bool,
    },
    /// Render a file's apps for systemd, Kubernetes, Nomad or compose (no daemon needed).
    Export(ExportArgs),
    /// Turn a supervisord .conf, a Procfile or a process-compose YAML into an rpm ecosystem file.
    Convert(ConvertArgs),
    /// Write a commented sample ecosystem file (JSON unless --yaml or --toml).
    #[command(alias = "ecosystem")]
    Init {
        #[arg(long, conflicts_with = "toml")]
        yaml: bool,
        #[arg(long)]
        toml: bool,
    },
    /// Stop apps (id, name, namespace, `all`, or an ecosystem file).
    Stop(WatchTargetArgs),
    /// Restart apps (an ecosystem file: with its settings, `--env` choosing the profile).
    Restart(RestartArgs),
    /// Reload apps with zero downtime: instances sharing a socket are replaced one at a
    /// time once the new process is ready; others are restarted. A file: start its
    /// missing apps, reload the rest with its settings.
    #[command(alias = "gracefulReload")]
    Reload(ReloadArgs),
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
    #[command(visible_aliases = ["ls", "status", "l", "ps"])]
    List,
    /// Print the process list as JSON.
    Jlist {
        /// In PM2's shape (`pm_id`, `pm2_env`, `monit`), for `pm2 jlist | jq` scripts.
        #[arg(long)]
        pm2: bool,
    },
    /// Print the process list as indented JSON.
    Prettylist {
        /// In PM2's shape (`pm_id`, `pm2_env`, `monit`).
        #[arg(long)]
        pm2: bool,
    },
    /// Show every detail of an app.
    #[command(visible_aliases = ["show", "info", "desc"])]
    Describe { target: String },
    /// Show the environment an instance receives (an id, or an app's name).
    Env { target: String },
    /// Print the pids of an app's instances, or of every instance, one per line.
    Pid { name: Option<String> },
    /// Print the ids of an app's instances as a JSON array (as `pm2 id`).
    Id { name: String },
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
    /// Serve the HTTP API, live events, Prometheus metrics and a dashboard (/ui) until
    /// `rpm web --stop` or `rpm kill`.
    Web(WebArgs),
    /// A terminal dashboard: apps with CPU and memory history, the selected app's logs,
    /// and keys to restart, reload, stop and delete.
    #[command(aliases = ["dashboard", "dash"])]
    Monit,
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
    /// Write the man pages, one for the command and one per subcommand, into a folder;
    /// they are named for the command as invoked.
    #[command(name = "man-pages")]
    ManPages {
        /// The folder, made if missing (for example ~/.local/share/man/man1).
        dir: PathBuf,
    },
    /// Run the supervisor daemon (the CLI starts it on demand).
    Daemon {
        /// Stay in the foreground, logging to stderr (for systemd, launchd and other init
        /// systems: `rpm daemon --foreground --resurrect`).
        #[arg(long)]
        foreground: bool,
        #[arg(long, hide = true)]
        reexec: bool,
        /// Once listening (and adopting what still runs), start the apps of
        /// RPM_HOME/dump.json that are not running; no dump is not an error.
        #[arg(long)]
        resurrect: bool,
    },
}

// Targets of stop and restart, with PM2's `--watch`.
#[derive(Debug, Args)]
pub struct WatchTargetArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    /// stop: stop watching the apps' files too; restart: turn watching on or off.
    #[arg(long)]
    pub watch: bool,
}

// `rpm restart` options.
#[derive(Debug, Args)]
pub struct RestartArgs {
    #[command(flatten)]
    pub targets: WatchTargetArgs,
    #[command(flatten)]
    pub env: EnvArgs,
}

// `rpm reload` options.
#[derive(Debug, Args)]
pub struct ReloadArgs {
    #[command(flatten)]
    pub targets: TargetArgs,
    #[command(flatten)]
    pub env: EnvArgs,
}

// Which environment a restart or reload gives the apps.
#[derive(Debug, Args, Default, Clone)]
pub struct EnvArgs {
    /// Ecosystem file targets: overlay env_<profile> on env (the apps switch to it).
    #[arg(long)]
    pub env: Option<String>,
    /// Refresh the apps' environment from this shell, keeping what their file or flags
    /// set (without it an app keeps the environment it was started with).
    #[arg(long)]
    pub update_env: bool,
}

// Targets of stop, restart, delete, reset.
#[derive(Debug, Args, Clone)]
pub struct TargetArgs {
    /// Ids, app names, namespaces, `all`, or ecosystem files (their apps).
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// With an ecosystem file: only these apps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

// `rpm logs` options (PM2's).
#[derive(Debug, Args, Default)]
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

// `rpm run` options.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The ecosystem file.
    pub file: String,
    /// Overlay env_<profile> on env.
    #[arg(long)]
    pub env: Option<String>,
    /// Only these apps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Unknown attributes are errors, not warnings.
    #[arg(long)]
    pub strict: bool,
    /// Lines as the apps wrote them, without the `id|name |` prefix.
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

// `rpm apply` options.
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

// `rpm start` options (PM2's names).
#[derive(Debug, Args, Clone, Default)]
pub struct StartArgs {
    /// Script (or a command line), ecosystem file, or id/name/namespace of known apps
    /// (started, or restarted when running); without it, the ecosystem file here.
    #[arg(default_value = "", hide_default_value = true)]
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
    /// Start another instance of a script that already runs under this name.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Arguments for node (PM2's `--node-args`; for apps run with node).
    #[arg(long, allow_hyphen_values = true, value_name = "ARGS")]
    pub node_args: Option<String>,
    /// Stop only the main process, not its whole process tree.
    #[arg(long)]
    pub no_treekill: bool,
    /// Name of the variable holding the instance number (default NODE_APP_INSTANCE).
    #[arg(long, value_name = "NAME")]
    pub instance_var: Option<String>,
    /// Discard the app's output (logs go to /dev/null).
    #[arg(long)]
    pub disable_logs: bool,
    /// Ask the app to stop with a "shutdown" message on its Node IPC channel.
    #[arg(long)]
    pub shutdown_with_message: bool,
    /// startOrReload/startOrRestart: running apps take this shell's environment anew.
    #[arg(long)]
    pub update_env: bool,
}

// `rpm web`'s options.
#[derive(Debug, Args)]
pub struct WebArgs {
    /// The TCP port to listen on (0: any free port, shown once it answers).
    #[arg(long, default_value_t = 9615)]
    pub port: u16,
    /// The address to listen on; anything but a loopback address needs the token for
    /// every request.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Stop the running server.
    #[arg(long, conflicts_with_all = ["port", "host", "serve"])]
    pub stop: bool,
    /// Serve in this process (what `rpm web` runs in the background).
    #[arg(long, hide = true)]
    pub serve: bool,
}

/// The engines `rpm export` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportTarget {
    /// `.service` (and `.socket`) units.
    Systemd,
    /// ConfigMap, Secret, Deployment and Service manifests.
    Kubernetes,
    /// One Nomad job in HCL, a group per app.
    Nomad,
    /// A `compose.yaml`, a service per app.
    Compose,
}

// `rpm export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// What to write for.
    #[arg(value_enum)]
    pub target: ExportTarget,
    /// The ecosystem file.
    pub file: String,
    /// Overlay env_<profile> on env.
    #[arg(long)]
    pub env: Option<String>,
    /// Only these apps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Write the files into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Container image holding the apps (kubernetes, nomad, compose).
    #[arg(long)]
    pub image: Option<String>,
    /// Directory of the apps inside the image (default /app).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<String>,
    /// Nomad job name (default rpm).
    #[arg(long)]
    pub job: Option<String>,
}

/// The formats `rpm convert` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ConvertFrom {
    Supervisord,
    Procfile,
    ProcessCompose,
}

/// The formats `rpm convert` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ConvertTo {
    #[default]
    Yaml,
    Json,
    Toml,
}

// `rpm convert` options.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The file to convert.
    pub file: String,
    /// Its format (default: told by its name: Procfile, *.conf/*.ini, *.yaml with `processes:`).
    #[arg(long, value_enum)]
    pub from: Option<ConvertFrom>,
    /// The ecosystem file's format.
    #[arg(long, value_enum, default_value_t = ConvertTo::Yaml)]
    pub to: ConvertTo,
    /// Write to this new file instead of stdout (never over an existing one).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

// Which boot script `rpm startup`/`rpm unstartup` is about (PM2's options).
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

// `rpm startup` options.
#[derive(Debug, Args, Clone)]
pub struct StartupArgs {
    #[command(flatten)]
    pub boot: BootArgs,
    /// Write the script to stdout and change nothing.
    #[arg(long, conflicts_with = "root")]
    pub print: bool,
}
