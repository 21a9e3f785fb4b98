//! Table and golden tests of the renderers: hostile names and values stay data, every
//! target lists what it could not carry, and YAML output reads back as what was meant.

use std::collections::BTreeMap;
use std::time::Duration;

use yaml_rust2::{Yaml, YamlLoader};

use super::*;
use crate::config::{Listen, StopSignal};

fn app(name: &str) -> ExportApp {
    let mut spec = AppSpec::new(name, "/srv/app/server.py".into(), "/srv/app".into());
    spec.interpreter = Some("/usr/bin/python3".into());
    ExportApp {
        spec,
        env: BTreeMap::new(),
    }
}

fn hostile() -> ExportApp {
    let mut a = app("api");
    a.spec.script = "/srv/my app/server.py".into();
    a.spec.cwd = "/srv/my app".into();
    a.spec.args = vec!["--greet".into(), "$(rm -rf /)".into(), "50%".into()];
    a.spec.kill_signal = StopSignal::SIGTERM;
    a.spec.kill_timeout = Duration::from_secs(5);
    a.spec.stop_exit_codes = vec![0];
    a.spec.max_memory_restart = Some(300 * 1024 * 1024);
    a.spec.watch = vec!["/srv/my app".into()];
    a.spec.port = Some(Listen::Port(8000));
    a.env.insert("MSG".into(), "say \"hi\"\nnow; $(id)".into());
    a.env.insert("PORT".into(), "8000".into());
    a.env.insert("API_TOKEN".into(), "s3cr3t".into());
    a
}

fn only_file(exported: &Exported, name: &str) -> String {
    exported
        .files
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.text.clone())
        .unwrap_or_else(|| panic!("no {name} in {:?}", exported.files))
}

fn image() -> ExportOptions {
    ExportOptions {
        image: Some("registry.example/app:1".into()),
        ..ExportOptions::default()
    }
}

#[test]
fn systemd_service_quotes_every_value_and_lists_what_it_dropped() {
    let exported =
        export(Target::Systemd, &[hostile()], &ExportOptions::default()).expect("exports");
    let expected = r#"# Exported by rpm for systemd.
# Not carried over (no systemd equivalent):
#   app "api": `watch` (restart on file changes) has no systemd equivalent: the app is not restarted when its files change
[Unit]
Description=rpm app api
After=network.target
StartLimitIntervalSec=16
StartLimitBurst=16

[Service]
Type=simple
WorkingDirectory="/srv/my app"
ExecStart=/usr/bin/python3 "/srv/my app/server.py" --greet "$$(rm -rf /)" 50%%
Environment="API_TOKEN=s3cr3t"
Environment="MSG=say \"hi\"\nnow; $(id)"
Environment="PORT=8000"
Environment="NODE_APP_INSTANCE=0"
Restart=always
RestartSec=0ms
RestartPreventExitStatus=0
KillSignal=SIGTERM
KillMode=control-group
TimeoutStopSec=5000ms
MemoryMax=314572800
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=multi-user.target
"#;
    assert_eq!(only_file(&exported, "api.service"), expected);
    let socket = only_file(&exported, "api.socket");
    assert!(socket.contains("[Socket]\nListenStream=8000\nFileDescriptorName=api\n"));
    assert!(!socket.contains("ReusePort"), "one instance, one socket");
    assert_eq!(
        exported.unmapped,
        vec![Unmapped::new(
            "api",
            "watch",
            "(restart on file changes) has no systemd equivalent: the app is not restarted when its files change"
        )]
    );
}

#[test]
fn systemd_instances_become_a_template_with_reuse_port_sockets() {
    let mut a = app("web");
    a.spec.instances = 3;
    a.spec.port = Some(Listen::Port(8080));
    let mut worker = app("worker");
    worker.spec.depends_on = vec!["web".into()];
    worker.spec.autorestart = false;
    let exported =
        export(Target::Systemd, &[a, worker], &ExportOptions::default()).expect("exports");
    let names: Vec<&str> = exported.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["web@.service", "web@.socket", "worker.service"]);
    let service = only_file(&exported, "web@.service");
    assert!(
        service.contains("Environment=\"NODE_APP_INSTANCE=%i\"\n"),
        "{service}"
    );
    assert!(service.contains(
        "# Start the instances: systemctl enable --now web@0.socket web@1.socket web@2.socket\n"
    ));
    assert!(only_file(&exported, "web@.socket").contains("ReusePort=yes\n"));
    let worker = only_file(&exported, "worker.service");
    assert!(worker.contains(
        "After=network.target web@0.service web@1.service web@2.service\nWants=web@0.service web@1.service web@2.service\n"
    ));
    assert!(worker.contains("Restart=no\n"));
    assert!(!worker.contains("StartLimitBurst"), "{worker}");
}

