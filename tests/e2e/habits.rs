//! PM2 users' habits: command lines as scripts, names with `/`, and what PM2's verbs do.

use std::ffi::OsStr;

use crate::harness::{alive, idle_start, wait_until, RpmHome, DEADLINE};

#[test]
fn a_command_line_script_runs_through_the_shell_and_stops_as_a_whole() {
    let home = RpmHome::new();
    // A pipeline: two processes under the shell, stopped together.
    home.ok(&["start", "sleep 1000 | cat"]);
    let row = home.wait_app("sleep 1000 | cat", "online", |p| p["status"] == "online");
    assert!(
        row["script"]
            .as_str()
            .is_some_and(|s| s.ends_with("/bash") || s.ends_with("/sh")),
        "{row}"
    );
    assert_eq!(row["args"], serde_json::json!(["-c", "sleep 1000 | cat"]));
    let pid = row["pid"].as_i64().expect("pid") as i32;
    let children = wait_until(DEADLINE, "the pipeline's processes", || {
        let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .map_err(|e| e.to_string())?;
        let kids: Vec<i32> = kids
            .split_whitespace()
            .filter_map(|k| k.parse().ok())
            .collect();
        if kids.len() == 2 {
            Ok(kids)
        } else {
            Err(format!("{kids:?}"))
        }
    });
    home.ok(&["stop", "sleep 1000 | cat"]);
    wait_until(DEADLINE, "the whole pipeline to end", || {
        let left: Vec<i32> = children.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() && !alive(pid) {
            Ok(())
        } else {
            Err(format!("alive: {left:?}"))
        }
    });

    // In an ecosystem file too, with the app's args reaching the command as "$@".
    let file = home.join("eco.json");
    std::fs::write(
        &file,
        r#"{"apps": [{"name": "echoer", "script": "printf '%s\\n' hello", "args": ["a b", "c"], "autorestart": false}]}"#,
    )
    .expect("write");
    home.ok(&["start", file.to_str().expect("path")]);
    let out = home.join("logs/echoer-out.log");
    wait_until(DEADLINE, "the command's output", || {
        let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
        if text == "hello\na b\nc\n" {
            Ok(())
        } else {
            Err(format!("{text:?}"))
        }
    });
}

#[test]
fn a_name_with_a_slash_is_kept_and_its_log_files_use_a_dash() {
    let home = RpmHome::new();
    home.ok(&[
        "start",
        "sh",
        "--name",
        "backend/api",
        "--",
        "-c",
        "echo up; exec sleep 1000",
    ]);
    let row = home.wait_app("backend/api", "online", |p| p["status"] == "online");
    assert_eq!(row["name"], "backend/api");
    assert!(
        row["out_file"]
            .as_str()
            .is_some_and(|f| f.ends_with("/logs/backend-api-out.log")),
        "{row}"
    );
    let out = home.join("logs/backend-api-out.log");
    wait_until(DEADLINE, "the app's output", || {
        let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
        if text.contains("up") {
            Ok(())
        } else {
            Err(text)
        }
    });
    // The name works as a target, and `start` of it (stopped) starts it again.
    home.ok(&["stop", "backend/api"]);
    home.wait_app("backend/api", "stopped", |p| p["status"] == "stopped");
    home.ok(&["start", "backend/api"]);
    home.wait_app("backend/api", "online again", |p| p["status"] == "online");
}

#[test]
fn ids_start_again_at_zero_once_the_list_is_empty() {
    let home = RpmHome::new();
    home.start_idle("a");
    home.start_idle("b");
    assert_eq!(home.app("b")["id"], 1);
    home.ok(&["delete", "a"]);
    home.start_idle("c");
    assert_eq!(
        home.app("c")["id"],
        2,
        "ids are not reused while others exist"
    );
    home.ok(&["delete", "all"]);
    assert!(home.jlist().is_empty());
    home.start_idle("d");
    assert_eq!(home.app("d")["id"], 0);
}

