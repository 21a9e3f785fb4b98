//! `state.json` of the previous release (`tests/fixtures/release-0.1.0/`) through the
//! daemon's record types and loader: the same values, the same bytes written back, and a
//! bad `kill_signal` costing that signal, not the apps.

use serde_json::Value;

use super::SavedState;
use crate::config::compat_tests::{assert_same_json, assert_values, by_name, fixture};
use crate::config::{AppSpec, StopSignal};

#[test]
fn release_0_1_0_state_json_reads_with_the_same_values_and_writes_the_same_bytes() {
    let (path, data) = fixture("state.json");
    let state: SavedState = serde_json::from_slice(&data)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
    let refs: Vec<&AppSpec> = state.apps.iter().map(|a| &a.spec).collect();
    assert_values(&refs);

    let original: Value = serde_json::from_slice(&data).expect("fixture is JSON");
    let objects: Vec<&Value> = original["apps"]
        .as_array()
        .expect("a list of apps")
        .iter()
        .map(|a| &a["spec"])
        .collect();
    assert_same_json(&refs, &objects);
    let again = serde_json::to_vec(&state).expect("state encodes");
    assert!(
        again == data,
        "state.json written today differs from 0.1.0's"
    );
}

#[test]
fn release_0_1_0_state_json_loads_through_the_daemons_loader() {
    let (_, data) = fixture("state.json");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.json");
    std::fs::write(&path, &data).expect("copy the fixture");
    let super::Loaded::Good(state) = super::load(&path) else {
        panic!("state does not load");
    };
    let refs: Vec<&AppSpec> = state.apps.iter().map(|a| &a.spec).collect();
    assert_values(&refs);
    assert_eq!(state.next_id, 3);
    assert!(path.exists(), "not set aside");
}

#[test]
fn an_unknown_kill_signal_in_state_json_costs_that_signal_not_the_apps() {
    let (_, data) = fixture("state.json");
    let mut state: Value = serde_json::from_slice(&data).expect("fixture is JSON");
    state["apps"][1]["spec"]["kill_signal"] = "SIGFOO".into();
    assert_eq!(state["apps"][1]["spec"]["name"], "sleeper");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("state.json");
    std::fs::write(&path, serde_json::to_vec(&state).expect("encodes")).expect("write");
    let super::Loaded::Good(loaded) = super::load(&path) else {
        panic!("state does not load");
    };
    let specs: Vec<&AppSpec> = loaded.apps.iter().map(|a| &a.spec).collect();
    assert_eq!(specs.len(), 2);
    assert_eq!(
        by_name(specs.iter().copied(), "sleeper").kill_signal,
        StopSignal::SIGINT
    );
    assert_eq!(
        by_name(specs.iter().copied(), "parked").kill_signal,
        StopSignal::SIGINT
    );
    assert_eq!(loaded.apps[1].instances.len(), 2, "instances kept");
    assert!(path.exists(), "not set aside");
}
