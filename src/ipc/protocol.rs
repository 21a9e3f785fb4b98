//! The wire protocol between the CLI and the daemon: one JSON object per line.
//!
//! A client sends an `Envelope` (its version and a `Request`) and reads one `Response`.
//! Request variants share their names with the CLI verbs and the supervisor handlers, so
//! a verb can be followed across the wire by name. Errors travel as
//! `Response::Error { kind, message }`: the CLI prints the daemon's sentence unchanged and
//! picks its exit status from `kind`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{AppSpec, ExecMode};
use crate::dump::DumpedApp;

/// The version every CLI and daemon speak; a mismatch is reported, never guessed around.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The largest request line the daemon reads: thousands of app specs, each with its
/// caller's environment, fit easily; a client sending more is refused with an answer.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// What a client sends: its version and the request.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub version: String,
    pub request: Request,
}

/// How `Start` treats an app whose name already exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartMode {
    /// `rpm start script`: a stopped app of that name starts; a running one is left
    /// alone and answered with `Response::AlreadyRunning`, so the CLI need not list
    /// first; the name held by another script is an error.
    Script,
    /// `rpm start FILE`: apps already known are restarted with the file's spec.
    File,
    /// Only apps rpm does not know yet are started (`Request::Resurrect` does this
    /// with each instance's saved id and state; kept for clients of release 0.1.0).
    Missing,
    /// `rpm reload FILE`, `startOrReload`: apps already known are reloaded with the
    /// file's spec (one instance at a time, zero-downtime where they share a socket).
    Reload,
}

/// Which instances `Start` answers with once the started ones settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartRows {
    /// The instances started.
    #[default]
    Started,
    /// Every instance: the table `rpm start` prints, without asking for it again while
    /// the app's first output is on its way.
    All,
}

/// A request from the CLI.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Request {
    Ping,
    /// Start apps from resolved specs.
    Start {
        apps: Vec<AppSpec>,
        mode: StartMode,
        #[serde(default)]
        rows: StartRows,
    },
    /// Start stopped or errored instances named by targets.
    StartTargets {
        targets: Vec<String>,
    },
    Stop {
        targets: Vec<String>,
    },
    Restart {
        targets: Vec<String>,
    },
    /// Zero-downtime reload: instances sharing a socket are replaced one at a time by a
    /// new process once it is ready; the others are restarted.
    Reload {
        targets: Vec<String>,
    },
    /// Change an app's number of instances.
    Scale {
        name: String,
        change: Scale,
    },
    Delete {
        targets: Vec<String>,
    },
    Reset {
        targets: Vec<String>,
    },
    /// Change whether the targeted instances' apps are watched (`stop --watch`,
    /// `restart --watch`).
    Watch {
        targets: Vec<String>,
        change: WatchChange,
    },
    Signal {
        signal: String,
        targets: Vec<String>,
    },
    List,
    Describe {
        targets: Vec<String>,
    },
    Env {
        id: u32,
    },
    Flush {
        targets: Vec<String>,
    },
    ReloadLogs,
    Save,
    /// `rpm resurrect`: create the apps of `dump.json` that rpm does not know yet, with
    /// their saved ids where free, and start the instances saved online (all of them
    /// when the dump recorded no instances).
    Resurrect {
        apps: Vec<DumpedApp>,
    },
    /// Keep the connection open and stream a `Response::Notice` line for every change to
    /// the targeted instances (all of them when `targets` is empty), after one
    /// `Response::Subscribed`. A subscriber that falls too far behind is dropped.
    Subscribe {
        targets: Vec<String>,
    },
    /// Stop every app, then the daemon.
    Kill,
    /// Replace the daemon with the binary at `exe`, keeping every app running.
    Update {
        exe: PathBuf,
    },
}

impl Request {
    /// Asks without changing anything, so it can safely be asked again (of a new daemon
    /// when the one asked died before answering).
    pub fn is_read_only(&self) -> bool {
        matches!(
            self,
            Request::Ping | Request::List | Request::Describe { .. } | Request::Env { .. }
        )
    }
}

/// How `Request::Scale` changes an app's number of instances (`N`, `+N`, `-N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scale {
    To(u32),
    Add(u32),
    Remove(u32),
}

impl Scale {
    /// Reads `4`, `+2` or `-1`.
    pub fn parse(text: &str) -> Option<Scale> {
        let number = |s: &str| s.parse::<u32>().ok();
        match text.trim() {
            t if t.starts_with('+') => number(&t[1..]).map(Scale::Add),
            t if t.starts_with('-') => number(&t[1..]).map(Scale::Remove),
            t => number(t).map(Scale::To),
        }
    }

