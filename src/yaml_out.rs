//! A small YAML writer for `serde_json::Value`s: block style, keys in sorted order (the
//! `Map` is a `BTreeMap`), every string and key written as a JSON string literal, which
//! YAML reads as a double-quoted scalar — so `yes`, `0755`, `: ` or a newline in a value
//! stays a string and cannot change the document's structure.

use serde_json::Value;

/// `value` as a YAML document body (no `---`), ending with a newline.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value, 0, Slot::Top);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Slot {
    Top,
    /// After `key:`.
    MapValue,
    /// After `- `.
    ListItem,
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::Null => Some("null".to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(Value::String(s.clone()).to_string()),
        Value::Array(a) if a.is_empty() => Some("[]".to_string()),
        Value::Object(o) if o.is_empty() => Some("{}".to_string()),
        _ => None,
    }
}

fn write_value(out: &mut String, value: &Value, indent: usize, slot: Slot) {
    if let Some(text) = scalar(value) {
        if slot == Slot::MapValue {
            out.push(' ');
        }
        out.push_str(&text);
        out.push('\n');
        return;
    }
    match value {
        Value::Object(map) => {
            let mut first = true;
            if slot == Slot::MapValue {
                out.push('\n');
            }
            for (key, item) in map {
                if !(first && slot == Slot::ListItem) {
                    out.push_str(&" ".repeat(indent));
                }
                first = false;
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_value(out, item, indent + 2, Slot::MapValue);
            }
        }
        Value::Array(items) => {
            if slot == Slot::MapValue {
                out.push('\n');
            }
            let mut first = true;
            for item in items {
                if !(first && slot == Slot::ListItem) {
                    out.push_str(&" ".repeat(indent));
                }
                first = false;
                out.push_str("- ");
                write_value(out, item, indent + 2, Slot::ListItem);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_and_lists_are_block_style_with_quoted_strings() {
        let value = json!({
            "b": [1, {"y": "two words", "x": true}, ["n"]],
            "a": {"k": "yes", "empty": [], "none": {}},
            "s": "line\nbreak: \"q\"",
        });
        let expected = "\"a\":\n  \"empty\": []\n  \"k\": \"yes\"\n  \"none\": {}\n\"b\":\n  - 1\n  - \"x\": true\n    \"y\": \"two words\"\n  - - \"n\"\n\"s\": \"line\\nbreak: \\\"q\\\"\"\n";
        assert_eq!(to_yaml(&value), expected);
    }
}
