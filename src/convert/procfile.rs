//! Procfile (Heroku, foreman, honcho): one `name: command` line per process, `#`
//! comments. Each line becomes an app of that name.

use serde_json::{json, Map};

use super::command::set_command;
use super::{ConvertError, Converted, Note};

pub(crate) fn read(text: &str) -> Result<Converted, ConvertError> {
    let mut out = Converted::default();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((name, command)) = trimmed.split_once(':') else {
            return Err(ConvertError::Syntax {
                line: number,
                what: format!("expected `name: command`, found {trimmed:?}"),
            });
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ConvertError::Syntax {
                line: number,
                what: format!("{name:?} is not a process name (letters, digits, `_` and `-`)"),
            });
        }
        if command.trim().is_empty() {
            return Err(ConvertError::Syntax {
                line: number,
                what: format!("process \"{name}\" has no command"),
            });
        }
        let mut app = Map::new();
        app.insert("name".into(), json!(name));
        set_command(&mut app, command);
        if command.contains("$PORT") || command.contains("${PORT}") {
            out.notes.push(Note {
                line: Some(number),
                app: name.to_string(),
                setting: "$PORT".into(),
                why: "is set by Heroku and foreman, not by rpm: add `port` (or `env: {PORT: …}`) to the app".into(),
            });
        }
        out.apps.push(app);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_line_is_an_app_and_port_is_noted() {
        let text = "# processes\nweb: bundle exec puma -p $PORT\nworker:  sleep 1000\n\n";
        let out = read(text).expect("reads");
        assert_eq!(
            serde_json::Value::from(out.apps),
            json!([
                {"name": "web", "script": "sh", "args": ["-c", "bundle exec puma -p $PORT"]},
                {"name": "worker", "script": "sleep", "args": ["1000"]},
            ])
        );
        assert_eq!(out.notes.len(), 1);
        assert_eq!(out.notes[0].line, Some(2));
    }

    #[test]
    fn malformed_lines_are_errors_with_their_line() {
        let rows = [
            (
                "web sleep 1",
                1,
                "expected `name: command`, found \"web sleep 1\"",
            ),
            (
                "ok: sleep 1\nbad name: x",
                2,
                "\"bad name\" is not a process name (letters, digits, `_` and `-`)",
            ),
            ("web:", 1, "process \"web\" has no command"),
        ];
        for (text, line, what) in rows {
            assert_eq!(
                read(text),
                Err(ConvertError::Syntax {
                    line,
                    what: what.to_string()
                }),
                "{text}"
            );
        }
    }
}
