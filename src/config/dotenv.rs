//! `env_file`: dotenv files read in the CLI and merged between the caller's environment
//! and `env`. Syntax: `KEY=VALUE` lines, `#` comments and blank lines, an optional
//! `export ` prefix, values unquoted (trimmed, ` #` starts a comment), in single quotes
//! (literal) or double quotes (`\n`, `\t`, `\"`, `\\` escapes). A missing file or a bad
//! line is an error naming the file and line.

use std::collections::BTreeMap;

/// A dotenv line that cannot be read: 1-based line number and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DotenvError {
    pub line: usize,
    pub message: String,
}

/// Parses dotenv text into variables, later lines overriding earlier ones.
pub(crate) fn parse(text: &str) -> Result<BTreeMap<String, String>, DotenvError> {
    let mut vars = BTreeMap::new();
    for (i, raw) in text.lines().enumerate() {
        let bad = |message: String| DotenvError {
            line: i + 1,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map_or(line, str::trim_start);
        let (key, rest) = line
            .split_once('=')
            .ok_or_else(|| bad(format!("expected KEY=VALUE, found {line:?}")))?;
        let key = key.trim();
        let key_ok = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if !key_ok {
            return Err(bad(format!("{key:?} is not a variable name")));
        }
        let value = value(rest.trim()).map_err(bad)?;
        vars.insert(key.to_string(), value);
    }
    Ok(vars)
}

fn value(rest: &str) -> Result<String, String> {
    if let Some(body) = rest.strip_prefix('\'') {
        let end = body
            .find('\'')
            .ok_or_else(|| "unterminated single-quoted value".to_string())?;
        trailing(&body[end + 1..])?;
        return Ok(body[..end].to_string());
    }
    if let Some(body) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    trailing(&body[i + 1..])?;
                    return Ok(out);
                }
                '\\' => match chars.next().map(|(_, c)| c) {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some(other) => out.push(other),
                    None => break,
                },
                other => out.push(other),
            }
        }
        return Err("unterminated double-quoted value".to_string());
    }
    let end = rest.find(" #").unwrap_or(rest.len());
    Ok(rest[..end].trim_end().to_string())
}

fn trailing(after: &str) -> Result<(), String> {
    let after = after.trim();
    if after.is_empty() || after.starts_with('#') {
        Ok(())
    } else {
        Err(format!("unexpected {after:?} after the closing quote"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_syntax() {
        let text = "# comment\n\nA=1\nexport B = two words \nC='single # kept'\nD=\"line\\nnext \\\"q\\\"\" # c\nE=x # comment\nF=\nA=override\nG.H=dots\n";
        let got = parse(text).expect("parses");
        let want: BTreeMap<String, String> = [
            ("A", "override"),
            ("B", "two words"),
            ("C", "single # kept"),
            ("D", "line\nnext \"q\""),
            ("E", "x"),
            ("F", ""),
            ("G.H", "dots"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn bad_lines_name_the_line() {
        let rows = [
            ("A=1\nnope\n", 2, "expected KEY=VALUE, found \"nope\""),
            ("1A=x", 1, "\"1A\" is not a variable name"),
            ("=x", 1, "\"\" is not a variable name"),
            ("A='open", 1, "unterminated single-quoted value"),
            ("\n\nA=\"open", 3, "unterminated double-quoted value"),
            ("A=\"x\" y", 1, "unexpected \"y\" after the closing quote"),
        ];
        for (text, line, message) in rows {
            let err = parse(text).expect_err(text);
            assert_eq!(
                (err.line, err.message.as_str()),
                (line, message),
                "{text:?}"
            );
        }
    }
}
