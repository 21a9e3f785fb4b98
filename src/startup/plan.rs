//! The pure planner: the files, links, rc.conf records and commands that install or
//! remove a boot script, on the live system or under `--root`. `install` carries it out.

use std::path::{Path, PathBuf};

use super::boot::Boot;
use super::quote;
use super::render::render;
use super::system::InitSystem;

/// One thing `install::apply` does. Paths are absolute on the live system; under
/// `--root DIR` they are taken inside DIR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Write {
        path: PathBuf,
        contents: String,
        mode: u32,
        /// Given to this uid/gid (a launchd agent in the user's home).
        owner: Option<(u32, u32)>,
    },
    /// A symbolic link at `path` pointing to `target` (as written, not resolved).
    Link {
        path: PathBuf,
        target: PathBuf,
    },
    Remove {
        path: PathBuf,
    },
    /// Sets (`Some`) or removes (`None`) `name="value"` in an rc.conf file.
    RcVar {
        file: PathBuf,
        name: String,
        value: Option<String>,
    },
    /// A command of the live init system (never planned under `--root`).
    Run {
        argv: Vec<String>,
    },
    /// Something the user should do by hand.
    Note(String),
}

/// Where the plan is carried out, and what the planner knows of that machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The live system; `update_rc_d`: Debian's `update-rc.d` is there (else `chkconfig`);
    /// `euid`: who runs rpm (launchctl loads an agent only for its own user).
    Live { update_rc_d: bool, euid: u32 },
    /// A scratch root: write the links and records the enable commands would, run nothing.
    Root,
}

/// The steps that install and enable `boot`'s script.
pub fn plan_install(boot: &Boot, target: Target) -> Vec<Step> {
    let script = boot.script_path();
    let mode = match boot.system {
        InitSystem::Systemd | InitSystem::Launchd | InitSystem::Upstart => 0o644,
        _ => 0o755,
    };
    let owner = (boot.system == InitSystem::Launchd).then_some((boot.user.uid, boot.user.gid));
    let mut steps = vec![Step::Write {
        path: script.clone(),
        contents: render(boot),
        mode,
        owner,
    }];
    steps.extend(enable_steps(boot, target, &script));
    steps
}

/// The steps that disable and remove `boot`'s script.
pub fn plan_uninstall(boot: &Boot, target: Target) -> Vec<Step> {
    let script = boot.script_path();
    let mut steps = disable_steps(boot, target, &script);
    let remove = Step::Remove {
        path: script.clone(),
    };
    // systemd and upstart reread their configuration after the file is gone.
    match (boot.system, target) {
        (InitSystem::Systemd, Target::Live { .. }) | (InitSystem::Upstart, Target::Live { .. }) => {
            let last = steps.pop();
            steps.push(remove);
            steps.extend(last);
        }
        _ => steps.push(remove),
    }
    steps
}

fn run(argv: &[&str]) -> Step {
    Step::Run {
        argv: argv.iter().map(|s| s.to_string()).collect(),
    }
}

/// SysV runlevel links as `update-rc.d NAME defaults` makes them.
fn sysv_links(name: &str) -> Vec<(PathBuf, PathBuf)> {
    let target = PathBuf::from(format!("../init.d/{name}"));
    let start = ["2", "3", "4", "5"].map(|l| (l, 'S'));
    let stop = ["0", "1", "6"].map(|l| (l, 'K'));
    start
        .into_iter()
        .chain(stop)
        .map(|(level, kind)| {
            (
                PathBuf::from(format!("/etc/rc{level}.d/{kind}01{name}")),
                target.clone(),
            )
        })
        .collect()
}

fn wants_link(name: &str) -> PathBuf {
    PathBuf::from(format!(
        "/etc/systemd/system/multi-user.target.wants/{name}.service"
    ))
}

