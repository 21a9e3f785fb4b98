//! The init systems rpm writes boot scripts for, and their default service names.

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
