//! `rpm save` / `rpm resurrect` with real processes: ids, states, names, namespaces and
//! settings come back as saved; resurrecting twice changes nothing; a damaged dump is
//! refused, naming the file and the backup, without touching what runs.

use serde_json::Value;

use crate::harness::{alive, wait_until, RpmHome, DEADLINE};

/// `(id, name, namespace, status)` of every jlist row, in id order.
fn summary(rows: &[Value]) -> Vec<(u64, String, String, String)> {
    rows.iter()
        .map(|r| {
            (
                r["id"].as_u64().expect("id"),
                r["name"].as_str().expect("name").to_string(),
                r["namespace"].as_str().expect("namespace").to_string(),
                r["status"].as_str().expect("status").to_string(),
            )
        })
        .collect()
}

fn row(id: u64, name: &str, namespace: &str, status: &str) -> (u64, String, String, String) {
    (id, name.into(), namespace.into(), status.into())
}

fn pids(rows: &[Value]) -> Vec<Value> {
    rows.iter().map(|r| r["pid"].clone()).collect()
}

/// Waits until jlist shows exactly `want` (ids, names, namespaces, statuses).
fn wait_for(home: &RpmHome, want: &[(u64, String, String, String)]) -> Vec<Value> {
    wait_until(DEADLINE, &format!("jlist to be {want:?}"), || {
        let rows = home.jlist();
        if summary(&rows) == want {
            Ok(rows)
        } else {
            Err(format!("{:?}", summary(&rows)))
        }
    })
}

/// The names of the apps a dump file lists, in order.
fn dumped_names(home: &RpmHome, file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(home.join(file)).expect("read the dump");
    let apps: Vec<Value> = serde_json::from_str(&text).expect("the dump is JSON");
    apps.iter()
        .map(|a| a["name"].as_str().expect("name").to_string())
        .collect()
}

/// Three apps whose names sort unlike their ids (0 zeta, 1 alpha, 2 mid), so a
/// resurrect that renumbered in name order would show.
fn start_three(home: &RpmHome) -> Vec<(u64, String, String, String)> {
    home.start_fixture("counter.sh", "zeta", &[]);
    home.start_fixture("counter.sh", "alpha", &["--kill-timeout", "1234"]);
    home.start_fixture("counter.sh", "mid", &["--namespace", "back"]);
    home.ok(&["stop", "alpha"]);
    let want = vec![
        row(0, "zeta", "default", "online"),
        row(1, "alpha", "default", "stopped"),
        row(2, "mid", "back", "online"),
    ];
    wait_for(home, &want);
    want
}

#[test]
fn resurrect_keeps_ids_and_stopped_apps_and_twice_is_a_no_op() {
    let home = RpmHome::new();
    let want = start_three(&home);
    let before = home.jlist();
    let saved = home.ok(&["save"]);
    assert_eq!(
        saved,
        format!("saved 3 app(s) to {}\n", home.join("dump.json").display())
    );
    home.ok(&["kill"]);

    home.ok(&["resurrect"]);
    let rows = wait_for(&home, &want);
    for (now, then) in rows.iter().zip(&before) {
        if now["status"] == "online" {
            let pid = now["pid"].as_i64().expect("an online app has a pid");
            assert!(alive(pid as i32), "{now}");
            assert_ne!(now["pid"], then["pid"], "a new process: {now}");
        } else {
            assert_eq!(now["pid"], Value::Null, "not started: {now}");
        }
    }
    let alpha = home.ok(&["describe", "alpha"]);
    assert!(
        alpha.lines().any(|l| l
            .trim()
            .strip_prefix("kill timeout")
            .is_some_and(|v| v.trim() == "1234 ms")),
        "settings come back:\n{alpha}"
    );

    // The daemon's next id is past the saved ones.
    home.start_fixture("counter.sh", "late", &[]);
    let mut with_late = want.clone();
    with_late.push(row(3, "late", "default", "online"));
    let rows = wait_for(&home, &with_late);

    home.ok(&["resurrect"]);
    let again = home.jlist();
    assert_eq!(summary(&again), with_late, "no duplicates");
    assert_eq!(pids(&again), pids(&rows), "nothing restarted");
}

#[test]
fn a_damaged_dump_is_refused_offering_the_backup_and_nothing_changes() {
    let home = RpmHome::new();
    start_three(&home);
    home.ok(&["delete", "mid"]);
    home.ok(&["save"]);
    home.start_fixture("counter.sh", "mid", &[]);
    home.ok(&["save"]);
    assert_eq!(dumped_names(&home, "dump.json"), ["alpha", "mid", "zeta"]);
    assert_eq!(
        dumped_names(&home, "dump.json.bak"),
        ["alpha", "zeta"],
        "the backup holds the previous save"
    );
    let before = home.jlist();

    let dump = home.join("dump.json");
    let text = std::fs::read_to_string(&dump).expect("read the dump");
    let first_lines: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    std::fs::write(&dump, first_lines).expect("truncate the dump");
    let err = home.fails(&["resurrect"], 1);
    let bak = home.join("dump.json.bak");
    assert_eq!(
        err,
        format!(
            "error: {} is damaged (line 4: EOF while parsing a value): nothing was changed; the previous save is in {}: cp {} {} && rpm resurrect\n",
            dump.display(),
            bak.display(),
            bak.display(),
            dump.display()
        )
    );
    let after = home.jlist();
    assert_eq!(summary(&after), summary(&before), "running apps untouched");
    assert_eq!(pids(&after), pids(&before), "running apps untouched");

    std::fs::remove_file(&dump).expect("remove the dump");
    let err = home.fails(&["resurrect"], 1);
    assert_eq!(
        err,
        format!(
            "error: nothing to resurrect: {} does not exist (run `rpm save` first)\n",
            dump.display()
        )
    );
}

#[test]
fn a_saved_id_taken_by_another_app_is_replaced_and_logged() {
    let home = RpmHome::new();
    start_three(&home);
    home.ok(&["save"]);
    home.ok(&["kill"]);
    home.start_fixture("counter.sh", "first", &[]);
    home.ok(&["resurrect"]);
    wait_for(
        &home,
        &[
            row(0, "first", "default", "online"),
            row(1, "alpha", "default", "stopped"),
            row(2, "mid", "back", "online"),
            row(3, "zeta", "default", "online"),
        ],
    );
    let log = home.daemon_log();
    assert!(
        log.contains("resurrect: id 0 of `zeta` is taken by `first`; that instance gets id 3"),
        "{log}"
    );
}
