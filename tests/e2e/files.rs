//! Ecosystem files end to end: every format, profiles, file targets, apply, errors.

use crate::harness::{fixture, RpmHome};

fn env_of(pid: i64) -> Vec<String> {
    let data = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    data.split(|b| *b == 0)
        .map(|kv| String::from_utf8_lossy(kv).into_owned())
        .collect()
}

fn pid_of(home: &RpmHome, name: &str) -> i64 {
    home.app(name)["pid"]
        .as_i64()
        .unwrap_or_else(|| panic!("{name} has no pid"))
}

#[test]
fn every_format_starts_the_same_stack_with_the_production_profile() {
    for file in [
        "ecosystem.json",
        "ecosystem.yaml",
        "ecosystem.toml",
        "ecosystem.config.js",
    ] {
        let home = RpmHome::new();
        let path = fixture(&format!("stack/{file}"));
        home.ok(&["start", path.to_str().expect("path"), "--env", "production"]);
        let rows = home.jlist();
        let names: Vec<&str> = rows.iter().filter_map(|p| p["name"].as_str()).collect();
        assert_eq!(
            names,
            vec!["db", "api"],
            "{file}: db starts before api, which depends on it"
        );
        assert!(
            rows.iter().all(|p| p["status"] == "online"),
            "{file}: {rows:?}"
        );
        let env = env_of(pid_of(&home, "api"));
        assert!(env.contains(&"ROLE=api".to_string()), "{file}");
        assert!(
            env.contains(&"LEVEL=prod".to_string()),
            "{file}: env_production overlays env"
        );
        assert_eq!(home.app("api")["args"], serde_json::json!(["1000"]));
    }
}

#[test]
fn starting_a_file_again_restarts_its_apps_and_never_duplicates_them() {
    let home = RpmHome::new();
    let path = fixture("stack/ecosystem.yaml");
    let path = path.to_str().expect("path");
    home.ok(&["start", path]);
    let before = pid_of(&home, "db");
    home.ok(&["start", path]);
    let rows = home.jlist();
    assert_eq!(rows.len(), 2);
    assert_ne!(pid_of(&home, "db"), before);
    assert!(rows.iter().all(|p| p["restarts"] == 1));
}

#[test]
fn only_selects_apps_and_file_targets_act_on_the_files_apps() {
    let home = RpmHome::new();
    let path = fixture("stack/ecosystem.json");
    let path = path.to_str().expect("path");
    home.ok(&["start", path, "--only", "db"]);
    assert_eq!(home.jlist().len(), 1);
    home.start_idle("other");
    home.ok(&["start", path]);
    home.ok(&["stop", path]);
    assert_eq!(home.app("db")["status"], "stopped");
    assert_eq!(home.app("api")["status"], "stopped");
    assert_eq!(home.app("other")["status"], "online", "not in the file");
    home.ok(&["delete", path]);
    assert_eq!(home.jlist().len(), 1);
}

#[test]
fn a_relative_file_path_works_from_another_directory() {
    let home = RpmHome::new();
    let mut cmd = home.command(&["start", "stack/ecosystem.toml"]);
    cmd.current_dir(fixture(""));
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(home.jlist().len(), 2);
}