#[test]
fn start_of_a_known_app_starts_or_restarts_it_and_force_adds_an_instance() {
    let home = RpmHome::new();
    home.start_idle("nap");
    let first = home.wait_app("nap", "online", |p| p["status"] == "online");
    // By name, running: PM2 restarts it.
    home.ok(&["start", "nap"]);
    let again = home.wait_app("nap", "restarted", |p| {
        p["status"] == "online" && p["pid"] != first["pid"]
    });
    assert_eq!(again["restarts"], 1, "{again}");
    // By id, stopped: started.
    home.ok(&["stop", "0"]);
    home.wait_app("nap", "stopped", |p| p["status"] == "stopped");
    home.ok(&["start", "0"]);
    home.wait_app("nap", "online", |p| p["status"] == "online");
    // The same script again: said so, exit 0, nothing added; -f adds an instance.
    home.start_idle("nap");
    assert_eq!(home.jlist().len(), 1);
    home.ok(&idle_start("nap", &["-f"]));
    wait_until(DEADLINE, "a second instance", || {
        let rows = home.jlist();
        if rows.len() == 2 && rows.iter().all(|p| p["status"] == "online") {
            Ok(())
        } else {
            Err(format!("{rows:?}"))
        }
    });
}

#[test]
fn start_prints_the_whole_table_with_the_new_app_online() {
    // The daemon answers the start with every row (no second request): the table must
    // still be `rpm list`'s, apps started earlier included.
    let home = RpmHome::new();
    home.start_idle("earlier");
    home.wait_app("earlier", "online", |p| p["status"] == "online");
    let row_of = |table: &str, name: &str| {
        table
            .lines()
            .find(|l| l.contains(&format!(" {name} ")))
            .map(str::to_string)
    };
    let by_script = home.ok(&idle_start("script", &[]));
    let file = home.join("eco.json");
    std::fs::write(
        &file,
        r#"[{"name": "from-file", "script": "sleep", "args": ["1000"]}]"#,
    )
    .expect("write");
    let by_file = home.ok(&["start", &file.to_string_lossy()]);
    for (how, table, new) in [
        ("script", &by_script, "script"),
        ("file", &by_file, "from-file"),
    ] {
        assert!(row_of(table, "earlier").is_some(), "{how}: {table}");
        let row = row_of(table, new).unwrap_or_default();
        assert!(row.contains("online"), "{how}: {table}");
    }
    assert!(
        by_file.contains(" script "),
        "the file's start lists the script's app too: {by_file}"
    );
    let silent = home.ok(&["start", "sleep", "--name", "quiet", "-s", "--", "1000"]);
    assert_eq!(silent, "", "-s prints nothing");
}

#[test]
fn bare_start_runs_the_folders_ecosystem_file() {
    let home = RpmHome::new();
    let dir = home.join("project");
    std::fs::create_dir_all(&dir).expect("dir");
    let err = String::from_utf8_lossy(
        &home
            .command(&["start"])
            .current_dir(&dir)
            .output()
            .expect("run")
            .stderr,
    )
    .into_owned();
    assert!(err.contains("nothing to start"), "{err}");
    std::fs::write(
        dir.join("ecosystem.yml"),
        "apps:\n  - name: from-yml\n    script: sleep\n    args: ['1000']\n",
    )
    .expect("write");
    let out = home
        .command(&["start"])
        .current_dir(&dir)
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    home.wait_app("from-yml", "online", |p| p["status"] == "online");
}

#[test]
fn pm2s_small_verbs_and_flags() {
    let home = RpmHome::new();
    let out = home.ok(&idle_start("nap", &["-s", "-i", "2", "-x"]));
    assert_eq!(out, "", "-s prints nothing after a change");
    let rows = wait_until(DEADLINE, "two instances online", || {
        let rows = home.jlist();
        if rows.len() == 2 && rows.iter().all(|p| p["status"] == "online") {
            Ok(rows)
        } else {
            Err(format!("{rows:?}"))
        }
    });
    let pids: Vec<String> = rows.iter().map(|p| p["pid"].to_string()).collect();
    assert_eq!(home.ok(&["pid", "nap"]).lines().collect::<Vec<_>>(), pids);
    assert_eq!(home.ok(&["pid"]).lines().count(), 2);
    assert_eq!(home.ok(&["id", "nap"]).trim(), "[0,1]");
    let env = home.ok(&["env", "nap"]);
    assert!(
        env.contains("# nap (id 0)") && env.contains("# nap (id 1)"),
        "{env}"
    );
    assert!(env.contains("RPM_NAME: nap"), "{env}");
    assert!(home.ok(&["env", "1"]).contains("RPM_ID: 1"));
    let err = home.fails(&["id", "nope"], 1);
    assert!(err.contains("no app or instance `nope`"), "{err}");
    // --no-treekill, --instance-var, --disable-logs reach the spec.
    home.ok(&idle_start(
        "quiet",
        &[
            "--no-treekill",
            "--instance-var",
            "WORKER",
            "--disable-logs",
        ],
    ));
    let quiet = home.wait_app("quiet", "online", |p| p["status"] == "online");
    assert_eq!(quiet["out_file"], "/dev/null", "{quiet}");
    let env = home.ok(&["env", "quiet"]);
    assert!(env.contains("WORKER: 0"), "{env}");
    let err = home.fails(&["start", "sleep", "--node-args", "--inspect"], 2);
    assert!(
        err.contains("--node-args") && err.contains("does not run on node"),
        "{err}"
    );
}

