//! `Boot`: every value a boot script is made of, gathered from the command line, the
//! environment and the user database, and checked before anything is written.

use std::path::{Path, PathBuf};

use super::account::Account;
use super::error::StartupError;
use super::names;
use super::system::InitSystem;

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
    /// `HOME`, when set: the home of a user who names no `--user`, as PM2 takes it.
    pub home: Option<PathBuf>,
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
            home: std::env::var_os("HOME")
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
    /// resolves PM2_HOME (`RPM_HOME` if set, else `<home>/.rpm`, the home being `--hp`,
    /// your `HOME` without `--user`, else the user database's), the caller's PATH.
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
        // `--hp`; else your own HOME when you name no user; else the database's home.
        let own_home = host.home.as_deref().filter(|_| request.user.is_none());
        let user_home = absolute(
            request
                .home_dir
                .as_deref()
                .or(own_home)
                .unwrap_or(&user.home),
        );
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
}
