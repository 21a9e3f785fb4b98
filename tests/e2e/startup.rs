//! `rpm startup` / `rpm unstartup`: each init system's script as its own tools read it
//! (systemd-analyze, sh -n, python3's plistlib), a SysV script really run (start,
//! status, stop) against a saved dump, installs and removals under `--root`, and
//! injection attempts in names and paths. Nothing here touches this machine's /etc.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::harness::{alive, rpm_bin, wait_gone, wait_until, RpmHome, DEADLINE};

/// A path holding what shells, systemd and XML treat specially.
const NASTY: &str = "it's a \"dir\" $(touch PWNED) `touch PWNED` %n & <x>";

const SYSTEMS: [&str; 6] = ["systemd", "launchd", "openrc", "upstart", "systemv", "rcd"];

fn found(program: &str) -> bool {
    Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {program}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `rpm startup <args>` printing the script, with RPM_HOME set to `rpm_home`.
fn print_script(home: &RpmHome, bin: &Path, rpm_home: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .arg("startup")
        .args(args)
        .arg("--print")
        .env("RPM_HOME", rpm_home)
        .env("HOME", home.path())
        .current_dir(home.path())
        .output()
        .expect("run rpm startup");
    assert!(
        out.status.success(),
        "rpm startup {args:?} --print failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8 script")
}

fn no_pwned(dir: &Path) {
    let hits: Vec<_> = walk(dir)
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "PWNED"))
        .collect();
    assert!(hits.is_empty(), "a command was injected: {hits:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() && !path.is_symlink() {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}

#[test]
fn systemd_unit_passes_systemd_analyze_verify_with_a_binary_at_an_odd_path() {
    if !found("systemd-analyze") {
        eprintln!("systemd-analyze is not installed here: skipped");
        return;
    }
    let home = RpmHome::new();
    // The unit runs this very binary: a hard link at a path with a space, `$` and `%`
    // (systemd refuses quotes and backslashes in an executable's path).
    let bin_dir = home.join("bin dir $HOME %n");
    std::fs::create_dir_all(&bin_dir).expect("bin dir");
    let bin = bin_dir.join("rpm");
    if std::fs::hard_link(rpm_bin(), &bin).is_err() {
        std::fs::copy(rpm_bin(), &bin).expect("copy the rpm binary");
    }
    let rpm_home = home.join(NASTY);
    // www-data: a user Debian always has (systemd warns about `nobody`).
    let unit = print_script(&home, &bin, &rpm_home, &["systemd", "--user", "www-data"]);
    assert!(unit.contains("\nUser=www-data\n"), "{unit}");
    let scratch = home.join("units");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let path = scratch.join("rpm-www-data.service");
    std::fs::write(&path, &unit).expect("write the unit");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .expect("run systemd-analyze");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.is_empty(),
        "systemd-analyze verify: {said}\n{unit}"
    );
    no_pwned(home.path());
}

