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
//! The file is an 8-byte little-endian length and that many bytes; keeping and dropping
//! are each one `pwrite` at offset 0, so a killed daemon leaves either the old partial
//! line or the new one, never half of either, and no `ftruncate` (a journalled metadata
//! change) sits on the log path. What is left is the window the raw path has too: bytes
//! between a read and the write that follows it. A partial line longer than `MAX_KEPT` (say, a progress bar redrawn
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
    /// Length of the partial line the file holds.
    len: u64,
    /// Header and line, assembled for the single write.
    record: Vec<u8>,
    /// A write failed and was logged; logged again only after one succeeds.
    failing: bool,
}

impl PartialFile {
    /// Takes over what an earlier daemon left at `path`; returns the bytes to resume
    /// the stream's framer with (empty when there are none).
    pub(super) fn resume(path: PathBuf) -> (PartialFile, Vec<u8>) {
        let mut data = Vec::new();
        let file = match OpenOptions::new().read(true).write(true).open(&path) {
            Ok(mut file) => {
                if let Err(e) = file.read_to_end(&mut data) {
                    log::warn!("cannot read {}: {e}", path.display());
                    data.clear();
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
            len: 0,
            record: Vec::new(),
            failing: false,
        };
        let line = match decode(&data) {
            Some(line) => line.to_vec(),
            None => {
                log::warn!(
                    "{} is not a partial line; ignoring it",
                    partial.path.display()
                );
                partial.len = 1; // so that `forget` clears it
                partial.forget();
                Vec::new()
            }
        };
        partial.len = line.len() as u64;
        (partial, line)
    }

    /// Drops the kept line: the pump is about to read, or to write the line to the log.
    pub(super) fn forget(&mut self) {
        if self.len == 0 && !self.failing {
            return;
        }
        let result = match &self.file {
            Some(file) => file.write_all_at(&0u64.to_le_bytes(), 0),
            None => Ok(()),
        };
        self.len = 0;
        self.done(result);
    }

    /// Makes the file hold `partial` (nothing when it is empty or over `MAX_KEPT`, which
    /// are held in memory only).
    pub(super) fn keep(&mut self, partial: &[u8]) {
        if partial.len() > MAX_KEPT {
            self.forget();
            return;
        }
        if partial.is_empty() || partial.len() as u64 == self.len {
            return;
        }
        self.record.clear();
        self.record
            .extend_from_slice(&(partial.len() as u64).to_le_bytes());
        self.record.extend_from_slice(partial);
        let record = std::mem::take(&mut self.record);
        let result = self.file().and_then(|file| file.write_all_at(&record, 0));
        self.record = record;
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

/// The partial line in a file's content: empty for an empty file, `None` when the content
/// is not one this module wrote.
fn decode(data: &[u8]) -> Option<&[u8]> {
    if data.is_empty() {
        return Some(&[]);
    }
    let header: [u8; 8] = data.get(..8)?.try_into().ok()?;
    let len = usize::try_from(u64::from_le_bytes(header)).ok()?;
    let line = data.get(8..8usize.checked_add(len)?)?;
    memchr(b'\n', line).is_none().then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The partial line the file at `path` holds, as the next daemon would read it.
    fn kept(path: &std::path::Path) -> Vec<u8> {
        let data = fs::read(path).unwrap_or_default();
        decode(&data).expect("a record this module wrote").to_vec()
    }

    #[test]
    fn keeps_a_line_forgets_it_and_resumes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.out.partial");
        let (mut partial, resumed) = PartialFile::resume(path.clone());
        assert!(resumed.is_empty());
        partial.keep(b"");
        assert!(
            !path.exists(),
            "created only when a partial line must be kept"
        );

        partial.keep(b"abcdef");
        assert_eq!(kept(&path), b"abcdef");
        partial.forget();
        assert_eq!(kept(&path), b"");
        partial.keep(b"xy");
        assert_eq!(kept(&path), b"xy", "a shorter line after a longer one");

        // A later daemon picks it up.
        drop(partial);
        let (mut again, resumed) = PartialFile::resume(path.clone());
        assert_eq!(resumed, b"xy");
        again.keep(b"xyz");
        assert_eq!(kept(&path), b"xyz");
        again.remove();
        assert!(!path.exists());
    }

    #[test]
    fn a_partial_line_too_long_to_rewrite_is_not_kept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.out.partial");
        let (mut partial, _) = PartialFile::resume(path.clone());
        partial.keep(b"progress");
        assert_eq!(kept(&path), b"progress");
        partial.keep(&vec![b'#'; MAX_KEPT + 1]);
        assert_eq!(kept(&path), b"", "held in memory only");
    }

    #[test]
    fn content_this_module_did_not_write_is_not_replayed() {
        let dir = tempfile::tempdir().expect("temp dir");
        for (i, junk) in [
            &b"not\nours"[..],
            b"\x05\0\0\0\0\0\0\0ab",
            b"\x02\0\0\0\0\0\0\0a\n",
        ]
        .iter()
        .enumerate()
        {
            let path = dir.path().join(format!("{i}.err.partial"));
            fs::write(&path, junk).expect("write");
            let (mut partial, resumed) = PartialFile::resume(path.clone());
            assert!(resumed.is_empty(), "{junk:?}");
            assert_eq!(kept(&path), b"", "cleared, so it is not replayed later");
            partial.keep(b"new");
            assert_eq!(kept(&path), b"new");
        }
    }
}
