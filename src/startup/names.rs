//! What may be written into a boot script at all: service names, user names and values.
//!
//! Names are checked against a small alphabet (they become file names and identifiers);
//! values (paths, PATH) may hold anything but control characters, and are quoted by
//! `quote` for the script's language.

use super::error::StartupError;
use super::system::InitSystem;

/// A service name: letters, digits, `-_.@`, not starting with `-`, `.` or `@` (a file
/// name, never `..`), not ending with `@` (a systemd template). rc.d names are also
/// shell variables (`<name>_enable`): letters, digits and `_` there.
pub fn check_service_name(system: InitSystem, name: &str) -> Result<(), StartupError> {
    let invalid = |reason: &str| StartupError::InvalidServiceName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name.len() > 200 {
        return Err(invalid("it is longer than 200 characters"));
    }
    if system == InitSystem::Rcd {
        let ok = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !ok {
            return Err(invalid(
                "an rc.d service name is also a shell variable: letters, digits and `_`, not starting with a digit",
            ));
        }
        return Ok(());
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
    {
        return Err(invalid("use letters, digits and `-_.@` only"));
    }
    if name.starts_with(['-', '.', '@']) {
        return Err(invalid("it may not start with `-`, `.` or `@`"));
    }
    if name.ends_with('@') {
        return Err(invalid("it may not end with `@`"));
    }
    Ok(())
}

/// A user name as the user databases allow it: letters, digits, `_.-`, an optional
/// final `$`, not starting with `-`.
pub fn check_user_name(name: &str) -> Result<(), StartupError> {
    let body = name.strip_suffix('$').unwrap_or(name);
    let ok = !body.is_empty()
        && body.len() <= 64
        && !body.starts_with('-')
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(StartupError::InvalidUserName {
            name: name.to_string(),
        })
    }
}

/// A value written into a script: any text but control characters (a newline would end
/// a line of the script early).
pub fn check_value(what: &'static str, value: &str) -> Result<(), StartupError> {
    if value.chars().any(char::is_control) {
        return Err(StartupError::UnsafeValue {
            what,
            value: value.escape_debug().to_string(),
            reason: "it contains a control character (a newline, a tab…)",
        });
    }
    Ok(())
}

/// systemd runs no executable whose path holds a quote or a backslash.
pub fn check_executable(path: &str) -> Result<(), StartupError> {
    if path.contains(['"', '\'', '\\']) {
        return Err(StartupError::UnsafeValue {
            what: "the rpm binary's path",
            value: path.to_string(),
            reason: "systemd runs no program whose path holds a quote or a backslash: install rpm elsewhere",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names() {
        let rows = [
            (InitSystem::Systemd, "rpm-alice", true),
            (InitSystem::Systemd, "rpm@alice.x_1", true),
            (InitSystem::Systemd, "", false),
            (InitSystem::Systemd, "-rpm", false),
            (InitSystem::Systemd, "..", false),
            (InitSystem::Systemd, ".hidden", false),
            (InitSystem::Systemd, "rpm@", false),
            (InitSystem::Systemd, "a/b", false),
            (InitSystem::Systemd, "a b", false),
            (InitSystem::Systemd, "x$(id)", false),
            (InitSystem::Systemd, "x'y", false),
            (InitSystem::Openrc, "rpm;reboot", false),
            (InitSystem::Rcd, "rpm_alice", true),
            (InitSystem::Rcd, "rpm-alice", false),
            (InitSystem::Rcd, "1rpm", false),
        ];
        for (system, name, ok) in rows {
            assert_eq!(
                check_service_name(system, name).is_ok(),
                ok,
                "{system:?} {name:?}"
            );
        }
        assert!(check_service_name(InitSystem::Systemd, &"a".repeat(201)).is_err());
    }

    #[test]
    fn user_names() {
        for ok in ["root", "alice", "svc-app_1", "first.last", "host$"] {
            assert!(check_user_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "x$(id)", "a'b", "a;b", "$", "a$b"] {
            assert!(check_user_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_refuse_control_characters_only() {
        assert!(check_value("RPM_HOME", "/a b/'$(x)'/%").is_ok());
        assert!(check_value("RPM_HOME", "/a\nb").is_err());
        assert!(check_value("PATH", "/a\tb").is_err());
        assert!(check_executable("/opt/my rpm/$x%/rpm").is_ok());
        assert!(check_executable("/opt/it's/rpm").is_err());
    }
}
