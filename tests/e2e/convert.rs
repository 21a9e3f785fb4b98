//! `rpm convert` end to end: a supervisord file and a Procfile converted by the real
//! binary, the result checked by `rpm validate` and run under rpm until its apps are
//! online (the home's `Drop` stops them).

use crate::harness::{wait_until, RpmHome, DEADLINE};

fn convert(home: &RpmHome, args: &[&str]) -> (String, String) {
    let out = home.run(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "rpm {args:?}: {stderr}");
    (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
}

fn run_until_online(home: &RpmHome, file: &str, names: &[&str]) {
    let checked = home.ok(&["validate", file]);
    assert!(
        checked.ends_with(&format!("{file}: {} app(s), valid\n", names.len())),
        "{checked}"
    );
    home.ok(&["start", file]);
    for name in names {
        wait_until(
            DEADLINE,
            &format!("every instance of {name} online"),
            || {
                let rows = home.jlist();
                let mine: Vec<_> = rows.iter().filter(|p| p["name"] == *name).collect();
                if !mine.is_empty() && mine.iter().all(|p| p["status"] == "online") {
                    Ok(())
                } else {
                    Err(format!("{mine:?}"))
                }
            },
        );
    }
}

#[test]
fn a_converted_supervisord_file_validates_and_runs_under_rpm() {
    let home = RpmHome::new();
    let dir = home.join("app");
    std::fs::create_dir_all(&dir).expect("app dir");
    let conf = home.join("supervisord.conf");
    let text = format!(
        "[supervisord]\nnodaemon=true\n\n[program:sleeper]\ncommand=sleep 1000\ndirectory={dir}\nenvironment=GREETING=\"hello, world\",MODE=test\nautorestart=true\nstartsecs=1\nstartretries=3\nstopsignal=TERM\nstopwaitsecs=2\npriority=5\n\n[program:shell]\ncommand=sh -c 'echo started; exec sleep 1000'\nnumprocs=2\n",
        dir = dir.display()
    );
    std::fs::write(&conf, text).expect("write supervisord.conf");
    for to in ["yaml", "json", "toml"] {
        let out = home.join(&format!("converted.{to}"));
        let (_, stderr) = convert(
            &home,
            &[
                "convert",
                conf.to_str().expect("path"),
                "--to",
                to,
                "--out",
                out.to_str().expect("path"),
            ],
        );
        assert!(
            stderr.contains("app \"sleeper\": `priority` has no rpm equivalent: left out"),
            "{stderr}"
        );
        let checked = home.ok(&["validate", out.to_str().expect("path")]);
        assert!(
            checked.contains("\"kill_signal\": \"SIGTERM\""),
            "{checked}"
        );
    }
    let yaml = home.join("converted.yaml");
    run_until_online(&home, yaml.to_str().expect("path"), &["sleeper", "shell"]);
    let sleeper = home.app("sleeper");
    assert_eq!(sleeper["cwd"], dir.to_str().expect("path"));
    let rows = home.jlist();
    assert_eq!(
        rows.iter().filter(|p| p["name"] == "shell").count(),
        2,
        "numprocs=2"
    );
    let pid = sleeper["pid"].as_i64().expect("pid");
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    assert!(environ
        .split(|b| *b == 0)
        .any(|kv| kv == b"GREETING=hello, world"));
}

#[test]
fn a_converted_procfile_validates_and_runs_under_rpm() {
    let home = RpmHome::new();
    let procfile = home.join("Procfile");
    std::fs::write(
        &procfile,
        "# two processes\nweb: sleep 1000\nworker: echo \"working\" && exec sleep 1000\n",
    )
    .expect("write Procfile");
    let (stdout, _) = convert(&home, &["convert", procfile.to_str().expect("path")]);
    let converted = home.join("ecosystem.yaml");
    std::fs::write(&converted, &stdout).expect("write ecosystem.yaml");
    run_until_online(&home, converted.to_str().expect("path"), &["web", "worker"]);
    assert_eq!(
        home.app("worker")["args"],
        serde_json::json!(["-c", "echo \"working\" && exec sleep 1000"])
    );
}

#[test]
fn unknown_formats_and_broken_files_fail_with_exit_2() {
    let home = RpmHome::new();
    let notes = home.join("notes.txt");
    std::fs::write(&notes, "web: sleep 1\n").expect("write");
    let err = home.fails(&["convert", notes.to_str().expect("path")], 2);
    assert!(
        err.starts_with(&format!(
            "error: {}: cannot tell the format from its name: add --from",
            notes.display()
        )),
        "{err}"
    );
    let procfile = home.join("Procfile");
    std::fs::write(&procfile, "web: sleep 1\nbroken line\n").expect("write");
    let err = home.fails(&["convert", procfile.to_str().expect("path")], 2);
    assert_eq!(
        err,
        format!(
            "error: {}:2: expected `name: command`, found \"broken line\"\n",
            procfile.display()
        )
    );
}

#[test]
fn a_pm2_file_is_rewritten_in_each_format_and_validates_the_same() {
    let home = RpmHome::new();
    let examples = crate::harness::examples();
    let apps = home.join("apps");
    std::fs::create_dir_all(&apps).expect("apps dir");
    for script in ["web.py", "worker.sh"] {
        std::fs::copy(examples.join("apps").join(script), apps.join(script)).expect("copy");
    }
    let js = home.join("ecosystem.config.js");
    std::fs::copy(examples.join("ecosystem.config.js"), &js).expect("copy");
    let original = home.ok(&[
        "validate",
        js.to_str().expect("path"),
        "--env",
        "production",
    ]);
    let resolved = |text: &str| {
        text.lines()
            .filter(|l| !l.ends_with("valid"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    for to in ["yaml", "json", "toml"] {
        let out = home.join(&format!("converted.{to}"));
        let out = out.to_str().expect("path");
        convert(
            &home,
            &[
                "convert",
                js.to_str().expect("path"),
                "--to",
                to,
                "--out",
                out,
            ],
        );
        let checked = home.ok(&["validate", out, "--env", "production"]);
        assert_eq!(
            resolved(&checked).replace(out, ""),
            resolved(&original).replace(js.to_str().expect("path"), ""),
            "{to}"
        );
    }
}
