//! The CLI run under another name (the .rpm package's `rpmpm`, or any symlink): usage,
//! version, errors and hints, completions and man pages all say the name it was run as.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::harness::{rpm_bin, RpmHome};

/// The rpm binary linked as `rpmpm` inside the test's home.
fn linked_as_rpmpm(home: &RpmHome) -> PathBuf {
    let link = home.join("bin/rpmpm");
    std::fs::create_dir_all(home.join("bin")).expect("create bin/");
    std::os::unix::fs::symlink(rpm_bin(), &link).expect("link rpmpm to the rpm binary");
    link
}

fn run_as(home: &RpmHome, program: &Path, args: &[&str]) -> Output {
    home.command_as(program, args)
        .output()
        .expect("run rpm as rpmpm")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn usage_version_and_errors_name_the_command_as_invoked() {
    let home = RpmHome::new();
    let rpmpm = linked_as_rpmpm(&home);

    let out = run_as(&home, &rpmpm, &["--version"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!("rpmpm {}\n", env!("CARGO_PKG_VERSION"))
    );

    let out = run_as(&home, &rpmpm, &["--help"]);
    assert!(
        stdout(&out).contains("\nUsage: rpmpm [OPTIONS] <COMMAND>\n"),
        "{}",
        stdout(&out)
    );
    let out = run_as(&home, &rpmpm, &["start", "--help"]);
    assert!(
        stdout(&out).contains("\nUsage: rpmpm start [OPTIONS] [TARGET]"),
        "{}",
        stdout(&out)
    );

    let out = run_as(&home, &rpmpm, &["help"]);
    assert!(
        stdout(&out).contains("Start the apps saved by `rpmpm save` that are not running"),
        "{}",
        stdout(&out)
    );

    let out = run_as(&home, &rpmpm, &["frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: unrecognized subcommand 'frobnicate'")
            && err.ends_with(" (see `rpmpm --help`)\n"),
        "{err}"
    );

    let out = run_as(&home, &rpmpm, &["signal", "HUP"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: rpmpm signal needs a target: `rpmpm signal SIGUSR2 api`\n"
    );

    let out = run_as(&home, &rpmpm, &["scale", "api", "many"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: rpmpm scale api many: the count must be N, +N or -N (for example 4, +2, -1)\n"
    );

    // The same binary under its own name still says rpm.
    let err = home.fails(&["frobnicate"], 2);
    assert!(err.ends_with(" (see `rpm --help`)\n"), "{err}");
}

#[test]
fn hints_from_the_daemon_and_files_name_the_command_as_invoked() {
    let home = RpmHome::new();
    let rpmpm = linked_as_rpmpm(&home);

    // Written by the daemon, printed by the CLI run as rpmpm (which started the daemon).
    let out = run_as(&home, &rpmpm, &["stop", "nope"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stderr(&out),
        "error: no app or namespace named `nope`: `rpmpm list` shows what rpm knows\n"
    );
    // One daemon serves both names: each CLI names itself.
    assert_eq!(
        home.fails(&["stop", "nope"], 1),
        "error: no app or namespace named `nope`: `rpm list` shows what rpm knows\n"
    );

    let out = run_as(&home, &rpmpm, &["init"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "wrote ecosystem.json: edit it, then `rpmpm start ecosystem.json`\n"
    );

    let out = run_as(&home, &rpmpm, &["startOrReload", "sleep"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "error: startOrReload takes an ecosystem file, found `sleep`: use `rpmpm start` for a script, `rpmpm reload` for a running app\n"
    );

    // Written by dump.rs: a command line after `&&`.
    std::fs::write(home.join("dump.json"), "[{").expect("write a damaged dump");
    std::fs::write(home.join("dump.json.bak"), "[]").expect("write a backup");
    let out = run_as(&home, &rpmpm, &["resurrect"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).ends_with(&format!(
            ": cp {bak} {dump} && rpmpm resurrect\n",
            bak = home.join("dump.json.bak").display(),
            dump = home.join("dump.json").display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn completions_and_man_pages_are_generated_for_the_invoked_name() {
    let home = RpmHome::new();
    let rpmpm = linked_as_rpmpm(&home);

    let out = run_as(&home, &rpmpm, &["completions", "bash"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let bash = stdout(&out);
    assert!(
        bash.contains("complete -F _rpmpm -o nosort -o bashdefault -o default rpmpm"),
        "{bash}"
    );
    assert!(!bash.contains("_rpm()"), "{bash}");
    let out = run_as(&home, &rpmpm, &["completions", "fish"]);
    assert!(
        stdout(&out).contains("complete -c rpmpm -n \"__fish_rpmpm_needs_command\""),
        "{}",
        stdout(&out)
    );

    // No RPM_HOME or HOME needed, as in a package build's sandbox.
    let dir = home.join("man/man1");
    let out = home
        .command_as(&rpmpm, &["man-pages", dir.to_str().expect("utf-8 path")])
        .env_remove("RPM_HOME")
        .env_remove("HOME")
        .output()
        .expect("run rpmpm man-pages");
    assert!(out.status.success(), "{}", stderr(&out));
    let mut written: Vec<String> = std::fs::read_dir(&dir)
        .expect("read the man folder")
        .map(|e| e.expect("list").file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    // The same pages as the committed ones for `rpm`, renamed.
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("packaging/man");
    let mut expected: Vec<String> = std::fs::read_dir(&committed)
        .expect("read packaging/man")
        .map(|e| {
            let name = e.expect("list").file_name().to_string_lossy().into_owned();
            name.replacen("rpm", "rpmpm", 1)
        })
        .collect();
    expected.sort();
    assert_eq!(written, expected);
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), written.len(), "one line per page written");
    let top = std::fs::read_to_string(dir.join("rpmpm.1")).expect("read rpmpm.1");
    assert!(
        top.contains(&format!(
            ".TH rpmpm 1  \"rpmpm {}\"",
            env!("CARGO_PKG_VERSION")
        )),
        "{top}"
    );
    let resurrect =
        std::fs::read_to_string(dir.join("rpmpm-resurrect.1")).expect("read rpmpm-resurrect.1");
    assert!(resurrect.contains("`rpmpm save`"), "{resurrect}");

    let blocked = home.join("not-a-dir");
    std::fs::write(&blocked, "").expect("write a file");
    let out = run_as(
        &home,
        &rpmpm,
        &["man-pages", blocked.to_str().expect("utf-8 path")],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with(&format!(
            "error: cannot create the folder {}: ",
            blocked.display()
        )),
        "{}",
        stderr(&out)
    );
}
