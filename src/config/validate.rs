//! Checking one app object against the attribute table: known names (with suggestions
//! for unknown ones), value kinds, required `script`, a valid `name`. Produces a
//! `RawApp` (values checked, paths and environment not yet resolved) and records every
//! problem in the `Report`. Runs in the CLI.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::attributes::{self, Effect, Kind};
use super::error::ProblemKind;
use super::node::{Node, Pos, Value};
use super::report::Report;
use super::suggest::nearest;
use super::values::{self, Parsed};

/// One app as written, values checked.
#[derive(Debug, Clone)]
pub(crate) struct RawApp {
    /// Where the app object starts.
    pub pos: Pos,
    /// The app's name (declared or derived from `script`).
    pub name: String,
    /// Where the name was declared (the app's position when derived).
    pub name_pos: Pos,
    /// Checked attribute values by canonical name, with the position of their key.
    pub attrs: BTreeMap<&'static str, (Parsed, Pos)>,
    /// `env_<profile>` overlays by profile, with their position.
    pub profiles: BTreeMap<String, (BTreeMap<String, String>, Pos)>,
}

impl RawApp {
    pub fn get(&self, name: &str) -> Option<&Parsed> {
        self.attrs.get(name).map(|(p, _)| p)
    }

    pub fn pos_of(&self, name: &str) -> Pos {
        self.attrs.get(name).map_or(self.pos, |(_, pos)| *pos)
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Parsed::Str(s)) => Some(s),
            _ => None,
        }
    }

    pub fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Parsed::List(l)) => l.clone(),
            _ => Vec::new(),
        }
    }

    pub fn num(&self, name: &str) -> Option<u64> {
        match self.get(name) {
            Some(Parsed::Num(n)) => Some(*n),
            _ => None,
        }
    }

    pub fn duration(&self, name: &str) -> Option<Duration> {
        match self.get(name) {
            Some(Parsed::Duration(d)) => Some(*d),
            _ => None,
        }
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.get(name) {
            Some(Parsed::Bool(b)) => Some(*b),
            _ => None,
        }
    }
}

/// Checks that `name` can name an app: not empty, not `.` or `..`, no control
/// characters. A `/` is kept, as PM2 keeps it (`backend/api`); log file names replace it.
pub fn validate_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a name cannot be empty".to_string());
    }
    if name == "." || name == ".." {
        return Err("a name cannot be `.` or `..` (it names log files)".to_string());
    }
    if name.chars().any(char::is_control) {
        return Err("a name cannot contain control characters".to_string());
    }
    Ok(())
}

/// The name PM2 gives an app without one: the script's file name without its extension,
/// or a command line itself (`"npm run start"`).
fn derived_name(script: &str) -> String {
    if script.trim().contains(char::is_whitespace) {
        return script.trim().to_string();
    }
    let path = Path::new(script);
    path.file_stem()
        .or_else(|| path.file_name())
        .map_or_else(|| script.to_string(), |s| s.to_string_lossy().into_owned())
}

