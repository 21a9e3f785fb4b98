//! `watch` restarts: one restart per change or burst, the ignores (the file's and the
//! defaults), atomic saves, new folders, and paths from an ecosystem file.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::harness::{assert_stays, fixture, wait_until, RpmHome, DEADLINE};

/// A folder for the app to run in and be watched.
fn app_dir(home: &RpmHome) -> PathBuf {
    let dir = home.join("app");
    std::fs::create_dir_all(&dir).expect("create the app folder");
    dir
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Starts `counter.sh` as `name` in `dir` with `extra` flags; waits until it is online.
fn start_in(home: &RpmHome, dir: &Path, name: &str, extra: &[&str]) {
    let script = fixture("counter.sh");
    let mut args = vec!["start", path(&script), "--name", name, "--cwd", path(dir)];
    args.extend_from_slice(extra);
    home.ok(&args);
    home.wait_app(name, "the app online", |a| a["status"] == "online");
}

fn wait_restarts(home: &RpmHome, name: &str, n: u64) {
    home.wait_app(name, &format!("{n} restart(s), online"), |a| {
        a["restarts"] == n && a["status"] == "online"
    });
}

/// Restarts stay at `n` for long enough that a second restart would have come (the
/// debounce is 100 ms; a restart takes a few).
fn stays_at(home: &RpmHome, name: &str, n: u64) {
    assert_stays(Duration::from_millis(800), "no further restart", || {
        let app = home.app(name);
        if app["restarts"] == n {
            Ok(())
        } else {
            Err(format!("{app}"))
        }
    });
}

#[test]
fn a_change_restarts_once_and_a_burst_of_200_writes_restarts_once() {
    let home = RpmHome::new();
    let dir = app_dir(&home);
    start_in(&home, &dir, "w", &["--watch"]);
    assert_eq!(home.app("w")["watch"], true);
    std::fs::write(dir.join("app.js"), "one").expect("write");
    wait_restarts(&home, "w", 1);
    stays_at(&home, "w", 1);
    let describe = home.ok(&["describe", "w"]);
    let expected = format!("watch ({} changed) at ", path(&dir.join("app.js")));
    assert!(describe.contains(&expected), "{describe}");
    for i in 0..200 {
        std::fs::write(dir.join("burst.txt"), format!("{i}")).expect("write");
    }
    wait_restarts(&home, "w", 2);
    stays_at(&home, "w", 2);
    // A stopped watched app starts again on a change, as under PM2.
    home.ok(&["stop", "w"]);
    std::fs::write(dir.join("app.js"), "two").expect("write");
    wait_restarts(&home, "w", 3);
}

#[test]
fn ignored_paths_and_the_apps_own_log_never_restart_it() {
    let home = RpmHome::new();
    let dir = app_dir(&home);
    let log = dir.join("out.log");
    // counter.sh logs a line every 5 ms into its own watched folder.
    start_in(
        &home,
        &dir,
        "quiet",
        &["--watch", "--ignore-watch", "*.tmp,cache", "-o", path(&log)],
    );
    wait_until(
        DEADLINE,
        "the app logging into its folder",
        || match std::fs::metadata(&log) {
            Ok(m) if m.len() > 100 => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    std::fs::write(dir.join("scratch.tmp"), "x").expect("write");
    std::fs::create_dir_all(dir.join("cache/deep")).expect("mkdir");
    std::fs::write(dir.join("cache/deep/f"), "x").expect("write");
    std::fs::create_dir_all(dir.join("node_modules/pkg")).expect("mkdir");
    std::fs::write(dir.join("node_modules/pkg/index.js"), "x").expect("write");
    std::fs::create_dir_all(dir.join(".git")).expect("mkdir");
    std::fs::write(dir.join(".git/HEAD"), "x").expect("write");
    stays_at(&home, "quiet", 0);
    std::fs::write(dir.join("real.js"), "x").expect("write");
    wait_restarts(&home, "quiet", 1);
    stays_at(&home, "quiet", 1);
}

#[test]
fn an_editors_atomic_save_and_a_new_folder_are_seen() {
    let home = RpmHome::new();
    let dir = app_dir(&home);
    std::fs::write(dir.join("main.py"), "old").expect("write");
    start_in(&home, &dir, "ed", &["--watch"]);
    std::fs::write(dir.join(".main.py.swp"), "new").expect("write");
    std::fs::rename(dir.join(".main.py.swp"), dir.join("main.py")).expect("rename");
    wait_restarts(&home, "ed", 1);
    std::fs::create_dir_all(dir.join("lib/sub")).expect("mkdir");
    std::fs::write(dir.join("lib/sub/new.py"), "x").expect("write");
    wait_restarts(&home, "ed", 2);
    stays_at(&home, "ed", 2);
}

#[test]
fn watch_paths_in_a_file_are_relative_to_it_and_no_watch_turns_them_off() {
    let home = RpmHome::new();
    let dir = app_dir(&home);
    std::fs::create_dir_all(dir.join("src")).expect("mkdir");
    let file = dir.join("eco.json");
    let eco = format!(
        r#"{{"apps": [{{"name": "f", "script": {:?}, "watch": ["src"], "watch_delay": 50}}]}}"#,
        path(&fixture("counter.sh"))
    );
    std::fs::write(&file, eco).expect("write the file");
    home.ok(&["start", path(&file)]);
    home.wait_app("f", "online", |a| a["status"] == "online");
    std::fs::write(dir.join("outside.txt"), "x").expect("write");
    stays_at(&home, "f", 0);
    std::fs::write(dir.join("src/a.js"), "x").expect("write");
    wait_restarts(&home, "f", 1);
    home.ok(&["delete", "f"]);
    home.ok(&["start", path(&file), "--no-watch"]);
    home.wait_app("f", "online again", |a| a["status"] == "online");
    assert_eq!(home.app("f")["watch"], false);
    std::fs::write(dir.join("src/b.js"), "x").expect("write");
    stays_at(&home, "f", 0);
}

#[test]
fn stop_watch_stops_watching_and_restart_watch_toggles_it() {
    let home = RpmHome::new();
    let dir = app_dir(&home);
    start_in(&home, &dir, "t", &[]);
    assert_eq!(home.app("t")["watch"], false);
    home.ok(&["restart", "t", "--watch"]);
    wait_restarts(&home, "t", 1);
    assert_eq!(home.app("t")["watch"], true);
    std::fs::write(dir.join("a.js"), "x").expect("write");
    wait_restarts(&home, "t", 2);
    home.ok(&["stop", "t", "--watch"]);
    assert_eq!(home.app("t")["watch"], false);
    std::fs::write(dir.join("a.js"), "y").expect("write");
    assert_stays(
        Duration::from_millis(800),
        "a stopped, unwatched app stays stopped",
        || {
            let app = home.app("t");
            if app["status"] == "stopped" && app["restarts"] == 2 {
                Ok(())
            } else {
                Err(format!("{app}"))
            }
        },
    );
    // The change survives a daemon restart: it is in the spec state.json keeps.
    home.sigkill_daemon();
    assert_eq!(home.app("t")["watch"], false);
}
