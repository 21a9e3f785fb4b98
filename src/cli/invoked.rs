//! The name the CLI was invoked as, and command hints rewritten to use it.
//!
//! The binary is `rpm` on Debian and Homebrew but `rpmpm` in the .rpm package (Fedora,
//! RHEL and SUSE have their own `rpm`), and anyone may link it under another name. Usage
//! lines, `--version`, completions, man pages and every "run `rpm …`" hint then say the
//! name the user typed. The CLI's own messages format it in; sentences written below the
//! CLI (the daemon's errors and notices, the client's, the config loader's) name the
//! command `rpm`, in backticks, and `retarget_hints` rewrites them as the CLI prints them:
//! only the CLI knows how it was invoked, and one daemon may serve CLIs of either name.
//! Prose that names the product ("the rpm daemon") stays as it is.

use std::borrow::Cow;
use std::ffi::OsStr;
use std::path::Path;
#[cfg(not(test))]
use std::sync::OnceLock;

/// The name a hint uses when argv[0] gives none: the crate's binary name.
pub const DEFAULT_NAME: &str = "rpm";

/// The file name of this process's argv[0] (`rpmpm` for `/usr/bin/rpmpm`), or `rpm`.
#[cfg(not(test))]
pub fn invoked_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| name_from_argv0(std::env::args_os().next().as_deref()))
}

/// Unit tests run as cargo's test binary (`rpm-<hash>`): they check the messages the
/// `rpm` binary prints. The real lookup is tested end to end (tests/e2e/invoked_name.rs).
#[cfg(test)]
pub fn invoked_name() -> &'static str {
    DEFAULT_NAME
}

/// The command name in an argv[0]: its file name, when that is printable UTF-8 without
/// spaces; `rpm` otherwise (a missing argv[0], `""`, `/`, non-UTF-8 bytes), so a hint
/// never shows a name the user could not type back.
pub fn name_from_argv0(argv0: Option<&OsStr>) -> String {
    argv0
        .and_then(|a| Path::new(a).file_name())
        .and_then(OsStr::to_str)
        .filter(|n| !n.is_empty() && !n.chars().any(|c| c.is_whitespace() || c.is_control()))
        .unwrap_or(DEFAULT_NAME)
        .to_string()
}

