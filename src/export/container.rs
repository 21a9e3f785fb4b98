//! What every container target shares: the command a container runs (interpreter by
//! name, script relative to the app's directory inside the image), the rule that marks
//! an environment value secret, and base64 for Kubernetes Secrets.

use std::path::Path;

use crate::config::AppSpec;

/// The container's command: `[interpreter, interpreter_args…, script, args…]`. The
/// interpreter is named by its file name (the image's PATH finds it); the script is
/// given relative to the app's `cwd` when it lies inside it (the image holds the app's
/// directory at the workdir), else as written.
pub(crate) fn command(spec: &AppSpec) -> Vec<String> {
    let mut words = Vec::new();
    if let Some(interpreter) = &spec.interpreter {
        words.push(file_name(interpreter));
        words.extend(spec.interpreter_args.iter().cloned());
        words.push(relative_script(spec));
    } else if spec.script.starts_with(&spec.cwd) {
        words.push(relative_script(spec));
    } else {
        // A program found on PATH (`sleep`, `gunicorn`): by name, as the image's PATH
        // will find it.
        words.push(file_name(&spec.script));
    }
    words.extend(spec.args.iter().cloned());
    words
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

fn relative_script(spec: &AppSpec) -> String {
    match spec.script.strip_prefix(&spec.cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => {
            let rel = rel.to_string_lossy();
            if rel.contains('/') {
                rel.into_owned()
            } else {
                format!("./{rel}")
            }
        }
        _ => spec.script.to_string_lossy().into_owned(),
    }
}

/// rpm's rule for "values marked secret": an environment variable whose name, in upper
/// case, is `SECRET`, `TOKEN`, `PASSWORD`, `PASSWD` or `KEY`, or ends with `_SECRET`,
/// `_TOKEN`, `_PASSWORD`, `_PASSWD` or `_KEY` (`API_KEY`, `GITHUB_TOKEN`,
/// `DB_PASSWORD`). Kubernetes gets these in a Secret instead of the ConfigMap.
pub fn is_secret_key(key: &str) -> bool {
    const WORDS: [&str; 5] = ["SECRET", "TOKEN", "PASSWORD", "PASSWD", "KEY"];
    let upper = key.to_ascii_uppercase();
    WORDS
        .iter()
        .any(|w| upper == *w || upper.ends_with(&format!("_{w}")))
}

/// Standard base64 (RFC 4648, with padding), as Kubernetes Secret `data` wants it.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whole seconds, rounded up, at least `min`.
pub(crate) fn seconds_up(d: std::time::Duration, min: u64) -> u64 {
    let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    ms.div_ceil(1000).max(min)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_follow_the_documented_rule() {
        let rows = [
            ("API_KEY", true),
            ("github_token", true),
            ("DB_PASSWORD", true),
            ("SECRET", true),
            ("SESSION_SECRET", true),
            ("KEYBOARD", false),
            ("MONKEY", false),
            ("PORT", false),
            ("TOKENIZER_PATH", false),
        ];
        for (key, secret) in rows {
            assert_eq!(is_secret_key(key), secret, "{key}");
        }
    }

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let rows = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (text, expected) in rows {
            assert_eq!(base64(text.as_bytes()), expected, "{text:?}");
        }
    }

    #[test]
    fn container_commands_name_the_interpreter_and_a_relative_script() {
        let mut spec = AppSpec::new("web", "/srv/app/apps/web.py".into(), "/srv/app".into());
        spec.interpreter = Some("/usr/bin/python3".into());
        spec.interpreter_args = vec!["-u".into()];
        spec.args = vec!["--port".into(), "8000".into()];
        assert_eq!(
            command(&spec),
            vec!["python3", "-u", "apps/web.py", "--port", "8000"]
        );
        let mut direct = AppSpec::new("w", "/srv/app/run.sh".into(), "/srv/app".into());
        direct.args = vec!["x y".into()];
        assert_eq!(command(&direct), vec!["./run.sh", "x y"]);
        let on_path = AppSpec::new("s", "/usr/bin/sleep".into(), "/srv/app".into());
        assert_eq!(command(&on_path), vec!["sleep"]);
    }
}
