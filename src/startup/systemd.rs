//! The systemd unit: the daemon in the foreground (`Type=notify`, READY=1 once it
//! listens), restarted if it dies, stopping the apps gracefully when the unit stops.
//! `packaging/systemd/rpm.service` is this unit for root and `/var/lib/rpm`.

use super::boot::Boot;
use super::quote::{systemd_env, systemd_executable};

pub fn render(boot: &Boot) -> String {
    let mut unit = String::new();
    unit.push_str("[Unit]\n");
    if boot.as_root() {
        unit.push_str("Description=rpm process manager\n");
    } else {
        // The user name is checked (`names::check_user_name`): no `%`, no newline.
        unit.push_str(&format!(
            "Description=rpm process manager for {}\n",
            boot.user.name
        ));
    }
    unit.push_str("Documentation=man:rpm(1)\n");
    unit.push_str("After=network.target\n\n");
    unit.push_str("[Service]\nType=notify\n");
    if !boot.as_root() {
        unit.push_str(&format!(
            "User={}\nGroup={}\n",
            boot.user.name, boot.user.group
        ));
    }
    unit.push_str(&format!(
        "Environment={}\n",
        systemd_env("RPM_HOME", &boot.rpm_home)
    ));
    unit.push_str(&format!(
        "Environment={}\n",
        systemd_env("PATH", &boot.path)
    ));
    unit.push_str(&format!(
        "ExecStart={} daemon --foreground --resurrect\n",
        systemd_executable(&boot.rpm_bin)
    ));
    // A crashed daemon leaves the apps running for the restarted one to adopt; stopping
    // the unit sends SIGTERM to the daemon alone, which stops the apps gracefully.
    unit.push_str("KillMode=process\nRestart=on-failure\nTimeoutStopSec=120\n");
    unit.push_str("LimitNOFILE=infinity\n\n");
    unit.push_str("[Install]\nWantedBy=multi-user.target\n");
    unit
}
