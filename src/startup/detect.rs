//! Which init system runs here: a pure choice over what can be seen (`detect`), and the
//! thin function that looks (`observe`).

use std::path::Path;

use super::system::InitSystem;

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
