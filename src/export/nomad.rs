//! A Nomad job (`NAME.nomad.hcl`, `--job`, default `rpm`) in HCL: one group per app
//! (`count` = `instances`), one task per group on the docker driver with the image from
//! `--image`, the same mappings as Kubernetes. Strings are HCL literals with template
//! markers doubled (`quote::hcl_string`). This output is checked by rpm's own tests; it
//! has not been run through `nomad job validate`, which does not install here.

use std::fmt::Write as _;

use super::container::{command, seconds_up};
use super::kubernetes::tcp_port;
use super::quote::{hcl_string, is_dns_label, is_hcl_identifier};
use super::unmapped::{comment_block, common, Unmapped};
use super::{ExportApp, ExportError, ExportOptions, OutputFile, DEFAULT_WORKDIR};
use crate::config::{AppSpec, Listen};

/// The default job name.
const DEFAULT_JOB: &str = "rpm";

pub(crate) fn render(
    apps: &[ExportApp],
    opts: &ExportOptions,
) -> Result<(Vec<OutputFile>, Vec<Unmapped>), ExportError> {
    let image = opts
        .image
        .as_deref()
        .ok_or(ExportError::NeedsImage { target: "nomad" })?;
    let workdir = opts.workdir.as_deref().unwrap_or(DEFAULT_WORKDIR);
    let job = opts.job.as_deref().unwrap_or(DEFAULT_JOB);
    if !is_dns_label(job) {
        return Err(ExportError::Unwritable {
            value: job.to_string(),
            target: "Nomad",
            why: "a job name here is lower-case letters, digits and `-`: choose another --job",
        });
    }
    let mut all = Vec::new();
    let mut groups = String::new();
    for app in apps {
        let name = &app.spec.name;
        if !is_dns_label(name) {
            return Err(ExportError::InvalidName {
                app: name.clone(),
                name: name.clone(),
                target: "Nomad group",
                rule: "lower-case letters, digits and `-`, a letter or digit at each end",
            });
        }
        let mut unmapped = unmapped(&app.spec);
        groups.push_str(&group(app, image, workdir, &mut unmapped));
        unmapped.sort();
        all.extend(unmapped);
    }
    let mut text = comment_block("#", "Nomad", &all);
    let _ = writeln!(text, "job {} {{", hcl_string(job));
    let _ = writeln!(text, "  type        = \"service\"");
    let _ = writeln!(text, "  datacenters = [\"*\"]");
    text.push_str(&groups);
    let _ = writeln!(text, "}}");
    Ok((
        vec![OutputFile {
            name: format!("{job}.nomad.hcl"),
            text,
        }],
        all,
    ))
}

fn list(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| hcl_string(w)).collect();
    format!("[{}]", quoted.join(", "))
}

