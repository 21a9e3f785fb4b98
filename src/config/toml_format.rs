//! TOML ecosystem files, parsed with the `toml` crate's spanned document API
//! (`DeTable::parse`) into the `Node` tree. Datetimes become strings. TOML tables are
//! sorted by key by the parser, so errors within one app are reported in key order.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::node::{Key, LineIndex, Node, SyntaxError, Value};

/// Parses a whole TOML document.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    let index = LineIndex::new(text);
    let table = DeTable::parse(text).map_err(|e| SyntaxError {
        pos: index.pos(e.span().map_or(0, |s| s.start)),
        message: e.message().trim().to_string(),
    })?;
    let pos = index.pos(table.span().start);
    Ok(Node::new(convert_table(table.get_ref(), &index), pos))
}

fn convert_table(table: &DeTable<'_>, index: &LineIndex<'_>) -> Value {
    Value::Map(
        table
            .iter()
            .map(|(k, v)| {
                (
                    Key {
                        name: k.get_ref().to_string(),
                        pos: index.pos(k.span().start),
                    },
                    convert(v, index),
                )
            })
            .collect(),
    )
}

fn convert(v: &Spanned<DeValue<'_>>, index: &LineIndex<'_>) -> Node {
    let pos = index.pos(v.span().start);
    let value = match v.get_ref() {
        DeValue::String(s) => Value::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits = i.as_str().replace('_', "");
            let (neg, body) = match digits.strip_prefix('-') {
                Some(rest) => (true, rest.to_string()),
                None => (false, digits.trim_start_matches('+').to_string()),
            };
            let body = body
                .strip_prefix("0x")
                .or_else(|| body.strip_prefix("0o"))
                .or_else(|| body.strip_prefix("0b"))
                .unwrap_or(&body)
                .to_string();
            match i64::from_str_radix(&body, i.radix()) {
                Ok(n) => Value::Int(if neg { -n } else { n }),
                Err(_) => Value::Str(i.as_str().to_string()),
            }
        }
        DeValue::Float(f) => match f.as_str().replace('_', "").parse::<f64>() {
            Ok(n) => Value::Float(n),
            Err(_) => Value::Str(f.as_str().to_string()),
        },
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Datetime(d) => Value::Str(d.to_string()),
        DeValue::Array(items) => Value::List(items.iter().map(|i| convert(i, index)).collect()),
        DeValue::Table(t) => convert_table(t, index),
    };
    Node::new(value, pos)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::node::Pos;

    #[test]
    fn values_and_positions() {
        let text =
            "[[apps]]\nname = \"a\"\ninstances = 2\nwatch = [\"src\"]\n[apps.env]\nPORT = 3000\n";
        let node = parse(text).expect("parses");
        assert_eq!(
            node.to_json(),
            serde_json::json!({"apps": [{"name": "a", "instances": 2, "watch": ["src"], "env": {"PORT": 3000}}]})
        );
        let Value::List(apps) = &node.as_map().expect("map")[0].1.value else {
            panic!("list")
        };
        let app = apps[0].as_map().expect("map");
        let inst = app
            .iter()
            .find(|(k, _)| k.name == "instances")
            .expect("instances");
        assert_eq!(inst.0.pos, Pos::new(3, 1));
        assert_eq!(inst.1.pos, Pos::new(3, 13));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let err = parse("[[apps]]\nname = \n").expect_err("bad toml");
        assert_eq!(err.pos.line, 2, "{err:?}");
    }
}
