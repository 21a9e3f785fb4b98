//! Collecting problems and warnings while a file is loaded, so every problem is reported
//! in one pass and each warning only once. Runs in the CLI.

use std::collections::BTreeSet;

use super::error::{Problem, ProblemKind};
use super::node::Pos;

/// Problems and warnings about one file.
pub(crate) struct Report<'a> {
    pub file: &'a str,
    pub problems: Vec<Problem>,
    pub warnings: Vec<String>,
    warned: BTreeSet<String>,
}

impl<'a> Report<'a> {
    pub fn new(file: &'a str) -> Report<'a> {
        Report {
            file,
            problems: Vec::new(),
            warnings: Vec::new(),
            warned: BTreeSet::new(),
        }
    }

    /// Records an error.
    pub fn error(&mut self, pos: Pos, app: Option<&str>, kind: ProblemKind) {
        self.problems.push(Problem::at(self.file, pos, app, kind));
    }

    /// Records a warning unless one with the same `once` key was already given; the text
    /// has the shape of an error line with `warning: ` in front.
    pub fn warn(&mut self, once: &str, pos: Pos, app: Option<&str>, message: &str) {
        if !self.warned.insert(once.to_string()) {
            return;
        }
        let mut line = format!("warning: {}", self.file);
        if pos.line > 0 {
            line.push_str(&format!(":{}:{}", pos.line, pos.col));
        }
        line.push_str(": ");
        if let Some(app) = app {
            line.push_str(&format!("app {app:?}: "));
        }
        line.push_str(message);
        self.warnings.push(line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_given_once_per_key() {
        let mut r = Report::new("eco.json");
        r.warn(
            "vizion",
            Pos::new(3, 5),
            Some("a"),
            "`vizion` has no effect",
        );
        r.warn(
            "vizion",
            Pos::new(9, 5),
            Some("b"),
            "`vizion` has no effect",
        );
        r.warn("x", Pos::default(), None, "no position");
        assert_eq!(
            r.warnings,
            vec![
                "warning: eco.json:3:5: app \"a\": `vizion` has no effect".to_string(),
                "warning: eco.json: no position".to_string(),
            ]
        );
    }
}