fn group(app: &ExportApp, image: &str, workdir: &str, unmapped: &mut Vec<Unmapped>) -> String {
    let spec = &app.spec;
    let name = spec.name.as_str();
    let mut g = String::new();
    let _ = writeln!(g);
    let _ = writeln!(g, "  group {} {{", hcl_string(name));
    let _ = writeln!(g, "    count = {}", spec.instances);
    let port = tcp_port(spec);
    if let Some(port) = port {
        let _ = writeln!(g, "    network {{");
        if spec.instances > 1 {
            // Several allocations may land on one node: a dynamic host port each.
            let _ = writeln!(g, "      port \"app\" {{ to = {port} }}");
        } else {
            let _ = writeln!(g, "      port \"app\" {{");
            let _ = writeln!(g, "        static = {port}");
            let _ = writeln!(g, "        to     = {port}");
            let _ = writeln!(g, "      }}");
        }
        let _ = writeln!(g, "    }}");
    }
    let _ = writeln!(g, "    restart {{");
    if spec.autorestart {
        let window = (spec.min_uptime + spec.restart_delay) * spec.max_restarts.max(1);
        let _ = writeln!(g, "      attempts = {}", spec.max_restarts);
        let _ = writeln!(g, "      interval = \"{}s\"", seconds_up(window, 1));
        let _ = writeln!(
            g,
            "      delay    = \"{}ms\"",
            spec.restart_delay.as_millis()
        );
    } else {
        let _ = writeln!(g, "      attempts = 0");
    }
    let _ = writeln!(g, "      mode     = \"fail\"");
    let _ = writeln!(g, "    }}");
    let _ = writeln!(g, "    task {} {{", hcl_string(name));
    let _ = writeln!(g, "      driver       = \"docker\"");
    let _ = writeln!(
        g,
        "      kill_signal  = {}",
        hcl_string(spec.kill_signal.as_str())
    );
    let _ = writeln!(
        g,
        "      kill_timeout = \"{}ms\"",
        spec.kill_timeout.as_millis()
    );
    if let Some(user) = &spec.uid {
        let user = match &spec.gid {
            Some(group) => format!("{user}:{group}"),
            None => user.clone(),
        };
        let _ = writeln!(g, "      user         = {}", hcl_string(&user));
    }
    let words = command(spec);
    let _ = writeln!(g, "      config {{");
    let _ = writeln!(g, "        image    = {}", hcl_string(image));
    if let Some((program, args)) = words.split_first() {
        let _ = writeln!(g, "        command  = {}", hcl_string(program));
        let _ = writeln!(g, "        args     = {}", list(args));
    }
    let _ = writeln!(g, "        work_dir = {}", hcl_string(workdir));
    if port.is_some() {
        let _ = writeln!(g, "        ports    = [\"app\"]");
    }
    let _ = writeln!(g, "      }}");
    let _ = writeln!(g, "      env {{");
    for (key, value) in &app.env {
        if is_hcl_identifier(key) {
            if value.contains("${") {
                unmapped.push(Unmapped::new(
                    name,
                    "env",
                    format!(
                        "variable {key} holds `${{`, which Nomad interpolates when the task starts"
                    ),
                ));
            }
            let _ = writeln!(g, "        {key} = {}", hcl_string(value));
        } else {
            unmapped.push(Unmapped::new(
                name,
                "env",
                format!(
                    "variable {} is not a name HCL can write in an env block; it is left out",
                    serde_json::Value::String(key.clone())
                ),
            ));
        }
    }
    if is_hcl_identifier(&spec.instance_var) {
        let _ = writeln!(
            g,
            "        {} = \"${{NOMAD_ALLOC_INDEX}}\"",
            spec.instance_var
        );
    }
    let _ = writeln!(g, "      }}");
    if let Some(bytes) = spec.max_memory_restart {
        let _ = writeln!(g, "      resources {{");
        let _ = writeln!(g, "        memory = {}", bytes.div_ceil(1024 * 1024).max(1));
        let _ = writeln!(g, "      }}");
    }
    let _ = writeln!(g, "    }}");
    let _ = writeln!(g, "  }}");
    g
}

fn unmapped(spec: &AppSpec) -> Vec<Unmapped> {
    let name = spec.name.as_str();
    let mut out = common(spec, "Nomad");
    if spec.wait_ready {
        out.push(Unmapped::new(
            name,
            "wait_ready",
            "(the app's own ready message) has no Nomad equivalent: add a service check",
        ));
    }
    if !spec.depends_on.is_empty() {
        out.push(Unmapped::new(
            name,
            "depends_on",
            "is not exported: groups start in any order",
        ));
    }
    if let Some(Listen::Path(_)) = spec.port {
        out.push(Unmapped::new(
            name,
            "port",
            "is a Unix socket path: no network port is made",
        ));
    }
    if spec.out_file.is_some() || spec.error_file.is_some() || spec.log_file.is_some() {
        out.push(Unmapped::new(
            name,
            "out_file",
            "(log files) is not exported: Nomad keeps each task's stdout and stderr",
        ));
    }
    out
}
