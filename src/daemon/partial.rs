//! Partial lines on disk: what a framed log stream has read past its last newline.
//!
//! The pump frames timestamped, JSON, shared and rotated streams into whole lines, so the
//! bytes after a chunk's last `\n` wait for the rest of their line. The app wrote them
//! once and will not write them again: if they lived only in the pump's memory, a daemon
//! killed (or exec'd by `rpm update`) before the line ended would lose them. So they are
//! also kept in `RPM_HOME/pipes/<id>.<stream>.partial` while the pump waits for more,
//! and the next daemon to attach the stream starts its framer with them. The pump empties
//! the file before it reads (the read may consume the rest of the line, and a copy kept
//! across it could be joined to the wrong bytes) and fills it again after.
//!
//! What is left is the window the raw path has too: bytes between a read and the write
//! that follows it. A partial line longer than `MAX_KEPT` (say, a progress bar redrawn
//! with `\r` for an hour) is held in memory only, so rewriting it after every read stays
//! cheap. Runs on the log pump thread; the file is created only when a partial line has
//! to be kept.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;

use memchr::memchr;

/// Longest partial line kept on disk.
const MAX_KEPT: usize = 64 * 1024;

/// The on-disk copy of one stream's partial line.
pub(super) struct PartialFile {
    path: PathBuf,
    file: Option<File>,
    /// Bytes the file holds: a prefix of the framer's partial line.
    len: u64,
    /// A write failed and was logged; logged again only after one succeeds.
    failing: bool,
}

impl PartialFile {
    /// Takes over what an earlier daemon left at `path`; returns the bytes to resume
    /// the stream's framer with (empty when there are none).
    pub(super) fn resume(path: PathBuf) -> (PartialFile, Vec<u8>) {
        let mut bytes = Vec::new();
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(mut file) => {
                if let Err(e) = file.read_to_end(&mut bytes) {
                    log::warn!("cannot read {}: {e}", path.display());
                    bytes.clear();
                }
                Some(file)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => {
                log::warn!("cannot open {}: {e}", path.display());
                None
            }
        };
        let mut partial = PartialFile {
            path,
            file,
            len: bytes.len() as u64,
            failing: false,
        };
        if memchr(b'\n', &bytes).is_some() {
            // Never written by us: a partial line holds no newline.
            log::warn!(
                "{} is not a partial line; ignoring it",
                partial.path.display()
            );
            bytes.clear();
            partial.forget();
        }
        (partial, bytes)
    }

    /// Empties the file: the pump is about to read, or to write the line to the log.
    pub(super) fn forget(&mut self) {
        if self.len == 0 && !self.failing {
            return;
        }
        let result = match &self.file {
            Some(file) => file.set_len(0),
            None => Ok(()),
        };
        self.len = 0;
        self.done(result);
    }

    /// Makes the file hold `partial`, which starts with what it holds now; a partial
    /// line over `MAX_KEPT` is not kept.
    pub(super) fn keep(&mut self, partial: &[u8]) {
        if partial.len() > MAX_KEPT {
            self.forget();
            return;
        }
        let Some(new) = partial.get(self.len as usize..).filter(|n| !n.is_empty()) else {
            return;
        };
        let at = self.len;
        let result = self.file().and_then(|file| file.write_all_at(new, at));
        if result.is_ok() {
            self.len = partial.len() as u64;
        }
        self.done(result);
    }

    /// The stream is gone for good (its instance was deleted).
    pub(super) fn remove(&mut self) {
        self.file = None;
        self.len = 0;
        match fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove {}: {e}", self.path.display()),
        }
    }

    fn file(&mut self) -> io::Result<&File> {
        if self.file.is_none() {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&self.path)?;
            self.file = Some(file);
        }
        self.file
            .as_ref()
            .ok_or_else(|| io::Error::other("partial-line file not open"))
    }

    /// After a failure the file's content is unknown: start it over at the next line.
    fn done(&mut self, result: io::Result<()>) {
        match result {
            Ok(()) => {
                if self.failing {
                    log::info!("{}: keeping partial lines again", self.path.display());
                }
                self.failing = false;
            }
            Err(e) => {
                if !self.failing {
                    log::warn!(
                        "cannot keep a partial line in {}: {e}; it is held in memory only",
                        self.path.display()
                    );
                }
                self.failing = true;
                self.file = None;
                self.len = 0;
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(path: &std::path::Path) -> Vec<u8> {
        fs::read(path).unwrap_or_default()
    }

    #[test]
    fn keeps_a_growing_line_forgets_it_and_resumes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.out.partial");
        let (mut partial, resumed) = PartialFile::resume(path.clone());
        assert!(resumed.is_empty());
        assert!(
            !path.exists(),
            "created only when a partial line must be kept"
        );

        partial.keep(b"");
        assert!(!path.exists());
        partial.keep(b"abc");
        partial.keep(b"abcdef");
        assert_eq!(content(&path), b"abcdef");
        partial.forget();
        assert_eq!(content(&path), b"");
        partial.keep(b"xy");
        assert_eq!(content(&path), b"xy");

        // A later daemon picks it up.
        drop(partial);
        let (mut again, resumed) = PartialFile::resume(path.clone());
        assert_eq!(resumed, b"xy");
        again.keep(b"xyz");
        assert_eq!(content(&path), b"xyz");
        again.remove();
        assert!(!path.exists());
    }

    #[test]
    fn a_partial_line_too_long_to_rewrite_is_not_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.out.partial");
        let (mut partial, _) = PartialFile::resume(path.clone());
        partial.keep(b"progress");
        assert_eq!(content(&path), b"progress");
        partial.keep(&vec![b'#'; MAX_KEPT + 1]);
        assert_eq!(content(&path), b"", "held in memory only");
    }

    #[test]
    fn a_file_with_a_newline_is_not_replayed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.err.partial");
        fs::write(&path, b"not\nours").expect("write");
        let (mut partial, resumed) = PartialFile::resume(path.clone());
        assert!(resumed.is_empty());
        assert_eq!(content(&path), b"", "emptied, so it is not replayed twice");
        partial.keep(b"new");
        assert_eq!(content(&path), b"new");
    }
}