fn enable_steps(boot: &Boot, target: Target, script: &Path) -> Vec<Step> {
    let name = boot.service_name.as_str();
    let unit = format!("{name}.service");
    let plist = script.display().to_string();
    match (boot.system, target) {
        (InitSystem::Systemd, Target::Live { .. }) => vec![
            run(&["systemctl", "daemon-reload"]),
            run(&["systemctl", "enable", &unit]),
        ],
        (InitSystem::Systemd, Target::Root) => vec![Step::Link {
            path: wants_link(name),
            target: script.to_path_buf(),
        }],
        (InitSystem::Launchd, Target::Live { euid, .. }) if euid == boot.user.uid => {
            vec![run(&["launchctl", "load", "-w", &plist])]
        }
        (InitSystem::Launchd, _) => vec![Step::Note(format!(
            "as {}, load it now with: launchctl load -w {} (or log in again)",
            boot.user.name,
            quote::sh(&plist)
        ))],
        (InitSystem::Openrc, Target::Live { .. }) => {
            vec![run(&["rc-update", "add", name, "default"])]
        }
        (InitSystem::Openrc, Target::Root) => vec![Step::Link {
            path: PathBuf::from(format!("/etc/runlevels/default/{name}")),
            target: script.to_path_buf(),
        }],
        (InitSystem::Upstart, Target::Live { .. }) => {
            vec![run(&["initctl", "reload-configuration"])]
        }
        (InitSystem::Upstart, Target::Root) => Vec::new(),
        (InitSystem::Systemv, Target::Live { update_rc_d, .. }) => {
            if update_rc_d {
                vec![run(&["update-rc.d", name, "defaults"])]
            } else {
                vec![
                    run(&["chkconfig", "--add", name]),
                    run(&["chkconfig", name, "on"]),
                ]
            }
        }
        (InitSystem::Systemv, Target::Root) => sysv_links(name)
            .into_iter()
            .map(|(path, target)| Step::Link { path, target })
            .collect(),
        (InitSystem::Rcd, Target::Live { .. }) => {
            vec![run(&["sysrc", &format!("{name}_enable=YES")])]
        }
        (InitSystem::Rcd, Target::Root) => vec![Step::RcVar {
            file: PathBuf::from("/etc/rc.conf"),
            name: format!("{name}_enable"),
            value: Some("YES".to_string()),
        }],
    }
}

fn disable_steps(boot: &Boot, target: Target, script: &Path) -> Vec<Step> {
    let name = boot.service_name.as_str();
    let unit = format!("{name}.service");
    let plist = script.display().to_string();
    match (boot.system, target) {
        (InitSystem::Systemd, Target::Live { .. }) => vec![
            run(&["systemctl", "disable", &unit]),
            run(&["systemctl", "daemon-reload"]),
        ],
        (InitSystem::Systemd, Target::Root) => vec![Step::Remove {
            path: wants_link(name),
        }],
        (InitSystem::Launchd, Target::Live { euid, .. }) if euid == boot.user.uid => {
            vec![run(&["launchctl", "unload", "-w", &plist])]
        }
        (InitSystem::Launchd, _) => vec![Step::Note(format!(
            "as {}, unload the running agent with: launchctl remove {}",
            boot.user.name, name
        ))],
        (InitSystem::Openrc, Target::Live { .. }) => {
            vec![run(&["rc-update", "del", name, "default"])]
        }
        (InitSystem::Openrc, Target::Root) => vec![Step::Remove {
            path: PathBuf::from(format!("/etc/runlevels/default/{name}")),
        }],
        (InitSystem::Upstart, Target::Live { .. }) => {
            vec![run(&["initctl", "reload-configuration"])]
        }
        (InitSystem::Upstart, Target::Root) => Vec::new(),
        (InitSystem::Systemv, Target::Live { update_rc_d, .. }) => {
            if update_rc_d {
                vec![run(&["update-rc.d", "-f", name, "remove"])]
            } else {
                vec![run(&["chkconfig", "--del", name])]
            }
        }
        (InitSystem::Systemv, Target::Root) => sysv_links(name)
            .into_iter()
            .map(|(path, _)| Step::Remove { path })
            .collect(),
        (InitSystem::Rcd, Target::Live { .. }) => {
            vec![run(&["sysrc", "-x", &format!("{name}_enable")])]
        }
        (InitSystem::Rcd, Target::Root) => vec![Step::RcVar {
            file: PathBuf::from("/etc/rc.conf"),
            name: format!("{name}_enable"),
            value: None,
        }],
    }
}
