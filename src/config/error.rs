//! `ConfigError`: every way an ecosystem file can be refused, with file, line, column,
//! app and attribute, so the user can fix all problems in one pass.
//!
//! Validation collects `Problem`s instead of stopping at the first; `ConfigError`'s
//! Display prints them one per line, each starting with `error: `. Runs in the CLI.

use std::fmt;

use thiserror::Error;

use super::interpreter::ScriptError;
use super::node::Pos;

/// One thing wrong with an ecosystem file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line and column; 0 when the position is unknown.
    pub line: usize,
    pub col: usize,
    /// The app the problem belongs to, when it belongs to one.
    pub app: Option<String>,
    pub kind: ProblemKind,
}

/// What is wrong, with the data a fix needs.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProblemKind {
    #[error("syntax error: {message}")]
    Syntax { message: String },
    #[error("file is not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 { offset: usize },
    #[error("cannot read file: {message}")]
    Unreadable { message: String },
    #[error("unsupported file type: expected .json, .yaml, .yml, .toml, .js, .cjs or .mjs")]
    UnsupportedFormat,
    #[error("`node` is needed to read a JavaScript ecosystem file but was not found on PATH: install Node.js or convert the file to JSON, YAML or TOML")]
    NodeMissing,
    #[error("`node` failed to evaluate the file: {message}")]
    NodeFailed { message: String },
    #[error("expected {expected}, found {found}")]
    WrongShape { expected: String, found: String },
    #[error("`{attribute}` must be {expected}, found {found}")]
    WrongType {
        attribute: String,
        expected: String,
        found: String,
    },
    #[error("unknown attribute `{attribute}`{}", suggestion_text(.suggestion))]
    UnknownAttribute {
        attribute: String,
        suggestion: Option<String>,
    },
    #[error("`{attribute}` is required")]
    Missing { attribute: String },
    #[error("duplicate app name {name:?} (first declared on line {first_line})")]
    DuplicateName { name: String, first_line: usize },
    #[error("invalid app name {name:?}: {reason}")]
    BadName { name: String, reason: String },
    #[error("`depends_on` names unknown app {name:?}{}", suggestion_text(.suggestion))]
    UnknownDependency {
        name: String,
        suggestion: Option<String>,
    },
    #[error("`depends_on` forms a cycle: {}", .cycle.join(" -> "))]
    DependencyCycle { cycle: Vec<String> },
    #[error("no app declares `env_{profile}` (profiles in this file: {})", list_or_none(.available))]
    UnknownProfile {
        profile: String,
        available: Vec<String>,
    },
    #[error("--only names unknown app {name:?} (apps in this file: {})", list_or_none(.available))]
    UnknownOnly {
        name: String,
        available: Vec<String>,
    },
    #[error("env_file {path}:{line}: {message}")]
    EnvFile {
        path: String,
        line: usize,
        message: String,
    },
    #[error("env_file {path}: cannot read it: {message}")]
    EnvFileUnreadable { path: String, message: String },
    #[error("`cwd` directory {path} does not exist")]
    MissingCwd { path: String },
    #[error("{0}")]
    Script(ScriptError),
}

fn suggestion_text(s: &Option<String>) -> String {
    s.as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

impl Problem {
    /// A problem at `pos` in `file`, for `app` when given.
    pub(crate) fn at(file: &str, pos: Pos, app: Option<&str>, kind: ProblemKind) -> Problem {
        Problem {
            file: file.to_string(),
            line: pos.line,
            col: pos.col,
            app: app.map(str::to_string),
            kind,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.file)?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.col)?;
        }
        f.write_str(": ")?;
        if let Some(app) = &self.app {
            write!(f, "app {app:?}: ")?;
        }
        write!(f, "{}", self.kind)
    }
}

/// Why an ecosystem file (or a set of resolved apps) cannot be used. Nothing is started.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Every problem found in a file, in file order.
    #[error("{}", render(.problems))]
    Invalid { problems: Vec<Problem> },
    /// `depends_on` between resolved apps loops.
    #[error("error: `depends_on` forms a cycle: {}", .cycle.join(" -> "))]
    DependencyCycle { cycle: Vec<String> },
    /// `depends_on` names an app that is not among the resolved apps.
    #[error("error: app {app:?}: `depends_on` names unknown app {name:?}")]
    UnknownDependency { app: String, name: String },
}

impl ConfigError {
    /// The collected problems, sorted by position (stable for equal positions).
    pub(crate) fn from_problems(mut problems: Vec<Problem>) -> ConfigError {
        problems.sort_by_key(|p| (p.line, p.col));
        problems.dedup();
        ConfigError::Invalid { problems }
    }
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_render_one_per_line_with_position_and_app() {
        let err = ConfigError::from_problems(vec![
            Problem::at(
                "ecosystem.json",
                Pos::new(7, 9),
                Some("worker"),
                ProblemKind::UnknownAttribute {
                    attribute: "instanses".into(),
                    suggestion: Some("instances".into()),
                },
            ),
            Problem::at(
                "ecosystem.yaml",
                Pos::new(3, 5),
                Some("api"),
                ProblemKind::WrongType {
                    attribute: "instances".into(),
                    expected: "a number, \"max\" or -1".into(),
                    found: "\"many\"".into(),
                },
            ),
            Problem::at("x.js", Pos::default(), None, ProblemKind::NodeMissing),
        ]);
        assert_eq!(
            err.to_string(),
            "error: x.js: `node` is needed to read a JavaScript ecosystem file but was not found on PATH: install Node.js or convert the file to JSON, YAML or TOML\n\
             error: ecosystem.yaml:3:5: app \"api\": `instances` must be a number, \"max\" or -1, found \"many\"\n\
             error: ecosystem.json:7:9: app \"worker\": unknown attribute `instanses` (did you mean `instances`?)"
        );
    }
}
