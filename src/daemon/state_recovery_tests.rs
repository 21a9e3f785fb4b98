//! Recovery of a damaged `state.json`: from the backup, else the dump, else nothing; the
//! damaged file set aside; the backup kept only from a version the writer trusts.

use std::sync::mpsc;
use std::time::Duration;

use super::*;
use crate::config::compat_tests::fixture;
use crate::daemon::persist::{backup_path, Persister};
use crate::dump::{DumpedApp, DumpedInstance};

const RELEASE_DUMP: &str = include_str!("../../tests/fixtures/release-0.1.0/dump.json");

fn home() -> (tempfile::TempDir, Home) {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = Home::at(dir.path().to_path_buf());
    (dir, home)
}

fn names(state: &SavedState) -> Vec<&str> {
    state.apps.iter().map(|a| a.spec.name.as_str()).collect()
}

#[test]
fn a_good_state_is_taken_as_it_is() {
    let (_dir, home) = home();
    let (_, data) = fixture("state.json");
    std::fs::write(home.state_file(), &data).expect("write");
    std::fs::write(backup_path(&home.state_file()), b"[").expect("a damaged backup");
    let got = recover(&home);
    assert_eq!(names(&got.state.expect("state")), ["parked", "sleeper"]);
    assert!(!got.from_fallback);
}

#[test]
fn no_state_at_all_is_no_apps_even_with_a_backup_left() {
    let (_dir, home) = home();
    let (_, data) = fixture("state.json");
    std::fs::write(backup_path(&home.state_file()), &data).expect("write");
    let got = recover(&home);
    assert!(
        got.state.is_none(),
        "a planned stop left no state: nothing to take back"
    );
}

#[test]
fn a_damaged_state_is_set_aside_and_recovered_from_the_backup() {
    let (_dir, home) = home();
    let (_, data) = fixture("state.json");
    std::fs::write(home.state_file(), b"{\"version\": 1, garbage").expect("write");
    std::fs::write(backup_path(&home.state_file()), &data).expect("write");
    std::fs::write(home.dump_file(), b"[]").expect("an empty dump, not used");
    let got = recover(&home);
    let state = got.state.expect("recovered");
    assert_eq!(names(&state), ["parked", "sleeper"]);
    assert_eq!(state.next_id, 3);
    assert!(got.from_fallback);
    assert!(!home.state_file().exists());
    assert_eq!(
        std::fs::read(home.state_file().with_extension("json.damaged")).expect("set aside"),
        b"{\"version\": 1, garbage"
    );
}

#[test]
fn without_a_good_backup_the_dump_is_used_keeping_ids_and_stopped_apps() {
    let (_dir, home) = home();
    std::fs::write(home.state_file(), b"\0\0\0").expect("write");
    std::fs::write(backup_path(&home.state_file()), b"[").expect("a damaged backup");
    let mut apps: Vec<DumpedApp> = serde_json::from_str(RELEASE_DUMP).expect("dump");
    apps[0].rpm_instances = vec![DumpedInstance {
        id: 5,
        instance: 0,
        state: DumpedState::Stopped,
    }];
    apps[1].rpm_instances = vec![DumpedInstance {
        id: 2,
        instance: 0,
        state: DumpedState::Online,
    }];
    crate::dump::write(&home.dump_file(), &apps).expect("write dump");
    let state = recover(&home).state.expect("recovered from the dump");
    assert_eq!(names(&state), ["parked", "sleeper"]);
    let rows: Vec<(u32, Status, Option<i32>)> = state
        .apps
        .iter()
        .flat_map(|a| a.instances.iter().map(|i| (i.id, i.status, i.pid)))
        .collect();
    assert_eq!(
        rows,
        [(5, Status::Stopped, None), (2, Status::Launching, None)]
    );
    assert_eq!(state.next_id, 6);
}

#[test]
fn nothing_good_anywhere_is_no_apps() {
    let (_dir, home) = home();
    std::fs::write(home.state_file(), b"not json").expect("write");
    assert!(recover(&home).state.is_none());
    std::fs::write(home.state_file(), b"not json").expect("write");
    std::fs::write(home.dump_file(), b"{").expect("damaged dump");
    assert!(recover(&home).state.is_none());
}

#[test]
fn a_release_0_1_0_dump_gets_one_instance_per_instances_after_every_saved_id() {
    let mut apps: Vec<DumpedApp> = serde_json::from_str(RELEASE_DUMP).expect("dump");
    apps[0].rpm_instances = vec![DumpedInstance {
        id: 3,
        instance: 0,
        state: DumpedState::Online,
    }];
    apps[1].spec.instances = 2;
    let state = state_of_dump(apps, 1_000);
    let ids: Vec<Vec<(u32, u32)>> = state
        .apps
        .iter()
        .map(|a| a.instances.iter().map(|i| (i.id, i.instance)).collect())
        .collect();
    assert_eq!(ids, [vec![(3, 0)], vec![(4, 0), (5, 1)]]);
    assert_eq!(state.next_id, 6);
    assert!(state.apps[1]
        .instances
        .iter()
        .all(|i| i.created_at == 1_000));
}

/// The writer thread's backup: every snapshot in place is written again as `.bak`, so
/// a `state.json` damaged behind its back leaves the latest state to recover.
#[test]
fn the_writer_keeps_a_second_copy_of_each_state() {
    let (_dir, home) = home();
    let path = home.state_file();
    let bak = backup_path(&path);
    let (events, done) = mpsc::channel();
    let writer = Persister::spawn(path.clone(), events).expect("writer");
    for (seq, data) in [(1, "first"), (2, "second")] {
        writer.save(seq, data.as_bytes().to_vec());
        writer.flush(Duration::from_secs(10));
        assert_eq!(std::fs::read(&path).expect("state"), data.as_bytes());
        assert_eq!(std::fs::read(&bak).expect("backup"), data.as_bytes());
    }
    std::fs::write(&path, b"garbage").expect("damage");
    assert_eq!(std::fs::read(&bak).expect("backup"), b"second");
    let persisted: Vec<u64> = done
        .try_iter()
        .filter_map(|e| match e {
            crate::daemon::event::Event::Persisted { seq } => Some(seq),
            _ => None,
        })
        .collect();
    assert_eq!(persisted, [1, 2]);
}
