//! `sample()`: the commented ecosystem file `rpm init` writes, in JSON, YAML or TOML.
//! A test checks that each sample parses and passes strict validation.

/// The format of a sample file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleFormat {
    Json,
    Yaml,
    Toml,
}

impl SampleFormat {
    /// The file name `rpm init` uses for this format.
    pub fn file_name(self) -> &'static str {
        match self {
            SampleFormat::Json => "ecosystem.json",
            SampleFormat::Yaml => "ecosystem.yaml",
            SampleFormat::Toml => "ecosystem.toml",
        }
    }
}

const JSON: &str = r#"// rpm ecosystem file: `rpm start ecosystem.json`, `rpm start ecosystem.json --env production`.
// Comments and trailing commas are fine (as in PM2). Schema: schemas/ecosystem.schema.json.
{
  "apps": [
    {
      "name": "api",                    // process name, also used for log file names
      "script": "server.py",            // relative to cwd; interpreter chosen from the extension
      "args": "--workers 2",            // a string (split like a shell) or a list
      "instances": 1,                   // a number, "max" (one per CPU) or -1
      "kill_timeout": "5s",             // SIGINT, then SIGKILL after this
      "env": { "PORT": 3000 },          // over your shell's environment
      "env_production": { "PORT": 80 }, // overlaid with --env production
    },
    {
      "name": "worker",
      "script": "worker.sh",
      "depends_on": ["api"],            // started after api
    },
  ],
}
"#;

const YAML: &str = r#"# rpm ecosystem file: `rpm start ecosystem.yaml`, `rpm start ecosystem.yaml --env production`.
# Schema: schemas/ecosystem.schema.json.
apps:
  - name: api                  # process name, also used for log file names
    script: server.py          # relative to cwd; interpreter chosen from the extension
    args: --workers 2          # a string (split like a shell) or a list
    instances: 1               # a number, "max" (one per CPU) or -1
    kill_timeout: 5s           # SIGINT, then SIGKILL after this
    env:                       # over your shell's environment
      PORT: 3000
    env_production:            # overlaid with --env production
      PORT: 80
  - name: worker
    script: worker.sh
    depends_on: [api]          # started after api
"#;

const TOML: &str = r#"# rpm ecosystem file: `rpm start ecosystem.toml`, `rpm start ecosystem.toml --env production`.
# Schema: schemas/ecosystem.schema.json.
[[apps]]
name = "api"                  # process name, also used for log file names
script = "server.py"          # relative to cwd; interpreter chosen from the extension
args = "--workers 2"          # a string (split like a shell) or a list
instances = 1                 # a number, "max" (one per CPU) or -1
kill_timeout = "5s"           # SIGINT, then SIGKILL after this

[apps.env]                    # over your shell's environment
PORT = 3000

[apps.env_production]         # overlaid with --env production
PORT = 80

[[apps]]
name = "worker"
script = "worker.sh"
depends_on = ["api"]          # started after api
"#;

/// A commented sample ecosystem file declaring two apps, for `rpm init`.
pub fn sample(format: SampleFormat) -> String {
    match format {
        SampleFormat::Json => JSON,
        SampleFormat::Yaml => YAML,
        SampleFormat::Toml => TOML,
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::report::Report;
    use crate::config::validate::validate_app;
    use crate::config::{lenient_json, node::Value, toml_format, yaml};

    #[test]
    fn samples_pass_strict_validation_and_agree() {
        let mut seen = Vec::new();
        for format in [SampleFormat::Json, SampleFormat::Yaml, SampleFormat::Toml] {
            let text = sample(format);
            let root = match format {
                SampleFormat::Json => lenient_json::parse(&text),
                SampleFormat::Yaml => yaml::parse(&text),
                SampleFormat::Toml => toml_format::parse(&text),
            }
            .expect("sample parses");
            let apps = root
                .as_map()
                .and_then(|m| m.iter().find(|(k, _)| k.name == "apps"));
            let Some((
                _,
                crate::config::node::Node {
                    value: Value::List(apps),
                    ..
                },
            )) = apps
            else {
                panic!("{format:?}: no apps list")
            };
            let mut report = Report::new(format.file_name());
            let raws: Vec<_> = apps
                .iter()
                .enumerate()
                .filter_map(|(i, a)| validate_app(a, i + 1, true, &mut report))
                .collect();
            assert!(
                report.problems.is_empty(),
                "{format:?}: {:?}",
                report.problems
            );
            assert!(
                report.warnings.is_empty(),
                "{format:?}: {:?}",
                report.warnings
            );
            let mut summary: Vec<String> = raws
                .iter()
                .map(|r| {
                    let attrs: Vec<_> = r.attrs.iter().map(|(k, (v, _))| (k, v)).collect();
                    let profiles: Vec<_> = r.profiles.iter().map(|(k, (v, _))| (k, v)).collect();
                    format!("{} {attrs:?} {profiles:?}", r.name)
                })
                .collect();
            summary.sort();
            seen.push(summary);
        }
        assert_eq!(seen[0], seen[1]);
        assert_eq!(seen[0], seen[2]);
    }
}
