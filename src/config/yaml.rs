//! YAML ecosystem files, parsed with `yaml-rust2`'s event parser into the spanned `Node`
//! tree (serde_yaml's `Value` carries no positions). Plain scalars get YAML 1.2 core
//! schema types, as PM2's js-yaml does: `true`/`false`, `null`/`~`/empty, integers
//! (decimal, `0x`, `0o`), floats; quoted scalars are strings. Aliases are expanded, within
//! a budget of `MAX_VALUES` values for the whole document, so a few kilobytes of nested
//! aliases (the "billion laughs") fail at once instead of filling memory.
//! Only the first document of a stream is read.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::node::{Key, Node, Pos, SyntaxError, Value, MAX_DEPTH};

/// The most values (scalars, lists and maps, counting every alias's copy) one document
/// may hold. The largest real ecosystem files hold a few thousand.
pub(crate) const MAX_VALUES: usize = 200_000;

/// Parses the first document of `text`.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    let loaded = parser.load(&mut builder, false);
    if let Some(err) = builder.error.take() {
        return Err(err);
    }
    loaded.map_err(|e| SyntaxError {
        pos: to_pos(*e.marker()),
        message: e.info().to_string(),
    })?;
    Ok(builder
        .root
        .unwrap_or_else(|| Node::new(Value::Null, Pos::new(1, 1))))
}

fn to_pos(m: Marker) -> Pos {
    Pos::new(m.line().max(1), m.col() + 1)
}

enum Frame {
    List(Node, usize),
    Map(Node, usize, Option<Key>),
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    /// Each anchored node, with how many values it holds.
    anchors: HashMap<usize, (Node, usize)>,
    /// Values in the document so far, aliases' copies included.
    values: usize,
    root: Option<Node>,
    error: Option<SyntaxError>,
    done: bool,
}

impl Builder {
    fn fail(&mut self, pos: Pos, message: String) {
        if self.error.is_none() {
            self.error = Some(SyntaxError { pos, message });
        }
    }

    /// Attaches a finished node to its parent (or makes it the root).
    fn attach(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                self.done = true;
            }
            Some(Frame::List(list, _)) => {
                if let Value::List(items) = &mut list.value {
                    items.push(node);
                }
            }
            Some(Frame::Map(map, _, key)) => match key.take() {
                None => {
                    let name = match &node.value {
                        Value::Str(s) => s.clone(),
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Float(f) => super::node::format_float(*f),
                        Value::Null => "null".to_string(),
                        Value::List(_) | Value::Map(_) => {
                            let pos = node.pos;
                            self.fail(pos, "a key must be a plain value, not a list or map".into());
                            return;
                        }
                    };
                    *key = Some(Key {
                        name,
                        pos: node.pos,
                    });
                }
                Some(k) => {
                    if let Value::Map(entries) = &mut map.value {
                        entries.push((k, node));
                    }
                }
            },
        }
    }

    fn finish(&mut self) {
        let (node, anchor) = match self.stack.pop() {
            Some(Frame::List(n, a)) | Some(Frame::Map(n, a, _)) => (n, a),
            None => return,
        };
        if anchor > 0 {
            let size = count_values(&node);
            self.anchors.insert(anchor, (node.clone(), size));
        }
        self.attach(node);
    }

    /// Counts `n` more values; false (with the error set) once the budget is spent.
    fn spend(&mut self, n: usize, pos: Pos) -> bool {
        self.values = self.values.saturating_add(n);
        if self.values > MAX_VALUES {
            self.fail(
                pos,
                format!(
                    "aliases expand this document beyond {MAX_VALUES} values; \
                     nested aliases that multiply (a \"billion laughs\") are refused"
                ),
            );
            return false;
        }
        true
    }
}

