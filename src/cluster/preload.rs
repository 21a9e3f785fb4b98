//! The Node preload rpm embeds (`preload.js`) and the function that installs it.
//!
//! Node apps are started as `node --require <RPM_HOME>/rpm-preload.js app.js`; the
//! preload makes an unmodified `server.listen(PORT)` take the socket the daemon passes
//! as fd 3 (`LISTEN_FDS`, `LISTEN_PID`, `PORT`), and in cluster mode (`RPM_CLUSTER=1`
//! with a Node IPC channel) asks the daemon for a shared socket of a port the app
//! hard-codes. What it does and does not handle is written at the top of `preload.js`.
//!
//! This module only owns the file: its text, its name, and writing it ([`install`], for
//! the daemon to call before it starts Node apps, on whichever thread does that).
//! Passing fd 3 and answering the preload's requests belong to `listener` and
//! `readiness`.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The preload's source, embedded in the binary.
pub const PRELOAD_JS: &str = include_str!("preload.js");

/// The file name the daemon writes it under in RPM_HOME.
pub const FILE_NAME: &str = "rpm-preload.js";

/// Node only reads the file, but the apps may run as another user than the daemon.
const MODE: u32 = 0o644;

/// Writes the preload into `dir` (atomically, mode 0644, only if missing or different),
/// returning its path.
pub fn install(dir: &Path) -> io::Result<PathBuf> {
    let path = dir.join(FILE_NAME);
    let current = match fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if current.as_deref() != Some(PRELOAD_JS.as_bytes()) {
        crate::atomic_write::write_atomic(&path, PRELOAD_JS.as_bytes(), MODE)?;
    }
    // The umask may have narrowed the mode of a new file; an old one may carry any.
    if (fs::metadata(&path)?.permissions().mode() & 0o7777) != MODE {
        fs::set_permissions(&path, fs::Permissions::from_mode(MODE))?;
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    #[test]
    fn install_writes_the_preload_with_mode_0644() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = install(dir.path()).expect("install");
        assert_eq!(path, dir.path().join(FILE_NAME));
        assert_eq!(fs::read_to_string(&path).expect("read"), PRELOAD_JS);
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn install_leaves_an_identical_file_in_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = fs::metadata(install(dir.path()).expect("install")).expect("meta");
        let again = fs::metadata(install(dir.path()).expect("install")).expect("meta");
        assert_eq!(first.ino(), again.ino(), "an identical file was replaced");
    }

    #[test]
    fn install_replaces_a_different_file_and_repairs_the_mode() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(FILE_NAME);
        fs::write(&path, "// an older preload").expect("write");
        install(dir.path()).expect("install");
        assert_eq!(fs::read_to_string(&path).expect("read"), PRELOAD_JS);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        install(dir.path()).expect("install");
        let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o7777;
        assert_eq!(mode, 0o644);
    }
}
