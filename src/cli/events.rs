//! `rpm events`: the supervisor's notices as they happen, one line each, until Ctrl-C.
//!
//! Subscribes through `rpm::Client` and prints each notice as a short human line or, with
//! `--json`, as its JSON object, flushed per line for scripts. When the daemon goes away
//! (`rpm update`, a restart) it subscribes again, without starting a daemon, for up to
//! 10 s. Runs on the CLI's main thread; one more thread waits for Ctrl-C, so an interrupt
//! ends the command quietly, between two lines, with status 0.

use std::io::{self, Write};
use std::time::{Duration, Instant};

use super::error::CliError;
use super::invoked::{invoked_name, with_invoked_name};
use super::terminal::local_time;
use crate::client::{Client, ClientError, Notices};
use crate::ipc::{Notice, NoticeEvent};

/// How long `rpm events` waits for a daemon to come back after its connection ended.
const RECONNECT_FOR: Duration = Duration::from_secs(10);
/// Pause between two attempts to subscribe again.
const RECONNECT_PAUSE: Duration = Duration::from_millis(50);

/// How each notice is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// `12:04:31.250 api (id 3) exited with code 1 after 1.2s`
    Human,
    /// The `Notice` as one JSON object per line.
    Json,
}

/// `rpm events [target…] [--json]`.
pub fn events(client: &Client, targets: &[String], json: bool) -> Result<(), CliError> {
    end_quietly_on_interrupt()?;
    let format = if json { Format::Json } else { Format::Human };
    follow(
        client,
        targets,
        format,
        &mut Stdout,
        &mut io::stderr(),
        RECONNECT_FOR,
    )
}

