//! supervisord's INI files: each `[program:NAME]` section becomes an app. `command`,
//! `directory`, `environment` (`KEY="v",K2=v2`), `autorestart`, `startsecs` →
//! `min_uptime`, `startretries` → `max_restarts`, `stopsignal` → `kill_signal`,
//! `stopwaitsecs` → `kill_timeout`, `numprocs` → `instances`, `stdout_logfile` /
//! `stderr_logfile` → `out_file` / `error_file`, `user` → `uid`; everything else is
//! noted. Other sections (`[supervisord]`, `[group:…]`, …) are supervisord's own.

use serde_json::{json, Map, Value};

use super::command::set_command;
use super::{seconds, signal_name, ConvertError, Converted, Note};

/// One `key = value` of a section, with its line.
struct Entry {
    line: usize,
    key: String,
    value: String,
}

pub(crate) fn read(text: &str) -> Result<Converted, ConvertError> {
    let mut out = Converted::default();
    for (name, entries) in sections(text)? {
        let Some(program) = name.strip_prefix("program:") else {
            continue;
        };
        out.apps
            .push(program_app(program.trim(), &entries, &mut out.notes));
    }
    Ok(out)
}

/// The sections in file order, with their entries (continuation lines joined).
fn sections(text: &str) -> Result<Vec<(String, Vec<Entry>)>, ConvertError> {
    let mut sections: Vec<(String, Vec<Entry>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('[') {
            let Some(name) = rest.strip_suffix(']') else {
                return Err(ConvertError::Syntax {
                    line: number,
                    what: format!("unterminated section header {trimmed:?}"),
                });
            };
            sections.push((name.trim().to_string(), Vec::new()));
            continue;
        }
        let Some((_, entries)) = sections.last_mut() else {
            return Err(ConvertError::Syntax {
                line: number,
                what: "a setting before any [section]".to_string(),
            });
        };
        if raw.starts_with([' ', '\t']) {
            if let Some(last) = entries.last_mut() {
                last.value.push(' ');
                last.value.push_str(strip_comment(trimmed));
                continue;
            }
        }
        let Some(split) = trimmed.find(['=', ':']) else {
            return Err(ConvertError::Syntax {
                line: number,
                what: format!("expected `key = value`, found {trimmed:?}"),
            });
        };
        entries.push(Entry {
            line: number,
            key: trimmed[..split].trim().to_ascii_lowercase(),
            value: strip_comment(trimmed[split + 1..].trim()).to_string(),
        });
    }
    Ok(sections)
}

/// An inline comment starts with ` ;` (as Python's configparser reads supervisord's).
fn strip_comment(value: &str) -> &str {
    match value.find(" ;") {
        Some(i) => value[..i].trim_end(),
        None => value,
    }
}

fn program_app(name: &str, entries: &[Entry], notes: &mut Vec<Note>) -> Map<String, Value> {
    let mut app = Map::new();
    app.insert("name".into(), json!(name));
    let mut note = |e: &Entry, why: &str| {
        notes.push(Note {
            line: Some(e.line),
            app: name.to_string(),
            setting: e.key.clone(),
            why: why.to_string(),
        })
    };
    for e in entries {
        let v = e.value.as_str();
        if v.contains("%(") {
            note(e, "uses supervisord's %(…)s expansion, which rpm does not do: the text is kept as written");
        }
        match e.key.as_str() {
            "command" => set_command(&mut app, v),
            "directory" => {
                app.insert("cwd".into(), json!(v));
            }
            "environment" => match environment(v) {
                Some(env) => {
                    app.insert("env".into(), Value::Object(env));
                }
                None => note(e, "is not a list of KEY=value pairs: left out"),
            },
            "autorestart" => match v.to_ascii_lowercase().as_str() {
                "false" => {
                    app.insert("autorestart".into(), json!(false));
                }
                "unexpected" => {
                    app.insert("autorestart".into(), json!(true));
                    note(e, "= unexpected becomes autorestart true; list the expected codes in stop_exit_codes");
                }
                _ => {
                    app.insert("autorestart".into(), json!(true));
                }
            },
            "startsecs" => number(e, "min_uptime", &mut app, &mut note, true),
            "stopwaitsecs" => number(e, "kill_timeout", &mut app, &mut note, true),
            "startretries" => number(e, "max_restarts", &mut app, &mut note, false),
            "numprocs" => number(e, "instances", &mut app, &mut note, false),
            "stopsignal" => {
                app.insert("kill_signal".into(), json!(signal_name(v)));
            }
            "stdout_logfile" | "stderr_logfile" => {
                let key = if e.key == "stdout_logfile" {
                    "out_file"
                } else {
                    "error_file"
                };
                match v.to_ascii_uppercase().as_str() {
                    "AUTO" => {}
                    "NONE" => {
                        app.insert(key.into(), json!(false));
                    }
                    _ => {
                        app.insert(key.into(), json!(v));
                    }
                }
            }
            "user" => {
                app.insert("uid".into(), json!(v));
            }
            "stopasgroup" | "killasgroup" | "process_name" => {}
            "autostart" if v.eq_ignore_ascii_case("true") => {}
            _ => note(e, "has no rpm equivalent: left out"),
        }
    }
    if !app.contains_key("script") {
        notes.push(Note {
            line: None,
            app: name.to_string(),
            setting: "command".into(),
            why: "is missing: add `script` to the app".into(),
        });
    }
    app
}

