//! Verbs that act on running apps or the daemon: stop, restart, delete, reset, signal,
//! ping, kill, update, save, flush, reload-logs.

use std::time::{Duration, Instant};

use super::{show, CliError};
use crate::client::unexpected;
use crate::client::{Client, ClientError};
use crate::ipc::{Request, Response};

/// Stops targets one after another, in the order given (a file's dependents come first).
pub fn stop(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    let mut last = None;
    for target in targets {
        last = Some(client.request_or_start(Request::Stop {
            targets: vec![target],
        })?);
    }
    match last {
        Some(response) => show::print_after(client, response),
        None => Ok(()),
    }
}

pub fn restart(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    let response = client.request_or_start(Request::Restart { targets })?;
    show::print_after(client, response)
}

/// Deletes targets one after another, in the order given.
pub fn delete(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    let mut last = None;
    for target in targets {
        last = Some(client.request_or_start(Request::Delete {
            targets: vec![target],
        })?);
    }
    match last {
        Some(response) => show::print_after(client, response),
        None => Ok(()),
    }
}

pub fn reset(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    let response = client.request_or_start(Request::Reset { targets })?;
    show::print_after(client, response)
}

pub fn signal(client: &Client, signal: String, targets: Vec<String>) -> Result<(), CliError> {
    if targets.is_empty() {
        return Err(CliError::Usage(
            "rpm signal needs a target: `rpm signal SIGUSR2 api`".into(),
        ));
    }
    match client.request_or_start(Request::Signal {
        signal: signal.clone(),
        targets,
    })? {
        Response::Processes { processes } => {
            for p in processes {
                println!(
                    "sent {signal} to {} (id {}, pid {})",
                    p.name,
                    p.id,
                    p.pid.unwrap_or_default()
                );
            }
            Ok(())
        }
        other => Err(unexpected(&other).into()),
    }
}

pub fn ping(client: &Client) -> Result<(), CliError> {
    match client.request_or_start(Request::Ping)? {
        Response::Pong { version, pid } => {
            println!("pong: daemon {version}, pid {pid}");
            Ok(())
        }
        other => Err(unexpected(&other).into()),
    }
}

/// Stops every app and the daemon, and returns once the daemon is gone.
pub fn kill(client: &Client) -> Result<(), CliError> {
    match client.request(Request::Kill) {
        Ok(Response::Ok { .. }) => {}
        Ok(other) => return Err(unexpected(&other).into()),
        Err(ClientError::NotRunning { .. }) => {
            println!("no daemon was running");
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    }
    // The daemon removes its socket as it exits.
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.home().socket().exists() {
        if Instant::now() >= deadline {
            return Err(CliError::Failed(format!(
                "every app stopped, but the daemon did not exit within 10 s; see {}",
                client.home().daemon_log().display()
            )));
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    println!("every app stopped; daemon stopped");
    Ok(())
}

/// Replaces the daemon with this binary; the new one adopts every app.
pub fn update(client: &Client) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Failed(format!("cannot find this rpm binary: {e}")))?;
    let old_pid = match client.request(Request::Ping) {
        Ok(Response::Pong { pid, .. }) => Some(pid),
        Err(ClientError::NotRunning { .. }) => None,
        Ok(other) => return Err(unexpected(&other).into()),
        Err(e) => return Err(e.into()),
    };
    if old_pid.is_some() {
        match client.request(Request::Update { exe }) {
            Ok(Response::Ok { .. }) => {}
            Ok(other) => return Err(unexpected(&other).into()),
            Err(e) => return Err(e.into()),
        }
        // The daemon execs in place; wait until the new image answers.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Response::Pong { version, .. }) = client.request(Request::Ping) {
                println!("daemon replaced: now rpm {version}, apps kept running");
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(CliError::Failed(format!(
                    "the new daemon did not answer within 10 s; see {}",
                    client.home().daemon_log().display()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    client.start_daemon()?;
    println!("no daemon was running; started one");
    Ok(())
}

pub fn save(client: &Client) -> Result<(), CliError> {
    match client.request_or_start(Request::Save)? {
        Response::Saved { path, apps } => {
            println!("saved {apps} app(s) to {}", path.display());
            Ok(())
        }
        other => Err(unexpected(&other).into()),
    }
}

/// Starts what `dump.json` lists and rpm does not know yet.
pub fn resurrect(client: &Client) -> Result<(), CliError> {
    let path = client.home().dump_file();
    let data = match std::fs::read(&path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CliError::Failed(format!(
                "nothing to resurrect: {} does not exist (run `rpm save` first)",
                path.display()
            )))
        }
        Err(e) => {
            return Err(CliError::Failed(format!(
                "cannot read {}: {e}",
                path.display()
            )))
        }
    };
    let apps: Vec<crate::config::AppSpec> = serde_json::from_slice(&data).map_err(|e| {
        CliError::Failed(format!(
            "{} is damaged ({e}): run `rpm save` again",
            path.display()
        ))
    })?;
    let response = client.request_or_start(Request::Start {
        apps,
        mode: crate::ipc::StartMode::Missing,
    })?;
    show::print_after(client, response)
}

pub fn flush(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    ok_message(client.request_or_start(Request::Flush { targets })?)
}

pub fn reload_logs(client: &Client) -> Result<(), CliError> {
    ok_message(client.request_or_start(Request::ReloadLogs)?)
}

fn ok_message(response: Response) -> Result<(), CliError> {
    match response {
        Response::Ok { message } => {
            println!("{message}");
            Ok(())
        }
        other => Err(unexpected(&other).into()),
    }
}
