//! The CLI: parses the command line where the user stands, resolves scripts and files into
//! `AppSpec`s, and talks to the daemon through `rpm::Client`.
//!
//! One file per verb group: `start` (start), `control` (stop, restart, delete, reset,
//! signal, kill, ping, update, save, flush, reload-logs), `show` (list, jlist, prettylist,
//! describe, env), `files` (ecosystem files, apply, validate, init), `logs`, `events`,
//! `startup` (startup, unstartup: boot scripts, without a daemon),
//! `table` (the process table). `rpm daemon` is run by the binary's `main`, not here.

pub mod args;
mod control;
mod error;
mod events;
mod files;
mod logs;
mod overrides;
mod show;
mod start;
mod startup;
mod table;
mod targets;
mod terminal;

use std::io::Write;

use clap::Parser;

use crate::ipc::WatchChange;
use args::{Cli, Command};
pub use error::CliError;

/// What `run` leaves to its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The command ran.
    Done,
    /// `rpm daemon`, in a form `main` did not recognise before parsing (its usual forms
    /// never reach the CLI): `main` runs the supervisor, which the CLI does not import.
    Daemon {
        /// `--foreground`: stay in the foreground, logging to stderr.
        foreground: bool,
        /// `--reexec`: re-executed by `rpm update`.
        reexec: bool,
    },
}

/// Parses the process's arguments and runs the command.
pub fn run() -> Result<Outcome, CliError> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return Ok(Outcome::Done);
            }
            let text = e.render().to_string();
            let first = text
                .lines()
                .next()
                .unwrap_or("invalid usage")
                .trim_start_matches("error: ");
            return Err(CliError::Usage(format!("{first} (see `rpm --help`)")));
        }
    };
    dispatch(cli.command)
}

fn dispatch(command: Command) -> Result<Outcome, CliError> {
    // Boot scripts need no daemon and no client.
    match &command {
        Command::Startup(args) => return startup::startup(args).map(|()| Outcome::Done),
        Command::Unstartup(args) => return startup::unstartup(args).map(|()| Outcome::Done),
        _ => {}
    }
    let client = cli_client()?;
    match command {
        Command::Start(args) | Command::StartOrRestart(args) => start::start(&client, *args),
        Command::StartOrReload(args) => files::start_or_reload(&client, &args),
        Command::Apply(args) => files::apply(&client, &args),
        Command::Validate { file, env } => files::validate(&file, env.as_deref()),
        Command::Init { yaml, toml } => files::init(if yaml {
            crate::config::SampleFormat::Yaml
        } else if toml {
            crate::config::SampleFormat::Toml
        } else {
            crate::config::SampleFormat::Json
        }),
        Command::Stop(t) => {
            let targets = expand(t.targets, true)?;
            if t.watch {
                control::set_watch(&client, &targets, WatchChange::Off)?;
            }
            control::stop(&client, targets)
        }
        Command::Restart(t) => {
            let targets = expand(t.targets, false)?;
            if t.watch {
                control::set_watch(&client, &targets, WatchChange::Toggle)?;
            }
            control::restart(&client, targets)
        }
        Command::Reload(t) => control::reload(&client, t),
        Command::Scale { name, count } => control::scale(&client, &name, &count),
        Command::Delete(t) => control::delete(&client, expand(t, true)?),
        Command::Reset(t) => control::reset(&client, t.targets),
        Command::Signal { signal, targets } => control::signal(&client, signal, targets),
        Command::List => show::list(&client),
        Command::Jlist => show::jlist(&client, false),
        Command::Prettylist => show::jlist(&client, true),
        Command::Describe { target } => show::describe(&client, target),
        Command::Env { id } => show::env(&client, id),
        Command::Ping => control::ping(&client),
        Command::Kill => control::kill(&client),
        Command::Update => control::update(&client),
        Command::Save => control::save(&client),
        Command::Resurrect => control::resurrect(&client),
        Command::Logs(args) => logs::logs(&client, &args),
        Command::Events { targets, json } => events::events(&client, &targets, json),
        Command::Flush { targets } => control::flush(&client, targets),
        Command::ReloadLogs => control::reload_logs(&client),
        Command::Completions { shell } => {
            std::io::stdout().write_all(&completions(shell))?;
            Ok(())
        }
        Command::Startup(_) | Command::Unstartup(_) => Ok(()),
        Command::Daemon { foreground, reexec } => {
            return Ok(Outcome::Daemon { foreground, reexec })
        }
    }?;
    Ok(Outcome::Done)
}

/// The client of the CLI: it starts a daemon when none runs, with this very binary.
fn cli_client() -> Result<crate::client::Client, CliError> {
    let client = crate::client::Client::from_env()?;
    match std::env::current_exe() {
        Ok(exe) => Ok(client.daemon_binary(exe)),
        Err(e) => {
            // Only starting a daemon needs it; that step will say so.
            log::debug!("cannot find this rpm binary: {e}");
            Ok(client)
        }
    }
}

/// The completion script for `shell`, generated from the clap definitions (the files in
/// `packaging/completions/` are this output; a test fails when they drift).
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "rpm", &mut out);
    out
}

/// Replaces ecosystem-file targets by the names of their apps.
fn expand(args: args::TargetArgs, stopping: bool) -> Result<Vec<String>, CliError> {
    let mut out = Vec::new();
    for target in args.targets {
        if crate::config::is_ecosystem_file(&target) {
            out.extend(files::targets(&target, &args.only, stopping)?);
        } else {
            out.push(target);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use clap_complete::Shell;

    /// The committed completion scripts are what the binary generates.
    /// `RPM_WRITE_COMPLETIONS=1 cargo test --lib completions` rewrites them.
    #[test]
    fn committed_completions_match_the_command_line() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/completions");
        for (shell, file) in [
            (Shell::Bash, "rpm.bash"),
            (Shell::Zsh, "_rpm"),
            (Shell::Fish, "rpm.fish"),
        ] {
            let generated = super::completions(shell);
            let path = dir.join(file);
            if std::env::var_os("RPM_WRITE_COMPLETIONS").is_some() {
                std::fs::create_dir_all(&dir).expect("create packaging/completions");
                std::fs::write(&path, &generated).expect("write completions");
            }
            let committed = std::fs::read(&path).unwrap_or_default();
            assert!(
                committed == generated,
                "{} is stale: regenerate with `RPM_WRITE_COMPLETIONS=1 cargo test --lib completions`",
                path.display()
            );
        }
    }
}