#[test]
fn usage_errors_keep_clap_details_and_pm2_verbs_say_not_built() {
    let home = RpmHome::new();
    let out = home.run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let usage = String::from_utf8_lossy(&out.stderr);
    assert!(
        usage.contains("Usage: rpm"),
        "rpm alone prints the usage: {usage}"
    );
    let err = home.fails(&["strat"], 2);
    assert!(
        err.contains("similar subcommands exist") && err.contains("'start'"),
        "{err}"
    );
    let err = home.fails(&["start", "x", "--nmae", "y"], 2);
    assert!(err.contains("a similar argument exists: '--name'"), "{err}");
    let err = home.fails(&["scale"], 2);
    assert!(err.contains("<NAME>") && err.contains("<COUNT>"), "{err}");
    let err = home.fails(&["deploy", "production"], 2);
    assert_eq!(
        err,
        "error: `deploy` is a PM2 command rpm has not built yet\n"
    );
    assert!(
        home.run(&["ecosystem", "--help"]).status.success(),
        "ecosystem is init"
    );
}

#[test]
fn a_folder_script_runs_as_node_runs_a_folder() {
    let home = RpmHome::new();
    let dist = home.join("dist");
    std::fs::create_dir_all(&dist).expect("dir");
    std::fs::write(
        dist.join("index.js"),
        "console.log('from index'); setInterval(() => {}, 1000);\n",
    )
    .expect("write");
    let out = home
        .command(&["start", "dist/", "--name", "web"])
        .current_dir(home.join(""))
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    let row = home.wait_app("web", "online", |p| p["status"] == "online");
    assert!(
        row["interpreter"]
            .as_str()
            .is_some_and(|i| i.ends_with("/node")),
        "{row}"
    );
    let log = home.join("logs/web-out.log");
    wait_until(DEADLINE, "index.js's output", || {
        let text = std::fs::read_to_string(&log).map_err(|e| e.to_string())?;
        if text.contains("from index") {
            Ok(())
        } else {
            Err(text)
        }
    });
}

#[test]
fn validate_and_start_agree_except_for_paths_of_another_machine() {
    let home = RpmHome::new();
    let file = home.join("deploy.json");
    std::fs::write(
        &file,
        r#"{"apps": [{"name": "a", "script": "server.js", "cwd": "/srv/app-not-here", "env_file": ".env.prod", "colour": 1}]}"#,
    )
    .expect("write");
    let path = file.to_str().expect("path");
    let out = home.run(&["validate", path]);
    assert!(out.status.success(), "{out:?}");
    let warnings = String::from_utf8_lossy(&out.stderr);
    for want in [
        "unknown attribute `colour` (ignored)",
        "`cwd` directory /srv/app-not-here does not exist (fine if the file is for another machine",
        "env_file /srv/app-not-here/.env.prod does not exist here",
        "script `server.js` not found",
    ] {
        assert!(warnings.contains(want), "{want}: {warnings}");
    }
    let err = home.fails(&["validate", "--strict", path], 2);
    assert!(
        err.contains("error:") && err.contains("unknown attribute `colour`"),
        "{err}"
    );
    let err = home.fails(&["start", path], 2);
    assert!(
        err.contains("`cwd` directory /srv/app-not-here does not exist"),
        "{err}"
    );
    assert!(home.jlist().is_empty());
}

