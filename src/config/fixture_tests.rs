//! PM2-style fixtures (`tests/fixtures/pm2/`): every attribute and every top-level shape
//! must load. JavaScript fixtures are skipped, with a note, where node is missing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::attributes::ATTRIBUTES;
use super::test_support::{node_available, opts};
use super::{is_ecosystem_file, load_file, ExecMode, LogType};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/pm2")
}

#[test]
fn every_pm2_fixture_loads() {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .expect("fixtures folder")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| is_ecosystem_file(n))
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    let o = opts(&fixtures());
    for name in names {
        if name.ends_with("js") && !node_available() {
            eprintln!("node is not installed: {name} skipped");
            continue;
        }
        let loaded = load_file(Path::new(&name), &o).unwrap_or_else(|e| panic!("{name}:\n{e}"));
        assert!(!loaded.apps.is_empty(), "{name}");
    }
}

#[test]
fn every_attribute_fixture_names_every_attribute_and_alias() {
    let text = std::fs::read_to_string(fixtures().join("every-attribute.json")).expect("fixture");
    for a in ATTRIBUTES {
        for name in std::iter::once(&a.name).chain(a.aliases) {
            assert!(
                text.contains(&format!("\"{name}\":")),
                "every-attribute.json lacks `{name}`"
            );
        }
    }
}

#[test]
fn every_attribute_fixture_resolves_as_written() {
    let mut o = opts(&fixtures());
    o.env_profile = Some("production".into());
    let loaded = load_file(Path::new("every-attribute.json"), &o).expect("loads");
    let app = &loaded.apps[0];
    let dir = fixtures().join("apps");
    let ms = Duration::from_millis;
    assert_eq!(app.name, "all");
    assert_eq!(app.namespace, "fixtures");
    assert_eq!(app.cwd, dir);
    assert_eq!(app.script, dir.join("app.sh"));
    assert_eq!(app.args, ["--port", "3000", "--name", "my app"]);
    assert!(app.interpreter.as_ref().is_some_and(|p| p.ends_with("sh")));
    assert_eq!(app.interpreter_args, ["-e"]);
    assert_eq!(
        (app.instances, app.exec_mode, app.port.clone()),
        (
            2,
            ExecMode::Cluster,
            Some(crate::config::Listen::Port(3000))
        )
    );
    let env = |k: &str| app.env.get(k).map(String::as_str);
    assert_eq!(env("NODE_ENV"), Some("production"));
    assert_eq!(env("PORT"), Some("3000"), "`port` sets PORT, as in PM2");
    assert_eq!(
        (env("RETRIES"), env("DEBUG"), env("EMPTY")),
        (Some("3"), Some("false"), Some(""))
    );
    assert_eq!(
        (env("DB_URL"), env("LOG_LEVEL")),
        (Some("postgres://localhost/db"), Some("info"))
    );
    assert_eq!(
        (app.max_restarts, app.min_uptime, app.restart_delay),
        (10, ms(2000), ms(500))
    );
    assert_eq!(app.exp_backoff_restart_delay, Some(ms(100)));
    assert_eq!(app.stop_exit_codes, [0, 143]);
    assert_eq!(app.cron_restart.as_deref(), Some("0 3 * * *"));
    assert_eq!(app.max_memory_restart, Some(300 << 20));
    assert_eq!(app.watch, std::slice::from_ref(&dir));
    assert_eq!(app.ignore_watch, ["node_modules", "logs"]);
    assert_eq!(
        (app.watch_delay, app.kill_timeout, app.listen_timeout),
        (Some(ms(1000)), ms(3000), ms(8000))
    );
    assert_eq!(app.kill_signal.as_str(), "SIGTERM");
    assert!(app.treekill && app.wait_ready && !app.shutdown_with_message);
    assert_eq!(app.out_file, Some(dir.join("logs/out.log")));
    assert_eq!(app.error_file, Some(dir.join("logs/err.log")));
    assert_eq!(app.log_file, Some(dir.join("logs/combined.log")));
    assert!(app.merge_logs && app.time && app.log_compress);
    assert_eq!(app.log_date_format.as_deref(), Some("YYYY-MM-DD HH:mm Z"));
    assert_eq!(
        (app.log_type, app.log_max_size, app.log_retain),
        (LogType::Json, Some(10 << 20), Some(5))
    );
    assert_eq!(
        (app.instance_var.as_str(), app.increment_var.as_deref()),
        ("INSTANCE_ID", Some("PORT"))
    );
    assert_eq!(app.depends_on, ["aliases"]);
    assert_eq!(
        (app.uid.as_deref(), app.gid.as_deref()),
        (Some("1000"), Some("1000"))
    );

    let alias = &loaded.apps[1];
    assert_eq!(alias.script, fixtures().join("apps/worker.sh"));
    assert_eq!(alias.interpreter, None);
    assert_eq!(alias.cron_restart.as_deref(), Some("*/5 * * * *"));
    assert_eq!(alias.out_file.as_deref(), Some(Path::new("/dev/null")));
    assert_eq!(alias.log_file, None);
    assert_eq!(alias.uid.as_deref(), Some("nobody"));
    assert_eq!(alias.exec_mode, ExecMode::Fork);

    for name in ["cmd-alias", "command-alias"] {
        let app = loaded.apps.iter().find(|a| a.name == name).expect(name);
        assert_eq!(app.script, fixtures().join("apps/worker.sh"), "{name}");
    }
}
