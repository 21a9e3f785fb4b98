//! The rendered ecosystem file in each format reads back as the same apps.

use serde_json::{json, Value};

use super::*;

#[test]
fn every_format_reads_back_as_the_same_apps() {
    let converted = convert(
        Source::Procfile,
        "web: sleep 1000\nworker: echo \"a b\" && sleep 9\n",
    )
    .expect("converts");
    let expected = json!({"apps": converted.apps});
    let header = vec!["converted by rpm\nwith a line break".to_string()];
    let yaml = render(&converted.apps, Format::Yaml, &header).expect("yaml");
    assert!(
        yaml.starts_with("# converted by rpm with a line break\n"),
        "{yaml}"
    );
    let docs = yaml_rust2::YamlLoader::load_from_str(&yaml).expect("valid YAML");
    assert_eq!(
        docs[0]["apps"][1]["args"][1].as_str(),
        Some("echo \"a b\" && sleep 9")
    );
    let json_text = render(&converted.apps, Format::Json, &header).expect("json");
    assert_eq!(
        serde_json::from_str::<Value>(&json_text).expect("valid JSON"),
        expected
    );
    let toml_text = render(&converted.apps, Format::Toml, &header).expect("toml");
    let back: Value = toml::from_str(&toml_text).expect("valid TOML");
    assert_eq!(back, expected);
}

#[test]
fn formats_are_told_by_the_file_name() {
    let rows = [
        ("Procfile", "", Some(Source::Procfile)),
        ("Procfile.dev", "", Some(Source::Procfile)),
        ("supervisord.conf", "", Some(Source::Supervisord)),
        ("app.ini", "", Some(Source::Supervisord)),
        (
            "process-compose.yaml",
            "processes:\n  a: {}\n",
            Some(Source::ProcessCompose),
        ),
        ("ecosystem.yaml", "apps: []\n", None),
        ("notes.txt", "", None),
    ];
    for (name, text, expected) in rows {
        assert_eq!(
            Source::detect(std::path::Path::new(name), text),
            expected,
            "{name}"
        );
    }
}

#[test]
fn a_file_without_programs_is_an_error() {
    assert_eq!(
        convert(Source::Supervisord, "[supervisord]\nnodaemon=true\n"),
        Err(ConvertError::Empty {
            what: "a supervisord file declares `[program:NAME]` sections"
        })
    );
}
