//! Splitting an `args` string into words as a POSIX shell would, without expansion:
//! whitespace separates words, single quotes are literal, double quotes honour `\"`,
//! `\\`, `\$` and `` \` ``, and a backslash outside quotes escapes the next character.

/// The words of `s`, or why it cannot be split (an unterminated quote).
pub(crate) fn split(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated single quote in {s:?}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err(format!("unterminated double quote in {s:?}")),
                        },
                        Some(c) => word.push(c),
                        None => return Err(format!("unterminated double quote in {s:?}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(c) = chars.next() {
                    word.push(c);
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_a_shell() {
        let rows: &[(&str, Result<&[&str], &str>)] = &[
            ("", Ok(&[])),
            ("  a  b ", Ok(&["a", "b"])),
            (
                "--port 3000 --name 'my app'",
                Ok(&["--port", "3000", "--name", "my app"]),
            ),
            (r#"-m "say \"hi\"" x"#, Ok(&["-m", "say \"hi\"", "x"])),
            (r"a\ b c", Ok(&["a b", "c"])),
            ("''", Ok(&[""])),
            ("a'b'\"c\"", Ok(&["abc"])),
            ("'open", Err("unterminated single quote in \"'open\"")),
            ("\"open", Err("unterminated double quote in \"\\\"open\"")),
        ];
        for (input, want) in rows {
            let want = want
                .map(|w| w.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .map_err(str::to_string);
            assert_eq!(split(input), want, "{input:?}");
        }
    }
}
