//! Table tests of `load_file` end to end: every format, env layering, profiles, `--only`,
//! relative paths, warnings, and the exact text of every error class.

use std::path::{Path, PathBuf};

use super::test_support::{node_available, opts, TempDir};
use super::{is_ecosystem_file, load_file, AppSpec, LoadOptions};

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

fn load_example(file: &str, profile: Option<&str>) -> Vec<AppSpec> {
    let mut o = opts(Path::new(env!("CARGO_MANIFEST_DIR")));
    o.env_profile = profile.map(str::to_string);
    let loaded =
        load_file(&Path::new("examples").join(file), &o).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(loaded.warnings.is_empty(), "{file}: {:?}", loaded.warnings);
    loaded
        .apps
        .into_iter()
        .map(|mut a| {
            a.source_file = None;
            a
        })
        .collect()
}

#[test]
fn examples_in_every_format_resolve_to_identical_specs() {
    let mut files = vec!["ecosystem.json", "ecosystem.yaml", "ecosystem.toml"];
    if node_available() {
        files.push("ecosystem.config.js");
    } else {
        eprintln!("node is not installed: ecosystem.config.js not compared");
    }
    for profile in [None, Some("production")] {
        let reference = load_example(files[0], profile);
        for file in &files[1..] {
            assert_eq!(load_example(file, profile), reference, "{file} {profile:?}");
        }
        let web = &reference[0];
        let worker = &reference[1];
        assert_eq!(web.name, "web");
        assert_eq!(web.script, examples_dir().join("apps/web.py"));
        assert_eq!(web.cwd, examples_dir());
        assert_eq!(web.kill_signal.as_str(), "SIGINT");
        assert_eq!(web.kill_timeout, std::time::Duration::from_millis(3000));
        assert_eq!(worker.depends_on, vec!["web".to_string()]);
        assert_eq!(worker.kill_signal.as_str(), "SIGTERM");
        assert_eq!(worker.env.get("CALLER").map(String::as_str), Some("yes"));
        let (port, label) = match profile {
            None => ("8000", "dev"),
            Some(_) => ("8080", "prod"),
        };
        assert_eq!(web.env.get("PORT").map(String::as_str), Some(port));
        assert_eq!(
            worker.env.get("WORKER_LABEL").map(String::as_str),
            Some(label)
        );
    }
}

#[test]
fn ecosystem_file_names_follow_pm2() {
    let rows = [
        ("ecosystem.json", true),
        ("ecosystem.config.js", true),
        ("app.config.cjs", true),
        ("app.config.mjs", true),
        ("process.yml", true),
        ("stack.yaml", true),
        ("stack.toml", true),
        ("dir/ecosystem.json", true),
        ("server.js", false),
        ("ecosystem.js", false),
        ("server.py", false),
        ("redis-server", false),
        (".json", false),
    ];
    for (arg, want) in rows {
        assert_eq!(is_ecosystem_file(arg), want, "{arg}");
    }
}

/// Writes `eco.json` with `content` in a fresh folder holding `a.sh` and `b.sh`.
fn project(content: &str) -> (TempDir, LoadOptions) {
    let dir = TempDir::new();
    dir.script("a.sh");
    dir.script("b.sh");
    dir.write("eco.json", content);
    let o = opts(&dir.0);
    (dir, o)
}

#[test]
fn env_layers_caller_then_env_file_then_env_then_profile() {
    let content = r#"{apps: [{name: 'a', script: 'a.sh', env_file: '.env',
        env: {A: 'env', C: 'env'}, env_production: {C: 'prod', D: 4}}]}"#;
    let (dir, mut o) = project(content);
    dir.write(".env", "A=file\nB=file\nCALLER=file\n");
    type Row<'a> = (Option<&'a str>, [(&'a str, Option<&'a str>); 5]);
    let rows: [Row; 2] = [
        (
            None,
            [
                ("CALLER", Some("file")),
                ("A", Some("env")),
                ("B", Some("file")),
                ("C", Some("env")),
                ("D", None),
            ],
        ),
        (
            Some("production"),
            [
                ("CALLER", Some("file")),
                ("A", Some("env")),
                ("B", Some("file")),
                ("C", Some("prod")),
                ("D", Some("4")),
            ],
        ),
    ];
    for (profile, want) in rows {
        o.env_profile = profile.map(str::to_string);
        let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
        let env = &loaded.apps[0].env;
        for (key, value) in want {
            assert_eq!(env.get(key).map(String::as_str), value, "{profile:?} {key}");
        }
        assert_eq!(env.get("HOME").map(String::as_str), Some("/home/tester"));
    }
}