    /// The number of instances after the change, from `current`.
    pub fn apply(self, current: u32) -> u32 {
        match self {
            Scale::To(n) => n,
            Scale::Add(n) => current.saturating_add(n),
            Scale::Remove(n) => current.saturating_sub(n),
        }
    }
}

/// How `Request::Watch` changes an app's watching, as PM2's flags do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchChange {
    /// Stop watching (`rpm stop --watch`).
    Off,
    /// Watch if not watched (the app's cwd), else stop watching (`rpm restart --watch`).
    Toggle,
}

/// The class of an error, which decides the CLI's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad usage: exit 2.
    Usage,
    /// The operation failed: exit 1.
    Failed,
    /// The CLI and daemon versions differ: exit 1.
    VersionMismatch,
}

/// The daemon's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Pong {
        version: String,
        pid: u32,
    },
    /// Instances affected by the request, in id order.
    Processes {
        processes: Vec<ProcessInfo>,
    },
    Described {
        details: Vec<Details>,
    },
    Env {
        env: BTreeMap<String, String>,
    },
    Saved {
        path: PathBuf,
        apps: usize,
    },
    Ok {
        message: String,
    },
    /// `Start` in `StartMode::Script`: an app of that name and script is running, so
    /// nothing was started or changed; `ids` are its instances.
    AlreadyRunning {
        name: String,
        ids: Vec<u32>,
    },
    /// The subscription is open: `Notice` lines follow.
    Subscribed,
    /// One change, on a subscription.
    Notice {
        notice: Notice,
    },
    Error {
        kind: ErrorKind,
        message: String,
    },
}

/// One instance as `rpm jlist` shows it (DESIGN 1.2). These fields are a contract.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessInfo {
    pub id: u32,
    pub name: String,
    pub namespace: String,
    pub instance: u32,
    pub exec_mode: ExecMode,
    pub status: Status,
    pub pid: Option<i32>,
    pub restarts: u32,
    pub unstable_restarts: u32,
    pub uptime_ms: Option<u64>,
    pub exit_code: Option<i32>,
    pub exit_signal: Option<String>,
    pub cpu: f64,
    pub memory: u64,
    pub script: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    pub interpreter: Option<PathBuf>,
    pub out_file: PathBuf,
    pub error_file: PathBuf,
    pub watch: bool,
    /// Unix time in ms when the current (or last) run started.
    pub started_at: Option<u64>,
    /// Unix time in ms when the instance was created.
    pub created_at: u64,
    /// The uid the instance runs as.
    pub user: Option<u32>,
}

/// Everything about one instance, for `rpm describe`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Details {
    /// The listening socket the daemon holds for the app's instances, if any.
    #[serde(default)]
    pub socket: Option<String>,
    /// The last `STATUS=` the instance sent through sd_notify.
    #[serde(default)]
    pub notify_status: Option<String>,
    /// Advice about what goes wrong (instances fighting over one port).
    #[serde(default)]
    pub hint: Option<String>,
    pub process: ProcessInfo,
    pub spec: AppSpec,
    /// The combined log file, when `log_file` is set.
    pub log_file: Option<PathBuf>,
    /// The last log-writing problem, if any (full disk, permissions).
    pub log_error: Option<String>,
    /// Whether rpm started this run itself or adopted it from an earlier daemon.
    pub adopted: bool,
    /// The last restart and why (not kept across a daemon restart).
    #[serde(default)]
    pub last_restart: Option<LastRestart>,
    /// When `cron_restart` fires next (Unix time in ms).
    #[serde(default)]
    pub next_cron: Option<u64>,
    /// A problem with watching the app's files (a fallback to polling, a path that
    /// cannot be watched).
    #[serde(default)]
    pub watch_problem: Option<String>,
}

/// An instance's status, as `jlist` spells it (DESIGN 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Launching,
    Online,
    Stopping,
    Stopped,
    WaitingRestart,
    Errored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Launching => "launching",
            Status::Online => "online",
            Status::Stopping => "stopping",
            Status::Stopped => "stopped",
            Status::WaitingRestart => "waiting-restart",
            Status::Errored => "errored",
        }
    }

    /// Whether a process of this instance may be alive.
    pub fn has_process(self) -> bool {
        matches!(self, Status::Launching | Status::Online | Status::Stopping)
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One change the supervisor made to an instance, as `rpm events` and subscribers see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// Unix time in ms.
    pub at: u64,
    pub id: u32,
    pub name: String,
    pub namespace: String,
    #[serde(flatten)]
    pub event: NoticeEvent,
}

