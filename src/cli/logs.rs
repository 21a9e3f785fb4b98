//! `rpm logs`: which files to show (from the daemon's list), then `logs::tail` prints them.
//! While following, a subscription to the daemon's notices adds the files of apps started
//! since and prints lifecycle lines (exited, restarting, errored), as `pm2 logs` does.

use std::collections::BTreeSet;

use super::args::LogsArgs;
use super::error::CliError;
use super::targets::target_row;
use super::terminal::use_color;
use crate::client::{Client, Notices};
use crate::ipc::{target, NoticeEvent, ProcessInfo, Status};
use crate::logs::{tail_fed, LogSource, Stream, TailFeed, TailInput, TailOptions, TimestampFormat};

pub fn logs(client: &Client, args: &LogsArgs) -> Result<(), CliError> {
    let targets: Vec<String> = args.target.iter().cloned().collect();
    // Subscribed before the list is read, so no app started in between goes unseen.
    let notices = if args.nostream {
        None
    } else {
        client.subscribe(&targets).ok()
    };
    let rows = client.list()?;
    let selected: Vec<_> = match &args.target {
        None => rows,
        Some(wanted) => {
            let ids = target::resolve(std::slice::from_ref(wanted), rows.iter().map(target_row))
                .map_err(CliError::Failed)?;
            rows.into_iter().filter(|p| ids.contains(&p.id)).collect()
        }
    };
    let mut sources = Vec::new();
    for p in &selected {
        add_sources(&mut sources, p, args);
    }
    if sources.is_empty() && args.nostream {
        return Err(CliError::Failed(
            "no log file to show: no app is known yet, or the selected ones log to /dev/null"
                .into(),
        ));
    }
    let timestamp = match &args.timestamp {
        Some(fmt) => Some(
            TimestampFormat::parse(fmt)
                .map_err(|e| CliError::Usage(format!("--timestamp: {e}")))?,
        ),
        None => None,
    };
    let opts = TailOptions {
        lines: args.lines,
        follow: !args.nostream,
        raw: args.raw,
        timestamp,
        json: args.json,
        color: use_color(),
        writers: Some(client.home().writers_dir()),
    };
    let known: BTreeSet<u32> = selected.iter().map(|p| p.id).collect();
    let lister = client.clone().start_on_demand(false);
    let wanted = (args.out, args.err);
    let mut out = std::io::stdout().lock();
    tail_fed(&sources, &opts, &mut out, move |feed| {
        let Some(notices) = notices else { return };
        let spawned = std::thread::Builder::new()
            .name("logs-notices".into())
            .spawn(move || follow_notices(notices, &lister, known, wanted, &feed));
        if let Err(e) = spawned {
            log::debug!("cannot follow notices: {e}");
        }
    })?;
    Ok(())
}

/// The out and error files of `p` that `args` asks for, once each (files shared by
/// instances under `merge_logs` are shown once), never /dev/null.
fn add_sources(sources: &mut Vec<LogSource>, p: &ProcessInfo, args: &LogsArgs) {
    for (stream, path) in [(Stream::Out, &p.out_file), (Stream::Err, &p.error_file)] {
        let wanted = match stream {
            Stream::Out => !args.err,
            Stream::Err => !args.out,
        };
        if wanted && !sources.iter().any(|s| &s.path == path) && path.as_os_str() != "/dev/null" {
            sources.push(LogSource {
                id: p.id,
                name: p.name.clone(),
                stream,
                path: path.clone(),
            });
        }
    }
}

/// Feeds the tail from the daemon's notices until either ends: new instances' files,
/// and a line for each exit, restart, error and reload.
fn follow_notices(
    notices: Notices,
    client: &Client,
    mut known: BTreeSet<u32>,
    (out, err): (bool, bool),
    feed: &TailFeed,
) {
    let args = LogsArgs {
        out,
        err,
        ..LogsArgs::default()
    };
    for notice in notices.flatten() {
        let started = matches!(
            notice.event,
            NoticeEvent::Status {
                to: Status::Launching | Status::Online,
                ..
            }
        );
        if started && known.insert(notice.id) {
            let rows = client.list().unwrap_or_default();
            let mut sources = Vec::new();
            if let Some(row) = rows.iter().find(|p| p.id == notice.id) {
                add_sources(&mut sources, row, &args);
            }
            for source in sources {
                if !feed.send(TailInput::Source(source)) {
                    return;
                }
            }
        }
        let lifecycle = matches!(
            notice.event,
            NoticeEvent::Exited { .. }
                | NoticeEvent::Restarting { .. }
                | NoticeEvent::Errored { .. }
                | NoticeEvent::Replaced { .. }
                | NoticeEvent::ReloadFailed { .. }
        );
        if lifecycle {
            let line = TailInput::Lifecycle {
                id: notice.id,
                name: notice.name.clone(),
                text: super::events::what_happened(&notice),
            };
            if !feed.send(line) {
                return;
            }
        }
    }
}
