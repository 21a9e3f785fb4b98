//! `cargo run --example client`: drives rpm from another Rust program through `rpm::Client`.
//!
//! Lists the apps of the daemon of `RPM_HOME` (or `~/.rpm`), then prints the next five
//! notices the supervisor sends (exits, restarts, status changes) and exits; Ctrl-C ends
//! it sooner. It never starts a daemon: this program is not the rpm binary, so run
//! `rpm ping` (or any rpm command) first, or give a client the binary with
//! `Client::daemon_binary`.

use std::process::ExitCode;

use rpm::ipc::{Notice, NoticeEvent};
use rpm::{Client, ClientError};

/// How many notices to print before exiting.
const NOTICES: usize = 5;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), ClientError> {
    let client = Client::from_env()?;
    let apps = client.list()?;
    println!(
        "{:>4}  {:<20}  {:<16}  {:>8}  {:>8}",
        "id", "name", "status", "pid", "restarts"
    );
    for app in &apps {
        let pid = app.pid.map_or_else(|| "-".to_string(), |p| p.to_string());
        println!(
            "{:>4}  {:<20}  {:<16}  {:>8}  {:>8}",
            app.id,
            app.name,
            app.status.as_str(),
            pid,
            app.restarts
        );
    }
    println!("waiting for the next {NOTICES} notices (Ctrl-C to stop)…");
    // No targets: every instance, present and future.
    for notice in client.subscribe(&[])?.take(NOTICES) {
        println!("{}", describe(&notice?));
    }
    Ok(())
}

/// One notice in a few words.
fn describe(notice: &Notice) -> String {
    let what = match &notice.event {
        NoticeEvent::Status { from, to, .. } => format!("{from} -> {to}"),
        NoticeEvent::Exited { code, signal, .. } => match (code, signal) {
            (Some(code), _) => format!("exited with code {code}"),
            (None, Some(signal)) => format!("killed by {signal}"),
            (None, None) => "exited".to_string(),
        },
        NoticeEvent::Restarting { delay_ms, .. } => format!("restarting in {delay_ms} ms"),
        NoticeEvent::Errored { message, .. } => format!("errored: {message}"),
        NoticeEvent::Deleted => "deleted".to_string(),
        NoticeEvent::Ready { pid, .. } => format!("ready (pid {pid})"),
        NoticeEvent::Replaced { new_pid, .. } => format!("reloaded (pid {new_pid})"),
        NoticeEvent::ReloadFailed { message } => message.clone(),
        // Kinds of notice added after this example was written.
        _ => "changed".to_string(),
    };
    format!("[{}] {} (id {}): {what}", notice.at, notice.name, notice.id)
}