/// Prints the notices of `targets` to `out` until the daemon goes away for longer than
/// `reconnect_for` (an error) or writing fails. Notes about reconnecting go to `notes`.
pub(crate) fn follow(
    client: &Client,
    targets: &[String],
    format: Format,
    out: &mut impl Write,
    notes: &mut impl Write,
    reconnect_for: Duration,
) -> Result<(), CliError> {
    let mut notices = client.subscribe(targets)?;
    // A daemon that went away is waited for, never started: an empty new daemon would
    // hide that the apps are not supervised.
    let running = client.clone().start_on_demand(false);
    loop {
        for item in &mut notices {
            match item {
                Ok(notice) => {
                    out.write_all(render(&notice, format).as_bytes())?;
                    out.flush()?;
                }
                // The connection broke: the same as the daemon closing it.
                Err(ClientError::Io(e)) => {
                    log::debug!("the subscription ended: {e}");
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        // Best effort: a closed stderr must not end a stream that stdout still takes.
        let _ = writeln!(
            notes,
            "note: the connection to the rpm daemon ended (daemon updated or restarted); \
             reconnecting: notices from while no daemon ran are not shown"
        );
        notices = resubscribe(&running, targets, reconnect_for)?;
    }
}

/// Subscribes again until a daemon answers or `within` has passed.
fn resubscribe(client: &Client, targets: &[String], within: Duration) -> Result<Notices, CliError> {
    let deadline = Instant::now() + within;
    loop {
        match client.subscribe(targets) {
            Ok(notices) => return Ok(notices),
            // No daemon yet, or one that went away while answering: wait for the next.
            Err(ClientError::NotRunning { .. } | ClientError::Io(_)) => {}
            Err(e) => return Err(e.into()),
        }
        if Instant::now() >= deadline {
            return Err(CliError::Failed(format!(
                "the rpm daemon for {} went away and none came back within {}: \
                 start one (`{rpm} ping`), then run `{rpm} events` again",
                client.home().root().display(),
                human_ms(u64::try_from(within.as_millis()).unwrap_or(u64::MAX)),
                rpm = invoked_name(),
            )));
        }
        std::thread::sleep(RECONNECT_PAUSE);
    }
}

/// One notice as the line `rpm events` prints, newline included.
pub(crate) fn render(notice: &Notice, format: Format) -> String {
    match format {
        Format::Json => match serde_json::to_string(notice) {
            Ok(json) => json + "\n",
            // A notice is plain data; this cannot fail, but a line is better than a panic.
            Err(e) => format!("{{\"error\":\"cannot encode a notice: {e}\"}}\n"),
        },
        Format::Human => format!("{} {}\n", clock(notice.at), human(notice)),
    }
}

/// The human line without its time: `api (id 3) restarting (crash) in 250ms`.
pub(crate) fn human(notice: &Notice) -> String {
    format!(
        "{} (id {}) {}",
        notice.name,
        notice.id,
        what_happened(notice)
    )
}

/// What happened, without whom: `restarting (crash) in 250ms`.
pub(crate) fn what_happened(notice: &Notice) -> String {
    match &notice.event {
        NoticeEvent::Status { to, pid, .. } => match pid {
            Some(pid) => format!("{to} (pid {pid})"),
            None => to.to_string(),
        },
        NoticeEvent::Exited {
            code,
            signal,
            uptime_ms,
            ..
        } => {
            let how = match (code, signal) {
                (Some(code), _) => format!("exited with code {code}"),
                (None, Some(signal)) => format!("killed by {signal}"),
                (None, None) => "exited (exit status unknown)".to_string(),
            };
            match uptime_ms {
                Some(ms) => format!("{how} after {}", human_ms(*ms)),
                None => how,
            }
        }
        NoticeEvent::Restarting {
            reason,
            delay_ms,
            detail,
        } => {
            let why = match detail {
                Some(detail) => format!("{}: {detail}", reason.as_str()),
                None => reason.as_str().to_string(),
            };
            match delay_ms {
                0 => format!("restarting ({why})"),
                ms => format!("restarting ({why}) in {}", human_ms(*ms)),
            }
        }
        NoticeEvent::Errored { message, .. } => format!("errored: {}", with_invoked_name(message)),
        NoticeEvent::Deleted => "deleted".to_string(),
        NoticeEvent::Ready {
            pid,
            timed_out: false,
        } => format!("ready (pid {pid})"),
        NoticeEvent::Ready {
            pid,
            timed_out: true,
        } => format!("taken as ready after listen_timeout (pid {pid})"),
        NoticeEvent::Replaced { old_pid, new_pid } => {
            format!("reloaded: pid {new_pid} replaced pid {old_pid}")
        }
        NoticeEvent::ReloadFailed { message } => with_invoked_name(message).into_owned(),
        NoticeEvent::Reset => "restart counters reset".to_string(),
    }
}

/// Local time of day with milliseconds, `HH:MM:SS.mmm`, of a Unix time in ms.
fn clock(at_ms: u64) -> String {
    local_time(at_ms, "%H:%M:%S%.3f").unwrap_or_else(|| "--:--:--.---".to_string())
}

/// A duration as a person reads it at a glance: `250ms`, `1.2s`, `2m5s`, `3h10m`.
pub(crate) fn human_ms(ms: u64) -> String {
    match ms {
        0..=999 => format!("{ms}ms"),
        1_000..=59_999 => match (ms / 1_000, ms % 1_000 / 100) {
            (s, 0) => format!("{s}s"),
            (s, tenths) => format!("{s}.{tenths}s"),
        },
        60_000..=3_599_999 => match (ms / 60_000, ms % 60_000 / 1_000) {
            (m, 0) => format!("{m}m"),
            (m, s) => format!("{m}m{s}s"),
        },
        _ => match (ms / 3_600_000, ms % 3_600_000 / 60_000) {
            (h, 0) => format!("{h}h"),
            (h, m) => format!("{h}h{m}m"),
        },
    }
}

/// Stdout, locked for each whole line, so the Ctrl-C thread (which takes the same lock
/// before exiting) never cuts a line in half.
struct Stdout;

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stdout().lock().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        io::stdout().lock().write_all(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stdout().lock().flush()
    }
}

/// Ctrl-C ends `rpm events` with status 0 and nothing on stderr: it is how the command
/// is meant to end.
fn end_quietly_on_interrupt() -> Result<(), CliError> {
    let mut signals = signal_hook::iterator::Signals::new([signal_hook::consts::SIGINT])
        .map_err(|e| CliError::Failed(format!("cannot set up Ctrl-C handling: {e}")))?;
    std::thread::Builder::new()
        .name("events-interrupt".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                // Wait for the line being written, if any, then end.
                let _whole_lines = io::stdout().lock();
                std::process::exit(0);
            }
        })
        .map_err(|e| CliError::Failed(format!("cannot set up Ctrl-C handling: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests;
