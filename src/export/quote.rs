//! Quoting values for each output language, so that a name or a value with spaces,
//! quotes, newlines, `%`, `$` or `$(…)` is carried as data and never read as syntax.

/// A word of a systemd `ExecStart=` line: specifiers (`%`) and variable references (`$`)
/// doubled, and the word double-quoted (with C escapes) unless it is plainly safe.
pub(crate) fn systemd_word(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    let safe = !escaped.is_empty()
        && escaped
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-$".contains(c));
    if safe {
        escaped
    } else {
        systemd_quoted(&escaped)
    }
}

/// A systemd `Environment=` assignment, `"KEY=value"`, quoted as one word: `%` doubled
/// (`Environment=` expands specifiers but not variables).
pub(crate) fn systemd_env(key: &str, value: &str) -> String {
    systemd_quoted(&format!("{key}={value}").replace('%', "%%"))
}

/// A value where systemd expands only specifiers (paths, descriptions).
pub(crate) fn systemd_plain(value: &str) -> String {
    value.replace('%', "%%")
}

fn systemd_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An HCL string literal: JSON-style escapes, and `${`/`%{` doubled so no template
/// interpolation or directive is read from a value.
pub(crate) fn hcl_string(value: &str) -> String {
    let json = serde_json::Value::String(value.to_string()).to_string();
    json.replace("${", "$${").replace("%{", "%%{")
}

/// Whether a systemd unit name prefix (an app name) is valid: letters, digits and
/// `:_.-`, at most 200 characters (rpm adds `@`, `.service`, `.socket`).
pub(crate) fn is_unit_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ":_.-".contains(c))
}

/// Whether `name` is a DNS-1123 label (Kubernetes object names, compose service names
/// are looser but the same rule keeps one name everywhere).
pub(crate) fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// Whether `name` is an HCL identifier (Nomad `env` keys, group and task labels are
/// quoted; `env` keys are attribute names and must be identifiers).
pub(crate) fn is_hcl_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systemd_words_escape_specifiers_variables_and_quotes() {
        let rows = [
            ("/usr/bin/python3", "/usr/bin/python3"),
            ("--port=8000", "--port=8000"),
            ("100%", "100%%"),
            ("$HOME", "$$HOME"),
            ("two words", "\"two words\""),
            ("$(rm -rf /)", "\"$$(rm -rf /)\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("a\nb", "\"a\\nb\""),
            ("back\\slash", "\"back\\\\slash\""),
            (";", "\";\""),
            ("", "\"\""),
        ];
        for (word, expected) in rows {
            assert_eq!(systemd_word(word), expected, "{word:?}");
        }
    }

    #[test]
    fn systemd_environment_is_one_quoted_word() {
        assert_eq!(systemd_env("A", "b c"), "\"A=b c\"");
        assert_eq!(systemd_env("P", "50%\n$X"), "\"P=50%%\\n$X\"");
    }

    #[test]
    fn hcl_strings_escape_quotes_and_interpolation() {
        let rows = [
            ("plain", "\"plain\""),
            ("a \"q\"", "\"a \\\"q\\\"\""),
            ("${attr.x}", "\"$${attr.x}\""),
            ("%{ if }", "\"%%{ if }\""),
            ("line\nbreak", "\"line\\nbreak\""),
        ];
        for (value, expected) in rows {
            assert_eq!(hcl_string(value), expected, "{value:?}");
        }
    }

    #[test]
    fn names_are_checked_per_language() {
        assert!(is_unit_name("web-1.api_v2"));
        assert!(!is_unit_name("web app"));
        assert!(!is_unit_name("web@1"));
        assert!(!is_unit_name("a/b"));
        assert!(is_dns_label("web-1"));
        assert!(!is_dns_label("Web"));
        assert!(!is_dns_label("-web"));
        assert!(!is_dns_label("web_1"));
        assert!(is_hcl_identifier("NODE_ENV"));
        assert!(!is_hcl_identifier("1X"));
        assert!(!is_hcl_identifier("a.b"));
    }
}
