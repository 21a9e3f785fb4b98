//! Quoting for each language a boot script is written in, so a value (a path, a user's
//! home, PATH) stays one literal word: POSIX sh, systemd unit settings, XML text.
//!
//! Values reaching here have been checked by `names::check_value` (no control characters,
//! so no newline can end a line early); these functions make every other character literal.

/// Characters that need no quoting in any of the languages below.
fn is_plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/_.,:@+=-".contains(c)
}

/// A POSIX sh word: as it is when plain, else in single quotes (`'` written `'\''`).
pub fn sh(value: &str) -> String {
    if !value.is_empty() && value.chars().all(is_plain) {
        return value.to_string();
    }
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `%` is a specifier everywhere in a unit file: `%%` is a literal percent sign.
fn systemd_escape(value: &str, dollar: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '%' => out.push_str("%%"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' if dollar => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// The executable of `ExecStart=`: systemd expands specifiers in it but not `$VAR`, and
/// refuses quotes and backslashes there (`names::check_executable` turns those away first).
pub fn systemd_executable(path: &str) -> String {
    if path.chars().all(is_plain) {
        return path.to_string();
    }
    format!("\"{}\"", systemd_escape(path, false))
}

/// One `Environment=` assignment: quoted with C escapes when needed, `%` doubled. `$` has
/// no meaning in `Environment=` (systemd.exec(5)), so it stays as it is.
pub fn systemd_env(name: &str, value: &str) -> String {
    let assignment = format!("{name}={value}");
    if assignment.chars().all(is_plain) {
        return assignment;
    }
    format!("\"{}\"", systemd_escape(&assignment, false))
}

/// Text inside an XML element (a plist `<string>`).
pub fn xml(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NASTY: &[&str] = &[
        "/plain/path",
        "/with space/rpm",
        "/it's/here",
        "/a\"b/c",
        "/$(touch /tmp/pwned)/x",
        "/`id`/x",
        "/100%/x",
        "/back\\slash",
        "'; rm -rf / #",
        "",
        "/tab\u{e9}unicode",
    ];

    #[test]
    fn sh_words_come_back_unchanged_through_a_real_shell() {
        for value in NASTY {
            let script = format!("printf '%s' {}", sh(value));
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(&script)
                .output()
                .expect("run /bin/sh");
            assert!(out.status.success(), "{script}");
            assert_eq!(String::from_utf8_lossy(&out.stdout), *value, "{script}");
        }
    }

    #[test]
    fn sh_quotes_only_what_needs_it() {
        let rows = [
            ("/usr/bin/rpm", "/usr/bin/rpm"),
            ("a b", "'a b'"),
            ("it's", r"'it'\''s'"),
            ("$(x)", "'$(x)'"),
            ("", "''"),
        ];
        for (value, want) in rows {
            assert_eq!(sh(value), want, "{value:?}");
        }
    }

    #[test]
    fn systemd_values_double_percent_and_escape_quotes() {
        let rows = [
            ("RPM_HOME", "/var/lib/rpm", "RPM_HOME=/var/lib/rpm"),
            ("RPM_HOME", "/a b", "\"RPM_HOME=/a b\""),
            ("RPM_HOME", "/100%", "\"RPM_HOME=/100%%\""),
            ("RPM_HOME", "/$HOME", "\"RPM_HOME=/$HOME\""),
            ("RPM_HOME", "/q\"\\", "\"RPM_HOME=/q\\\"\\\\\""),
        ];
        for (name, value, want) in rows {
            assert_eq!(systemd_env(name, value), want, "{value:?}");
        }
        assert_eq!(systemd_executable("/usr/bin/rpm"), "/usr/bin/rpm");
        assert_eq!(systemd_executable("/a b/100%/$x"), "\"/a b/100%%/$x\"");
    }

    #[test]
    fn xml_escapes_markup() {
        assert_eq!(xml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(xml("/usr/bin/rpm"), "/usr/bin/rpm");
    }
}