#[test]
fn filter_env_drops_caller_variables() {
    let rows = [
        ("true", None, None),
        ("'CAL'", None, Some("/home/tester")),
        ("false", Some("yes"), Some("/home/tester")),
    ];
    for (filter, caller, home) in rows {
        let (_dir, o) = project(&format!(
            "{{apps: [{{script: 'a.sh', filter_env: {filter}}}]}}"
        ));
        let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
        let env = &loaded.apps[0].env;
        assert_eq!(env.get("CALLER").map(String::as_str), caller, "{filter}");
        assert_eq!(env.get("HOME").map(String::as_str), home, "{filter}");
    }
}

#[test]
fn only_selects_apps_in_file_order() {
    let (_dir, mut o) = project(
        "[{name: 'x', script: 'a.sh'}, {name: 'y', script: 'b.sh'}, {name: 'z', script: 'a.sh'}]",
    );
    let rows: [(&[&str], &[&str]); 3] = [
        (&[], &["x", "y", "z"]),
        (&["z", "x"], &["x", "z"]),
        (&["y"], &["y"]),
    ];
    for (only, want) in rows {
        o.only = only.iter().map(|s| s.to_string()).collect();
        let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
        let names: Vec<&str> = loaded.apps.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, want, "{only:?}");
    }
}

#[test]
fn relative_paths_resolve_from_the_file_not_the_caller() {
    let dir = TempDir::new();
    dir.script("proj/app/run");
    dir.write("proj/app/.env", "X=1\n");
    dir.write(
        "proj/eco.yaml",
        "apps:\n  - name: r\n    cwd: app\n    script: run\n    env_file: .env\n    out_file: logs/out.log\n    error_file: /dev/null\n    log_file: ~/all.log\n    watch: [src, ../lib]\n",
    );
    std::fs::create_dir_all(dir.0.join("elsewhere")).expect("mkdir");
    let o = opts(&dir.0.join("elsewhere"));
    let loaded = load_file(Path::new("../proj/eco.yaml"), &o).expect("loads");
    let app = &loaded.apps[0];
    let base = dir.0.join("proj/app");
    assert_eq!(app.cwd, base);
    assert_eq!(app.script, base.join("run"));
    assert_eq!(app.interpreter, None);
    assert_eq!(app.out_file, Some(base.join("logs/out.log")));
    assert_eq!(app.error_file, Some(PathBuf::from("/dev/null")));
    assert_eq!(app.log_file, Some(PathBuf::from("/home/tester/all.log")));
    assert_eq!(app.watch, vec![base.join("src"), dir.0.join("proj/lib")]);
    assert_eq!(app.env.get("X").map(String::as_str), Some("1"));
    assert_eq!(app.source_file, Some(dir.0.join("proj/eco.yaml")));
}

#[test]
fn relative_cwd_found_only_from_the_caller_is_used_with_a_warning() {
    let dir = TempDir::new();
    dir.write("conf/eco.json", "{apps: [{name: 'w', cwd: 'srv', script: 'run.sh'}, {name: 'v', cwd: 'srv', script: 'run.sh'}]}");
    dir.script("srv/run.sh");
    let o = opts(&dir.0);
    let loaded = load_file(Path::new("conf/eco.json"), &o).expect("loads");
    assert_eq!(loaded.apps[0].cwd, dir.0.join("srv"));
    assert_eq!(
        loaded.warnings,
        vec![format!(
            "warning: conf/eco.json:1:21: app \"w\": `cwd` \"srv\" does not exist next to the ecosystem file; using {} (relative to your working directory, as PM2 does): make `cwd` absolute or relative to the file's folder",
            dir.0.join("srv").display()
        )]
    );
}

#[test]
fn instances_max_and_minus_one_follow_the_cpu_count() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let rows = [
        ("'max'", cpus),
        ("0", cpus),
        ("-1", cpus.saturating_sub(1).max(1)),
        ("3", 3),
    ];
    for (value, want) in rows {
        let (_dir, o) = project(&format!(
            "{{apps: {{script: 'a.sh', instances: {value}, exec_mode: 'cluster_mode'}}}}"
        ));
        let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
        assert_eq!(loaded.apps[0].instances, want, "{value}");
        assert_eq!(loaded.apps[0].exec_mode, super::ExecMode::Cluster);
    }
}