/// `text` with each command hint's leading `rpm` replaced by `name`: `rpm ` right after
/// a backtick (`` `rpm list` ``) or after `&& ` in a command line (`cp a b && rpm
/// resurrect`). Other words containing rpm are left alone.
pub fn retarget_hints<'a>(text: &'a str, name: &str) -> Cow<'a, str> {
    const WORD: &str = "rpm ";
    if name == DEFAULT_NAME || !text.contains(WORD) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find(WORD) {
        let before = &rest[..at];
        let starts_command = before.ends_with('`') || before.ends_with("&& ");
        out.push_str(before);
        out.push_str(if starts_command { name } else { "rpm" });
        out.push(' ');
        rest = &rest[at + WORD.len()..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// The clap command line as the command `name`: its name (usage lines, `--version`) and
/// the hints in its help texts ("saved by `rpm save`") say `name`.
pub fn command_named(name: &'static str) -> clap::Command {
    use clap::CommandFactory;
    retargeted(super::args::Cli::command().name(name), name)
}

/// `command` (named `name`, set up as its caller wants it built) with the hints in its
/// help texts saying `name`.
pub fn retargeted(mut command: clap::Command, name: &'static str) -> clap::Command {
    if name == DEFAULT_NAME {
        return command;
    }
    // Subcommands build their arguments only when invoked (`defer`): build them all now,
    // so that their help texts are there to retarget.
    command.build();
    let retarget_args = |command: clap::Command| {
        command.mut_args(|arg| match arg.get_help().map(ToString::to_string) {
            Some(help) => {
                let help = retarget_hints(&help, name).into_owned();
                arg.help(help)
            }
            None => arg,
        })
    };
    retarget_args(command).mut_subcommands(|sub| {
        let sub = match sub.get_about().map(ToString::to_string) {
            Some(about) => {
                let about = retarget_hints(&about, name).into_owned();
                sub.about(about)
            }
            None => sub,
        };
        retarget_args(sub)
    })
}

/// `retarget_hints` for the name this process was invoked as.
pub fn with_invoked_name(text: &str) -> Cow<'_, str> {
    retarget_hints(text, invoked_name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_name_is_argv0s_file_name() {
        let rows: &[(Option<&str>, &str)] = &[
            (Some("/usr/bin/rpmpm"), "rpmpm"),
            (Some("rpm"), "rpm"),
            (Some("./target/debug/rpm"), "rpm"),
            (Some("/tmp/links/pm"), "pm"),
            (Some("rpm-pm"), "rpm-pm"),
            (None, "rpm"),
            (Some(""), "rpm"),
            (Some("/"), "rpm"),
            (Some("/usr/bin/my rpm"), "rpm"),
            (Some("/usr/bin/rpm\n"), "rpm"),
        ];
        for (argv0, want) in rows {
            assert_eq!(name_from_argv0(argv0.map(OsStr::new)), *want, "{argv0:?}");
        }
    }

    #[test]
    fn non_utf8_argv0_falls_back_to_rpm() {
        use std::os::unix::ffi::OsStrExt;
        let argv0 = OsStr::from_bytes(b"/usr/bin/rp\xffm");
        assert_eq!(name_from_argv0(Some(argv0)), "rpm");
    }

    #[test]
    fn hints_name_the_invoked_command_and_prose_keeps_the_product() {
        let rows: &[(&str, &str, &str)] = &[
            (
                "no app or namespace named `nope`: `rpm list` shows what rpm knows",
                "rpmpm",
                "no app or namespace named `nope`: `rpmpm list` shows what rpm knows",
            ),
            (
                "the running daemon is rpm 0.1.0 but this CLI is rpm 0.2.0: run `rpm update`",
                "rpmpm",
                "the running daemon is rpm 0.1.0 but this CLI is rpm 0.2.0: run `rpmpm update`",
            ),
            (
                "the previous save is in /h/dump.json.bak: cp /h/dump.json.bak /h/dump.json && rpm resurrect",
                "pm",
                "the previous save is in /h/dump.json.bak: cp /h/dump.json.bak /h/dump.json && pm resurrect",
            ),
            (
                "api errored; fix it, then `rpm restart api`; or `rpm delete api`",
                "rpmpm",
                "api errored; fix it, then `rpmpm restart api`; or `rpmpm delete api`",
            ),
            // Invoked as rpm: nothing changes, not even a copy.
            (
                "`rpm list` shows what rpm knows",
                "rpm",
                "`rpm list` shows what rpm knows",
            ),
            // No hint at all.
            (
                "no rpm daemon is running for /h",
                "rpmpm",
                "no rpm daemon is running for /h",
            ),
            // Words that only contain rpm, and `rpm` not followed by a command.
            (
                "`xrpm list` and `myrpm start` and rpmx ",
                "rpmpm",
                "`xrpm list` and `myrpm start` and rpmx ",
            ),
            ("", "rpmpm", ""),
        ];
        for (text, name, want) in rows {
            assert_eq!(retarget_hints(text, name), *want, "{text:?} as {name}");
        }
    }

    #[test]
    fn help_texts_name_the_command() {
        let about = |command: &clap::Command, sub: &str| {
            command
                .find_subcommand(sub)
                .and_then(|s| s.get_about())
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        let renamed = command_named("rpmpm");
        assert_eq!(renamed.get_name(), "rpmpm");
        assert_eq!(
            about(&renamed, "resurrect"),
            "Start the apps saved by `rpmpm save` that are not running"
        );
        let own = command_named("rpm");
        assert_eq!(
            about(&own, "resurrect"),
            "Start the apps saved by `rpm save` that are not running"
        );
    }

    #[test]
    fn unchanged_text_is_borrowed() {
        let text = "`rpm list` shows the ids";
        assert!(matches!(retarget_hints(text, "rpm"), Cow::Borrowed(_)));
        assert!(matches!(
            retarget_hints("no hint here", "rpmpm"),
            Cow::Borrowed(_)
        ));
    }
}
