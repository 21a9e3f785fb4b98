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

use crate::config::AppSpec;

/// The version every CLI and daemon speak; a mismatch is reported, never guessed around.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

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
    /// `rpm start script`: a running app of that name is an error, a stopped one starts.
    Script,
    /// `rpm start FILE`: apps already known are restarted with the file's spec.
    File,
    /// `rpm resurrect`: only apps rpm does not know yet are started.
    Missing,
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
    Delete {
        targets: Vec<String>,
    },
    Reset {
        targets: Vec<String>,
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
    pub exec_mode: String,
    pub status: String,
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
    pub process: ProcessInfo,
    pub spec: AppSpec,
    /// The combined log file, when `log_file` is set.
    pub log_file: Option<PathBuf>,
    /// The last log-writing problem, if any (full disk, permissions).
    pub log_error: Option<String>,
    /// Whether rpm started this run itself or adopted it from an earlier daemon.
    pub adopted: bool,
}
