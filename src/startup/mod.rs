//! Boot scripts: `rpm startup` and `rpm unstartup` for systemd, launchd, OpenRC, upstart,
//! SysV init and FreeBSD's rc.d.
//!
//! Everything here is pure except `account` (the user database), `observe` (which init
//! system this machine runs) and `install` (carrying out a plan): `Boot::resolve` checks
//! and gathers every value a script needs, one renderer per init system writes the script
//! from them (each value quoted by `quote` for the script's language), and `plan` lists
//! the files, links and commands that install or remove it. Used by `cli/startup.rs`;
//! imports nothing above it.

pub mod account;
mod install;
pub mod names;
pub mod quote;

mod launchd;
mod openrc;
mod rcd;
mod shell;
mod systemd;
mod sysv;
mod upstart;

use std::path::{Path, PathBuf};

use thiserror::Error;

pub use account::Account;
pub use install::{apply, under};

/// The init systems rpm writes boot scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum InitSystem {
    Systemd,
    Launchd,
    Openrc,
    Upstart,
    Systemv,
    Rcd,
}

impl InitSystem {
    pub fn name(self) -> &'static str {
        match self {
            InitSystem::Systemd => "systemd",
            InitSystem::Launchd => "launchd",
            InitSystem::Openrc => "openrc",
            InitSystem::Upstart => "upstart",
            InitSystem::Systemv => "systemv",
            InitSystem::Rcd => "rcd",
        }
    }

    /// PM2's default names with rpm's prefix: `rpm-alice`; a launchd label `rpm.alice`;
    /// an rc.d name is a shell variable too, `rpm_alice`.
    pub fn default_service_name(self, user: &str) -> String {
        match self {
            InitSystem::Launchd => format!("rpm.{user}"),
            InitSystem::Rcd => format!("rpm_{}", user.replace(['.', '-', '$'], "_")),
            _ => format!("rpm-{user}"),
        }
    }
}