/// What happened, in a `Notice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeEvent {
    /// The status changed (`pid` is the process of the new status, if any).
    Status {
        from: Status,
        to: Status,
        pid: Option<i32>,
    },
    /// The main process ended; `code` and `signal` are both `None` when the status is
    /// unknown (it ended while no daemon ran, or was not our child).
    Exited {
        pid: i32,
        code: Option<i32>,
        signal: Option<String>,
        uptime_ms: Option<u64>,
    },
    /// The instance is being restarted, at once or after `delay_ms`; `detail` says what
    /// set it off when the reason alone does not (the file that changed, the memory).
    Restarting {
        reason: RestartReason,
        delay_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// The instance stopped trying: it stays errored until the user acts.
    Errored {
        cause: ErroredCause,
        /// The sentence `daemon.log` has too.
        message: String,
    },
    /// The instance was deleted.
    Deleted,
    /// A process of the instance said it is ready (`sd_notify` READY=1, or Node's
    /// `process.send('ready')`), or `listen_timeout` ran out waiting (`timed_out`).
    Ready { pid: i32, timed_out: bool },
    /// A reload replaced the instance's process: `new_pid` serves, `old_pid` stopped.
    Replaced { old_pid: i32, new_pid: i32 },
    /// A reload gave up on the new process; the old one keeps serving.
    ReloadFailed { message: String },
    /// The restart counters were set back to zero (`rpm reset`): every change to a row
    /// but CPU and memory comes with a notice, so a cached list can trust them.
    Reset,
}

/// Why an instance restarts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartReason {
    /// Its process ended on its own and the restart policy brings it back.
    Crash,
    /// A user asked (`restart`, `start` of a file that changed, `apply`).
    Manual,
    /// A watched file changed.
    Watch,
    /// Its memory (with its children's) passed `max_memory_restart`.
    Memory,
    /// Its `cron_restart` schedule came due.
    Cron,
    /// A user asked for a zero-downtime reload (`reload`): a new process replaces it
    /// once ready.
    Reload,
}

impl RestartReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RestartReason::Crash => "crash",
            RestartReason::Manual => "manual",
            RestartReason::Watch => "watch",
            RestartReason::Memory => "memory",
            RestartReason::Cron => "cron",
            RestartReason::Reload => "reload",
        }
    }
}

/// The last restart of an instance and what set it off, for `rpm describe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LastRestart {
    pub reason: RestartReason,
    pub detail: Option<String>,
    /// Unix time in ms.
    pub at: u64,
}

/// Why an instance went to `errored`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErroredCause {
    /// It exited `max_restarts` times in a row before `min_uptime`.
    CrashLoop,
    /// Its process could not be started at all.
    SpawnFailed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_exec_modes_keep_their_jlist_spelling() {
        let rows = [
            (Status::Launching, "\"launching\""),
            (Status::Online, "\"online\""),
            (Status::Stopping, "\"stopping\""),
            (Status::Stopped, "\"stopped\""),
            (Status::WaitingRestart, "\"waiting-restart\""),
            (Status::Errored, "\"errored\""),
        ];
        for (status, json) in rows {
            assert_eq!(serde_json::to_string(&status).expect("encodes"), json);
            assert_eq!(format!("\"{status}\""), json);
        }
        assert_eq!(
            serde_json::to_string(&[ExecMode::Fork, ExecMode::Cluster]).expect("encodes"),
            r#"["fork","cluster"]"#
        );
    }

    #[test]
    fn a_notice_is_one_flat_json_object() {
        let notice = Notice {
            at: 1,
            id: 3,
            name: "api".into(),
            namespace: "default".into(),
            event: NoticeEvent::Restarting {
                reason: RestartReason::Crash,
                delay_ms: 250,
                detail: None,
            },
        };
        let json = serde_json::to_string(&notice).expect("encodes");
        assert_eq!(
            json,
            r#"{"at":1,"id":3,"name":"api","namespace":"default","event":"restarting","reason":"crash","delay_ms":250}"#
        );
        let back: Notice = serde_json::from_str(&json).expect("decodes");
        assert_eq!(back, notice);
    }
}