/// How many values `node` holds, itself included.
fn count_values(node: &Node) -> usize {
    1 + match &node.value {
        Value::List(items) => items.iter().map(count_values).sum(),
        Value::Map(entries) => entries.iter().map(|(_, v)| count_values(v)).sum(),
        _ => 0,
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        if self.error.is_some() || self.done {
            return;
        }
        let pos = to_pos(mark);
        match ev {
            Event::Scalar(text, style, anchor, _tag) => {
                if !self.spend(1, pos) {
                    return;
                }
                let value = if style == TScalarStyle::Plain {
                    plain_scalar(&text)
                } else {
                    Value::Str(text)
                };
                let node = Node::new(value, pos);
                if anchor > 0 {
                    self.anchors.insert(anchor, (node.clone(), 1));
                }
                self.attach(node);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if !self.spend(1, pos) {
                    return;
                }
                if self.stack.len() >= MAX_DEPTH {
                    self.fail(pos, format!("values nested more than {MAX_DEPTH} deep"));
                    return;
                }
                self.stack.push(match ev {
                    Event::SequenceStart(..) => {
                        Frame::List(Node::new(Value::List(vec![]), pos), anchor)
                    }
                    _ => Frame::Map(Node::new(Value::Map(vec![]), pos), anchor, None),
                });
            }
            Event::SequenceEnd | Event::MappingEnd => self.finish(),
            Event::Alias(id) => {
                let Some(size) = self.anchors.get(&id).map(|(_, size)| *size) else {
                    self.fail(pos, "alias to an unknown anchor".to_string());
                    return;
                };
                // Spent before the copy is made, so an over-budget copy is never made.
                if !self.spend(size, pos) {
                    return;
                }
                if let Some((node, _)) = self.anchors.get(&id) {
                    let mut node = node.clone();
                    node.pos = pos;
                    self.attach(node);
                }
            }
            _ => {}
        }
    }
}

/// Types a plain scalar by YAML 1.2's core schema.
fn plain_scalar(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let sign = |v: i64| if neg { -v } else { v };
    if let Some(hex) = body.strip_prefix("0x") {
        if let Ok(v) = i64::from_str_radix(hex, 16) {
            return Value::Int(sign(v));
        }
    } else if let Some(oct) = body.strip_prefix("0o") {
        if let Ok(v) = i64::from_str_radix(oct, 8) {
            return Value::Int(sign(v));
        }
    } else if !body.is_empty() && body.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = text.parse::<i64>() {
            return Value::Int(v);
        }
    }
    let looks_numeric = body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && body.bytes().any(|b| b.is_ascii_digit());
    if looks_numeric {
        if let Ok(f) = text.parse::<f64>() {
            return Value::Float(f);
        }
    }
    match body {
        ".inf" | ".Inf" | ".INF" => Value::Float(if neg {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        _ => Value::Str(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_follow_the_core_schema() {
        let text =
            "a: 1\nb: '1'\nc: true\nd: yes\ne: ~\nf:\ng: 1.5\nh: 0x1F\ni: -3\nj: 300M\nk: \"x\"\n";
        let got = parse(text).expect("parses").to_json();
        assert_eq!(
            got,
            serde_json::json!({"a": 1, "b": "1", "c": true, "d": "yes", "e": null, "f": null,
                "g": 1.5, "h": 31, "i": -3, "j": "300M", "k": "x"})
        );
    }

    #[test]
    fn positions_and_aliases() {
        let text = "base: &b\n  x: 1\napps:\n  - name: a\n    env: *b\n";
        let node = parse(text).expect("parses");
        let map = node.as_map().expect("map");
        assert_eq!(map[1].0.pos, Pos::new(3, 1));
        let Value::List(apps) = &map[1].1.value else {
            panic!("list")
        };
        let app = apps[0].as_map().expect("map");
        assert_eq!(app[0].0.pos, Pos::new(4, 5));
        assert_eq!(app[0].1.pos, Pos::new(4, 11));
        assert_eq!(app[1].1.to_json(), serde_json::json!({"x": 1}));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("apps:\n  - name: a\n   bad: [1\n").expect_err("bad yaml");
        assert!(err.pos.line >= 3, "{err:?}");
        let err = parse("a: *nope\n").expect_err("unknown alias");
        assert_eq!(err.pos.line, 1);
    }

    #[test]
    fn nested_aliases_that_multiply_fail_at_once_with_a_line() {
        let mut text = String::from(
            "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
        );
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for pair in names.windows(2) {
            let refs = vec![format!("*{}", pair[0]); 9].join(",");
            text.push_str(&format!("{0}: &{0} [{1}]\n", pair[1], refs));
        }
        // Unbounded, this would copy 9^9 (387 million) values.
        let err = parse(&text).expect_err("refused");
        assert!(err.message.contains("billion laughs"), "{err:?}");
        assert!(err.pos.line > 1 && err.pos.line <= 9, "{err:?}");
    }

    #[test]
    fn aliases_within_the_budget_still_expand() {
        let text = "x: &x {a: 1, b: [1, 2]}\ny: [*x, *x, *x]\n";
        let got = parse(text).expect("parses").to_json();
        assert_eq!(got["y"][2], serde_json::json!({"a": 1, "b": [1, 2]}));
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").expect("parses").value, Value::Null);
    }
}