#[test]
fn names_a_target_cannot_hold_are_refused_before_anything_is_written() {
    let rows = [
        (Target::Systemd, "my app", "systemd unit"),
        (Target::Systemd, "web@1", "systemd unit"),
        (Target::Kubernetes, "Web_1", "Kubernetes object"),
        (Target::Compose, "web.1", "compose service"),
        (Target::Nomad, "-web", "Nomad group"),
    ];
    for (target, name, what) in rows {
        let err = export(target, &[app(name)], &image()).expect_err(name);
        match err {
            ExportError::InvalidName { target, app, .. } => {
                assert_eq!((target, app.as_str()), (what, name));
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn container_targets_need_an_image() {
    for target in [Target::Kubernetes, Target::Compose, Target::Nomad] {
        let err = export(target, &[app("web")], &ExportOptions::default()).expect_err("no image");
        assert_eq!(
            err,
            ExportError::NeedsImage {
                target: target.as_str()
            }
        );
    }
}

fn documents(text: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(text).expect("valid YAML")
}

#[test]
fn kubernetes_reads_back_with_secrets_in_a_secret_and_the_rest_in_a_config_map() {
    let mut a = hostile();
    a.spec.instances = 2;
    let exported = export(Target::Kubernetes, &[a], &image()).expect("exports");
    let docs = documents(&only_file(&exported, "api.yaml"));
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    assert_eq!(kinds, vec!["ConfigMap", "Secret", "Deployment", "Service"]);
    let config = &docs[0]["data"];
    assert_eq!(config["MSG"].as_str(), Some("say \"hi\"\nnow; $(id)"));
    assert_eq!(config["PORT"].as_str(), Some("8000"));
    assert!(
        config["API_TOKEN"].is_badvalue(),
        "secret kept out of the ConfigMap"
    );
    assert_eq!(docs[1]["data"]["API_TOKEN"].as_str(), Some("czNjcjN0"));
    let deployment = &docs[2]["spec"];
    assert_eq!(deployment["replicas"].as_i64(), Some(2));
    let container = &deployment["template"]["spec"]["containers"][0];
    let command: Vec<&str> = container["command"]
        .as_vec()
        .expect("command")
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert_eq!(
        command,
        vec!["python3", "./server.py", "--greet", "$(rm -rf /)", "50%"]
    );
    assert_eq!(container["image"].as_str(), Some("registry.example/app:1"));
    assert_eq!(
        container["resources"]["limits"]["memory"].as_str(),
        Some("314572800")
    );
    assert_eq!(
        container["readinessProbe"]["tcpSocket"]["port"].as_i64(),
        Some(8000)
    );
    assert_eq!(
        deployment["template"]["spec"]["terminationGracePeriodSeconds"].as_i64(),
        Some(5)
    );
    assert_eq!(docs[3]["spec"]["ports"][0]["port"].as_i64(), Some(8000));
    let attrs: Vec<&str> = exported.unmapped.iter().map(|u| u.attribute).collect();
    assert_eq!(attrs, vec!["instance_var", "watch"]);
}

#[test]
fn compose_reads_back_as_one_service_per_app() {
    let mut worker = app("worker");
    worker.spec.depends_on = vec!["api".into()];
    worker.spec.instances = 2;
    worker.spec.cron_restart = Some("0 * * * *".into());
    let exported = export(Target::Compose, &[hostile(), worker], &image()).expect("exports");
    let text = only_file(&exported, "compose.yaml");
    let doc = &documents(&text)[0];
    let api = &doc["services"]["api"];
    assert_eq!(
        api["environment"]["MSG"].as_str(),
        Some("say \"hi\"\nnow; $$(id)"),
        "compose's interpolation is escaped"
    );
    assert_eq!(api["ports"][0].as_str(), Some("8000:8000"));
    assert_eq!(api["stop_signal"].as_str(), Some("SIGTERM"));
    assert_eq!(api["stop_grace_period"].as_str(), Some("5000ms"));
    assert_eq!(api["restart"].as_str(), Some("unless-stopped"));
    let worker = &doc["services"]["worker"];
    assert_eq!(worker["deploy"]["replicas"].as_i64(), Some(2));
    assert_eq!(worker["depends_on"][0].as_str(), Some("api"));
    assert!(
        text.contains("#   app \"worker\": `cron_restart` (scheduled restarts) is not exported")
    );
}

#[test]
fn nomad_job_escapes_strings_and_interpolation() {
    let mut a = hostile();
    a.env
        .insert("TEMPLATE".into(), "${attr.kernel.name}".into());
    a.env.insert("bad.key".into(), "x".into());
    let exported = export(Target::Nomad, &[a], &image()).expect("exports");
    let text = only_file(&exported, "rpm.nomad.hcl");
    assert!(text.starts_with("# Exported by rpm for Nomad.\n"));
    assert!(text.contains("job \"rpm\" {\n"));
    assert!(text.contains("  group \"api\" {\n    count = 1\n"));
    assert!(text
        .contains("        args     = [\"./server.py\", \"--greet\", \"$(rm -rf /)\", \"50%\"]\n"));
    assert!(text.contains("        MSG = \"say \\\"hi\\\"\\nnow; $(id)\"\n"));
    assert!(text.contains("        TEMPLATE = \"$${attr.kernel.name}\"\n"));
    assert!(!text.contains("bad.key ="), "not an HCL name");
    assert!(text.contains("        memory = 300\n"));
    assert!(text.contains("port \"app\" {\n        static = 8000\n"));
    let attrs: Vec<&str> = exported.unmapped.iter().map(|u| u.attribute).collect();
    assert_eq!(attrs, vec!["env", "env", "watch"]);
}

#[test]
fn exports_are_deterministic() {
    for target in [
        Target::Systemd,
        Target::Kubernetes,
        Target::Nomad,
        Target::Compose,
    ] {
        let first = export(target, &[hostile(), app("b")], &image()).expect("exports");
        let second = export(target, &[hostile(), app("b")], &image()).expect("exports");
        assert_eq!(first, second, "{}", target.as_str());
    }
}
