//! A shell command line as ecosystem attributes: plain words (quotes allowed) become
//! `script` and `args`, so rpm runs the program itself and signals reach it directly;
//! a line that needs the shell (variables, pipes, `&&`, redirections, globs) becomes
//! `script: sh` with `args: ["-c", LINE]`, as rpm runs `script` as one program, never
//! through a shell.

use serde_json::{json, Map, Value};

use crate::config::shell_words;

/// Characters that make a line need a shell.
const SHELL_SYNTAX: &[char] = &[
    '$', '`', '|', '&', ';', '<', '>', '(', ')', '*', '?', '[', ']', '{', '}', '~', '!', '#', '\n',
    '\\',
];

/// Sets `script` and `args` on `app` for the command `line`.
pub(crate) fn set_command(app: &mut Map<String, Value>, line: &str) {
    let line = line.trim();
    let words = if line.contains(SHELL_SYNTAX) {
        None
    } else {
        shell_words::split(line).ok().filter(|w| !w.is_empty())
    };
    match words {
        Some(words) => {
            let (program, args) = words
                .split_first()
                .map(|(p, a)| (p.clone(), a.to_vec()))
                .unwrap_or_default();
            app.insert("script".into(), json!(program));
            if !args.is_empty() {
                app.insert("args".into(), json!(args));
            }
        }
        None => {
            app.insert("script".into(), json!("sh"));
            app.insert("args".into(), json!(["-c", line]));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_run_directly_and_shell_lines_through_sh() {
        let rows: &[(&str, Value, Value)] = &[
            ("sleep 1000", json!("sleep"), json!(["1000"])),
            (
                "python3 -m http.server",
                json!("python3"),
                json!(["-m", "http.server"]),
            ),
            (
                "echo 'two words' \"and more\"",
                json!("echo"),
                json!(["two words", "and more"]),
            ),
            ("web", json!("web"), Value::Null),
            (
                "bundle exec puma -p $PORT",
                json!("sh"),
                json!(["-c", "bundle exec puma -p $PORT"]),
            ),
            ("a && b", json!("sh"), json!(["-c", "a && b"])),
            ("run > out.log", json!("sh"), json!(["-c", "run > out.log"])),
            (
                "echo 'unterminated",
                json!("sh"),
                json!(["-c", "echo 'unterminated"]),
            ),
        ];
        for (line, script, args) in rows {
            let mut app = Map::new();
            set_command(&mut app, line);
            assert_eq!(app.get("script"), Some(script), "{line}");
            assert_eq!(
                app.get("args").cloned().unwrap_or(Value::Null),
                *args,
                "{line}"
            );
        }
    }
}
