//! The dump format: release 0.1.0's files load, the new fields round-trip, damaged files
//! are refused with the backup offered, and a save keeps the previous one.

use super::*;

const RELEASE_0_1_0: &str = include_str!("../tests/fixtures/release-0.1.0/dump.json");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rpm-dump-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn release_apps() -> Vec<DumpedApp> {
    parse(RELEASE_0_1_0.as_bytes()).expect("the 0.1.0 dump loads")
}

#[test]
fn a_dump_of_release_0_1_0_loads_with_no_instances() {
    let apps = release_apps();
    let names: Vec<&str> = apps.iter().map(|a| a.spec.name.as_str()).collect();
    assert_eq!(names, ["parked", "sleeper"]);
    assert!(apps.iter().all(|a| a.rpm_instances.is_empty()));
    let specs: Vec<AppSpec> = serde_json::from_str(RELEASE_0_1_0).expect("bare specs");
    let loaded: Vec<AppSpec> = apps.into_iter().map(|a| a.spec).collect();
    assert_eq!(loaded, specs, "the specs read as 0.1.0 read them");
}

#[test]
fn instances_round_trip_and_old_readers_still_see_specs() {
    let mut apps = release_apps();
    apps[1].rpm_instances = vec![
        DumpedInstance {
            id: 4,
            instance: 0,
            state: DumpedState::Online,
        },
        DumpedInstance {
            id: 7,
            instance: 1,
            state: DumpedState::Stopped,
        },
    ];
    let json = serde_json::to_string(&apps).expect("encodes");
    assert!(
        json.contains(r#"{"id":7,"instance":1,"state":"stopped"}"#),
        "{json}"
    );
    assert_eq!(parse(json.as_bytes()).expect("decodes"), apps);
    let specs: Vec<AppSpec> = serde_json::from_str(&json).expect("a specs-only reader");
    assert_eq!(specs[1], apps[1].spec);
}

#[test]
fn a_truncated_dump_names_the_line_and_offers_a_backup_that_parses() {
    let dir = temp_dir("damaged");
    let path = dir.join("dump.json");
    std::fs::write(&path, &RELEASE_0_1_0.as_bytes()[..40]).expect("write");
    let err = read(&path).expect_err("truncated");
    let no_backup = format!(
        "{} is damaged (line 4: EOF while parsing a string): nothing was changed; repair or remove {} (no usable backup {}.bak exists)",
        path.display(),
        path.display(),
        path.display()
    );
    assert_eq!(err.to_string(), no_backup);
    std::fs::write(backup_path(&path), "[").expect("write a damaged backup");
    assert_eq!(read(&path).expect_err("still").to_string(), no_backup);
    std::fs::write(backup_path(&path), RELEASE_0_1_0).expect("write the backup");
    let bak = backup_path(&path);
    assert_eq!(
        read(&path).expect_err("still damaged").to_string(),
        format!(
            "{} is damaged (line 4: EOF while parsing a string): nothing was changed; the previous save is in {}: cp {} {} && rpm resurrect",
            path.display(),
            bak.display(),
            bak.display(),
            path.display()
        )
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_missing_dump_says_to_save_first() {
    let dir = temp_dir("missing");
    let path = dir.join("dump.json");
    assert_eq!(
        read(&path).expect_err("missing").to_string(),
        format!(
            "nothing to resurrect: {} does not exist (run `rpm save` first)",
            path.display()
        )
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

#[test]
fn a_save_keeps_the_previous_one_unless_it_is_damaged() {
    let dir = temp_dir("backup");
    let path = dir.join("dump.json");
    let apps = release_apps();
    write(&path, &apps[..1]).expect("first save");
    assert!(!backup_path(&path).exists(), "nothing to keep yet");
    write(&path, &apps).expect("second save");
    assert_eq!(read(&path).expect("newest"), apps);
    let bak = std::fs::read(backup_path(&path)).expect("backup");
    assert_eq!(parse(&bak).expect("backup parses"), apps[..1]);
    std::fs::write(&path, "[{").expect("damage");
    write(&path, &apps[..1]).expect("third save");
    let bak = std::fs::read(backup_path(&path)).expect("backup");
    assert_eq!(
        parse(&bak).expect("backup parses"),
        apps[..1],
        "not the damaged file"
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}