#[test]
fn warnings_are_reported_once_and_deploy_is_kept() {
    let (_dir, o) = project(
        "{apps: [{name: 'a', script: 'a.sh', vizion: false, colour: 1, node_args: '--x'},
                 {name: 'b', script: 'b.sh', vizion: true, colour: 2}],
          deploy: {production: {user: 'me', ref: 'origin/main'}}, dploy: 1}",
    );
    let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
    assert_eq!(
        loaded.warnings,
        vec![
            "warning: eco.json:3:67: top level: unknown attribute `dploy` (did you mean `deploy`?) (ignored; only `apps` and `deploy` are read)",
            "warning: eco.json:1:37: app \"a\": `vizion` has no effect in rpm (PM2 only (versioning metadata)); remove it",
            "warning: eco.json:1:52: app \"a\": unknown attribute `colour` (ignored)",
            "warning: eco.json:1:63: app \"a\": `node_args` has no effect: this app does not run on node; use `interpreter_args`",
        ]
    );
    assert_eq!(
        loaded.deploy,
        Some(serde_json::json!({"production": {"user": "me", "ref": "origin/main"}}))
    );
}

#[test]
fn a_deploy_only_profile_uses_env_with_the_deploy_env_under_it() {
    let (_dir, mut o) = project(
        "{apps: [{name: 'a', script: 'a.sh', env: {A: 'app', B: 'app'}},
                 {name: 'b', script: 'b.sh', env_staging: {A: 'staging'}}],
          deploy: {production: {user: 'me', env: {A: 'deploy', C: 'deploy', N: 3}}}}",
    );
    o.env_profile = Some("production".into());
    let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
    let env = |app: usize, k: &str| loaded.apps[app].env.get(k).cloned();
    assert_eq!(
        env(0, "A").as_deref(),
        Some("app"),
        "env wins over deploy.env"
    );
    assert_eq!(env(0, "C").as_deref(), Some("deploy"));
    assert_eq!(env(0, "N").as_deref(), Some("3"));
    assert_eq!(env(1, "A").as_deref(), Some("deploy"));
    assert!(
        loaded.warnings.iter().any(|w| w.contains(
            "--env production: no app declares `env_production`; using `env` with `deploy.production.env` under it"
        )),
        "{:?}",
        loaded.warnings
    );
    // A profile in no env_* and no deploy target stays an error.
    o.env_profile = Some("nowhere".into());
    let err = load_file(Path::new("eco.json"), &o).expect_err("unknown profile");
    assert!(
        err.to_string().contains("no app declares `env_nowhere`"),
        "{err}"
    );
    // env_P still wins over both.
    let (_dir, mut o) = project(
        "{apps: [{name: 'a', script: 'a.sh', env: {A: 'app'}, env_production: {A: 'prod'}}],
          deploy: {production: {env: {A: 'deploy', D: 'deploy'}}}}",
    );
    o.env_profile = Some("production".into());
    let loaded = load_file(Path::new("eco.json"), &o).expect("loads");
    assert_eq!(
        loaded.apps[0].env.get("A").map(String::as_str),
        Some("prod")
    );
    assert_eq!(
        loaded.apps[0].env.get("D").map(String::as_str),
        Some("deploy")
    );
}

#[test]
fn json_text_loads_like_a_json_file_with_paths_from_the_callers_folder() {
    let dir = TempDir::new();
    let o = opts(&dir.0);
    dir.script("server.py");
    let text = "{apps: [{name: 'api', script: 'server.py', instances: 2,}]} // lenient";
    let loaded = super::load_json_text(text, "request body", &o).expect("loads");
    assert_eq!(loaded.apps.len(), 1);
    assert_eq!(loaded.apps[0].script, dir.0.join("server.py"));
    assert_eq!(loaded.apps[0].cwd, dir.0);
    let err = super::load_json_text(
        r#"{"apps": [{"name": "x", "instanses": 2}]}"#,
        "request body",
        &o,
    )
    .expect_err("refused");
    assert_eq!(
        err.to_string().trim_end(),
        "error: request body:1:11: app \"x\": `script` is required"
    );
    let err = super::load_json_text("{\"apps\": [", "request body", &o).expect_err("refused");
    assert!(
        err.to_string().starts_with("error: request body:1:"),
        "{err}"
    );
}
