//! The exact text of every class of ecosystem-file error, loaded end to end.

use std::path::Path;

use super::load_file;
use super::test_support::{opts, TempDir};

/// Loads `file` (written with `content` beside executable `a.sh` and `b.sh`) and returns
/// the error text with the temporary folder shown as `{dir}`.
fn error_of(file: &str, content: &[u8], setup: impl Fn(&mut super::LoadOptions)) -> String {
    let dir = TempDir::new();
    dir.script("a.sh");
    dir.script("b.sh");
    dir.write(".env.bad", "A=1\nthis line is bad\n");
    std::fs::write(dir.0.join(file), content).expect("write");
    let mut o = opts(&dir.0);
    setup(&mut o);
    match load_file(Path::new(file), &o) {
        Ok(loaded) => panic!("{file}: expected an error, loaded {:?}", loaded.apps),
        Err(e) => e.to_string().replace(&dir.0.display().to_string(), "{dir}"),
    }
}

#[test]
fn every_error_class_has_its_exact_message() {
    let rows: &[(&str, &str, &str)] = &[
        ("e.json", "{apps: [{script: 'a.sh',}", "error: e.json:1:26: syntax error: expected `,` or `]`, found end of file"),
        ("e.yaml", "apps:\n  - script: a.sh\n   name: [x\n", "error: e.yaml:3:8: syntax error: while parsing a block collection, did not find expected '-' indicator"),
        ("e.toml", "[[apps]]\nscript = \n", "error: e.toml:2:10: syntax error: string values must be quoted, expected literal string"),
        ("e.ini", "x", "error: e.ini: unsupported file type: expected .json, .yaml, .yml, .toml, .js, .cjs or .mjs"),
        ("e.json", "42", "error: e.json:1:1: expected an object with `apps` or a list of apps, found 42"),
        ("e.json", "{apps: 'a.sh'}", "error: e.json:1:8: expected `apps` to be a list of apps or one app object, found \"a.sh\""),
        ("e.json", "{app: []}", "error: e.json:1:1: expected an `apps` list (or a list of apps, or one app with `script`), found an object without `apps`"),
        ("e.yaml", "- script: a.sh\n  instances: many\n", "error: e.yaml:2:3: app \"a\": `instances` must be a number, \"max\" or -1, found \"many\""),
        ("e.json", "[{script: 'a.sh', max_memory_restart: '1.5G'}]", "error: e.json:1:19: app \"a\": `max_memory_restart` must be bytes or a size like \"300M\", found \"1.5G\""),
        ("e.json", "[{script: 'a.sh', min_uptime: '5 minutes'}]", "error: e.json:1:19: app \"a\": `min_uptime` must be milliseconds or a duration like \"5s\", found \"5 minutes\""),
        ("e.json", "[{script: 'a.sh', kill_signal: 'SIGNOPE'}]", "error: e.json:1:19: app \"a\": `kill_signal` must be a signal name like \"SIGINT\", found \"SIGNOPE\""),
        ("e.json", "[{script: 'a.sh', cron_restart: '* * *'}]", "error: e.json:1:19: app \"a\": `cron_restart` must be a cron expression (it has 3 fields, expected 5 or 6), found \"* * *\""),
        ("e.json", "[{script: 'a.sh', autorestart: 'yes'}]", "error: e.json:1:19: app \"a\": `autorestart` must be true or false, found \"yes\""),
        ("e.json", "[{script: 'a.sh', env: {A: {}}}]", "error: e.json:1:28: app \"a\": `env.A` must be a string, number or boolean, found an object"),
        ("e.json", "[{name: 'x'}]", "error: e.json:1:2: app \"x\": `script` is required"),
        ("e.json", "[{script: 'a.sh'}, {script: 'a.sh'}]", "error: e.json:1:20: duplicate app name \"a\" (first declared on line 1)"),
        ("e.json", "[{name: '..', script: 'a.sh'}]", "error: e.json:1:3: invalid app name \"..\": a name cannot be `.` or `..` (it names log files)"),
        ("e.json", "[{script: 'a.sh', depends_on: 'bb'}, {script: 'b.sh'}]", "error: e.json:1:19: app \"a\": `depends_on` names unknown app \"bb\" (did you mean `b`?)"),
        ("e.json", "[{script: 'a.sh', depends_on: 'b'}, {script: 'b.sh', depends_on: ['a']}]", "error: e.json:1:19: app \"a\": `depends_on` forms a cycle: a -> b -> a"),
        ("e.json", "[{script: 'nope.sh'}]", "error: e.json:1:3: app \"nope\": script `nope.sh` not found (looked in {dir} and on PATH)"),
        ("e.json", "[{script: 'a.sh', cwd: 'missing'}]", "error: e.json:1:19: app \"a\": `cwd` directory {dir}/missing does not exist"),
        ("e.json", "[{script: 'a.sh', env_file: '.env.none'}]", "error: e.json:1:19: app \"a\": env_file {dir}/.env.none: cannot read it: entity not found"),
        ("e.json", "[{script: 'a.sh', env_file: ['.env.bad']}]", "error: e.json:1:19: app \"a\": env_file {dir}/.env.bad:2: expected KEY=VALUE, found \"this line is bad\""),
        ("e.json", "[{script: 'a.sh', instanses: 2}]", "error: e.json:1:19: app \"a\": unknown attribute `instanses` (did you mean `instances`?)"),
    ];
    for (file, content, want) in rows {
        let got = error_of(file, content.as_bytes(), |o| o.strict = true);
        assert_eq!(&got, want, "{file}: {content}");
    }
}

#[test]
fn invalid_utf8_names_the_place() {
    let got = error_of("e.yaml", b"apps:\n  - script: a\xff.sh\n", |_| {});
    assert_eq!(
        got,
        "error: e.yaml:2:14: file is not valid UTF-8 (first bad byte at offset 19)"
    );
}

#[test]
fn unreadable_file() {
    let dir = TempDir::new();
    let err = load_file(Path::new("none.json"), &opts(&dir.0)).expect_err("missing file");
    assert_eq!(
        err.to_string(),
        "error: none.json: cannot read file: entity not found"
    );
}

#[test]
fn unknown_profile_and_only_list_what_exists() {
    let content = b"[{script: 'a.sh', env_production: {}}, {script: 'b.sh', env_staging: {}}]";
    let got = error_of("e.json", content, |o| {
        o.env_profile = Some("prod".into());
        o.only = vec!["a".into(), "c".into()];
    });
    assert_eq!(
        got,
        "error: e.json: no app declares `env_prod` (profiles in this file: production, staging)\n\
         error: e.json: --only names unknown app \"c\" (apps in this file: a, b)"
    );
}

#[test]
fn all_problems_in_a_file_are_reported_together() {
    let content = b"apps:\n  - name: api\n    script: a.sh\n    instances: many\n    watch: 3\n  - name: api\n    script: b.sh\n    kill_timeout: soon\n";
    let got = error_of("e.yaml", content, |_| {});
    assert_eq!(
        got,
        "error: e.yaml:4:5: app \"api\": `instances` must be a number, \"max\" or -1, found \"many\"\n\
         error: e.yaml:5:5: app \"api\": `watch` must be true, false, a path or a list of paths, found 3\n\
         error: e.yaml:6:5: duplicate app name \"api\" (first declared on line 2)\n\
         error: e.yaml:8:5: app \"api\": `kill_timeout` must be milliseconds or a duration like \"5s\", found \"soon\""
    );
}
