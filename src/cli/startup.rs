//! `rpm startup` and `rpm unstartup`: choose the init system, resolve the values, then
//! print the script, install it (as root, or under `--root DIR`), or say which `sudo`
//! command to run. The scripts, plans and checks are `crate::startup`'s.

use std::io::Write;
use std::path::PathBuf;

use super::args::{BootArgs, StartupArgs};
use super::error::CliError;
use crate::startup::{self, account, quote, Boot, Host, InitSystem, Request, StartupError, Target};

pub fn startup(args: &StartupArgs) -> Result<(), CliError> {
    let host = Host::read()?;
    let boot = resolve(&args.boot, &host)?;
    let mut stdout = std::io::stdout().lock();
    if args.print {
        stdout.write_all(startup::render(&boot).as_bytes())?;
        return Ok(());
    }
    let root = checked_root(&args.boot)?;
    if root.is_none() && !may_install(&boot, host.euid) {
        return needs_root(&mut stdout, "install", "startup", &boot, &host);
    }
    let steps = startup::plan_install(&boot, target(root.is_some(), host.euid));
    startup::apply(&steps, root.as_deref(), &mut stdout)?;
    writeln!(
        stdout,
        "rpm will start at boot as {} with RPM_HOME={}; `rpm save` sets the apps it brings back; `rpm unstartup {}` removes this",
        boot.user.name,
        quote::sh(&boot.rpm_home),
        boot.system.name()
    )?;
    Ok(())
}

/// Prints the command that would `doing` the boot script as root (`verb` with the same
/// options under sudo), and fails with `NeedsRoot`.
fn needs_root(
    out: &mut impl Write,
    doing: &str,
    verb: &str,
    boot: &Boot,
    host: &Host,
) -> Result<(), CliError> {
    writeln!(out, "To {doing} the boot script, run as root:")?;
    writeln!(out, "  {}", sudo_command(verb, boot, host))?;
    Err(StartupError::NeedsRoot.into())
}

pub fn unstartup(args: &BootArgs) -> Result<(), CliError> {
    let host = Host::read()?;
    let boot = resolve(args, &host)?;
    let root = checked_root(args)?;
    let script = startup::under(root.as_deref(), &boot.script_path());
    if script.symlink_metadata().is_err() {
        return Err(StartupError::NotInstalled { path: script }.into());
    }
    let mut stdout = std::io::stdout().lock();
    if root.is_none() && !may_install(&boot, host.euid) {
        return needs_root(&mut stdout, "remove", "unstartup", &boot, &host);
    }
    let steps = startup::plan_uninstall(&boot, target(root.is_some(), host.euid));
    startup::apply(&steps, root.as_deref(), &mut stdout)?;
    writeln!(
        stdout,
        "boot script removed; a daemon running now keeps running (`rpm kill` stops it)"
    )?;
    Ok(())
}

fn resolve(args: &BootArgs, host: &Host) -> Result<Boot, StartupError> {
    let system = choose(args.system)?;
    let request = Request {
        user: args.user.clone(),
        home_dir: args.hp.clone(),
        service_name: args.service_name.clone(),
    };
    Boot::resolve(system, &request, host, account::by_name, account::by_uid)
}

/// The named init system, or the one detected here.
fn choose(named: Option<InitSystem>) -> Result<InitSystem, StartupError> {
    let detected = startup::detect(startup::observe());
    match (named, detected) {
        (Some(named), Some(seen)) if named != seen => {
            eprintln!(
                "note: this machine looks like {}, but the script is for {}",
                seen.name(),
                named.name()
            );
            Ok(named)
        }
        (Some(named), _) => Ok(named),
        (None, Some(seen)) => Ok(seen),
        (None, None) => Err(StartupError::NoInitSystem),
    }
}

/// `--root DIR`, which must be an existing folder.
fn checked_root(args: &BootArgs) -> Result<Option<PathBuf>, StartupError> {
    let Some(root) = &args.root else {
        return Ok(None);
    };
    if !root.is_dir() {
        return Err(StartupError::BadRoot {
            path: root.clone(),
            reason: "not an existing folder",
        });
    }
    root.canonicalize()
        .map(Some)
        .map_err(|source| StartupError::Io {
            what: "resolve",
            path: root.clone(),
            source,
        })
}

/// Root may install anything; a user may install their own launchd agent.
fn may_install(boot: &Boot, euid: u32) -> bool {
    euid == 0 || (boot.system == InitSystem::Launchd && euid == boot.user.uid)
}

fn target(under_root: bool, euid: u32) -> Target {
    if under_root {
        Target::Root
    } else {
        Target::Live {
            update_rc_d: startup::on_path("update-rc.d"),
            euid,
        }
    }
}

/// The command a user without root pastes, as PM2 prints it: this binary, the caller's
/// PATH, RPM_HOME if it was set, and the resolved user and home.
pub fn sudo_command(verb: &str, boot: &Boot, host: &Host) -> String {
    let mut words = vec![
        "sudo".to_string(),
        "env".to_string(),
        "PATH=\"$PATH\"".to_string(),
    ];
    if host.rpm_home.is_some() {
        words.push(quote::sh(&format!("RPM_HOME={}", boot.rpm_home)));
    }
    words.push(quote::sh(&boot.rpm_bin));
    words.push(verb.to_string());
    words.push(boot.system.name().to_string());
    words.push("--user".to_string());
    words.push(quote::sh(&boot.user.name));
    words.push("--hp".to_string());
    words.push(quote::sh(&boot.user_home));
    if boot.service_name != boot.system.default_service_name(&boot.user.name) {
        words.push("--service-name".to_string());
        words.push(quote::sh(&boot.service_name));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::startup::Account;
    use std::path::Path;

    fn boot(system: InitSystem, rpm_home_set: bool, home: &str) -> (Boot, Host) {
        let host = Host {
            euid: 1000,
            rpm_bin: PathBuf::from("/opt/my rpm/rpm"),
            path: Some("/usr/bin:/bin".into()),
            rpm_home: rpm_home_set.then(|| PathBuf::from("/srv/rpm state")),
            home: Some(Path::new(home).to_path_buf()),
            cwd: PathBuf::from("/"),
        };
        let alice = Account {
            name: "alice".into(),
            uid: 1000,
            gid: 1000,
            group: "alice".into(),
            home: Path::new(home).to_path_buf(),
        };
        let lookup = |_: &str| Ok(alice.clone());
        let request = Request::default();
        let b = Boot::resolve(system, &request, &host, lookup, |_| Ok(alice.clone()))
            .expect("resolves");
        (b, host)
    }

    #[test]
    fn a_user_without_root_is_given_the_sudo_line() {
        let rows = [
            (
                InitSystem::Systemd,
                false,
                "/home/alice",
                "sudo env PATH=\"$PATH\" '/opt/my rpm/rpm' startup systemd --user alice --hp /home/alice",
            ),
            (
                InitSystem::Openrc,
                true,
                "/home/it's me",
                "sudo env PATH=\"$PATH\" 'RPM_HOME=/srv/rpm state' '/opt/my rpm/rpm' startup openrc --user alice --hp '/home/it'\\''s me'",
            ),
        ];
        for (system, rpm_home_set, home, want) in rows {
            let (b, host) = boot(system, rpm_home_set, home);
            assert_eq!(sudo_command("startup", &b, &host), want);
            assert!(!may_install(&b, host.euid));
        }
        let (b, host) = boot(InitSystem::Launchd, false, "/Users/alice");
        assert!(
            may_install(&b, host.euid),
            "one's own launchd agent needs no root"
        );
        assert!(may_install(&b, 0));
    }
}