#[test]
fn apply_starts_new_restarts_changed_leaves_unchanged_and_prunes() {
    let home = RpmHome::new();
    let file = home.join("eco.yaml");
    let write = |text: &str| std::fs::write(&file, text).expect("write file");
    let file_arg = file.to_str().expect("path").to_string();
    write("apps:\n  - {name: a, script: sleep, args: '1000'}\n  - {name: b, script: sleep, args: '1000'}\n");
    let plan = home.ok(&["apply", &file_arg]);
    assert_eq!(plan, "start     a\nstart     b\n");
    let (a, b) = (pid_of(&home, "a"), pid_of(&home, "b"));
    write("apps:\n  - {name: a, script: sleep, args: '1000'}\n  - {name: b, script: sleep, args: '2000'}\n  - {name: c, script: sleep, args: '1000'}\n");
    let dry = home.ok(&["apply", &file_arg, "--dry-run"]);
    assert_eq!(
        dry,
        "unchanged a\nrestart   b (args changed)\nstart     c\n"
    );
    assert_eq!(home.jlist().len(), 2, "--dry-run changes nothing");
    home.ok(&["apply", &file_arg]);
    assert_eq!(pid_of(&home, "a"), a, "unchanged app keeps its pid");
    assert_ne!(pid_of(&home, "b"), b, "changed app restarted");
    assert_eq!(home.app("c")["status"], "online");
    write("apps:\n  - {name: a, script: sleep, args: '1000'}\n");
    let plan = home.ok(&["apply", &file_arg, "--prune"]);
    assert_eq!(plan, "unchanged a\ndelete    b\ndelete    c\n");
    let names: Vec<String> = home
        .jlist()
        .iter()
        .map(|p| p["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(names, vec!["a"]);
}

#[test]
fn an_invalid_file_is_exit_2_with_every_problem_and_starts_nothing() {
    let home = RpmHome::new();
    home.start_idle("keep");
    let path = fixture("stack/broken.yaml");
    let err = home.fails(&["start", path.to_str().expect("path"), "--strict"], 2);
    let shown = path.display().to_string();
    assert!(
        err.contains(&format!(
            "{shown}:4:5: app \"web\": unknown attribute `instanses` (did you mean `instances`?)"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("{shown}:5:5: app \"web\": `kill_timeout` must be milliseconds or a duration like \"5s\", found \"soon\"")),
        "{err}"
    );
    let cycle = fixture("stack/cycle.json");
    let err = home.fails(&["start", cycle.to_str().expect("path")], 2);
    assert!(err.contains("a -> b -> a"), "{err}");
    let err = home.fails(
        &[
            "start",
            fixture("stack/ecosystem.json").to_str().expect("path"),
            "--env",
            "prodution",
        ],
        2,
    );
    assert!(
        err.contains("prodution") && err.contains("production"),
        "{err}"
    );
    assert_eq!(home.jlist().len(), 1, "nothing started");
    assert_eq!(home.app("keep")["status"], "online");
}

#[test]
fn validate_prints_the_resolved_apps_and_init_writes_a_sample_that_validates() {
    let home = RpmHome::new();
    let out = home.ok(&[
        "validate",
        fixture("stack/ecosystem.toml").to_str().expect("path"),
        "--env",
        "production",
    ]);
    assert!(out.contains("\"LEVEL\": \"prod\""), "{out}");
    assert!(out.ends_with("2 app(s), valid\n"), "{out}");
    for flag in [None, Some("--yaml"), Some("--toml")] {
        let dir = tempfile::tempdir().expect("dir");
        // The sample's scripts, as a user would have them.
        for script in ["server.py", "worker.sh"] {
            std::fs::write(dir.path().join(script), "").expect("write script");
        }
        let mut args = vec!["init"];
        args.extend(flag);
        let out = home
            .command(&args)
            .current_dir(dir.path())
            .output()
            .expect("init");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("ecosystem"))
            })
            .expect("the sample file");
        let out = home
            .command(&["validate", written.to_str().expect("path")])
            .output()
            .expect("validate");
        assert!(
            out.status.success(),
            "{flag:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let again = home
            .command(&args)
            .current_dir(dir.path())
            .output()
            .expect("init again");
        assert_eq!(again.status.code(), Some(1), "never overwrites");
    }
}

#[test]
fn a_bad_kill_signal_in_a_file_is_one_error_naming_file_line_app_and_attribute() {
    let home = RpmHome::new();
    let path = home.join("eco.json");
    std::fs::write(
        &path,
        "{\"apps\": [\n  {\"name\": \"web\", \"script\": \"sleep\", \"args\": \"1000\",\n   \"kill_signal\": \"SIGFOO\"}\n]}\n",
    )
    .expect("write eco.json");
    let shown = path.display().to_string();
    let want = format!(
        "error: {shown}:3:4: app \"web\": `kill_signal` must be a signal name like \"SIGINT\", found \"SIGFOO\"\n"
    );
    assert_eq!(home.fails(&["validate", &shown], 2), want);
    assert_eq!(home.fails(&["start", &shown], 2), want);
    assert!(
        home.daemon_pid().is_none(),
        "nothing started, not even a daemon"
    );
}