/// Checks the app object `node` (the `index`th, 1-based, for messages when unnamed).
pub(crate) fn validate_app(
    node: &Node,
    index: usize,
    strict: bool,
    report: &mut Report<'_>,
) -> Option<RawApp> {
    let Some(entries) = node.as_map() else {
        report.error(
            node.pos,
            None,
            ProblemKind::WrongShape {
                expected: format!("app #{index} to be an object"),
                found: node.found(),
            },
        );
        return None;
    };
    let text_of = |wanted: &str| {
        entries
            .iter()
            .rev()
            .find_map(|(k, v)| match (&v.value, attributes::lookup(&k.name)) {
                (Value::Str(s), Some(a)) if a.name == wanted => Some((s.clone(), k.pos)),
                _ => None,
            })
    };
    let script = text_of("script");
    let (name, name_pos) = match (text_of("name"), &script) {
        (Some(n), _) => n,
        (None, Some((s, _))) => (derived_name(s), node.pos),
        (None, None) => (format!("#{index}"), node.pos),
    };
    let label = Some(name.as_str());
    let mut app = RawApp {
        pos: node.pos,
        name: name.clone(),
        name_pos,
        attrs: BTreeMap::new(),
        profiles: BTreeMap::new(),
    };
    for (key, value) in entries {
        if value.value == Value::Null {
            continue;
        }
        let (attribute, kind) = if attributes::profile_of(&key.name).is_some() {
            (key.name.as_str(), Kind::Env)
        } else if let Some(a) = attributes::lookup(&key.name) {
            if a.effect == Effect::Inert {
                let message = format!(
                    "`{}` has no effect in rpm ({}); remove it",
                    key.name, a.description
                );
                report.warn(&format!("inert {}", a.name), key.pos, label, &message);
            }
            if a.effect == Effect::NotYet {
                let message = format!(
                    "`{}` is not supported by this rpm yet and is ignored: the app runs without it",
                    key.name
                );
                report.warn(&format!("later {}", a.name), key.pos, label, &message);
            }
            (a.name, a.kind)
        } else {
            let suggestion = nearest(&key.name, attributes::all_names()).map(str::to_string);
            let problem = ProblemKind::UnknownAttribute {
                attribute: key.name.clone(),
                suggestion,
            };
            if strict {
                report.error(key.pos, label, problem);
            } else {
                let once = format!("unknown {}", key.name);
                report.warn(&once, key.pos, label, &format!("{problem} (ignored)"));
            }
            continue;
        };
        if let (Kind::LogType, Value::Str(s)) = (kind, &value.value) {
            if s != "raw" && s != "json" {
                let message = format!(
                    "`{}: {s:?}` is neither \"raw\" nor \"json\": lines are written raw, as PM2 writes them",
                    key.name
                );
                report.warn("log_type", key.pos, label, &message);
            }
        }
        match values::read(kind, value) {
            Ok(parsed) => {
                if let (Some(profile), Parsed::Env(vars)) =
                    (attributes::profile_of(&key.name), &parsed)
                {
                    app.profiles
                        .insert(profile.to_string(), (vars.clone(), key.pos));
                } else if let Some(a) = attributes::lookup(attribute) {
                    app.attrs.insert(a.name, (parsed, key.pos));
                }
            }
            Err(bad) => {
                let pos = if bad.pos == value.pos {
                    key.pos
                } else {
                    bad.pos
                };
                let attribute = match bad.part {
                    Some(part) => format!("{}.{part}", key.name),
                    None => key.name.clone(),
                };
                report.error(
                    pos,
                    label,
                    ProblemKind::WrongType {
                        attribute,
                        expected: bad.expected,
                        found: bad.found,
                    },
                );
            }
        }
    }
    if script.is_none() && !app.attrs.contains_key("script") {
        report.error(
            node.pos,
            label,
            ProblemKind::Missing {
                attribute: "script".to_string(),
            },
        );
    }
    if let Err(reason) = validate_app_name(&name) {
        report.error(name_pos, None, ProblemKind::BadName { name, reason });
    }
    Some(app)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lenient_json;

    #[test]
    fn app_names() {
        let rows: &[(&str, Result<(), &str>)] = &[
            ("api", Ok(())),
            ("my-app.v2", Ok(())),
            ("日本", Ok(())),
            ("", Err("a name cannot be empty")),
            ("backend/api", Ok(())),
            ("npm run start", Ok(())),
            (
                "..",
                Err("a name cannot be `.` or `..` (it names log files)"),
            ),
            (
                ".",
                Err("a name cannot be `.` or `..` (it names log files)"),
            ),
            ("a\nb", Err("a name cannot contain control characters")),
            ("a\u{7f}", Err("a name cannot contain control characters")),
        ];
        for (name, want) in rows {
            assert_eq!(
                validate_app_name(name),
                want.map_err(str::to_string),
                "{name:?}"
            );
        }
    }

    fn check(text: &str, strict: bool) -> (Option<RawApp>, Vec<String>, Vec<String>) {
        let node = lenient_json::parse(text).expect("parses");
        let mut report = Report::new("eco.json");
        let app = validate_app(&node, 1, strict, &mut report);
        let problems = report.problems.iter().map(ToString::to_string).collect();
        (app, problems, report.warnings)
    }

    #[test]
    fn camel_case_and_pm2_synonyms_mean_the_same() {
        let text = "{cmd: 'a.py', maxRestarts: 3, ignoreWatch: ['x'], execMode: 'cluster', log_type: 'text'}";
        let (app, problems, warnings) = check(text, true);
        assert!(problems.is_empty(), "{problems:?}");
        let app = app.expect("app");
        assert_eq!(app.name, "a");
        assert_eq!(app.str("script"), Some("a.py"));
        assert_eq!(app.num("max_restarts"), Some(3));
        assert_eq!(app.list("ignore_watch"), vec!["x".to_string()]);
        assert_eq!(app.str("exec_mode"), Some("cluster"));
        assert_eq!(app.str("log_type"), Some("raw"));
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("`log_type: \"text\"` is neither")),
            "{warnings:?}"
        );
    }

    #[test]
    fn every_problem_in_an_app_is_reported() {
        let text = "{\n  name: 'api',\n  script: 'a.py',\n  instances: 'many',\n  instanses: 2,\n  env: {A: [1]},\n  kill_signal: 'SIGFOO',\n  watch: ['a', 2]\n}";
        let (_, problems, warnings) = check(text, true);
        assert_eq!(
            problems,
            vec![
                "error: eco.json:4:3: app \"api\": `instances` must be a number, \"max\" or -1, found \"many\"",
                "error: eco.json:5:3: app \"api\": unknown attribute `instanses` (did you mean `instances`?)",
                "error: eco.json:6:12: app \"api\": `env.A` must be a string, number or boolean, found a list",
                "error: eco.json:7:3: app \"api\": `kill_signal` must be a signal name like \"SIGINT\", found \"SIGFOO\"",
                "error: eco.json:8:16: app \"api\": `watch` must be true, false, a path or a list of paths, found 2",
            ]
        );
        assert_eq!(warnings, Vec::<String>::new(), "`watch` is supported now");
        let (_, problems, warnings) = check("{name: 'api', script: 'a.py', gid: 'web'}", true);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(
            warnings,
            vec!["warning: eco.json:1:31: app \"api\": `gid` is not supported by this rpm yet and is ignored: the app runs without it"]
        );
        let (_, problems, warnings) =
            check("{name: 'api', script: 'a.py', wait_ready: true}", true);
        assert_eq!(
            (problems, warnings),
            (Vec::new(), Vec::new()),
            "`wait_ready` is supported now"
        );
    }

    #[test]
    fn unknown_and_inert_attributes_warn_without_strict() {
        let text = "{script: 'x.py', instanses: 2, vizion: false, exec: 'y.py'}";
        let (app, problems, warnings) = check(text, false);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            warnings,
            vec![
                "warning: eco.json:1:18: app \"y\": unknown attribute `instanses` (did you mean `instances`?) (ignored)",
                "warning: eco.json:1:32: app \"y\": `vizion` has no effect in rpm (PM2 only (versioning metadata)); remove it",
            ]
        );
        let app = app.expect("app");
        assert_eq!(app.name, "y");
        assert_eq!(app.str("script"), Some("y.py"));
    }

    #[test]
    fn missing_script_and_bad_names() {
        let (_, problems, _) = check("{name: '..'}", false);
        assert_eq!(
            problems,
            vec![
                "error: eco.json:1:1: app \"..\": `script` is required",
                "error: eco.json:1:2: invalid app name \"..\": a name cannot be `.` or `..` (it names log files)",
            ]
        );
        let (_, problems, _) = check("[1]", false);
        assert_eq!(
            problems,
            vec!["error: eco.json:1:1: expected app #1 to be an object, found a list"]
        );
    }

    #[test]
    fn profiles_are_collected() {
        let (app, _, _) = check(
            "{script: 'a', env_production: {A: 1}, env_file: '.env'}",
            false,
        );
        let app = app.expect("app");
        assert_eq!(app.profiles.keys().collect::<Vec<_>>(), vec!["production"]);
        assert_eq!(app.list("env_file"), vec![".env".to_string()]);
    }
}
