//! systemd units: one `NAME.service` per app, or a template `NAME@.service` run as
//! `NAME@0` … `NAME@N-1` for several instances; a `NAME.socket` (`NAME@.socket`) for an
//! app with a `port`, speaking the same socket-activation protocol rpm speaks (fd 3,
//! `LISTEN_FDS`, `LISTEN_FDNAMES`). Templates' sockets set `ReusePort=`, so the kernel
//! spreads connections over the instances as it does over rpm's shared socket.

use std::fmt::Write as _;

use super::container::seconds_up;
use super::quote::{is_unit_name, systemd_env, systemd_plain, systemd_word};
use super::unmapped::{comment_block, common, Unmapped};
use super::{ExportApp, ExportError, OutputFile};
use crate::config::{AppSpec, ExecMode, Listen};

/// The units for `apps`, and what they could not carry.
pub(crate) fn render(apps: &[ExportApp]) -> Result<(Vec<OutputFile>, Vec<Unmapped>), ExportError> {
    for app in apps {
        if !is_unit_name(&app.spec.name) {
            return Err(ExportError::InvalidName {
                app: app.spec.name.clone(),
                name: app.spec.name.clone(),
                target: "systemd unit",
                rule: "letters, digits and `:_.-`, at most 200 characters",
            });
        }
    }
    let mut files = Vec::new();
    let mut all_unmapped = Vec::new();
    for app in apps {
        let unmapped = unmapped(&app.spec);
        let header = comment_block("#", "systemd", &unmapped);
        let base = unit_base(&app.spec);
        files.push(OutputFile {
            name: format!("{base}.service"),
            text: format!("{header}{}", service(app, apps)),
        });
        if let Some(listen) = &app.spec.port {
            files.push(OutputFile {
                name: format!("{base}.socket"),
                text: format!("{header}{}", socket(&app.spec, listen)),
            });
        }
        all_unmapped.extend(unmapped);
    }
    Ok((files, all_unmapped))
}

/// `web` or, for a template, `web@`.
fn unit_base(spec: &AppSpec) -> String {
    if spec.instances > 1 {
        format!("{}@", spec.name)
    } else {
        spec.name.clone()
    }
}

/// The unit names an app runs as (`web.service`, or `web@0.service` …).
fn instance_units(spec: &AppSpec) -> Vec<String> {
    if spec.instances > 1 {
        (0..spec.instances)
            .map(|i| format!("{}@{i}.service", spec.name))
            .collect()
    } else {
        vec![format!("{}.service", spec.name)]
    }
}

fn service(app: &ExportApp, apps: &[ExportApp]) -> String {
    let spec = &app.spec;
    let template = spec.instances > 1;
    let mut u = String::new();
    let _ = writeln!(u, "[Unit]");
    let what = if template {
        format!("rpm app {} (instance %i)", spec.name)
    } else {
        format!("rpm app {}", spec.name)
    };
    let _ = writeln!(u, "Description={what}");
    let mut after = vec!["network.target".to_string()];
    let mut wants = Vec::new();
    for dep in &spec.depends_on {
        if let Some(dep) = apps.iter().find(|a| &a.spec.name == dep) {
            for unit in instance_units(&dep.spec) {
                after.push(unit.clone());
                wants.push(unit);
            }
        }
    }
    let _ = writeln!(u, "After={}", after.join(" "));
    if !wants.is_empty() {
        let _ = writeln!(u, "Wants={}", wants.join(" "));
    }
    if spec.autorestart {
        // PM2 gives up after `max_restarts` exits that each came before `min_uptime`:
        // as a rate, that many starts within that many (min_uptime + restart_delay).
        let window = (spec.min_uptime + spec.restart_delay) * spec.max_restarts.max(1);
        let _ = writeln!(u, "StartLimitIntervalSec={}", seconds_up(window, 1));
        let _ = writeln!(u, "StartLimitBurst={}", spec.max_restarts.max(1));
    }
    let _ = writeln!(u);
    let _ = writeln!(u, "[Service]");
    let _ = writeln!(
        u,
        "Type={}",
        if spec.wait_ready { "notify" } else { "simple" }
    );
    if spec.wait_ready {
        let _ = writeln!(u, "NotifyAccess=all");
        let _ = writeln!(u, "TimeoutStartSec={}ms", spec.listen_timeout.as_millis());
    }
    let _ = writeln!(
        u,
        "WorkingDirectory={}",
        systemd_word(&spec.cwd.to_string_lossy())
    );
    let _ = writeln!(u, "ExecStart={}", exec_start(spec));
    for (key, value) in &app.env {
        let _ = writeln!(u, "Environment={}", systemd_env(key, value));
    }
    let instance = if template { "%i" } else { "0" };
    // `%i` must stay a specifier: quote the name alone.
    let var = systemd_env(&spec.instance_var, "");
    let _ = writeln!(u, "Environment={}{instance}\"", var.trim_end_matches('"'));
    if let Some(user) = &spec.uid {
        let _ = writeln!(u, "User={}", systemd_plain(user));
    }
    if let Some(group) = &spec.gid {
        let _ = writeln!(u, "Group={}", systemd_plain(group));
    }
    let _ = writeln!(
        u,
        "Restart={}",
        if spec.autorestart { "always" } else { "no" }
    );
    let _ = writeln!(u, "RestartSec={}ms", spec.restart_delay.as_millis());
    if spec.autorestart && !spec.stop_exit_codes.is_empty() {
        let codes: Vec<String> = spec
            .stop_exit_codes
            .iter()
            .filter(|c| (0..=255).contains(*c))
            .map(|c| c.to_string())
            .collect();
        let _ = writeln!(u, "RestartPreventExitStatus={}", codes.join(" "));
    }
    let _ = writeln!(u, "KillSignal={}", spec.kill_signal.as_str());
    let _ = writeln!(
        u,
        "KillMode={}",
        if spec.treekill {
            "control-group"
        } else {
            "process"
        }
    );
    let _ = writeln!(u, "TimeoutStopSec={}ms", spec.kill_timeout.as_millis());
    if let Some(bytes) = spec.max_memory_restart {
        let _ = writeln!(u, "MemoryMax={bytes}");
    }
    let _ = writeln!(u, "StandardOutput={}", log_target(spec.out_file.as_deref()));
    let _ = writeln!(
        u,
        "StandardError={}",
        log_target(spec.error_file.as_deref())
    );
    let _ = writeln!(u);
    let _ = writeln!(u, "[Install]");
    let _ = writeln!(u, "WantedBy=multi-user.target");
    if template {
        let units = instance_units(spec);
        let units = if spec.port.is_some() {
            // Each instance's socket starts its service on the first connection.
            units
                .iter()
                .map(|u| u.replace(".service", ".socket"))
                .collect()
        } else {
            units
        };
        let _ = writeln!(
            u,
            "# Start the instances: systemctl enable --now {}",
            units.join(" ")
        );
    }
    u
}