#[test]
fn several_instances_with_one_out_file_write_one_file_each_unless_merged() {
    let home = RpmHome::new();
    let script = "echo \"I am $RPM_INSTANCE\"; exec sleep 1000";
    home.ok(&[
        "start", "sh", "--name", "own", "-i", "2", "-x", "--output", "out.log", "--", "-c", script,
    ]);
    for (id, file) in [(0, "out-0.log"), (1, "out-1.log")] {
        let path = home.join(file);
        wait_until(
            DEADLINE,
            &format!("{file} to hold instance {id}'s line"),
            || {
                let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
                if text == format!("I am {id}\n") {
                    Ok(())
                } else {
                    Err(format!("{text:?}"))
                }
            },
        );
    }
    let rows = home.jlist();
    assert!(
        rows[1]["out_file"]
            .as_str()
            .is_some_and(|f| f.ends_with("/out-1.log")),
        "{rows:?}"
    );
    assert!(!home.join("out.log").exists());

    home.ok(&[
        "start",
        "sh",
        "--name",
        "merged",
        "-i",
        "2",
        "-x",
        "--merge-logs",
        "--output",
        "merged.log",
        "--",
        "-c",
        script,
    ]);
    let path = home.join("merged.log");
    wait_until(DEADLINE, "both lines in the merged file", || {
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        if text.contains("I am 0\n") && text.contains("I am 1\n") {
            Ok(())
        } else {
            Err(format!("{text:?}"))
        }
    });
}

#[test]
fn restart_file_switches_profile_and_update_env_refreshes_the_shell_layer() {
    let home = RpmHome::new();
    let file = home.join("eco.json");
    std::fs::write(
        &file,
        r#"{"apps": [{"name": "e", "script": "sleep", "args": ["1000"],
            "env": {"MODE": "dev", "KEEP": "file"}, "env_production": {"MODE": "prod"}}]}"#,
    )
    .expect("write");
    let path = file.to_str().expect("path");
    home.ok_env(&["start", path], &[("FROM_SHELL", OsStr::new("one"))]);
    home.wait_app("e", "online", |p| p["status"] == "online");
    let env = home.ok(&["env", "e"]);
    assert!(
        env.contains("MODE: dev") && env.contains("FROM_SHELL: one"),
        "{env}"
    );

    home.ok(&["restart", path, "--env", "production"]);
    let row = home.wait_app("e", "restarted", |p| {
        p["status"] == "online" && p["restarts"] == 1
    });
    assert_eq!(row["id"], 0);
    assert!(home.ok(&["env", "e"]).contains("MODE: prod"));

    // A restart by name keeps the environment; --update-env takes the shell's anew,
    // and keeps what the file set on top.
    home.ok_env(&["restart", "e"], &[("FROM_SHELL", OsStr::new("two"))]);
    home.wait_app("e", "restarted", |p| {
        p["status"] == "online" && p["restarts"] == 2
    });
    assert!(home.ok(&["env", "e"]).contains("FROM_SHELL: one"));
    home.ok_env(
        &["restart", "e", "--update-env"],
        &[
            ("FROM_SHELL", OsStr::new("two")),
            ("MODE", OsStr::new("shell")),
        ],
    );
    home.wait_app("e", "restarted", |p| {
        p["status"] == "online" && p["restarts"] == 3
    });
    let env = home.ok(&["env", "e"]);
    assert!(env.contains("FROM_SHELL: two"), "{env}");
    assert!(
        env.contains("MODE: prod") && env.contains("KEEP: file"),
        "{env}"
    );

    let described = home.ok(&["describe", "e"]);
    assert!(
        described.contains("MODE  prod  (from env_production)"),
        "{described}"
    );
    assert!(described.contains("KEEP  file  (from env)"), "{described}");
    assert!(
        described.contains("from the shell that started it"),
        "{described}"
    );
}

#[test]
fn jlist_pm2_prints_pm2s_shape() {
    let home = RpmHome::new();
    home.start_idle("nap");
    let row = home.wait_app("nap", "online", |p| p["status"] == "online");
    let text = home.ok(&["jlist", "--pm2"]);
    let pm2: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let p = &pm2[0];
    assert_eq!(p["pm_id"], 0);
    assert_eq!(p["name"], "nap");
    assert_eq!(p["pid"], row["pid"]);
    assert_eq!(p["pm2_env"]["status"], "online");
    assert_eq!(p["pm2_env"]["exec_mode"], "fork_mode");
    assert_eq!(p["pm2_env"]["restart_time"], 0);
    assert!(
        p["pm2_env"]["pm_uptime"].as_u64().is_some_and(|t| t > 0),
        "{p}"
    );
    assert!(
        p["monit"]["memory"].is_u64() && p["monit"]["cpu"].is_number(),
        "{p}"
    );
    let pretty = home.ok(&["prettylist", "--pm2"]);
    assert!(pretty.contains("\n    \"pm2_env\": {"), "{pretty}");
}
