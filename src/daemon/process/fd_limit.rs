//! The daemon's open-file limit, and its apps'.
//!
//! Every instance costs the daemon descriptors: the read ends of its two FIFOs, its log
//! files, a partial-line file, a pidfd once adopted. The usual soft limit of 1024 would
//! stop a daemon at a few hundred instances, unable to open their pipes while their output
//! backs up. So the daemon raises its soft limit to the hard limit when it starts, as
//! systemd and Node do; and, as systemd does, each app gets the limit the daemon was
//! started with rather than the raised one (`select()` breaks on descriptors above 1024).
//! `rpm update` hands that limit on to the new binary in `RPM_APPS_NOFILE`.

use std::sync::OnceLock;

use nix::sys::resource::{getrlimit, setrlimit, Resource};

/// Carries the apps' limit (`soft:hard`) across the exec of `rpm update`.
pub(crate) const APPS_LIMIT_VAR: &str = "RPM_APPS_NOFILE";

/// The limit apps get, when it differs from the daemon's own.
static APPS: OnceLock<Option<(u64, u64)>> = OnceLock::new();

/// Raises this process's soft limit to its hard limit, remembering the limit apps get:
/// `inherited` (from a daemon that exec'd this one) or the current one. Call once,
/// before any app is spawned.
pub(crate) fn raise(inherited: Option<&str>) {
    let current = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok(limit) => limit,
        Err(e) => {
            log::warn!("cannot read the open-file limit: {e}");
            return;
        }
    };
    let apps = inherited.and_then(parse).unwrap_or(current);
    let (_, hard) = current;
    let raised = if current.0 < hard {
        match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => {
                log::info!("open-file limit raised from {} to {hard}", current.0);
                hard
            }
            Err(e) => {
                log::warn!("cannot raise the open-file limit above {}: {e}", current.0);
                current.0
            }
        }
    } else {
        current.0
    };
    let _ = APPS.set((apps.0 != raised || apps.1 != hard).then_some(apps));
}

/// `soft:hard` for [`APPS_LIMIT_VAR`], when apps get a limit of their own.
pub(crate) fn apps_limit_for_reexec() -> Option<String> {
    APPS.get()
        .copied()
        .flatten()
        .map(|(soft, hard)| format!("{soft}:{hard}"))
}

/// Gives a just-spawned app the limit the daemon was started with.
pub(crate) fn restore(pid: i32) {
    let Some((soft, hard)) = APPS.get().copied().flatten() else {
        return;
    };
    let limit = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: prlimit reads `limit`, which outlives the call, and writes nothing.
    let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_NOFILE, &limit, std::ptr::null_mut()) };
    if rc != 0 {
        log::warn!(
            "cannot set the open-file limit of pid {pid}: {}",
            std::io::Error::last_os_error()
        );
    }
}

fn parse(text: &str) -> Option<(u64, u64)> {
    let (soft, hard) = text.split_once(':')?;
    let (soft, hard) = (soft.parse().ok()?, hard.parse().ok()?);
    (soft <= hard).then_some((soft, hard))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handed_on_limit_parses_or_is_ignored() {
        assert_eq!(parse("1024:524288"), Some((1024, 524288)));
        assert_eq!(parse("2048:1024"), None, "soft above hard");
        assert_eq!(parse("1024"), None);
        assert_eq!(parse("x:1"), None);
    }
}
