//! process-compose YAML: each entry of `processes:` becomes an app. `command`,
//! `working_dir`, `environment` (a list of `KEY=value`), `availability` (`restart`,
//! `backoff_seconds` → `restart_delay`, `max_restarts`), `depends_on` (names; the
//! condition is noted unless it is `process_started`), `replicas` → `instances`,
//! `shutdown` (`signal` number → `kill_signal`, `timeout_seconds` → `kill_timeout`);
//! probes and everything else are noted.

use serde_json::{json, Map, Value};
use yaml_rust2::{Yaml, YamlLoader};

use super::command::set_command;
use super::{seconds, ConvertError, Converted, Note};

pub(crate) fn read(text: &str) -> Result<Converted, ConvertError> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| ConvertError::Syntax {
        line: e.marker().line(),
        what: e.to_string(),
    })?;
    let mut out = Converted::default();
    let Some(processes) = docs.first().and_then(|d| d["processes"].as_hash()) else {
        return Ok(out);
    };
    for (name, process) in processes {
        let Some(name) = name.as_str() else { continue };
        out.apps.push(process_app(name, process, &mut out.notes));
    }
    Ok(out)
}

fn text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(y: &Yaml) -> Option<f64> {
    match y {
        Yaml::Integer(i) => Some(*i as f64),
        Yaml::Real(s) => s.parse().ok(),
        _ => None,
    }
}

fn process_app(name: &str, p: &Yaml, notes: &mut Vec<Note>) -> Map<String, Value> {
    let mut app = Map::new();
    app.insert("name".into(), json!(name));
    let mut note = |setting: &str, why: &str| {
        notes.push(Note {
            line: None,
            app: name.to_string(),
            setting: setting.to_string(),
            why: why.to_string(),
        })
    };
    let Some(fields) = p.as_hash() else {
        note("processes", "entry is not a mapping: left out");
        return app;
    };
    for (key, value) in fields {
        let Some(key) = key.as_str() else { continue };
        match key {
            "command" => match text(value) {
                Some(line) => set_command(&mut app, &line),
                None => note(key, "is not a string: left out"),
            },
            "working_dir" => {
                if let Some(dir) = text(value) {
                    app.insert("cwd".into(), json!(dir));
                }
            }
            "environment" => {
                let mut env = Map::new();
                for item in value.as_vec().into_iter().flatten() {
                    match text(item).as_deref().and_then(|kv| kv.split_once('=')) {
                        Some((k, v)) => {
                            env.insert(k.to_string(), json!(v));
                        }
                        None => note(key, "has an item that is not KEY=value: left out"),
                    }
                }
                if !env.is_empty() {
                    app.insert("env".into(), Value::Object(env));
                }
            }
            "availability" => availability(value, &mut app, &mut note),
            "depends_on" => {
                let mut names = Vec::new();
                for (dep, how) in value.as_hash().into_iter().flatten() {
                    let Some(dep) = dep.as_str() else { continue };
                    names.push(dep.to_string());
                    let condition = how["condition"].as_str().unwrap_or("process_started");
                    if condition != "process_started" {
                        note(
                            "depends_on",
                            &format!("condition {condition} on {dep}: rpm only orders starts, it does not wait for that condition"),
                        );
                    }
                }
                app.insert("depends_on".into(), json!(names));
            }
            "replicas" => {
                if let Some(n) = number(value) {
                    app.insert("instances".into(), json!(n.max(1.0) as u64));
                }
            }
            "shutdown" => {
                if let Some(signal) = number(&value["signal"]) {
                    match crate::signal_names::parse(&(signal as i64).to_string())
                        .map(|s| s.as_str())
                    {
                        Some(name) => {
                            app.insert("kill_signal".into(), json!(name));
                        }
                        None => note("shutdown.signal", "is not a known signal number: left out"),
                    }
                }
                if let Some(secs) = number(&value["timeout_seconds"]) {
                    app.insert("kill_timeout".into(), seconds(secs));
                }
                if !value["command"].is_badvalue() {
                    note(
                        "shutdown.command",
                        "has no rpm equivalent: the app is stopped by its kill signal",
                    );
                }
            }
            "log_location" => {
                if let Some(path) = text(value) {
                    app.insert("log_file".into(), json!(path));
                }
            }
            "readiness_probe" | "liveness_probe" => note(
                key,
                "has no rpm equivalent (use wait_ready with sd_notify): left out",
            ),
            _ => note(key, "has no rpm equivalent: left out"),
        }
    }
    app
}

fn availability(value: &Yaml, app: &mut Map<String, Value>, note: &mut impl FnMut(&str, &str)) {
    match value["restart"].as_str().unwrap_or("no") {
        "always" | "on_failure" => {
            app.insert("autorestart".into(), json!(true));
        }
        "exit_on_failure" => {
            app.insert("autorestart".into(), json!(false));
            note("availability.restart", "exit_on_failure (stop everything when it fails) has no rpm equivalent: the app is not restarted");
        }
        _ => {
            app.insert("autorestart".into(), json!(false));
        }
    }
    if value["restart"].as_str() == Some("on_failure") {
        app.insert("stop_exit_codes".into(), json!([0]));
    }
    if let Some(secs) = number(&value["backoff_seconds"]) {
        app.insert("restart_delay".into(), seconds(secs));
    }
    if let Some(n) = number(&value["max_restarts"]) {
        app.insert("max_restarts".into(), json!(n.max(0.0) as u64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processes_map_to_apps_and_probes_are_noted() {
        let text = r#"version: "0.5"
processes:
  db:
    command: "sleep 1000"
    availability:
      restart: on_failure
      backoff_seconds: 2
      max_restarts: 3
  api:
    command: "python3 -m http.server $API_PORT"
    working_dir: /srv/api
    environment:
      - "API_PORT=8000"
      - "MODE=prod"
    depends_on:
      db:
        condition: process_healthy
    shutdown:
      signal: 15
      timeout_seconds: 5
    readiness_probe:
      http_get: {host: 127.0.0.1, port: 8000}
"#;
        let out = read(text).expect("reads");
        assert_eq!(
            Value::from(out.apps),
            json!([
                {"name": "db", "script": "sleep", "args": ["1000"], "autorestart": true,
                 "stop_exit_codes": [0], "restart_delay": "2s", "max_restarts": 3},
                {"name": "api", "script": "sh", "args": ["-c", "python3 -m http.server $API_PORT"],
                 "cwd": "/srv/api", "env": {"API_PORT": "8000", "MODE": "prod"},
                 "depends_on": ["db"], "kill_signal": "SIGTERM", "kill_timeout": "5s"},
            ])
        );
        let settings: Vec<&str> = out.notes.iter().map(|n| n.setting.as_str()).collect();
        assert_eq!(settings, vec!["depends_on", "readiness_probe"]);
    }
}
