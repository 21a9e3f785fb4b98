//! `rpm export` end to end: the bundled examples (and a file full of hostile values)
//! exported by the real binary; systemd units checked by `systemd-analyze verify`,
//! compose files by `docker-compose config`, Kubernetes manifests by the official
//! Kubernetes Python client's models (`tests/fixtures/export/check_kubernetes.py`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use yaml_rust2::{Yaml, YamlLoader};

use crate::cluster::real_python;
use crate::harness::{examples, fixture, RpmHome};

/// The ecosystem files under `examples/` that `rpm export` is expected to handle.
fn example_files() -> Vec<PathBuf> {
    let dir = examples();
    vec![
        dir.join("ecosystem.json"),
        dir.join("ecosystem.yaml"),
        dir.join("ecosystem.toml"),
        dir.join("ecosystem.config.js"),
        dir.join("cluster/ecosystem.json"),
    ]
}

/// A file whose names, arguments and values try to break out of their quoting.
fn hostile_file(home: &RpmHome) -> PathBuf {
    let path = home.join("hostile.yaml");
    let text = r#"apps:
  - name: api
    script: sleep
    args: ["1000", "$(touch /tmp/rpm-export-pwned)", "100%", "a \"b\" c", ";", "x\ny"]
    port: 8000
    instances: 2
    kill_signal: SIGTERM
    max_memory_restart: 300M
    watch: true
    cron_restart: "0 3 * * *"
    env:
      MSG: "say \"hi\"\nnow; $(id) %h ${HOME}"
      API_TOKEN: "t0ken"
  - name: worker
    script: sleep
    args: "1000"
    depends_on: [api]
    autorestart: false
"#;
    std::fs::write(&path, text).expect("write hostile.yaml");
    path
}

fn export(home: &RpmHome, args: &[&str]) -> (String, String) {
    let out = home.run(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "rpm {args:?}: {stderr}");
    (stdout, stderr)
}

/// Runs `systemd-analyze verify` on every unit in `dir` (templates by an instance name,
/// as systemd only verifies instances) and expects it to print nothing.
fn verify_units(dir: &Path) {
    let mut units = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the units")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("unit name")
            .to_string();
        if let Some((base, kind)) = name.split_once("@.") {
            let instance = dir.join(format!("{base}@0.{kind}"));
            std::os::unix::fs::symlink(&path, &instance).expect("instance link");
            units.push(instance);
        } else {
            units.push(path);
        }
    }
    assert!(!units.is_empty(), "no units in {}", dir.display());
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg("--man=no")
        .args(&units)
        .output()
        .expect("systemd-analyze runs (it is part of systemd; install systemd to run this test)");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && printed.is_empty(),
        "systemd-analyze verify {units:?}: {printed}"
    );
}

#[test]
fn systemd_units_of_the_examples_and_hostile_values_pass_systemd_analyze_verify() {
    let home = RpmHome::new();
    let mut files = example_files();
    files.push(hostile_file(&home));
    for (i, file) in files.iter().enumerate() {
        let out = home.join(&format!("units-{i}"));
        let file = file.to_str().expect("path");
        let out = out.to_str().expect("path");
        let mut args = vec!["export", "systemd", file, "--out", out];
        if !file.contains("cluster") && !file.contains("hostile") {
            args.extend(["--env", "production"]);
        }
        export(&home, &args);
        let out = Path::new(out);
        verify_units(out);
    }
    let text = std::fs::read_to_string(home.join("units-5/api@.service")).expect("template");
    assert!(
        text.contains(
            " \"$$(touch /tmp/rpm-export-pwned)\" 100%% \"a \\\"b\\\" c\" \";\" \"x\\ny\"\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("Environment=\"MSG=say \\\"hi\\\"\\nnow; $(id) %%h ${HOME}\"\n"),
        "{text}"
    );
}

fn yaml_docs(text: &str) -> Vec<Yaml> {
    YamlLoader::load_from_str(text).unwrap_or_else(|e| panic!("invalid YAML ({e}):\n{text}"))
}

fn string<'a>(doc: &'a Yaml, what: &str) -> &'a str {
    doc.as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {doc:?}"))
}

/// What the Kubernetes API requires of the objects rpm writes (apps/v1 Deployment,
/// v1 Service, ConfigMap, Secret): the fields without which `kubectl apply` refuses
/// them, and the selector matching the pod template's labels.
fn check_kubernetes_object(doc: &Yaml) {
    let kind = string(&doc["kind"], "kind");
    let api = string(&doc["apiVersion"], "apiVersion");
    let name = string(&doc["metadata"]["name"], "metadata.name");
    assert!(!name.is_empty() && name.len() <= 63);
    match kind {
        "Deployment" => {
            assert_eq!(api, "apps/v1");
            let spec = &doc["spec"];
            assert!(spec["replicas"].as_i64().is_some_and(|r| r >= 1));
            let selector = spec["selector"]["matchLabels"].as_hash().expect("selector");
            let labels = spec["template"]["metadata"]["labels"]
                .as_hash()
                .expect("labels");
            for (k, v) in selector {
                assert_eq!(labels.get(k), Some(v), "the selector matches the pods");
            }
            let containers = spec["template"]["spec"]["containers"]
                .as_vec()
                .expect("containers");
            assert_eq!(containers.len(), 1);
            string(&containers[0]["name"], "container name");
            string(&containers[0]["image"], "image");
            for word in containers[0]["command"].as_vec().expect("command") {
                string(word, "command word");
            }
        }
        "Service" => {
            assert_eq!(api, "v1");
            for port in doc["spec"]["ports"].as_vec().expect("ports") {
                assert!(port["port"]
                    .as_i64()
                    .is_some_and(|p| (1..=65535).contains(&p)));
            }
        }
        "ConfigMap" | "Secret" => {
            assert_eq!(api, "v1");
            for (k, v) in doc["data"].as_hash().expect("data") {
                string(k, "data key");
                string(v, "data value");
            }
        }
        other => panic!("unexpected kind {other}"),
    }
}

