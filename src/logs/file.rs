//! `LogFile`: one open log file, appended to by the daemon's log pump thread.
//!
//! Owns opening safely (append-only, never through a symlink, never group/world-writable),
//! the size-triggered rotation decision, `reload-logs` reopening and `flush` truncation.
//! Naming, compressing and pruning rotated files is `rotate`'s job.
//!
//! One `LogFile` per path per process: streams that share a file (`merge_logs`, the
//! combined `log_file`) must share one `LogFile`, so its size accounting and rotation see
//! every byte. Each `write` is one `write_all` of whole lines on an `O_APPEND` descriptor,
//! so even other processes appending to the same file never split a line.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::SystemTime;

use super::rotate::{self, Rotation};
use super::LogError;

/// Mode of new log files, before the umask: owner read/write, group read.
const FILE_MODE: u32 = 0o640;
/// Mode of log directories rpm creates, before the umask.
const DIR_MODE: u32 = 0o750;

/// One open log file with its rotation policy.
#[derive(Debug)]
pub struct LogFile {
    path: PathBuf,
    file: File,
    /// Bytes in the file, for the rotation threshold. Only tracked for regular files.
    size: u64,
    regular: bool,
    rotation: Rotation,
    /// Size at which rotation is tried again after a failed attempt.
    retry_rotation_at: u64,
    /// Compression and pruning of the last rotated file, run off the pump thread.
    background: Option<JoinHandle<Result<(), LogError>>>,
}

impl LogFile {
    /// Opens `path` for appending, creating it (mode `0o640 & !umask`) and its parent
    /// directories. Refuses a symlink at `path`. `/dev/null` and other non-regular files
    /// are allowed and never rotated.
    pub fn open(path: &Path, rotation: Rotation) -> Result<LogFile, LogError> {
        let (file, size, regular) = open_append(path)?;
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
            size,
            regular,
            rotation,
            retry_rotation_at: 0,
            background: None,
        })
    }

    /// The path this file was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written to the current file (as far as rpm knows).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends `formatted`, which holds only whole lines, in one write. Rotates first when
    /// the write would take the file past `max_size`, so no line is split across files.
    /// A failed rotation is logged and retried later; the lines still get written.
    pub fn write(&mut self, formatted: &[u8]) -> Result<(), LogError> {
        if formatted.is_empty() {
            return Ok(());
        }
        let len = formatted.len() as u64;
        if let Some(max) = self.rotation.max_size {
            let would_pass = self.size > 0 && self.size.saturating_add(len) > max;
            if self.regular && would_pass && self.size >= self.retry_rotation_at {
                if let Err(e) = self.rotate() {
                    log::warn!("{e}; writing on to {}", self.path.display());
                    self.retry_rotation_at = self.size.saturating_add(max);
                }
            }
        }
        self.file
            .write_all(formatted)
            .map_err(|source| LogError::Write {
                path: self.path.clone(),
                source,
            })?;
        self.size = self.size.saturating_add(len);
        Ok(())
    }

    /// Renames the file aside now and continues in a fresh file at the same path;
    /// compression and pruning of old files follow on a background thread.
    pub fn rotate(&mut self) -> Result<(), LogError> {
        self.wait_background()?;
        let rotated = rotate::rotate_aside(&self.path, SystemTime::now())?;
        self.reopen()?;
        self.retry_rotation_at = 0;
        let rotation = self.rotation;
        let live = self.path.clone();
        if rotation.compress {
            let spawned = std::thread::Builder::new()
                .name("rpm-log-compress".into())
                .spawn(move || {
                    rotate::compress(&rotated)?;
                    rotate::prune(&live, rotation.retain)
                });
            match spawned {
                Ok(handle) => self.background = Some(handle),
                // No thread to spare: keep the rotated file uncompressed rather than stall.
                Err(e) => log::warn!("cannot start log compression thread: {e}"),
            }
            Ok(())
        } else {
            rotate::prune(&self.path, rotation.retain)
        }
    }

    /// Waits for the compression and pruning of the last rotation, if still running.
    pub fn wait_background(&mut self) -> Result<(), LogError> {
        match self.background.take() {
            Some(handle) => handle.join().unwrap_or_else(|_| {
                log::error!(
                    "log compression thread for {} panicked",
                    self.path.display()
                );
                Ok(())
            }),
            None => Ok(()),
        }
    }

    /// Opens the path again (after an external logrotate moved the file away).
    pub fn reopen(&mut self) -> Result<(), LogError> {
        let (file, size, regular) = open_append(&self.path)?;
        self.file = file;
        self.size = size;
        self.regular = regular;
        Ok(())
    }

    /// Empties the file (`rpm flush`). Appends continue at the new end.
    pub fn truncate(&mut self) -> Result<(), LogError> {
        if self.regular {
            self.file.set_len(0).map_err(|source| LogError::Truncate {
                path: self.path.clone(),
                source,
            })?;
        }
        self.size = 0;
        self.retry_rotation_at = 0;
        Ok(())
    }
}

/// Opens `path` append-only without following a final symlink; returns the file, its
/// size and whether it is a regular file.
fn open_append(path: &Path) -> Result<(File, u64, bool), LogError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !parent.is_dir() {
            DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(parent)
                .map_err(|source| LogError::CreateDir {
                    path: parent.to_path_buf(),
                    source,
                })?;
        }
    }
    let file = OpenOptions::new()
        .append(true)
        .create(true)
        .mode(FILE_MODE)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|source| open_error(path, source))?;
    let meta = file.metadata().map_err(|source| LogError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let regular = meta.is_file();
    if regular && meta.mode() & 0o022 != 0 {
        // An existing file others may write to: tighten it, as nothing in RPM_HOME may be
        // group- or world-writable. Not fatal if the file is not ours.
        let tightened = fs::Permissions::from_mode(meta.mode() & 0o7755);
        if let Err(e) = file.set_permissions(tightened) {
            log::warn!(
                "log file {} is group/world-writable and its mode cannot be changed: {e}",
                path.display()
            );
        }
    }
    Ok((file, if regular { meta.len() } else { 0 }, regular))
}

fn open_error(path: &Path, source: io::Error) -> LogError {
    let is_link = fs::symlink_metadata(path)
        .map(|m| m.file_type().is_symlink())
        .unwrap_or(false);
    if source.raw_os_error() == Some(libc::ELOOP) && is_link {
        LogError::SymlinkRefused {
            path: path.to_path_buf(),
        }
    } else {
        LogError::Open {
            path: path.to_path_buf(),
            source,
        }
    }
}
