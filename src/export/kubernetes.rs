//! Kubernetes manifests, one file per app (`NAME.yaml`): a ConfigMap of its environment,
//! a Secret of the values rpm treats as secret (`is_secret_key`), a Deployment
//! (`instances` → `replicas`, the image from `--image`, the script and args as the
//! container's command), and a Service for a TCP `port`.

use serde_json::{json, Map, Value};

use super::container::{base64, command, is_secret_key, seconds_up};
use super::quote::is_dns_label;
use super::unmapped::{comment_block, common, Unmapped};
use super::{ExportApp, ExportError, ExportOptions, OutputFile, DEFAULT_WORKDIR};
use crate::config::{AppSpec, Listen, StopSignal};
use crate::yaml_out::to_yaml;

pub(crate) fn render(
    apps: &[ExportApp],
    opts: &ExportOptions,
) -> Result<(Vec<OutputFile>, Vec<Unmapped>), ExportError> {
    let image = opts.image.as_deref().ok_or(ExportError::NeedsImage {
        target: "kubernetes",
    })?;
    let workdir = opts.workdir.as_deref().unwrap_or(DEFAULT_WORKDIR);
    let mut files = Vec::new();
    let mut all = Vec::new();
    for app in apps {
        let name = &app.spec.name;
        if !is_dns_label(name) {
            return Err(ExportError::InvalidName {
                app: name.clone(),
                name: name.clone(),
                target: "Kubernetes object",
                rule: "lower-case letters, digits and `-`, at most 63 characters, a letter or digit at each end",
            });
        }
        let unmapped = unmapped(&app.spec);
        let docs = manifests(app, image, workdir);
        let mut text = comment_block("#", "Kubernetes", &unmapped);
        for doc in docs {
            text.push_str("---\n");
            text.push_str(&to_yaml(&doc));
        }
        files.push(OutputFile {
            name: format!("{name}.yaml"),
            text,
        });
        all.extend(unmapped);
    }
    Ok((files, all))
}

/// The objects of one app, in the order `kubectl apply` wants them (config first).
pub(crate) fn manifests(app: &ExportApp, image: &str, workdir: &str) -> Vec<Value> {
    let spec = &app.spec;
    let name = spec.name.as_str();
    let labels =
        json!({ "app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "rpm-export" });
    let selector = json!({ "app.kubernetes.io/name": name });
    let (secret, plain): (Vec<_>, Vec<_>) = app.env.iter().partition(|(k, _)| is_secret_key(k));
    let mut docs = Vec::new();
    let mut env_from = Vec::new();
    if !plain.is_empty() {
        let data: Map<String, Value> = plain
            .iter()
            .map(|(k, v)| ((*k).clone(), Value::String((*v).clone())))
            .collect();
        docs.push(json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": format!("{name}-env"), "labels": labels },
            "data": data,
        }));
        env_from.push(json!({ "configMapRef": { "name": format!("{name}-env") } }));
    }
    if !secret.is_empty() {
        let data: Map<String, Value> = secret
            .iter()
            .map(|(k, v)| ((*k).clone(), Value::String(base64(v.as_bytes()))))
            .collect();
        docs.push(json!({
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": { "name": format!("{name}-secret"), "labels": labels },
            "type": "Opaque",
            "data": data,
        }));
        env_from.push(json!({ "secretRef": { "name": format!("{name}-secret") } }));
    }
    let mut container = Map::new();
    container.insert("name".into(), json!(name));
    container.insert("image".into(), json!(image));
    container.insert("command".into(), json!(command(spec)));
    container.insert("workingDir".into(), json!(workdir));
    container.insert(
        "env".into(),
        json!([{ "name": spec.instance_var, "value": "0" }]),
    );
    if !env_from.is_empty() {
        container.insert("envFrom".into(), Value::Array(env_from));
    }
    let port = tcp_port(spec);
    if let Some(port) = port {
        container.insert(
            "ports".into(),
            json!([{ "name": "app", "containerPort": port, "protocol": "TCP" }]),
        );
        let failures = seconds_up(spec.listen_timeout, 1).div_ceil(2).max(1);
        container.insert(
            "readinessProbe".into(),
            json!({
                "tcpSocket": { "port": port },
                "periodSeconds": 2,
                "failureThreshold": failures,
            }),
        );
    }
    if let Some(bytes) = spec.max_memory_restart {
        container.insert(
            "resources".into(),
            json!({ "limits": { "memory": bytes.to_string() } }),
        );
    }
    let mut pod = Map::new();
    pod.insert("containers".into(), json!([Value::Object(container)]));
    pod.insert(
        "terminationGracePeriodSeconds".into(),
        json!(seconds_up(spec.kill_timeout, 1)),
    );
    pod.insert("restartPolicy".into(), json!("Always"));
    docs.push(json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": name, "labels": labels },
        "spec": {
            "replicas": spec.instances,
            "selector": { "matchLabels": selector },
            "template": {
                "metadata": { "labels": labels },
                "spec": Value::Object(pod),
            },
        },
    }));
    if let Some(port) = port {
        docs.push(json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": { "name": name, "labels": labels },
            "spec": {
                "selector": selector,
                "ports": [{ "name": "app", "port": port, "targetPort": port, "protocol": "TCP" }],
            },
        }));
    }
    docs
}

/// The TCP port of an app's `port`, if it is one (a Unix socket is not).
pub(crate) fn tcp_port(spec: &AppSpec) -> Option<u16> {
    match spec.port.as_ref()? {
        Listen::Port(p) => Some(*p),
        Listen::Addr(a) => Some(a.port()),
        Listen::Path(_) => None,
    }
}

fn unmapped(spec: &AppSpec) -> Vec<Unmapped> {
    let name = spec.name.as_str();
    let mut out = common(spec, "Kubernetes");
    if !spec.autorestart {
        out.push(Unmapped::new(
            name,
            "autorestart",
            "false has no Deployment equivalent: pods are always restarted (use a Job for run-once work)",
        ));
    }
    if spec.kill_signal != StopSignal::SIGTERM {
        out.push(Unmapped::new(
            name,
            "kill_signal",
            format!(
                "{} is not exported: Kubernetes stops containers with SIGTERM (or the image's STOPSIGNAL)",
                spec.kill_signal.as_str()
            ),
        ));
    }
    if spec.wait_ready {
        out.push(Unmapped::new(
            name,
            "wait_ready",
            if tcp_port(spec).is_some() {
                "(the app's own ready message) has no equivalent: a TCP readiness probe on the port stands in"
            } else {
                "(the app's own ready message) has no equivalent and the app has no TCP port to probe: no readiness probe"
            },
        ));
    }
    if let Some(Listen::Path(_)) = spec.port {
        out.push(Unmapped::new(
            name,
            "port",
            "is a Unix socket path: no Service is made",
        ));
    }
    if !spec.depends_on.is_empty() {
        out.push(Unmapped::new(
            name,
            "depends_on",
            "has no Deployment equivalent: pods start in any order",
        ));
    }
    if spec.instances > 1 {
        out.push(Unmapped::new(
            name,
            "instance_var",
            "is 0 in every replica: pods of a Deployment have no index",
        ));
    }
    if spec.uid.is_some() || spec.gid.is_some() {
        out.push(Unmapped::new(
            name,
            "uid",
            "(a user name) is not exported: set securityContext.runAsUser to a numeric id",
        ));
    }
    if spec.out_file.is_some() || spec.error_file.is_some() || spec.log_file.is_some() {
        out.push(Unmapped::new(
            name,
            "out_file",
            "(log files) is not exported: logs go to the container's stdout and stderr",
        ));
    }
    out.sort();
    out
}