fn exec_start(spec: &AppSpec) -> String {
    let mut words: Vec<String> = Vec::new();
    if let Some(interpreter) = &spec.interpreter {
        words.push(interpreter.to_string_lossy().into_owned());
        words.extend(spec.interpreter_args.iter().cloned());
    }
    words.push(spec.script.to_string_lossy().into_owned());
    words.extend(spec.args.iter().cloned());
    words
        .iter()
        .map(|w| systemd_word(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `journal`, or `append:PATH` for a log file the app names.
fn log_target(path: Option<&std::path::Path>) -> String {
    match path {
        Some(p) => format!("append:{}", systemd_plain(&p.to_string_lossy())),
        None => "journal".to_string(),
    }
}

fn socket(spec: &AppSpec, listen: &Listen) -> String {
    let template = spec.instances > 1;
    let mut u = String::new();
    let _ = writeln!(u, "[Unit]");
    let _ = writeln!(u, "Description=rpm app {}: listening socket", spec.name);
    let _ = writeln!(u);
    let _ = writeln!(u, "[Socket]");
    let address = match listen {
        Listen::Port(p) => p.to_string(),
        Listen::Addr(a) => a.to_string(),
        Listen::Path(p) => systemd_plain(&p.to_string_lossy()),
    };
    let _ = writeln!(u, "ListenStream={address}");
    let _ = writeln!(u, "FileDescriptorName={}", spec.name);
    if template {
        let _ = writeln!(u, "ReusePort=yes");
    }
    if let Listen::Path(_) = listen {
        let _ = writeln!(u, "RemoveOnStop=yes");
    }
    let _ = writeln!(u);
    let _ = writeln!(u, "[Install]");
    let _ = writeln!(u, "WantedBy=sockets.target");
    u
}

fn unmapped(spec: &AppSpec) -> Vec<Unmapped> {
    let name = spec.name.as_str();
    let mut out = common(spec, "systemd");
    if spec.wait_ready && spec.is_node() {
        out.push(Unmapped::new(
            name,
            "wait_ready",
            "maps to Type=notify: a Node app's process.send('ready') does not reach systemd, send READY=1 with sd_notify",
        ));
    }
    if spec.port.is_some() && spec.is_node() {
        out.push(Unmapped::new(
            name,
            "port",
            "reaches a Node app as fd 3 (LISTEN_FDS) only: rpm's preload that turns listen(PORT) into that socket is not there under systemd, so the app must listen on fd 3 itself",
        ));
    }
    if spec.exec_mode == ExecMode::Cluster && spec.port.is_none() && spec.instances > 1 {
        out.push(Unmapped::new(
            name,
            "exec_mode",
            "cluster without `port`: rpm's Node preload that shares listen() is not used under systemd; set `port` to export a shared socket",
        ));
    }
    if spec.log_file.is_some() {
        out.push(Unmapped::new(
            name,
            "log_file",
            "(both streams in one more file) is not exported: read both with journalctl",
        ));
    }
    if spec.stop_exit_codes.iter().any(|c| !(0..=255).contains(c)) {
        out.push(Unmapped::new(
            name,
            "stop_exit_codes",
            "has codes outside 0-255, which systemd cannot name; they are left out",
        ));
    }
    out.sort();
    out
}
