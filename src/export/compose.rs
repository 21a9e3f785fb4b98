//! A compose file (`compose.yaml`): one service per app, the image from `--image`, the
//! script and args as its command, `instances` as `deploy.replicas`.

use serde_json::{json, Map, Value};

use super::container::command;
use super::kubernetes::tcp_port;
use super::quote::is_dns_label;
use super::unmapped::{comment_block, common, Unmapped};
use super::{ExportApp, ExportError, ExportOptions, OutputFile, DEFAULT_WORKDIR};
use crate::config::{AppSpec, Listen};
use crate::yaml_out::to_yaml;

pub(crate) fn render(
    apps: &[ExportApp],
    opts: &ExportOptions,
) -> Result<(Vec<OutputFile>, Vec<Unmapped>), ExportError> {
    let image = opts
        .image
        .as_deref()
        .ok_or(ExportError::NeedsImage { target: "compose" })?;
    let workdir = opts.workdir.as_deref().unwrap_or(DEFAULT_WORKDIR);
    let mut services = Map::new();
    let mut all = Vec::new();
    for app in apps {
        let name = &app.spec.name;
        if !is_dns_label(name) {
            return Err(ExportError::InvalidName {
                app: name.clone(),
                name: name.clone(),
                target: "compose service",
                rule: "lower-case letters, digits and `-`, a letter or digit at each end",
            });
        }
        let mut service = service(app, image, workdir);
        escape_interpolation(&mut service);
        services.insert(name.clone(), service);
        all.extend(unmapped(&app.spec));
    }
    let mut text = comment_block("#", "compose", &all);
    text.push_str(&to_yaml(&json!({ "services": services })));
    Ok((
        vec![OutputFile {
            name: "compose.yaml".to_string(),
            text,
        }],
        all,
    ))
}

pub(crate) fn service(app: &ExportApp, image: &str, workdir: &str) -> Value {
    let spec = &app.spec;
    let mut s = Map::new();
    s.insert("image".into(), json!(image));
    s.insert("command".into(), json!(command(spec)));
    s.insert("working_dir".into(), json!(workdir));
    let mut env: Map<String, Value> = app
        .env
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    env.insert(spec.instance_var.clone(), json!("0"));
    s.insert("environment".into(), Value::Object(env));
    s.insert(
        "restart".into(),
        json!(if spec.autorestart {
            "unless-stopped"
        } else {
            "no"
        }),
    );
    s.insert("stop_signal".into(), json!(spec.kill_signal.as_str()));
    s.insert(
        "stop_grace_period".into(),
        json!(format!("{}ms", spec.kill_timeout.as_millis())),
    );
    if let Some(port) = tcp_port(spec) {
        // With several replicas a fixed host port would collide: publish the container
        // port on an ephemeral host port instead.
        let mapping = if spec.instances > 1 {
            port.to_string()
        } else {
            format!("{port}:{port}")
        };
        s.insert("ports".into(), json!([mapping]));
    }
    if !spec.depends_on.is_empty() {
        s.insert("depends_on".into(), json!(spec.depends_on));
    }
    if spec.instances > 1 {
        s.insert("deploy".into(), json!({ "replicas": spec.instances }));
    }
    if let Some(bytes) = spec.max_memory_restart {
        s.insert("mem_limit".into(), json!(bytes));
    }
    if let Some(user) = &spec.uid {
        let user = match &spec.gid {
            Some(group) => format!("{user}:{group}"),
            None => user.clone(),
        };
        s.insert("user".into(), json!(user));
    }
    Value::Object(s)
}

/// Compose substitutes `${VAR}` and `$VAR` in every value: `$` is doubled so a value
/// reaches the container as written.
fn escape_interpolation(value: &mut Value) {
    match value {
        Value::String(s) => *s = s.replace('$', "$$"),
        Value::Array(items) => items.iter_mut().for_each(escape_interpolation),
        Value::Object(map) => map.values_mut().for_each(escape_interpolation),
        _ => {}
    }
}

fn unmapped(spec: &AppSpec) -> Vec<Unmapped> {
    let name = spec.name.as_str();
    let mut out = common(spec, "compose");
    if spec.wait_ready {
        out.push(Unmapped::new(
            name,
            "wait_ready",
            "(the app's own ready message) has no compose equivalent: add a healthcheck with a `test` for the app",
        ));
    }
    if spec.instances > 1 {
        out.push(Unmapped::new(
            name,
            "instance_var",
            "is 0 in every replica: compose replicas have no index",
        ));
    }
    if let Some(Listen::Path(_)) = spec.port {
        out.push(Unmapped::new(
            name,
            "port",
            "is a Unix socket path: nothing is published",
        ));
    }
    if spec.out_file.is_some() || spec.error_file.is_some() || spec.log_file.is_some() {
        out.push(Unmapped::new(
            name,
            "out_file",
            "(log files) is not exported: logs go to the container's stdout and stderr",
        ));
    }
    if spec.max_restarts != crate::config::spec::DEFAULT_MAX_RESTARTS
        || !spec.restart_delay.is_zero()
    {
        out.push(Unmapped::new(
            name,
            "max_restarts",
            "and restart_delay are not exported: compose restarts with its own backoff",
        ));
    }
    out.sort();
    out
}