#[test]
fn shell_scripts_pass_sh_n() {
    let home = RpmHome::new();
    let rpm_home = home.join(NASTY);
    for system in ["openrc", "systemv", "rcd"] {
        let script = print_script(&home, &rpm_bin(), &rpm_home, &[system, "--user", "root"]);
        let path = home.join(&format!("{system}.sh"));
        std::fs::write(&path, &script).expect("write the script");
        let out = Command::new("sh")
            .arg("-n")
            .arg(&path)
            .output()
            .expect("run sh -n");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "{system}: sh -n: {}\n{script}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // upstart's script blocks are sh too.
    let job = print_script(
        &home,
        &rpm_bin(),
        &rpm_home,
        &["upstart", "--user", "nobody"],
    );
    assert!(job.contains("\nsetuid nobody\n"), "{job}");
    for block in ["pre-start script\n", "post-stop script\n"] {
        let body = job
            .split(block)
            .nth(1)
            .and_then(|rest| rest.split("end script\n").next())
            .unwrap_or_else(|| panic!("no {block:?} in {job}"));
        let out = Command::new("sh")
            .args(["-n", "-c", body])
            .output()
            .expect("run sh -n");
        assert!(out.status.success(), "upstart {block:?}: {body}");
    }
    no_pwned(home.path());
}

#[test]
fn launchd_plist_parses_and_carries_the_values_unchanged() {
    let home = RpmHome::new();
    let rpm_home = home.join(NASTY);
    let plist = print_script(&home, &rpm_bin(), &rpm_home, &["launchd", "--user", "root"]);
    let read = "import json, plistlib, sys; d = plistlib.loads(sys.stdin.buffer.read()); \
                print(json.dumps(d))";
    let mut child = Command::new("python3")
        .args(["-c", read])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run python3");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(plist.as_bytes())
        .expect("feed the plist");
    let out = child.wait_with_output().expect("python3 output");
    assert!(out.status.success(), "plistlib refused:\n{plist}");
    let parsed: Value = serde_json::from_slice(&out.stdout).expect("JSON from python");
    assert_eq!(parsed["Label"], "rpm.root");
    assert_eq!(parsed["UserName"], "root");
    let bin = rpm_bin().canonicalize().expect("binary path");
    assert_eq!(
        parsed["ProgramArguments"],
        serde_json::json!([bin.to_str(), "daemon", "--foreground", "--resurrect"])
    );
    assert_eq!(
        parsed["EnvironmentVariables"]["RPM_HOME"],
        rpm_home.to_str().expect("UTF-8")
    );
    assert_eq!(parsed["RunAtLoad"], true);
    assert_eq!(parsed["KeepAlive"]["SuccessfulExit"], false);
}

/// A `su` that records its arguments and runs the `-c` command as the caller: the test
/// runs as one user, so the switch itself is all that is faked.
fn fake_su(dir: &Path) -> PathBuf {
    let bin = dir.join("fakebin");
    std::fs::create_dir_all(&bin).expect("fake bin dir");
    let su = bin.join("su");
    let log = dir.join("su.log");
    let script = format!(
        "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nwhile [ $# -gt 0 ]; do\n\
         if [ \"$1\" = -c ]; then exec /bin/sh -c \"$2\"; fi\n\
         shift\ndone\nexit 99\n",
        log.display()
    );
    std::fs::write(&su, script).expect("write fake su");
    std::fs::set_permissions(&su, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    bin
}

#[test]
fn sysv_script_starts_the_daemon_resurrects_the_dump_and_stops_everything() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "worker", &[]);
    home.ok(&["save"]);
    home.ok(&["kill"]);
    let fakebin = fake_su(home.path());
    let path = format!(
        "{}:{}",
        fakebin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = home.join("rpm-sysv");
    let mut cmd = home.command(&["startup", "systemv", "--user", "root", "--print"]);
    cmd.env("PATH", &path);
    let out = cmd.output().expect("rpm startup --print");
    assert!(out.status.success());
    std::fs::write(&script, &out.stdout).expect("write the script");
    let run = |verb: &str| {
        Command::new("sh")
            .arg(&script)
            .arg(verb)
            .env_clear()
            .stdin(Stdio::null())
            .output()
            .expect("run the init script")
    };
    let started = run("start");
    assert!(
        started.status.success(),
        "start: {}{}",
        String::from_utf8_lossy(&started.stdout),
        String::from_utf8_lossy(&started.stderr)
    );
    let su_log = std::fs::read_to_string(home.join("su.log")).expect("su was used");
    assert!(
        su_log.contains("-m -s /bin/sh root -c exec \"$RPM_BIN\" ping"),
        "{su_log}"
    );
    let worker = wait_until(DEADLINE, "the saved app to be back online", || {
        let rows = home.jlist();
        match rows.iter().find(|r| r["name"] == "worker") {
            Some(r) if r["status"] == "online" => Ok(r.clone()),
            other => Err(format!("{other:?}")),
        }
    });
    let pid = worker["pid"].as_i64().expect("pid") as i32;
    let status = run("status");
    assert!(status.status.success(), "status says not running");
    let daemon = home.daemon_pid().expect("daemon pid");
    let stopped = run("stop");
    assert!(stopped.status.success());
    wait_gone(&[pid, daemon], "the app and the daemon to stop");
    assert!(!alive(daemon));
    let status = run("status");
    assert_eq!(status.status.code(), Some(3), "LSB: not running");
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("installed file")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn install_and_unstartup_under_a_root_leave_it_as_it_was() {
    let home = RpmHome::new();
    let root = home.join("root");
    std::fs::create_dir_all(&root).expect("root dir");
    let hp = home.join("home");
    let hp_arg = hp.to_str().expect("UTF-8");
    let rows: [(&str, &str, u32, &[&str]); 6] = [
        (
            "systemd",
            "etc/systemd/system/rpm-root.service",
            0o644,
            &["etc/systemd/system/multi-user.target.wants/rpm-root.service"],
        ),
        (
            "launchd",
            "home/Library/LaunchAgents/rpm.root.plist",
            0o644,
            &[],
        ),
        (
            "openrc",
            "etc/init.d/rpm-root",
            0o755,
            &["etc/runlevels/default/rpm-root"],
        ),
        ("upstart", "etc/init/rpm-root.conf", 0o644, &[]),
        (
            "systemv",
            "etc/init.d/rpm-root",
            0o755,
            &["etc/rc2.d/S01rpm-root", "etc/rc0.d/K01rpm-root"],
        ),
        ("rcd", "usr/local/etc/rc.d/rpm_root", 0o755, &[]),
    ];
    for (system, script, want_mode, links) in rows {
        let root_arg = root.to_str().expect("UTF-8");
        let args = [
            "startup", system, "--user", "root", "--hp", hp_arg, "--root", root_arg,
        ];
        let said = home.ok(&args);
        let where_ = if system == "launchd" {
            // launchd's agent lives in the user's home, taken inside the root too.
            root.join(hp.strip_prefix("/").expect("absolute"))
                .join("Library/LaunchAgents/rpm.root.plist")
        } else {
            root.join(script)
        };
        assert_eq!(mode(&where_), want_mode, "{system}: {said}");
        for link in links {
            let link = root.join(link);
            let target =
                std::fs::read_link(&link).unwrap_or_else(|e| panic!("{system}: {link:?}: {e}"));
            assert!(
                target.to_string_lossy().ends_with("rpm-root")
                    || target.to_string_lossy().ends_with(".service"),
                "{target:?}"
            );
        }
        if system == "rcd" {
            let conf = std::fs::read_to_string(root.join("etc/rc.conf")).expect("rc.conf");
            assert_eq!(conf, "rpm_root_enable=\"YES\"\n");
        }
        let mut args = args.to_vec();
        args[0] = "unstartup";
        home.ok(&args);
        assert!(!where_.exists(), "{system}: script left behind");
        for link in links {
            assert!(
                root.join(link).symlink_metadata().is_err(),
                "{system}: {link} left behind"
            );
        }
        let err = home.fails(&args, 1);
        assert!(err.contains("nothing to remove"), "{err}");
    }
    // Only empty folders are left, and rc.conf without the service's line.
    let files: Vec<_> = walk(&root).into_iter().filter(|p| !p.is_dir()).collect();
    assert_eq!(files, vec![root.join("etc/rc.conf")]);
    assert_eq!(
        std::fs::read_to_string(root.join("etc/rc.conf")).expect("rc.conf"),
        ""
    );
}

#[test]
fn injection_attempts_and_unknown_users_are_refused_before_anything_is_written() {
    let home = RpmHome::new();
    let root = home.join("root");
    std::fs::create_dir_all(&root).expect("root dir");
    let root_arg = root.to_str().expect("UTF-8");
    let rows: [(&[&str], &str); 5] = [
        (
            &["--service-name", "x;touch PWNED"],
            "invalid service name \"x;touch PWNED\"",
        ),
        (
            &["--service-name", "../../etc/passwd"],
            "invalid service name",
        ),
        (
            &["--user", "x$(touch PWNED)"],
            "invalid user name \"x$(touch PWNED)\"",
        ),
        (
            &["--user", "no-such-user-rpm"],
            "no user \"no-such-user-rpm\"",
        ),
        (&["--hp", "/a\nExecStartPre=/bin/sh"], "the home directory"),
    ];
    for system in SYSTEMS {
        for (extra, want) in rows {
            let mut args = vec!["startup", system, "--root", root_arg];
            args.extend_from_slice(extra);
            let err = home.fails(&args, 2);
            assert!(
                err.contains(&format!("error: {want}")),
                "{system} {extra:?}: {err}"
            );
        }
    }
    let err = home.fails(&["startup", "rcd", "--service-name", "rpm-x", "--print"], 2);
    assert!(err.contains("shell variable"), "{err}");
    assert!(
        walk(&root).is_empty(),
        "something was written: {:?}",
        walk(&root)
    );
    no_pwned(home.path());
}

#[test]
fn users_resolve_through_the_user_database_in_the_static_binary() {
    let home = RpmHome::new();
    let unit = home.ok(&["startup", "systemd", "--user", "nobody", "--print"]);
    let group = Command::new("id")
        .args(["-gn", "nobody"])
        .output()
        .expect("id");
    let group = String::from_utf8_lossy(&group.stdout).trim().to_string();
    assert!(unit.contains("\nUser=nobody\n"), "{unit}");
    assert!(unit.contains(&format!("\nGroup={group}\n")), "{unit}");
    let nobody_home = Command::new("getent")
        .args(["passwd", "nobody"])
        .output()
        .expect("getent");
    let nobody_home = String::from_utf8_lossy(&nobody_home.stdout)
        .split(':')
        .nth(5)
        .unwrap_or_default()
        .to_string();
    let mut cmd = home.command(&["startup", "systemd", "--user", "nobody", "--print"]);
    cmd.env_remove("RPM_HOME");
    let out = cmd.output().expect("rpm startup");
    let unit = String::from_utf8_lossy(&out.stdout);
    assert!(
        unit.contains(&format!("\nEnvironment=RPM_HOME={nobody_home}/.rpm\n")),
        "RPM_HOME follows --user's home: {unit}"
    );
}