/// Why a boot script cannot be written, installed or removed.
#[derive(Debug, Error)]
pub enum StartupError {
    #[error("invalid service name {name:?}: {reason}")]
    InvalidServiceName { name: String, reason: String },
    #[error("invalid user name {name:?}: use letters, digits and `_.-` (an optional final `$`)")]
    InvalidUserName { name: String },
    #[error("no user {name:?} in the user database (getpwnam, getent passwd, /etc/passwd): check --user")]
    UnknownUser { name: String },
    #[error("no user has uid {uid} in the user database: name one with --user")]
    UnknownUid { uid: u32 },
    #[error("{what} {value:?} cannot go into a boot script: {reason}")]
    UnsafeValue {
        what: &'static str,
        value: String,
        reason: &'static str,
    },
    #[error("cannot tell which init system runs here: name it, e.g. `rpm startup systemd` (systemd, launchd, openrc, upstart, systemv, rcd)")]
    NoInitSystem,
    #[error("cannot find this rpm binary's path: {0}")]
    NoBinary(std::io::Error),
    #[error("installing a boot script needs root: run the command above, or add --print to see the script")]
    NeedsRoot,
    #[error("--root {}: {reason}", path.display())]
    BadRoot { path: PathBuf, reason: &'static str },
    #[error("no boot script at {}: nothing to remove (installed with another --service-name, --user or --root?)", path.display())]
    NotInstalled { path: PathBuf },
    #[error("cannot {what} {}: {source}", path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("`{command}` failed ({status}); the steps before it were done")]
    CommandFailed { command: String, status: String },
}

impl StartupError {
    /// Bad usage (a name or value refused): exit 2; anything else: exit 1.
    pub fn is_usage(&self) -> bool {
        matches!(
            self,
            StartupError::InvalidServiceName { .. }
                | StartupError::InvalidUserName { .. }
                | StartupError::UnknownUser { .. }
                | StartupError::UnsafeValue { .. }
                | StartupError::BadRoot { .. }
        )
    }
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub user: Option<String>,
    /// `--hp`: the user's home directory.
    pub home_dir: Option<PathBuf>,
    pub service_name: Option<String>,
}

/// What the environment of `rpm startup` says, read by the caller (`Host::read`).
#[derive(Debug, Clone)]
pub struct Host {
    pub euid: u32,
    /// The rpm binary, resolved.
    pub rpm_bin: PathBuf,
    pub path: Option<String>,
    /// `RPM_HOME`, when set.
    pub rpm_home: Option<PathBuf>,
    /// The current directory, to make a relative `RPM_HOME` or `--hp` absolute.
    pub cwd: PathBuf,
}

impl Host {
    pub fn read() -> Result<Host, StartupError> {
        let rpm_bin = std::env::current_exe()
            .and_then(|p| p.canonicalize())
            .map_err(StartupError::NoBinary)?;
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        Ok(Host {
            euid: nix::unistd::geteuid().as_raw(),
            rpm_bin,
            path: std::env::var("PATH").ok().filter(|p| !p.is_empty()),
            rpm_home: std::env::var_os("RPM_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            cwd,
        })
    }
}

/// PATH when the caller has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Every value a boot script is made of, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    pub system: InitSystem,
    pub service_name: String,
    pub user: Account,
    /// The user's home (`--hp`, else the user database's).
    pub user_home: String,
    pub rpm_home: String,
    pub rpm_bin: String,
    pub path: String,
}

impl Boot {
    /// Gathers and checks the values: the user from the user database, `RPM_HOME` as PM2
    /// resolves PM2_HOME (`RPM_HOME` if set, else `<home>/.rpm`), the caller's PATH.
    pub fn resolve(
        system: InitSystem,
        request: &Request,
        host: &Host,
        lookup: impl Fn(&str) -> Result<Account, StartupError>,
        lookup_uid: impl Fn(u32) -> Result<Account, StartupError>,
    ) -> Result<Boot, StartupError> {
        let user = match &request.user {
            Some(name) => {
                names::check_user_name(name)?;
                lookup(name)?
            }
            None => lookup_uid(host.euid)?,
        };
        names::check_user_name(&user.name)?;
        names::check_user_name(&user.group)?;
        let absolute = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                host.cwd.join(p)
            }
        };
        let user_home = absolute(request.home_dir.as_deref().unwrap_or(&user.home));
        let rpm_home = match &host.rpm_home {
            Some(dir) => absolute(dir),
            None => user_home.join(".rpm"),
        };
        let service_name = request
            .service_name
            .clone()
            .unwrap_or_else(|| system.default_service_name(&user.name));
        names::check_service_name(system, &service_name)?;
        let text = |what: &'static str, p: &Path| -> Result<String, StartupError> {
            let s = p.to_str().ok_or_else(|| StartupError::UnsafeValue {
                what,
                value: p.display().to_string(),
                reason: "it is not valid UTF-8",
            })?;
            names::check_value(what, s)?;
            Ok(s.to_string())
        };
        let rpm_bin = text("the rpm binary's path", &host.rpm_bin)?;
        if system == InitSystem::Systemd {
            names::check_executable(&rpm_bin)?;
        }
        let path = host
            .path
            .clone()
            .unwrap_or_else(|| DEFAULT_PATH.to_string());
        names::check_value("PATH", &path)?;
        Ok(Boot {
            system,
            service_name,
            user_home: text("the home directory", &user_home)?,
            rpm_home: text("RPM_HOME", &rpm_home)?,
            rpm_bin,
            path,
            user,
        })
    }

    /// Whether the script runs rpm as root (no user switch written).
    pub fn as_root(&self) -> bool {
        self.user.uid == 0
    }

    /// Where the script is installed on a live system.
    pub fn script_path(&self) -> PathBuf {
        let name = &self.service_name;
        match self.system {
            InitSystem::Systemd => PathBuf::from(format!("/etc/systemd/system/{name}.service")),
            InitSystem::Launchd => {
                Path::new(&self.user_home).join(format!("Library/LaunchAgents/{name}.plist"))
            }
            InitSystem::Openrc | InitSystem::Systemv => {
                PathBuf::from(format!("/etc/init.d/{name}"))
            }
            InitSystem::Upstart => PathBuf::from(format!("/etc/init/{name}.conf")),
            InitSystem::Rcd => PathBuf::from(format!("/usr/local/etc/rc.d/{name}")),
        }
    }

    /// The boot script itself.
    pub fn render(&self) -> String {
        match self.system {
            InitSystem::Systemd => systemd::render(self),
            InitSystem::Launchd => launchd::render(self),
            InitSystem::Openrc => openrc::render(self),
            InitSystem::Upstart => upstart::render(self),
            InitSystem::Systemv => sysv::render(self),
            InitSystem::Rcd => rcd::render(self),
        }
    }
}

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
        contents: boot.render(),
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

/// What can be seen of the machine's init system.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Observations {
    /// macOS, or `launchctl` on PATH.
    pub launchctl: bool,
    /// `/run/systemd/system` exists: booted with systemd (sd_booted(3)).
    pub run_systemd: bool,
    /// `/run/openrc` or `/sbin/openrc-run` exists.
    pub openrc: bool,
    /// `/sbin/initctl` and `/etc/init` exist (upstart's control tool and job folder).
    pub upstart: bool,
    /// `/etc/rc.subr` exists (FreeBSD's rc.d).
    pub rc_subr: bool,
    /// `/etc/init.d` exists.
    pub init_d: bool,
}

/// The init system the observations point to; systemd first, as PM2 does.
pub fn detect(seen: Observations) -> Option<InitSystem> {
    if seen.launchctl {
        Some(InitSystem::Launchd)
    } else if seen.run_systemd {
        Some(InitSystem::Systemd)
    } else if seen.openrc {
        Some(InitSystem::Openrc)
    } else if seen.upstart {
        Some(InitSystem::Upstart)
    } else if seen.rc_subr {
        Some(InitSystem::Rcd)
    } else if seen.init_d {
        Some(InitSystem::Systemv)
    } else {
        None
    }
}

/// Whether `program` is an executable file in one of PATH's folders.
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Looks at this machine.
pub fn observe() -> Observations {
    let exists = |p: &str| Path::new(p).exists();
    Observations {
        launchctl: cfg!(target_os = "macos") || on_path("launchctl"),
        run_systemd: exists("/run/systemd/system"),
        openrc: exists("/run/openrc") || exists("/sbin/openrc-run"),
        upstart: exists("/sbin/initctl") && exists("/etc/init"),
        rc_subr: exists("/etc/rc.subr"),
        init_d: exists("/etc/init.d"),
    }
}

#[cfg(test)]
mod tests;
