//! The spanned value tree every ecosystem format is parsed into.
//!
//! JSON, YAML, TOML and JavaScript files all become one `Node` tree whose values carry
//! the line and column where they were written, so validation (one attribute table, one
//! set of messages) can point at the exact spot whatever the format. Runs in the CLI.
//! A position of line 0 means "unknown" (values printed by `node` for `.js` files).

/// A position in a file: 1-based line and column; line 0 when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: usize,
    pub col: usize,
}

impl Pos {
    pub fn new(line: usize, col: usize) -> Pos {
        Pos { line, col }
    }
}

/// A syntax error found by one of the format parsers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub pos: Pos,
    pub message: String,
}

/// How deeply values may nest before a parser gives up (protects the stack).
pub(crate) const MAX_DEPTH: usize = 128;

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub value: Value,
    pub pos: Pos,
}

/// A key of a map, with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Key {
    pub name: String,
    pub pos: Pos,
}

/// The data model shared by all formats: JSON's, with integers kept apart from floats.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Node>),
    /// Entries in file order (TOML's are sorted by its parser).
    Map(Vec<(Key, Node)>),
}

impl Node {
    pub fn new(value: Value, pos: Pos) -> Node {
        Node { value, pos }
    }

    /// The value as it would be quoted in an error message's "found" part.
    pub fn found(&self) -> String {
        match &self.value {
            Value::Null => "null".to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Str(s) => format!("{s:?}"),
            Value::List(_) => "a list".to_string(),
            Value::Map(_) => "an object".to_string(),
        }
    }

    /// The entries when the value is a map.
    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value converted to JSON (for sections rpm keeps but does not interpret).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Formats a float as JavaScript's `String(n)` does for the common cases (`1.5`, `2`).
pub(crate) fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Maps byte offsets to 1-based line and column (columns count characters).
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos::new(line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_maps_offsets_to_lines_and_columns() {
        let idx = LineIndex::new("ab\ncdé\nf");
        let rows = [
            (0, (1, 1)),
            (1, (1, 2)),
            (3, (2, 1)),
            (7, (2, 4)),
            (8, (3, 1)),
            (99, (3, 2)),
        ];
        for (offset, (line, col)) in rows {
            assert_eq!(idx.pos(offset), Pos::new(line, col), "offset {offset}");
        }
    }

    #[test]
    fn found_quotes_strings_and_names_containers() {
        let p = Pos::default();
        let rows = [
            (Value::Str("many".into()), "\"many\""),
            (Value::Int(-3), "-3"),
            (Value::Float(1.5), "1.5"),
            (Value::Float(2.0), "2"),
            (Value::Bool(true), "true"),
            (Value::Null, "null"),
            (Value::List(vec![]), "a list"),
            (Value::Map(vec![]), "an object"),
        ];
        for (value, want) in rows {
            assert_eq!(Node::new(value, p).found(), want);
        }
    }
}
