//! One boot script per init system, from its renderer.

use super::boot::Boot;
use super::system::InitSystem;
use super::{launchd, openrc, rcd, systemd, sysv, upstart};

/// The boot script `boot` describes.
pub fn render(boot: &Boot) -> String {
    match boot.system {
        InitSystem::Systemd => systemd::render(boot),
        InitSystem::Launchd => launchd::render(boot),
        InitSystem::Openrc => openrc::render(boot),
        InitSystem::Upstart => upstart::render(boot),
        InitSystem::Systemv => sysv::render(boot),
        InitSystem::Rcd => rcd::render(boot),
    }
}