/// The official Kubernetes Python client (pinned) in a venv beside the fixtures, made
/// once as `.ci/run` does; `check_kubernetes.py` reads each object into its model.
fn kubernetes_checker() -> PathBuf {
    static ONCE: Mutex<()> = Mutex::new(());
    let _once = ONCE.lock().unwrap_or_else(|p| p.into_inner());
    let venv = fixture("export/.venv");
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args(["-c", "import kubernetes"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        let run = |program: &Path, args: &[&str]| {
            let out = Command::new(program).args(args).output().expect("run");
            assert!(
                out.status.success(),
                "{} {args:?} failed: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let venv_arg = venv.to_str().expect("utf-8");
        run(Path::new(&real_python()), &["-m", "venv", venv_arg]);
        run(
            &venv.join("bin/pip"),
            &[
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "kubernetes==37.0.2",
            ],
        );
    }
    python
}

/// The manifests in `paths` read into the Kubernetes client's models with nothing lost.
fn kubernetes_models_accept(paths: &[PathBuf]) {
    assert!(!paths.is_empty());
    let out = Command::new(kubernetes_checker())
        .arg(fixture("export/check_kubernetes.py"))
        .args(paths)
        .output()
        .expect("run check_kubernetes.py");
    assert!(
        out.status.success(),
        "{paths:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `docker-compose config -q` (Debian's docker-compose, which validates against the
/// compose schema offline) must accept the file and print nothing.
fn compose_config(path: &Path) {
    let out = Command::new("docker-compose")
        .arg("-f")
        .arg(path)
        .args(["config", "-q"])
        .output()
        .expect("docker-compose runs (apt-get install docker-compose; .ci/run installs it)");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && printed.is_empty(),
        "docker-compose config {}: {printed}",
        path.display()
    );
}

#[test]
fn kubernetes_and_compose_exports_of_the_examples_read_back_as_valid_objects() {
    let home = RpmHome::new();
    let mut files = example_files();
    files.push(hostile_file(&home));
    let mut manifests = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let file = file.to_str().expect("path");
        let (stdout, _) = export(&home, &["export", "kubernetes", file, "--image", "app:1"]);
        let k8s_dir = home.join(&format!("kubernetes-{i}"));
        let k8s_arg = k8s_dir.to_str().expect("path");
        export(
            &home,
            &[
                "export",
                "kubernetes",
                file,
                "--image",
                "app:1",
                "--out",
                k8s_arg,
            ],
        );
        for entry in std::fs::read_dir(&k8s_dir).expect("manifests") {
            manifests.push(entry.expect("entry").path());
        }
        let docs = yaml_docs(&stdout);
        assert!(
            docs.iter()
                .any(|d| d["kind"].as_str() == Some("Deployment")),
            "{stdout}"
        );
        docs.iter().for_each(check_kubernetes_object);

        let dir = home.join(&format!("compose-{i}"));
        let dir_arg = dir.to_str().expect("path");
        export(
            &home,
            &[
                "export", "compose", file, "--image", "app:1", "--out", dir_arg,
            ],
        );
        compose_config(&dir.join("compose.yaml"));
        let stdout = std::fs::read_to_string(dir.join("compose.yaml")).expect("compose.yaml");
        let docs = yaml_docs(&stdout);
        let services = docs[0]["services"].as_hash().expect("services");
        assert!(!services.is_empty());
        for (_, service) in services {
            string(&service["image"], "image");
            assert!(service["command"].as_vec().is_some());
        }
    }
    kubernetes_models_accept(&manifests);
}

#[test]
fn what_cannot_be_mapped_is_reported_on_stderr_and_in_the_files() {
    let home = RpmHome::new();
    let file = hostile_file(&home);
    let file = file.to_str().expect("path");
    let (stdout, stderr) = export(&home, &["export", "nomad", file, "--image", "app:1"]);
    for needle in [
        "app \"api\": `watch` (restart on file changes) has no Nomad equivalent",
        "app \"api\": `cron_restart` (scheduled restarts) is not exported",
        "app \"worker\": `depends_on` is not exported",
    ] {
        assert!(
            stderr.contains(&format!("warning: {file}: {needle}")),
            "{stderr}"
        );
        assert!(stdout.contains(&format!("#   {needle}")), "{stdout}");
    }
    assert!(
        stdout.contains("group \"api\" {\n    count = 2\n"),
        "{stdout}"
    );
}

#[test]
fn bad_names_and_a_missing_image_fail_with_exit_2_and_write_nothing() {
    let home = RpmHome::new();
    let path = home.join("bad.json");
    std::fs::write(
        &path,
        r#"{"apps": [{"name": "my app", "script": "sleep", "args": "1"}]}"#,
    )
    .expect("write bad.json");
    let out_dir = home.join("out");
    let out = out_dir.to_str().expect("path");
    let err = home.fails(
        &[
            "export",
            "systemd",
            path.to_str().expect("path"),
            "--out",
            out,
        ],
        2,
    );
    assert_eq!(
        err,
        "error: app \"my app\": `my app` is not a valid systemd unit name (letters, digits and `:_.-`, at most 200 characters): rename the app\n"
    );
    assert!(!out_dir.exists());
    let example = examples().join("ecosystem.json");
    let err = home.fails(
        &["export", "kubernetes", example.to_str().expect("path")],
        2,
    );
    assert!(
        err.starts_with("error: exporting to kubernetes needs the container image"),
        "{err}"
    );
}
