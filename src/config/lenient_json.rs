//! A lenient JSON parser producing the spanned `Node` tree.
//!
//! PM2 reads `.json` ecosystem files as JavaScript object literals, so rpm accepts the
//! same: `//` and `/* */` comments, trailing commas, unquoted (identifier) keys,
//! single-quoted strings, `undefined`, hex numbers and a leading `+`. Strict JSON is a
//! subset. Recursive descent with a depth limit; never panics on any input.

use super::node::{Key, Node, Pos, SyntaxError, Value, MAX_DEPTH};

/// Parses a whole document: exactly one value, then only whitespace and comments.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut p = Parser {
        chars: text.chars().collect(),
        i: 0,
        line: 1,
        col: 1,
    };
    let value = p.value(0)?;
    p.skip_ws()?;
    if p.i < p.chars.len() {
        return Err(p.error(format!("unexpected {} after the value", p.describe())));
    }
    Ok(value)
}

struct Parser {
    chars: Vec<char>,
    i: usize,
    line: usize,
    col: usize,
}

impl Parser {
    fn pos(&self) -> Pos {
        Pos::new(self.line, self.col)
    }

    fn error(&self, message: String) -> SyntaxError {
        SyntaxError {
            pos: self.pos(),
            message,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }

    fn describe(&self) -> String {
        match self.peek() {
            None => "end of file".to_string(),
            Some(c) => format!("{c:?}"),
        }
    }

    fn skip_ws(&mut self) -> Result<(), SyntaxError> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() || c == '\u{feff}' => {
                    self.bump();
                }
                Some('/') => match self.chars.get(self.i + 1) {
                    Some('/') => {
                        while !matches!(self.peek(), None | Some('\n')) {
                            self.bump();
                        }
                    }
                    Some('*') => {
                        let start = self.pos();
                        self.bump();
                        self.bump();
                        loop {
                            match self.bump() {
                                None => {
                                    return Err(SyntaxError {
                                        pos: start,
                                        message: "unterminated /* comment".to_string(),
                                    })
                                }
                                Some('*') if self.peek() == Some('/') => {
                                    self.bump();
                                    break;
                                }
                                Some(_) => {}
                            }
                        }
                    }
                    _ => return Ok(()),
                },
                _ => return Ok(()),
            }
        }
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error(format!("values nested more than {MAX_DEPTH} deep")));
        }
        self.skip_ws()?;
        let pos = self.pos();
        let value = match self.peek() {
            Some('{') => self.object(depth)?,
            Some('[') => self.array(depth)?,
            Some(q @ ('"' | '\'')) => Value::Str(self.string(q)?),
            Some(c) if c == '-' || c == '+' || c == '.' || c.is_ascii_digit() => self.number()?,
            Some(c) if is_ident_start(c) => {
                let word = self.ident();
                match word.as_str() {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "null" | "undefined" => Value::Null,
                    _ => {
                        return Err(SyntaxError {
                            pos,
                            message: format!("unexpected word `{word}` (strings need quotes)"),
                        })
                    }
                }
            }
            _ => return Err(self.error(format!("expected a value, found {}", self.describe()))),
        };
        Ok(Node::new(value, pos))
    }

    fn object(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.bump();
        let mut entries = Vec::new();
        loop {
            self.skip_ws()?;
            let key_pos = self.pos();
            let name = match self.peek() {
                Some('}') => {
                    self.bump();
                    return Ok(Value::Map(entries));
                }
                Some(q @ ('"' | '\'')) => self.string(q)?,
                Some(c) if is_ident_start(c) => self.ident(),
                Some(c) if c.is_ascii_digit() => self.ident(),
                _ => {
                    return Err(
                        self.error(format!("expected a key or `}}`, found {}", self.describe()))
                    )
                }
            };
            self.skip_ws()?;
            if self.peek() != Some(':') {
                return Err(self.error(format!(
                    "expected `:` after key {name:?}, found {}",
                    self.describe()
                )));
            }
            self.bump();
            let value = self.value(depth + 1)?;
            entries.push((Key { name, pos: key_pos }, value));
            self.skip_ws()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some('}') => {}
                _ => {
                    return Err(
                        self.error(format!("expected `,` or `}}`, found {}", self.describe()))
                    )
                }
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, SyntaxError> {
        self.bump();
        let mut items = Vec::new();
        loop {
            self.skip_ws()?;
            if self.peek() == Some(']') {
                self.bump();
                return Ok(Value::List(items));
            }
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(',') => {
                    self.bump();
                }
                Some(']') => {}
                _ => {
                    return Err(
                        self.error(format!("expected `,` or `]`, found {}", self.describe()))
                    )
                }
            }
        }
    }

    fn ident(&mut self) -> String {
        let mut s = String::new();
        while let Some(c) = self.peek().filter(|c| is_ident_char(*c)) {
            s.push(c);
            self.bump();
        }
        s
    }

    fn string(&mut self, quote: char) -> Result<String, SyntaxError> {
        let start = self.pos();
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                None | Some('\n') => {
                    return Err(SyntaxError {
                        pos: start,
                        message: "unterminated string".to_string(),
                    })
                }
                Some(c) if c == quote => return Ok(s),
                Some('\\') => {
                    let esc_pos = self.pos();
                    let c = self.bump().ok_or_else(|| SyntaxError {
                        pos: start,
                        message: "unterminated string".to_string(),
                    })?;
                    match c {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        '0' => s.push('\0'),
                        '\n' => {}
                        'u' => s.push(self.unicode_escape(esc_pos)?),
                        other => s.push(other),
                    }
                }
                Some(c) => s.push(c),
            }
        }
    }

    fn unicode_escape(&mut self, pos: Pos) -> Result<char, SyntaxError> {
        let bad = || SyntaxError {
            pos,
            message: "bad \\u escape".to_string(),
        };
        let hi = self.hex4().ok_or_else(bad)?;
        if (0xD800..0xDC00).contains(&hi)
            && self.peek() == Some('\\')
            && self.chars.get(self.i + 1) == Some(&'u')
        {
            self.bump();
            self.bump();
            let lo = self.hex4().ok_or_else(bad)?;
            let code = 0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
            return char::from_u32(code).ok_or_else(bad);
        }
        char::from_u32(hi).ok_or_else(bad)
    }

    fn hex4(&mut self) -> Option<u32> {
        let mut v = 0;
        for _ in 0..4 {
            v = v * 16 + self.bump()?.to_digit(16)?;
        }
        Some(v)
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let pos = self.pos();
        let mut text = String::new();
        while let Some(c) = self
            .peek()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.' | '_'))
        {
            text.push(c);
            self.bump();
        }
        let bad = || SyntaxError {
            pos,
            message: format!("{text:?} is not a number"),
        };
        let (neg, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(&text)),
        };
        if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            let v = i64::from_str_radix(hex, 16).map_err(|_| bad())?;
            return Ok(Value::Int(if neg { -v } else { v }));
        }
        if body == "Infinity" || body.contains(['e', 'E', '.']) || body.len() > 18 {
            let f: f64 = body.parse().map_err(|_| bad())?;
            return Ok(Value::Float(if neg { -f } else { f }));
        }
        if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let v: i64 = body.parse().map_err(|_| bad())?;
        Ok(Value::Int(if neg { -v } else { v }))
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '$'
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        parse(text).expect("parses").to_json()
    }

    #[test]
    fn accepts_what_pm2_accepts() {
        let rows = [
            (r#"{"a": 1}"#, serde_json::json!({"a": 1})),
            ("{a: 1, b: 'two',}", serde_json::json!({"a": 1, "b": "two"})),
            (
                "// c\n{ /* x */ a: [1, 2,], }",
                serde_json::json!({"a": [1, 2]}),
            ),
            (
                "[true, false, null, undefined]",
                serde_json::json!([true, false, null, null]),
            ),
            (
                "{n: -1.5, h: 0x10, p: +3, e: 1e3}",
                serde_json::json!({"n": -1.5, "h": 16, "p": 3, "e": 1000.0}),
            ),
            (
                r#"{"s": "a\"b\u00e9\n"}"#,
                serde_json::json!({"s": "a\"bé\n"}),
            ),
            ("'it\\'s'", serde_json::json!("it's")),
            ("{$k_1: 2}", serde_json::json!({"$k_1": 2})),
        ];
        for (text, want) in rows {
            assert_eq!(json(text), want, "{text}");
        }
    }

    #[test]
    fn positions_point_at_values_and_keys() {
        let node = parse("{\n  apps: [\n    { name: 'a' }\n  ]\n}").expect("parses");
        let map = node.as_map().expect("map");
        assert_eq!(map[0].0.pos, Pos::new(2, 3));
        assert_eq!(map[0].1.pos, Pos::new(2, 9));
        let Value::List(items) = &map[0].1.value else {
            panic!("list")
        };
        let inner = items[0].as_map().expect("map");
        assert_eq!(inner[0].0.pos, Pos::new(3, 7));
        assert_eq!(inner[0].1.pos, Pos::new(3, 13));
    }

    #[test]
    fn syntax_errors_name_line_column_and_cause() {
        let rows = [
            ("{a: 1", (1, 6), "expected `,` or `}`, found end of file"),
            ("{a 1}", (1, 4), "expected `:` after key \"a\", found '1'"),
            (
                "{\n  a: nope\n}",
                (2, 6),
                "unexpected word `nope` (strings need quotes)",
            ),
            ("[1 2]", (1, 4), "expected `,` or `]`, found '2'"),
            ("\"abc", (1, 1), "unterminated string"),
            ("/* x", (1, 1), "unterminated /* comment"),
            ("{} x", (1, 4), "unexpected 'x' after the value"),
            ("", (1, 1), "expected a value, found end of file"),
            ("[1.2.3]", (1, 2), "\"1.2.3\" is not a number"),
        ];
        for (text, (line, col), message) in rows {
            let err = parse(text).expect_err(text);
            assert_eq!(
                (err.pos, err.message.as_str()),
                (Pos::new(line, col), message),
                "{text}"
            );
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = "[".repeat(10_000);
        let err = parse(&text).expect_err("too deep");
        assert_eq!(err.message, "values nested more than 128 deep");
    }
}
