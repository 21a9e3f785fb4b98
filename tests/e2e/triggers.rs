//! Restart triggers: the memory limit and cron. Each restart is counted, says why in
//! `rpm describe` and the daemon log, and is a notice.

use std::ffi::OsStr;

use crate::harness::{wait_until, RpmHome, DEADLINE};

/// The value of `key` in `rpm describe` output.
fn described(text: &str, key: &str) -> String {
    text.lines()
        .find_map(|l| {
            let l = l.trim_start();
            l.strip_prefix(key)
                .filter(|rest| rest.starts_with("  "))
                .map(|rest| rest.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no {key:?} in describe output:\n{text}"))
}

#[test]
fn an_app_whose_child_grows_past_max_memory_restart_is_restarted_for_memory() {
    let home = RpmHome::new();
    // A fast sampler, so the test does not wait a second per look.
    let fast = [("RPM_SAMPLE_INTERVAL", OsStr::new("200ms"))];
    home.start_fixture_env(
        "grow.sh",
        "big",
        &["--max-memory-restart", "40M", "--", "64"],
        &fast,
    );
    home.start_fixture(
        "grow.sh",
        "small",
        &["--max-memory-restart", "200M", "--", "8"],
    );
    let big = home.wait_app("big", "big restarted for its memory", |a| {
        a["restarts"].as_u64().is_some_and(|r| r >= 1)
    });
    let describe = home.ok(&["describe", "big"]);
    let last = described(&describe, "last restart");
    assert!(
        last.starts_with("memory (memory ")
            && last.contains(" MiB is above max_memory_restart 40.0 MiB) at "),
        "{last}"
    );
    assert_eq!(described(&describe, "max memory restart"), "40.0mb");
    assert!(
        home.daemon_log()
            .contains("big (id 0): restarting (memory: memory "),
        "{}",
        home.daemon_log()
    );
    assert!(big["restarts"].as_u64().is_some_and(|r| r >= 1));
    // The app under its limit is left alone, while the sampler keeps looking.
    let small = home.app("small");
    assert_eq!(small["restarts"], 0, "{small}");
    assert_eq!(
        described(&home.ok(&["describe", "small"]), "last restart"),
        "-"
    );
}

#[test]
fn a_bad_memory_limit_or_cron_on_the_command_line_is_a_usage_error() {
    let home = RpmHome::new();
    let script = crate::harness::fixture("counter.sh");
    let script = script.to_str().expect("utf-8 path");
    let err = home.fails(&["start", script, "--max-memory-restart", "lots"], 2);
    assert!(err.starts_with("error: --max-memory-restart: "), "{err}");
    let err = home.fails(&["start", script, "--cron", "61 * * * *"], 2);
    assert_eq!(
        err.trim(),
        "error: --cron: \"61 * * * *\" is not a cron expression: minute field \"61\" is out of range 0-59"
    );
    wait_until(DEADLINE, "nothing started", || {
        let list = home.jlist();
        if list.is_empty() {
            Ok(())
        } else {
            Err(format!("{list:?}"))
        }
    });
}

#[test]
fn a_cron_schedule_with_seconds_restarts_the_app_every_two_seconds() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "tick", &["--cron", "*/2 * * * * *"]);
    let first = home.wait_app("tick", "tick online", |a| a["status"] == "online")["pid"].clone();
    let describe = home.ok(&["describe", "tick"]);
    assert_eq!(described(&describe, "cron restart"), "*/2 * * * * *");
    assert_ne!(described(&describe, "next cron restart"), "-");
    let restarted = home.wait_app("tick", "tick restarted by cron", |a| {
        a["restarts"].as_u64().is_some_and(|r| r >= 1) && a["status"] == "online"
    });
    assert_ne!(restarted["pid"], first, "a new process");
    let describe = home.ok(&["describe", "tick"]);
    let last = described(&describe, "last restart");
    assert!(
        last.starts_with("cron (cron_restart \"*/2 * * * * *\") at "),
        "{last}"
    );
    assert!(
        home.daemon_log()
            .contains("tick (id 0): restarting (cron: cron_restart \"*/2 * * * * *\")"),
        "{}",
        home.daemon_log()
    );
    // A stopped app is not brought back by its schedule.
    home.ok(&["stop", "tick"]);
    let restarts = home.app("tick")["restarts"].clone();
    crate::harness::assert_stays(
        std::time::Duration::from_millis(2500),
        "the stopped app stays stopped through a cron time",
        || {
            let app = home.app("tick");
            if app["status"] == "stopped" && app["restarts"] == restarts {
                Ok(())
            } else {
                Err(format!("{app}"))
            }
        },
    );
}

#[test]
fn an_invalid_cron_in_a_file_is_refused_naming_the_field() {
    let home = RpmHome::new();
    let file = home.join("eco.json");
    let script = crate::harness::fixture("counter.sh");
    std::fs::write(
        &file,
        format!(
            "{{\"apps\": [{{\"name\": \"c\", \"script\": {:?}, \"cron_restart\": \"* 25 * * *\"}}]}}\n",
            script.to_str().expect("utf-8 path")
        ),
    )
    .expect("write the file");
    let err = home.fails(&["start", file.to_str().expect("utf-8 path")], 2);
    assert!(
        err.contains("app \"c\": `cron_restart` must be a cron expression")
            && err.contains("hour field \"25\" is out of range 0-23"),
        "{err}"
    );
}