fn number(
    e: &Entry,
    key: &str,
    app: &mut Map<String, Value>,
    note: &mut impl FnMut(&Entry, &str),
    duration: bool,
) {
    match e.value.trim().parse::<f64>() {
        Ok(n) if n >= 0.0 => {
            let value = if duration {
                seconds(n)
            } else {
                json!(n as u64)
            };
            app.insert(key.into(), value);
        }
        _ => note(e, "is not a number of 0 or more: left out"),
    }
}

/// `KEY="value",K2=v2` (values may be quoted, quoted values may hold commas).
fn environment(text: &str) -> Option<Map<String, Value>> {
    let mut env = Map::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace() || *c == ',') {
            chars.next();
        }
        if chars.peek().is_none() {
            return Some(env);
        }
        let mut key = String::new();
        for c in chars.by_ref() {
            if c == '=' {
                break;
            }
            key.push(c);
        }
        let key = key.trim().to_string();
        if key.is_empty() {
            return None;
        }
        let mut value = String::new();
        match chars.peek() {
            Some(q @ ('"' | '\'')) => {
                let quote = *q;
                chars.next();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == quote {
                        closed = true;
                        break;
                    }
                    value.push(c);
                }
                if !closed {
                    return None;
                }
            }
            _ => {
                while let Some(c) = chars.peek() {
                    if *c == ',' {
                        break;
                    }
                    value.push(*c);
                    chars.next();
                }
                value = value.trim().to_string();
            }
        }
        env.insert(key, json!(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_section_maps_to_an_app() {
        let text = "[supervisord]\nnodaemon=true\n\n[program:web]\ncommand=python3 -m http.server 8000 ; inline\ndirectory=/srv/app\nenvironment=A=\"1,2\",B=two,C='x y'\nautorestart=unexpected\nstartsecs=3\nstartretries=5\nstopsignal=TERM\nstopwaitsecs=0.5\nnumprocs=2\nstdout_logfile=/var/log/web.log\nstderr_logfile=AUTO\npriority=10\n";
        let out = read(text).expect("reads");
        assert_eq!(
            Value::from(out.apps),
            json!([{
                "name": "web", "script": "python3", "args": ["-m", "http.server", "8000"],
                "cwd": "/srv/app", "env": {"A": "1,2", "B": "two", "C": "x y"},
                "autorestart": true, "min_uptime": "3s", "max_restarts": 5,
                "kill_signal": "SIGTERM", "kill_timeout": 500, "instances": 2,
                "out_file": "/var/log/web.log",
            }])
        );
        let settings: Vec<(Option<usize>, &str)> = out
            .notes
            .iter()
            .map(|n| (n.line, n.setting.as_str()))
            .collect();
        assert_eq!(
            settings,
            vec![(Some(8), "autorestart"), (Some(16), "priority")]
        );
    }

    #[test]
    fn environment_values_may_be_quoted() {
        let rows: &[(&str, Option<Value>)] = &[
            ("A=1", Some(json!({"A": "1"}))),
            ("A=\"x, y\",B=2", Some(json!({"A": "x, y", "B": "2"}))),
            (" A = 1 , B='q' ", Some(json!({"A": "1", "B": "q"}))),
            ("A=\"open", None),
            ("=1", None),
        ];
        for (text, expected) in rows {
            assert_eq!(environment(text).map(Value::Object), *expected, "{text}");
        }
    }

    #[test]
    fn continuation_lines_and_bad_lines() {
        let out = read("[program:x]\ncommand=sleep\n  1000\n").expect("reads");
        assert_eq!(out.apps[0]["args"], json!(["1000"]));
        assert_eq!(
            read("command=sleep 1").map(|_| ()),
            Err(ConvertError::Syntax {
                line: 1,
                what: "a setting before any [section]".into()
            })
        );
    }
}
