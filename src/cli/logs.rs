//! `rpm logs`: which files to show (from the daemon's list), then `logs::tail` prints them.

use super::args::LogsArgs;
use super::error::CliError;
use super::targets::target_row;
use super::terminal::use_color;
use crate::client::Client;
use crate::ipc::target;
use crate::logs::{tail, LogSource, Stream, TailOptions, TimestampFormat};

pub fn logs(client: &Client, args: &LogsArgs) -> Result<(), CliError> {
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
        for (stream, path) in [(Stream::Out, &p.out_file), (Stream::Err, &p.error_file)] {
            let wanted = match stream {
                Stream::Out => !args.err,
                Stream::Err => !args.out,
            };
            // Files shared by instances (merge_logs) are shown once.
            if wanted
                && !sources.iter().any(|s: &LogSource| &s.path == path)
                && path.as_os_str() != "/dev/null"
            {
                sources.push(LogSource {
                    id: p.id,
                    name: p.name.clone(),
                    stream,
                    path: path.clone(),
                });
            }
        }
    }
    if sources.is_empty() {
        // Following nothing would wait forever: new apps are not picked up.
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
    };
    let mut out = std::io::stdout().lock();
    tail(&sources, &opts, &mut out)?;
    Ok(())
}
