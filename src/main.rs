//! The `rpm` binary: run the daemon for `rpm daemon`, the CLI for everything else, and map
//! errors to exit codes.
//!
//! The daemon is dispatched here, not by the CLI, so `cli/` never imports `daemon/`: the
//! CLI talks to the daemon only through `rpm::Client`.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

use std::ffi::OsString;

use rpm::cli::Outcome;
use rpm::daemon::foreground_run::{RunOutput, RunPlan};
use rpm::daemon::{Boot, Mode};

fn main() {
    // The daemon starts without clap: the pages of a command-line parser it never needs
    // again would otherwise stay in its resident memory for as long as it runs.
    let argv: Vec<OsString> = std::env::args_os().skip(1).collect();
    if let Some((mode, boot)) = daemon_mode(&argv) {
        run_daemon(mode, boot);
        return;
    }
    match rpm::cli::run() {
        Ok(Outcome::Done) => {}
        Ok(Outcome::Daemon {
            foreground,
            reexec,
            resurrect,
        }) => run_daemon(
            mode_of(foreground, reexec),
            Boot {
                resurrect,
                run: None,
            },
        ),
        Ok(Outcome::Run { apps, raw, json }) => {
            let output = match (raw, json) {
                (_, true) => RunOutput::Json,
                (true, false) => RunOutput::Raw,
                (false, false) => RunOutput::Prefixed,
            };
            let plan = RunPlan { apps, output };
            run_daemon(
                Mode::Run,
                Boot {
                    resurrect: false,
                    run: Some(plan),
                },
            )
        }
        Err(e) if e.is_broken_pipe() => {}
        Err(e) => {
            eprintln!("{}", e.render());
            std::process::exit(e.exit_code());
        }
    }
}

/// Runs the supervisor until a planned stop; a daemon that cannot start exits 1 with
/// its sentence.
fn run_daemon(mode: Mode, boot: Boot) {
    let result = rpm::paths::Home::from_env()
        .map_err(rpm::daemon::DaemonError::from)
        .and_then(|home| rpm::daemon::run(home, mode, boot));
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// `rpm daemon [--foreground | --reexec] [--resurrect]` (flags in any order, each once),
/// recognised without the full parser. Other spellings (`--help`, `--foreground` with
/// `--reexec`, repeated flags) go through clap, which shows help or hands back
/// `Outcome::Daemon`.
fn daemon_mode(argv: &[OsString]) -> Option<(Mode, Boot)> {
    let args: Vec<&str> = argv.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    let (first, flags) = args.split_first()?;
    if *first != "daemon" {
        return None;
    }
    let (mut foreground, mut reexec, mut resurrect) = (false, false, false);
    for flag in flags {
        let seen = match *flag {
            "--foreground" => &mut foreground,
            "--reexec" => &mut reexec,
            "--resurrect" => &mut resurrect,
            _ => return None,
        };
        if *seen {
            return None;
        }
        *seen = true;
    }
    if foreground && reexec {
        return None;
    }
    let boot = Boot {
        resurrect,
        run: None,
    };
    Some((mode_of(foreground, reexec), boot))
}

/// The mode clap's `rpm daemon` flags ask for: `--reexec` wins, as it always has.
fn mode_of(foreground: bool, reexec: bool) -> Mode {
    if reexec {
        Mode::Reexec
    } else if foreground {
        Mode::Foreground
    } else {
        Mode::Background
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemon_forms_are_recognised_without_clap() {
        let plain = Boot::default();
        let resurrect = Boot {
            resurrect: true,
            run: None,
        };
        type Row<'a> = (&'a [&'a str], Option<(Mode, Boot)>);
        let rows: &[Row] = &[
            (&["daemon"], Some((Mode::Background, plain.clone()))),
            (
                &["daemon", "--foreground"],
                Some((Mode::Foreground, plain.clone())),
            ),
            (&["daemon", "--reexec"], Some((Mode::Reexec, plain.clone()))),
            (
                &["daemon", "--foreground", "--resurrect"],
                Some((Mode::Foreground, resurrect.clone())),
            ),
            (
                &["daemon", "--resurrect", "--foreground"],
                Some((Mode::Foreground, resurrect.clone())),
            ),
            (
                &["daemon", "--resurrect"],
                Some((Mode::Background, resurrect)),
            ),
            (&["daemon", "--help"], None),
            (&["daemon", "--foreground", "--reexec"], None),
            (&["daemon", "--resurrect", "--resurrect"], None),
            (&["daemon", "--foreground", "--bogus"], None),
            (&["list"], None),
            (&[], None),
        ];
        for (args, want) in rows {
            let argv: Vec<OsString> = args.iter().map(OsString::from).collect();
            assert_eq!(daemon_mode(&argv), *want, "{args:?}");
        }
        assert_eq!(mode_of(true, true), Mode::Reexec);
        assert_eq!(mode_of(true, false), Mode::Foreground);
        assert_eq!(mode_of(false, false), Mode::Background);
    }
}
