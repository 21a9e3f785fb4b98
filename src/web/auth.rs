//! The web token: made on first use at `RPM_HOME/web.token` (mode 0600, 32 random bytes
//! as hex), and the rule for which requests need it.
//!
//! Actions always need `Authorization: Bearer <token>`; reads need it too when the server
//! is bound to anything but a loopback address (`Access::decide`, a pure function).
//! Runs on the `rpm web` server's threads; the token is read once at start.

use std::fs::OpenOptions;
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use thiserror::Error;

/// The token could not be made or read.
#[derive(Debug, Error)]
pub enum TokenError {
    #[error("cannot create the web token {path}: {source}")]
    Create { path: String, source: io::Error },
    #[error("cannot read the web token {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("the web token {path} is empty or not text: delete it and run `rpm web` again to make a new one")]
    Damaged { path: String },
    #[error(
        "the web token {path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`"
    )]
    Exposed { path: String, mode: u32 },
}

/// The token in `path`, made first if there is none.
pub fn load_or_create(path: &Path) -> Result<String, TokenError> {
    let shown = path.display().to_string();
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(mut file) => {
            let token = random_hex(32).map_err(|source| TokenError::Create {
                path: shown.clone(),
                source,
            })?;
            file.write_all(format!("{token}\n").as_bytes())
                .and_then(|()| file.sync_all())
                .map_err(|source| TokenError::Create {
                    path: shown.clone(),
                    source,
                })?;
            return Ok(token);
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(source) => {
            return Err(TokenError::Create {
                path: shown,
                source,
            })
        }
    }
    let read_error = |source| TokenError::Read {
        path: shown.clone(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(TokenError::Exposed { path: shown, mode });
    }
    let text = std::fs::read_to_string(path).map_err(|source| TokenError::Read {
        path: shown.clone(),
        source,
    })?;
    let token = text.trim();
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(TokenError::Damaged { path: shown });
    }
    Ok(token.to_string())
}

fn random_hex(bytes: usize) -> io::Result<String> {
    let mut raw = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut raw)?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether a request may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Allowed,
    /// No token, or the wrong one: 401.
    Refused,
}

impl Access {
    /// The rule: actions need the token; reads need it unless bound to loopback.
    pub fn decide(is_action: bool, loopback: bool, given: Option<&str>, token: &str) -> Access {
        let needed = is_action || !loopback;
        if !needed || given.is_some_and(|g| same(g, token)) {
            Access::Allowed
        } else {
            Access::Refused
        }
    }
}

/// Compares in time that does not depend on where the strings differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_always_and_reads_off_loopback_need_the_token() {
        use Access::*;
        let rows = [
            // (action, loopback, given, want)
            (false, true, None, Allowed),
            (false, true, Some("wrong"), Allowed),
            (true, true, None, Refused),
            (true, true, Some("wrong"), Refused),
            (true, true, Some("t0ken"), Allowed),
            (false, false, None, Refused),
            (false, false, Some("t0ke"), Refused),
            (false, false, Some("t0ken"), Allowed),
            (true, false, Some("t0ken"), Allowed),
        ];
        for (action, loopback, given, want) in rows {
            assert_eq!(
                Access::decide(action, loopback, given, "t0ken"),
                want,
                "{action} {loopback} {given:?}"
            );
        }
    }

    #[test]
    fn the_token_is_made_once_private_and_read_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("web.token");
        let first = load_or_create(&path).expect("made");
        assert_eq!(first.len(), 64);
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).expect("read"), first);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            load_or_create(&path),
            Err(TokenError::Exposed { mode: 0o644, .. })
        ));
        std::fs::write(&path, "\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(matches!(
            load_or_create(&path),
            Err(TokenError::Damaged { .. })
        ));
    }
}
