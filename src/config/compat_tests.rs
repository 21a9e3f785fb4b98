//! Files of the previous release (`tests/fixtures/release-0.1.0/`, written by rpm 0.1.0
//! when durations were `u64` ms and `kill_signal` a `String`) read into today's `AppSpec`
//! with the same values, and written back they are the same bytes. The `state.json`
//! side, which needs the daemon's record types, is `daemon/persist_tests.rs`; it uses the
//! helpers here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::{AppSpec, StopSignal};

pub(crate) fn fixture(name: &str) -> (PathBuf, Vec<u8>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/release-0.1.0")
        .join(name);
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (path, data)
}

pub(crate) fn by_name<'a>(specs: impl IntoIterator<Item = &'a AppSpec>, name: &str) -> &'a AppSpec {
    specs
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("app {name} in the fixture"))
}

/// The typed values rpm 0.1.0 wrote for the two apps of `eco.json`.
pub(crate) fn assert_values(specs: &[&AppSpec]) {
    let ms = Duration::from_millis;
    let sleeper = by_name(specs.iter().copied(), "sleeper");
    assert_eq!(sleeper.kill_timeout, ms(3000));
    assert_eq!(sleeper.kill_signal, StopSignal::SIGTERM);
    assert_eq!(sleeper.restart_delay, ms(250));
    assert_eq!(sleeper.min_uptime, Duration::from_secs(2));
    assert_eq!(sleeper.exp_backoff_restart_delay, Some(ms(100)));
    assert_eq!(sleeper.listen_timeout, ms(3000));
    assert_eq!(sleeper.watch_delay, None);

    let parked = by_name(specs.iter().copied(), "parked");
    assert_eq!(parked.kill_timeout, ms(1600));
    assert_eq!(parked.kill_signal, StopSignal::SIGINT);
    assert_eq!(parked.restart_delay, Duration::ZERO);
    assert_eq!(parked.min_uptime, ms(1000));
    assert_eq!(parked.exp_backoff_restart_delay, None);
}

/// Each spec written back is the JSON object it was read from, field for field.
pub(crate) fn assert_same_json(specs: &[&AppSpec], written: &[&Value]) {
    assert_eq!(specs.len(), written.len());
    for (spec, original) in specs.iter().zip(written) {
        let again = serde_json::to_value(spec).expect("spec encodes");
        assert_eq!(&again, *original, "{}", spec.name);
        for field in [
            "min_uptime",
            "restart_delay",
            "exp_backoff_restart_delay",
            "kill_timeout",
            "kill_signal",
            "listen_timeout",
            "watch_delay",
        ] {
            assert_eq!(again[field], original[field], "{} {field}", spec.name);
        }
    }
}

#[test]
fn release_0_1_0_dump_json_reads_with_the_same_values_and_writes_the_same_bytes() {
    let (path, data) = fixture("dump.json");
    let specs: Vec<AppSpec> = serde_json::from_slice(&data)
        .unwrap_or_else(|e| panic!("{} does not load: {e}", path.display()));
    let refs: Vec<&AppSpec> = specs.iter().collect();
    assert_values(&refs);

    let original: Value = serde_json::from_slice(&data).expect("fixture is JSON");
    let objects: Vec<&Value> = original
        .as_array()
        .expect("a list of specs")
        .iter()
        .collect();
    assert_same_json(&refs, &objects);
    // `rpm save` writes the list pretty-printed.
    let again = serde_json::to_vec_pretty(&specs).expect("specs encode");
    assert!(
        again == data,
        "dump.json written today differs from 0.1.0's"
    );
}
