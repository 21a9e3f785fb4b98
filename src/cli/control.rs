//! Verbs that act on running apps or the daemon: stop, restart, delete, reset, signal,
//! ping, kill, update, save, flush, reload-logs.

use super::args::{EnvArgs, StartArgs, TargetArgs};
use super::error::CliError;
use super::invoked::invoked_name;
use super::show;
use crate::client::{Client, ClientError};
use crate::ipc::StartMode;

/// Stops targets one after another, in the order given (a file's dependents come first).
pub fn stop(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    for target in &targets {
        client.stop(std::slice::from_ref(target))?;
    }
    if targets.is_empty() {
        return Ok(());
    }
    show::print_after_change(client)
}

/// `--watch` on stop and restart: the watching change, before the stop or restart.
pub fn set_watch(
    client: &Client,
    targets: &[String],
    change: crate::ipc::WatchChange,
) -> Result<(), CliError> {
    if !targets.is_empty() {
        client.set_watch(targets, change)?;
    }
    Ok(())
}

/// `rpm restart`: ecosystem files restart their apps with the file's settings (`--env`
/// choosing the profile) and start the missing ones, as PM2 does; other targets restart
/// as they are, or with their environment refreshed (`--update-env`).
pub fn restart(client: &Client, args: TargetArgs, env: &EnvArgs) -> Result<(), CliError> {
    let (files, targets) = split_files(args.targets);
    for file in files {
        super::files::restart_file(client, &file_args(file, &args.only, env), env.update_env)?;
    }
    if !targets.is_empty() {
        if env.update_env {
            let specs = refreshed_specs(client, &targets)?;
            client.start(specs, StartMode::File)?;
        } else {
            client.restart(&targets)?;
        }
    }
    show::print_after_change(client)
}

/// `rpm reload`: ecosystem files start their missing apps and reload the rest with the
/// file's settings (PM2's `reload FILE`); other targets are reloaded as they are, or
/// with their environment refreshed (`--update-env`).
pub fn reload(client: &Client, args: TargetArgs, env: &EnvArgs) -> Result<(), CliError> {
    let (files, targets) = split_files(args.targets);
    for file in files {
        super::files::reload_file(client, &file_args(file, &args.only, env), env.update_env)?;
    }
    if !targets.is_empty() {
        if env.update_env {
            let specs = refreshed_specs(client, &targets)?;
            client.start(specs, StartMode::Reload)?;
        } else {
            client.reload(&targets)?;
        }
    }
    show::print_after_change(client)
}

/// Ecosystem-file targets, and the others.
fn split_files(targets: Vec<String>) -> (Vec<String>, Vec<String>) {
    targets
        .into_iter()
        .partition(|t| crate::config::is_ecosystem_file(t))
}

fn file_args(file: String, only: &[String], env: &EnvArgs) -> StartArgs {
    StartArgs {
        target: file,
        only: only.to_vec(),
        env: env.env.clone(),
        ..Default::default()
    }
}

/// The specs of the apps `targets` select, their environment refreshed from this shell.
fn refreshed_specs(
    client: &Client,
    targets: &[String],
) -> Result<Vec<crate::config::AppSpec>, CliError> {
    let mut specs: Vec<crate::config::AppSpec> = Vec::new();
    for details in client.describe(targets)? {
        if specs.iter().all(|s| s.name != details.spec.name) {
            let mut spec = details.spec;
            spec.refresh_env(std::env::vars().collect());
            specs.push(spec);
        }
    }
    Ok(specs)
}

/// `rpm scale NAME N|+N|-N`.
pub fn scale(client: &Client, name: &str, count: &str) -> Result<(), CliError> {
    let change = crate::ipc::Scale::parse(count).ok_or_else(|| {
        CliError::Usage(format!(
            "{} scale {name} {count}: the count must be N, +N or -N (for example 4, +2, -1)",
            invoked_name()
        ))
    })?;
    client.scale(name, change)?;
    show::print_after_change(client)
}

/// Deletes targets one after another, in the order given.
pub fn delete(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    for target in &targets {
        client.delete(std::slice::from_ref(target))?;
    }
    if targets.is_empty() {
        return Ok(());
    }
    show::print_after_change(client)
}

pub fn reset(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    client.reset(&targets)?;
    show::print_after_change(client)
}

pub fn signal(client: &Client, signal: String, targets: Vec<String>) -> Result<(), CliError> {
    if targets.is_empty() {
        let rpm = invoked_name();
        return Err(CliError::Usage(format!(
            "{rpm} signal needs a target: `{rpm} signal SIGUSR2 api`"
        )));
    }
    for p in client.signal(&signal, &targets)? {
        println!(
            "sent {signal} to {} (id {}, pid {})",
            p.name,
            p.id,
            p.pid.unwrap_or_default()
        );
    }
    Ok(())
}

pub fn ping(client: &Client) -> Result<(), CliError> {
    let pong = client.ping()?;
    println!("pong: daemon {}, pid {}", pong.version, pong.pid);
    Ok(())
}

/// Stops every app and the daemon, and returns once the daemon is gone.
pub fn kill(client: &Client) -> Result<(), CliError> {
    match client.kill() {
        Ok(()) => println!("every app stopped; daemon stopped"),
        Err(ClientError::NotRunning { .. }) => println!("no daemon was running"),
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

/// Replaces the daemon with this binary; the new one adopts every app.
pub fn update(client: &Client) -> Result<(), CliError> {
    let exe = std::env::current_exe()
        .map_err(|e| CliError::Failed(format!("cannot find this rpm binary: {e}")))?;
    match client.update(&exe) {
        Ok(pong) => {
            println!(
                "daemon replaced: now rpm {}, apps kept running",
                pong.version
            );
            Ok(())
        }
        Err(ClientError::NotRunning { .. }) => {
            client.start_daemon()?;
            println!("no daemon was running; started one");
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

pub fn save(client: &Client) -> Result<(), CliError> {
    let (path, apps) = client.save()?;
    println!("saved {apps} app(s) to {}", path.display());
    Ok(())
}
/// Brings back what `dump.json` lists and rpm does not know yet. The CLI reads the
/// file, so a damaged one is reported before any daemon is asked (or started).
pub fn resurrect(client: &Client) -> Result<(), CliError> {
    let apps = crate::dump::read(&client.home().dump_file())
        .map_err(|e| CliError::Failed(e.to_string()))?;
    client.resurrect(apps)?;
    show::print_after_change(client)
}

pub fn flush(client: &Client, targets: Vec<String>) -> Result<(), CliError> {
    println!("{}", client.flush(&targets)?);
    Ok(())
}

pub fn reload_logs(client: &Client) -> Result<(), CliError> {
    println!("{}", client.reload_logs()?);
    Ok(())
}
