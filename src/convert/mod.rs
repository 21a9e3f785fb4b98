//! `rpm convert`: another tool's process file — a supervisord `.conf`, a `Procfile`, a
//! process-compose YAML — read into rpm ecosystem apps, written as YAML, JSON or TOML.
//!
//! One reader per source format (`supervisord`, `procfile`, `process_compose`), each a
//! pure function from the file's text to `Converted`: the apps as ecosystem attributes
//! (PM2's names), and `Note`s for what had no equivalent, which the CLI prints on
//! stderr. Shell command lines become `script` + `args` when they are plain words, or
//! run through `sh -c` when they use the shell (`command`). Nothing here touches the
//! disk; the CLI reads the file and writes the result.

mod command;
mod process_compose;
mod procfile;
mod supervisord;

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};
use thiserror::Error;

/// The formats `rpm convert` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Supervisord,
    Procfile,
    ProcessCompose,
}

impl Source {
    /// The format of a file, by its name: `Procfile` (or `Procfile.*`), `*.conf` /
    /// `*.ini` (supervisord), `*.yaml` / `*.yml` with a top-level `processes:`
    /// (process-compose).
    pub fn detect(path: &Path, text: &str) -> Option<Source> {
        let name = path.file_name()?.to_str()?;
        if name == "Procfile" || name.starts_with("Procfile.") {
            return Some(Source::Procfile);
        }
        if name.ends_with(".conf") || name.ends_with(".ini") {
            return Some(Source::Supervisord);
        }
        if (name.ends_with(".yaml") || name.ends_with(".yml"))
            && text.lines().any(|l| l.starts_with("processes:"))
        {
            return Some(Source::ProcessCompose);
        }
        None
    }
}

/// What a source had that rpm has no equivalent for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The line in the source file, when known.
    pub line: Option<usize>,
    pub app: String,
    pub setting: String,
    pub why: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(line) = self.line {
            write!(f, "{line}: ")?;
        }
        write!(f, "app \"{}\": `{}` {}", self.app, self.setting, self.why)
    }
}

/// A converted file: the apps, as ecosystem attributes, and the notes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Converted {
    pub apps: Vec<Map<String, Value>>,
    pub notes: Vec<Note>,
}

/// Why a file cannot be converted.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ConvertError {
    #[error("{line}: {what}")]
    Syntax { line: usize, what: String },
    #[error("no programs found: {what}")]
    Empty { what: &'static str },
    #[error("cannot write TOML: {0}")]
    Toml(String),
}

/// Reads `text` as `source`.
pub fn convert(source: Source, text: &str) -> Result<Converted, ConvertError> {
    let converted = match source {
        Source::Supervisord => supervisord::read(text)?,
        Source::Procfile => procfile::read(text)?,
        Source::ProcessCompose => process_compose::read(text)?,
    };
    if converted.apps.is_empty() {
        return Err(ConvertError::Empty {
            what: match source {
                Source::Supervisord => "a supervisord file declares `[program:NAME]` sections",
                Source::Procfile => "a Procfile has `name: command` lines",
                Source::ProcessCompose => "a process-compose file lists `processes:`",
            },
        });
    }
    Ok(converted)
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
    Toml,
}

/// The ecosystem file text of `apps`, in `format`, with `header` lines as comments
/// (YAML and TOML; JSON has none, its notes go to stderr only).
pub fn render(
    apps: &[Map<String, Value>],
    format: Format,
    header: &[String],
) -> Result<String, ConvertError> {
    let doc = serde_json::json!({ "apps": apps });
    let comments: String = header
        .iter()
        .map(|h| {
            let flat: String = h
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            format!("# {flat}\n")
        })
        .collect();
    Ok(match format {
        Format::Yaml => format!("{comments}{}", crate::yaml_out::to_yaml(&doc)),
        Format::Json => {
            let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Toml => {
            let text = toml::to_string(&doc).map_err(|e| ConvertError::Toml(e.to_string()))?;
            format!("{comments}{text}")
        }
    })
}

/// A seconds value as rpm's duration string (`"5s"`), or milliseconds for fractions.
pub(crate) fn seconds(value: f64) -> Value {
    if value.fract() == 0.0 && value >= 0.0 {
        Value::String(format!("{}s", value as u64))
    } else {
        Value::from((value * 1000.0).round().max(0.0) as u64)
    }
}

/// A signal name as rpm writes it: `TERM` and `sigterm` become `SIGTERM`.
pub(crate) fn signal_name(text: &str) -> String {
    let upper = text.trim().to_ascii_uppercase();
    if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    }
}

#[cfg(test)]
mod tests;
