//! The CLI: parses the command line where the user stands, resolves scripts and files into
//! `AppSpec`s, and talks to the daemon through `rpm::Client`.
//!
//! One file per verb group: `start` (start), `control` (stop, restart, delete, reset,
//! signal, kill, ping, update, save, flush, reload-logs), `show` (list, jlist, prettylist,
//! describe, env), `files` (ecosystem files, apply, validate, init), `export`, `convert`, `logs`, `events`,
//! `startup` (startup, unstartup: boot scripts, without a daemon),
//! `web` (starts, stops or runs the `rpm web` server), `table` (the process table); `rpm monit` is the dashboard of `crate::monit`; `man_pages` and completions (generated from the clap
//! definitions), `invoked` (the name the CLI was invoked as, used in every hint). `rpm
//! daemon` is run by the binary's `main`, not here.

pub mod args;
mod control;
mod convert;
mod error;
mod events;
mod export;
mod files;
pub mod invoked;
mod logs;
pub mod man_pages;
mod not_built;
mod overrides;
mod show;
mod start;
mod startup;
mod table;
mod targets;
mod terminal;
mod web;

use std::io::Write;

use clap::FromArgMatches;

use crate::ipc::WatchChange;
use args::{Cli, Command};
pub use error::CliError;
pub use invoked::invoked_name;

/// What `run` leaves to its caller.
#[derive(Debug, Clone, PartialEq)]
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
        /// `--resurrect`: bring back `dump.json`'s apps that are not running.
        resurrect: bool,
    },
    /// `rpm run FILE`: `main` runs the supervisor in the foreground with these apps,
    /// resolved here like `rpm start FILE`'s.
    Run {
        apps: Vec<crate::config::AppSpec>,
        /// `--raw`: lines as written, no prefix.
        raw: bool,
        /// `--json`: one JSON object per line.
        json: bool,
    },
}

/// Parses the process's arguments and runs the command.
pub fn run() -> Result<Outcome, CliError> {
    let cli = match parse(invoked_name()) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = e.print();
                    return Ok(Outcome::Done);
                }
                // `rpm` alone: the usage, and bad usage's exit status.
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    return Err(CliError::Help(e.render().to_string()));
                }
                ErrorKind::InvalidSubcommand => {
                    let verb = std::env::args().nth(1).unwrap_or_default();
                    if let Some(pm2) = not_built::pm2_verb(&verb) {
                        return Err(CliError::Usage(pm2));
                    }
                }
                _ => {}
            }
            return Err(CliError::Usage(usage_sentence(&e.render().to_string())));
        }
    };
    terminal::set_preferences(cli.no_color, cli.silent);
    dispatch(cli.command)
}

/// clap's error as one line: its sentence with the details it lists (the missing
/// arguments, "a similar subcommand exists", "to pass '--nmae' as a value…"), without
/// the usage block.
fn usage_sentence(rendered: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    for line in rendered.lines() {
        let line = line.trim();
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if line.is_empty() {
            continue;
        }
        let line = line.trim_start_matches("error: ");
        let line = line.strip_prefix("tip: ").unwrap_or(line);
        parts.push(line.to_string());
    }
    let mut sentence = match parts.split_first() {
        Some((first, rest)) if first.ends_with(':') => format!("{first} {}", rest.join(", ")),
        Some((first, rest)) if !rest.is_empty() => format!("{first}; {}", rest.join("; ")),
        Some((first, _)) => first.clone(),
        None => "invalid usage".to_string(),
    };
    sentence.push_str(&format!(" (see `{} --help`)", invoked_name()));
    sentence
}

/// Parses the process's arguments as the command `name`: usage lines, `--help` and
/// `--version` say the name the user typed.
fn parse(name: &'static str) -> Result<Cli, clap::Error> {
    let matches = invoked::command_named(name).try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

fn dispatch(command: Command) -> Result<Outcome, CliError> {
    // Commands that need no daemon and no client: boot scripts, and what is generated
    // from the definitions alone (they work where no RPM_HOME can be found, as in a
    // package build's sandbox).
    match &command {
        Command::Startup(args) => return startup::startup(args).map(|()| Outcome::Done),
        Command::Unstartup(args) => return startup::unstartup(args).map(|()| Outcome::Done),
        Command::Completions { shell } => {
            std::io::stdout().write_all(&completions(*shell, invoked_name()))?;
            return Ok(Outcome::Done);
        }
        Command::ManPages { dir } => {
            man_pages::write_man_pages(dir, invoked_name())?;
            return Ok(Outcome::Done);
        }
        _ => {}
    }
    let client = cli_client()?;
    match command {
        Command::Start(args) | Command::StartOrRestart(args) => start::start(&client, *args),
        Command::StartOrReload(args) => files::start_or_reload(&client, &args),
        Command::Apply(args) => files::apply(&client, &args),
        Command::Run(args) => {
            let apps = files::load(&args.file, args.env.as_deref(), &args.only, args.strict)?;
            return Ok(Outcome::Run {
                apps,
                raw: args.raw,
                json: args.json,
            });
        }
        Command::Export(args) => export::export(&args),
        Command::Convert(args) => convert::convert(&args),
        Command::Validate { file, env, strict } => files::validate(&file, env.as_deref(), strict),
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
        Command::Restart(r) => {
            if r.targets.watch {
                let names = expand(r.targets.targets.clone(), false)?;
                control::set_watch(&client, &names, WatchChange::Toggle)?;
            }
            control::restart(&client, r.targets.targets, &r.env)
        }
        Command::Reload(r) => control::reload(&client, r.targets, &r.env),
        Command::Scale { name, count } => control::scale(&client, &name, &count),
        Command::Delete(t) => control::delete(&client, expand(t, true)?),
        Command::Reset(t) => control::reset(&client, t.targets),
        Command::Signal { signal, targets } => control::signal(&client, signal, targets),
        Command::List => show::list(&client),
        Command::Jlist { pm2 } => show::jlist(&client, false, pm2),
        Command::Prettylist { pm2 } => show::jlist(&client, true, pm2),
        Command::Describe { target } => show::describe(&client, target),
        Command::Env { target } => show::env(&client, &target),
        Command::Pid { name } => show::pid(&client, name.as_deref()),
        Command::Id { name } => show::id(&client, &name),
        Command::Ping => control::ping(&client),
        Command::Kill => control::kill(&client),
        Command::Update => control::update(&client),
        Command::Save => control::save(&client),
        Command::Resurrect => control::resurrect(&client),
        Command::Logs(args) => logs::logs(&client, &args),
        Command::Events { targets, json } => events::events(&client, &targets, json),
        Command::Web(args) => web::web(client, &args),
        Command::Monit => crate::monit::run(&client).map_err(CliError::from),
        Command::Flush { targets } => control::flush(&client, targets),
        Command::ReloadLogs => control::reload_logs(&client),
        // Written above, before a client exists.
        Command::Completions { .. } | Command::ManPages { .. } => Ok(()),
        Command::Startup(_) | Command::Unstartup(_) => Ok(()),
        Command::Daemon {
            foreground,
            reexec,
            resurrect,
        } => {
            return Ok(Outcome::Daemon {
                foreground,
                reexec,
                resurrect,
            })
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

/// The completion script for `shell` and the command `name`, generated from the clap
/// definitions (the files in `packaging/completions/` are this output for `rpm`; a test
/// fails when they drift).
pub fn completions(shell: clap_complete::Shell, name: &'static str) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut invoked::command_named(name), name, &mut out);
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
            let generated = super::completions(shell, "rpm");
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
