//! `RPM_HOME`: where the daemon keeps its socket, pid, logs, pipes and state files.
//!
//! Every file path in RPM_HOME is named here, once, so the CLI, the daemon and the tests
//! agree on them (DESIGN 1.5). The folder is created private (0700): only its owner may
//! reach the socket or read the apps' logs.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why `RPM_HOME` cannot be used.
#[derive(Debug, Error)]
pub enum HomeError {
    #[error("cannot find the state folder: set RPM_HOME or HOME")]
    NoHome,
    #[error("cannot create the state folder {}: {source}", path.display())]
    Create { path: PathBuf, source: io::Error },
    #[error("the state folder {} belongs to another user (uid {owner}): set RPM_HOME to a folder of yours", path.display())]
    NotOwner { path: PathBuf, owner: u32 },
}

/// The state folder and the files in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// `RPM_HOME`, or `$HOME/.rpm`; relative values are taken from the current directory.
    pub fn from_env() -> Result<Home, HomeError> {
        let root = match std::env::var_os("RPM_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => {
                let home = std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .ok_or(HomeError::NoHome)?;
                PathBuf::from(home).join(".rpm")
            }
        };
        let root = if root.is_absolute() {
            root
        } else {
            std::env::current_dir()
                .map_err(|source| HomeError::Create {
                    path: root.clone(),
                    source,
                })?
                .join(root)
        };
        Ok(Home { root })
    }

    /// A home at an explicit folder.
    pub fn at(root: impl Into<PathBuf>) -> Home {
        Home { root: root.into() }
    }

    /// Creates the folder tree private to its owner, tightening loose permissions.
    pub fn ensure(&self) -> Result<(), HomeError> {
        for dir in [self.root.clone(), self.logs_dir(), self.pipes_dir()] {
            let created = fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir);
            created.map_err(|source| HomeError::Create {
                path: dir.clone(),
                source,
            })?;
        }
        let meta = fs::metadata(&self.root).map_err(|source| HomeError::Create {
            path: self.root.clone(),
            source,
        })?;
        use std::os::unix::fs::MetadataExt;
        let me = nix::unistd::geteuid().as_raw();
        if meta.uid() != me && me != 0 {
            return Err(HomeError::NotOwner {
                path: self.root.clone(),
                owner: meta.uid(),
            });
        }
        if meta.permissions().mode() & 0o077 != 0 {
            fs::set_permissions(&self.root, fs::Permissions::from_mode(0o700)).map_err(
                |source| HomeError::Create {
                    path: self.root.clone(),
                    source,
                },
            )?;
        }
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn socket(&self) -> PathBuf {
        self.root.join("rpm.sock")
    }
    pub fn pid_file(&self) -> PathBuf {
        self.root.join("daemon.pid")
    }
    /// Held (flock) by the one live daemon.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join("daemon.lock")
    }
    pub fn daemon_log(&self) -> PathBuf {
        self.root.join("daemon.log")
    }
    /// The datagram socket instances send `sd_notify` messages to.
    pub fn notify_socket(&self) -> PathBuf {
        self.root.join("notify.sock")
    }

    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }
    pub fn dump_file(&self) -> PathBuf {
        self.root.join("dump.json")
    }
    pub fn logs_dir(&self) -> PathBuf {
        self.root.join("logs")
    }
    /// Which instance wrote which bytes of log files several instances share (one
    /// small index per file; see `logs::writers`).
    pub fn writers_dir(&self) -> PathBuf {
        self.logs_dir().join("writers")
    }
    /// FIFOs carrying each instance's stdout and stderr; they outlive the daemon.
    pub fn pipes_dir(&self) -> PathBuf {
        self.root.join("pipes")
    }
    /// The FIFO of one instance's stream (`out` or `err`).
    pub fn pipe(&self, id: u32, stream: &str) -> PathBuf {
        self.pipes_dir().join(format!("{id}.{stream}"))
    }
    /// The start of a line the log pump has read from that FIFO but not yet written
    /// (the line has not ended), so it survives the daemon.
    pub fn partial_line(&self, id: u32, stream: &str) -> PathBuf {
        self.pipes_dir().join(format!("{id}.{stream}.partial"))
    }
}
