//! Test-only helpers for loading files: a self-removing temporary folder and the
//! `LoadOptions` of a caller standing in a given directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::LoadOptions;

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A temporary folder removed when dropped.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("rpm-config-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    /// Writes `content` to `rel` (creating folders) and returns its path.
    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
        path
    }

    /// Writes an executable script to `rel`.
    pub fn script(&self, rel: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.write(rel, "#!/bin/sh\nexit 0\n");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options of a caller standing in `cwd` with a small, fixed environment.
pub(crate) fn opts(cwd: &Path) -> LoadOptions {
    let mut caller_env = BTreeMap::new();
    caller_env.insert(
        "PATH".to_string(),
        std::env::var("PATH").unwrap_or_default(),
    );
    caller_env.insert("HOME".to_string(), "/home/tester".to_string());
    caller_env.insert("CALLER".to_string(), "yes".to_string());
    LoadOptions {
        caller_env,
        caller_cwd: cwd.to_path_buf(),
        ..LoadOptions::default()
    }
}

/// Whether `node` is installed (JavaScript tests are skipped, with a note, when not).
pub(crate) fn node_available() -> bool {
    super::interpreter::find_on_path("node", std::env::var_os("PATH").as_deref()).is_some()
}
