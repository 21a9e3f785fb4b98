//! `rpm run` (PM2's `pm2-runtime`): the daemon itself, in the foreground, supervising the
//! apps of one file and streaming their output on its own stdout and stderr.
//!
//! Nothing here supervises: `daemon::run` runs the ordinary supervisor (so keep-alive,
//! restart policies and watch, memory and cron triggers work unchanged), with its socket
//! in RPM_HOME as usual, so `rpm list` or `rpm logs` from another shell see the apps.
//! This module starts the file's apps before the loop begins and follows their log
//! files with `logs::follow`, one thread per stream (apps' stdout to ours, their stderr
//! to ours), each file from the size it had before the apps started. When every app has
//! ended the supervisor ends the run (`supervisor::run_end`); SIGTERM/SIGINT stop every
//! app gracefully as for any daemon. Runs on the main thread; the followers on theirs.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use super::supervisor::Supervisor;
use crate::config::AppSpec;
use crate::ipc::{Request, Response, StartMode, StartRows};
use crate::logs::{LogSource, Nudge, Stream, TailOptions};
use crate::paths::Home;

/// What `rpm run` runs and how it prints.
#[derive(Debug, Clone, PartialEq)]
pub struct RunPlan {
    /// Resolved by the CLI, in start order.
    pub apps: Vec<AppSpec>,
    pub output: RunOutput,
}

/// How apps' lines appear on `rpm run`'s stdout and stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutput {
    /// `<id>|<name> | line`, as `rpm logs` prints.
    Prefixed,
    /// Lines as the apps wrote them.
    Raw,
    /// One JSON object per line.
    Json,
}

/// The threads printing apps' output.
pub(super) struct Console {
    followers: Vec<(mpsc::Sender<Nudge>, JoinHandle<()>)>,
}

impl Console {
    /// Prints what is left and waits for the followers. Call once the log pump has
    /// drained every pipe into the files.
    pub(super) fn finish(self) {
        for (nudge, _) in &self.followers {
            let _ = nudge.send(Nudge::Finish);
        }
        for (_, thread) in self.followers {
            let _ = thread.join();
        }
    }
}

/// Starts the plan's apps on `sup` (its loop not running yet) and follows their output.
/// A refusal (an app that cannot start, a port in use) is the sentence `rpm start FILE`
/// would print.
pub(super) fn begin(sup: &mut Supervisor, home: &Home, plan: RunPlan) -> Result<Console, String> {
    let before = sizes_before(home, &plan.apps);
    let (reply, answer) = mpsc::channel();
    let request = Request::Start {
        apps: plan.apps,
        mode: StartMode::File,
        rows: StartRows::Started,
    };
    sup.request(request, reply);
    // A refusal is answered at once; success only once the apps settle, unheard.
    if let Ok(Response::Error { message, .. }) = answer.try_recv() {
        return Err(message);
    }
    let opts = TailOptions {
        lines: 0,
        follow: true,
        raw: plan.output == RunOutput::Raw,
        timestamp: None,
        json: plan.output == RunOutput::Json,
        color: false,
        writers: Some(home.writers_dir()),
    };
    let mut followers = Vec::new();
    for stream in [Stream::Out, Stream::Err] {
        let sources = sources(sup, stream, &before);
        if sources.is_empty() {
            continue;
        }
        let mut opts = opts.clone();
        let terminal = match stream {
            Stream::Out => std::io::stdout().is_terminal(),
            Stream::Err => std::io::stderr().is_terminal(),
        };
        opts.color = terminal && std::env::var_os("NO_COLOR").is_none();
        let (nudge, nudges) = mpsc::channel();
        let wake = nudge.clone();
        let thread = std::thread::Builder::new()
            .name(format!("run-{stream:?}").to_lowercase())
            .spawn(move || {
                let result = match stream {
                    Stream::Out => crate::logs::follow(
                        &sources,
                        &opts,
                        &mut std::io::stdout().lock(),
                        wake,
                        nudges,
                    ),
                    Stream::Err => crate::logs::follow(
                        &sources,
                        &opts,
                        &mut std::io::stderr().lock(),
                        wake,
                        nudges,
                    ),
                };
                if let Err(e) = result {
                    log::error!("rpm run: cannot print the apps' output: {e}");
                }
            })
            .map_err(|e| format!("cannot start printing the apps' output: {e}"))?;
        followers.push((nudge, thread));
    }
    Ok(Console { followers })
}

/// Every file each instance writes `stream` to, once (`merge_logs` shares files), with
/// the size it had before the apps started.
fn sources(
    sup: &Supervisor,
    stream: Stream,
    before: &BTreeMap<PathBuf, u64>,
) -> Vec<(LogSource, u64)> {
    let mut out: Vec<(LogSource, u64)> = Vec::new();
    for slot in sup.slots.values() {
        let path = match stream {
            Stream::Out => &slot.out_file,
            Stream::Err => &slot.error_file,
        };
        if path.as_os_str() == "/dev/null" || out.iter().any(|(s, _)| &s.path == path) {
            continue;
        }
        let source = LogSource {
            id: slot.id,
            name: slot.app.clone(),
            stream,
            path: path.clone(),
        };
        out.push((source, before.get(path).copied().unwrap_or(0)));
    }
    out
}

/// Sizes of the files in every folder the apps may log to (RPM_HOME/logs and the
/// folders of their own `out_file`, `error_file`, `log_file`), before they start: what
/// is already there is not printed again.
fn sizes_before(home: &Home, apps: &[AppSpec]) -> BTreeMap<PathBuf, u64> {
    let mut folders = vec![home.logs_dir()];
    for app in apps {
        let files = [&app.out_file, &app.error_file, &app.log_file];
        for file in files.into_iter().flatten() {
            if let Some(dir) = file.parent() {
                folders.push(dir.to_path_buf());
            }
        }
    }
    folders.sort();
    folders.dedup();
    let mut sizes = BTreeMap::new();
    for folder in &folders {
        sizes.extend(file_sizes(folder));
    }
    sizes
}

fn file_sizes(folder: &Path) -> Vec<(PathBuf, u64)> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            meta.is_file().then(|| (e.path(), meta.len()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_before_cover_the_logs_folder_and_the_apps_own_folders() {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = Home::at(dir.path().join("home"));
        std::fs::create_dir_all(home.logs_dir()).expect("logs");
        std::fs::write(home.logs_dir().join("api-out.log"), b"old\n").expect("write");
        let own = dir.path().join("own");
        std::fs::create_dir_all(&own).expect("own");
        std::fs::write(own.join("worker.log"), b"older lines\n").expect("write");
        let mut app = AppSpec::new("worker", "/bin/true".into(), "/".into());
        app.out_file = Some(own.join("worker.log"));
        let sizes = sizes_before(&home, &[app]);
        assert_eq!(sizes.get(&home.logs_dir().join("api-out.log")), Some(&4));
        assert_eq!(sizes.get(&own.join("worker.log")), Some(&12));
        assert_eq!(sizes.len(), 2);
    }
}
