//! The account a boot script runs rpm as: name, uid, gid, primary group and home.
//!
//! rpm links glibc statically on Linux (`.cargo/config.toml`), and a static glibc cannot
//! load the NSS modules `getpwnam` needs: it crashes (SIGSEGV) rather than failing. So a
//! static build never asks libc; a lookup runs `getent` (a dynamic program that loads
//! NSS as the system is configured: files, LDAP, sssd…), then reads `/etc/passwd`
//! (`/etc/group`) itself. A dynamic build asks libc first.

use std::path::PathBuf;
use std::process::Command;

use super::error::StartupError;

/// A user as the user database knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// The primary group's name, or its number when it has none.
    pub group: String,
    pub home: PathBuf,
}

/// The user called `name`.
pub fn by_name(name: &str) -> Result<Account, StartupError> {
    let entry = from_libc(|| nix::unistd::User::from_name(name))
        .or_else(|| from_getent("passwd", name))
        .or_else(|| from_file("/etc/passwd", |e: &PasswdEntry| e.name == name));
    entry
        .map(with_group)
        .ok_or_else(|| StartupError::UnknownUser {
            name: name.to_string(),
        })
}

/// The user whose uid is `uid` (the one running rpm, without `--user`).
pub fn by_uid(uid: u32) -> Result<Account, StartupError> {
    let key = uid.to_string();
    let entry = from_libc(|| nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid)))
        .or_else(|| from_getent("passwd", &key))
        .or_else(|| from_file("/etc/passwd", |e: &PasswdEntry| e.uid == uid));
    entry
        .map(with_group)
        .ok_or(StartupError::UnknownUid { uid })
}

/// One line of `/etc/passwd`, as far as boot scripts care.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub home: PathBuf,
}

/// `name:password:uid:gid:gecos:home:shell`; `None` for comments and malformed lines.
pub fn parse_passwd_line(line: &str) -> Option<PasswdEntry> {
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() < 7 || fields[0].is_empty() || line.starts_with('#') {
        return None;
    }
    Some(PasswdEntry {
        name: fields[0].to_string(),
        uid: fields[2].parse().ok()?,
        gid: fields[3].parse().ok()?,
        home: PathBuf::from(fields[5]),
    })
}

/// `name:password:gid:members`: the group's name and number.
pub fn parse_group_line(line: &str) -> Option<(String, u32)> {
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() < 3 || fields[0].is_empty() || line.starts_with('#') {
        return None;
    }
    Some((fields[0].to_string(), fields[2].parse().ok()?))
}

/// Whether libc's getpwnam/getgrgid may be called: not in a static glibc binary.
const LIBC_LOOKUPS: bool = !cfg!(target_feature = "crt-static");

fn from_libc(
    lookup: impl FnOnce() -> nix::Result<Option<nix::unistd::User>>,
) -> Option<PasswdEntry> {
    if !LIBC_LOOKUPS {
        return None;
    }
    match lookup() {
        Ok(Some(user)) => Some(PasswdEntry {
            name: user.name,
            uid: user.uid.as_raw(),
            gid: user.gid.as_raw(),
            home: user.dir,
        }),
        Ok(None) => None,
        Err(e) => {
            log::debug!("getpwnam failed ({e}); trying getent and /etc/passwd");
            None
        }
    }
}

/// `getent DATABASE KEY`'s one line, when getent exists and knows the key.
fn getent_line(database: &str, key: &str) -> Option<String> {
    let out = Command::new("getent")
        .arg(database)
        .arg(key)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    text.lines().next().map(str::to_string)
}

fn from_getent(database: &str, key: &str) -> Option<PasswdEntry> {
    parse_passwd_line(&getent_line(database, key)?)
}

fn from_file(path: &str, wanted: impl Fn(&PasswdEntry) -> bool) -> Option<PasswdEntry> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .filter_map(parse_passwd_line)
        .find(|entry| wanted(entry))
}

fn group_name(gid: u32) -> String {
    let from_libc = if LIBC_LOOKUPS {
        match nix::unistd::Group::from_gid(nix::unistd::Gid::from_raw(gid)) {
            Ok(Some(group)) => Some(group.name),
            _ => None,
        }
    } else {
        None
    };
    from_libc
        .or_else(|| {
            getent_line("group", &gid.to_string())
                .and_then(|l| parse_group_line(&l))
                .map(|(name, _)| name)
        })
        .or_else(|| {
            let text = std::fs::read_to_string("/etc/group").ok()?;
            text.lines()
                .filter_map(parse_group_line)
                .find(|(_, g)| *g == gid)
                .map(|(name, _)| name)
        })
        .unwrap_or_else(|| gid.to_string())
}

fn with_group(entry: PasswdEntry) -> Account {
    Account {
        group: group_name(entry.gid),
        name: entry.name,
        uid: entry.uid,
        gid: entry.gid,
        home: entry.home,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_and_group_lines() {
        assert_eq!(
            parse_passwd_line("alice:x:1000:1001:Alice,,,:/home/alice:/bin/bash"),
            Some(PasswdEntry {
                name: "alice".into(),
                uid: 1000,
                gid: 1001,
                home: PathBuf::from("/home/alice"),
            })
        );
        assert_eq!(parse_passwd_line("# comment"), None);
        assert_eq!(parse_passwd_line("bob:x:notanumber:1:::"), None);
        assert_eq!(parse_passwd_line("short:x:1"), None);
        assert_eq!(
            parse_group_line("staff:x:50:alice,bob"),
            Some(("staff".into(), 50))
        );
        assert_eq!(parse_group_line("broken"), None);
    }

    /// In the static build this goes through getent or /etc/passwd (getpwnam would crash).
    #[test]
    fn root_is_found_and_a_stranger_is_not() {
        let root = by_name("root").expect("root exists");
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(by_uid(0).expect("uid 0").name, "root");
        assert!(matches!(
            by_name("no-such-user-rpm-test"),
            Err(StartupError::UnknownUser { .. })
        ));
    }
}
