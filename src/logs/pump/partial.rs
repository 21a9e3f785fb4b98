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
//! between a read and the write that follows it. A partial line longer than `MAX_KEPT`
//! (say, a progress bar redrawn with `\r` for an hour) is held in memory only, so
//! rewriting it after every read stays cheap. Runs on the log pump thread; the file is
//! created only when something has to be kept.
//!
//! Direct streams (raw bytes to a file of their own, written as they come) keep no
//! partial line: the file itself holds it. What the next daemon cannot see in that file
//! is whether a line it ends inside is still open (the app will finish it) or was cut: a
//! daemon killed inside its `write` leaves it short at a page boundary, and the rest of
//! that chunk is gone; likewise a daemon killed between a read and its write. So the
//! pump records how long the file must grow to (`mark_write`: the header `u64::MAX`, the
//! file's inode, the end offset): before each read its size plus one (the read may take
//! bytes), after it its size plus what was read, after a read that found nothing its
//! size. A file found shorter than its mark lost output, and the line it ends inside is
//! ended before anything else goes in. (The one window left: a daemon killed after the
//! mark before a read that then never happened ends a line the app was still writing.)
//!
//! Streams whose files are their instance's own and not rotated no longer read
//! destructively (see `peek`): for each chunk the file holds an in-flight record
//! (header `u64::MAX - 2`, or `u64::MAX - 1` from daemons that fingerprinted byte by
//! byte: the chunk's length and fingerprint, each file's inode and size
//! before and after the write, the partial line before and after), and once the chunk
//! is written and taken from the pipe, the partial line alone again (`settle`). Marks
//! and destructive reads remain for rotated or shared files, and are still understood
//! when an older daemon left them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::PathBuf;

use memchr::memchr;

use super::peek::Hash;

/// Longest partial line kept on disk.
const MAX_KEPT: usize = 64 * 1024;
/// Header of a write mark (a partial line's header is its length, at most `MAX_KEPT`).
const WRITE_MARK: u64 = u64::MAX;
/// Header of an in-flight record whose fingerprint is `Hash::Bytes` (older daemons).
const IN_FLIGHT_BYTES: u64 = u64::MAX - 1;
/// Header of an in-flight record whose fingerprint is `Hash::Words`.
const IN_FLIGHT_WORDS: u64 = u64::MAX - 2;

/// What an earlier daemon left for a stream.
#[derive(Debug, PartialEq)]
pub(super) enum Resumed {
    /// The partial line to start the stream's framer with (empty when there is none).
    Line(Vec<u8>),
    /// A direct stream's file (inode `inode`) was to reach `end` bytes; shorter, the
    /// daemon was killed after taking output it never wrote.
    Write(WriteMark),
    /// A chunk peeked from the pipe was being written (see `InFlight`).
    InFlight(InFlight),
}

/// A chunk of `len` bytes, peeked from the pipe and not yet taken out of it, on its way
/// to the files in `files`; a daemon killed before taking it leaves this record.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct InFlight {
    pub len: u64,
    /// `peek::fingerprint` of the chunk, made with `hash`.
    pub fingerprint: u64,
    pub hash: Hash,
    pub files: Vec<FileSpan>,
    /// The framer's partial line before the chunk, and after it.
    pub before: Vec<u8>,
    pub after: Vec<u8>,
}

/// One file a chunk is written to: its inode, and its size before and after the write.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct FileSpan {
    pub inode: u64,
    pub before: u64,
    pub after: u64,
}

impl InFlight {
    /// Whether the record is small enough to keep (both partial lines within `MAX_KEPT`).
    pub(super) fn fits(before: &[u8], after: &[u8]) -> bool {
        before.len() <= MAX_KEPT && after.len() <= MAX_KEPT
    }
}

/// How long a direct stream's file must grow for no output to be lost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct WriteMark {
    pub inode: u64,
    pub end: u64,
}

impl WriteMark {
    /// Whether a file with this inode and size lost output.
    pub(super) fn cut(&self, inode: Option<u64>, size: u64) -> bool {
        inode == Some(self.inode) && size < self.end
    }
}

/// The on-disk copy of one stream's partial line.
pub(super) struct PartialFile {
    path: PathBuf,
    file: Option<File>,
    /// Length of the partial line the file holds.
    len: u64,
    /// The file holds a write mark.
    marked: bool,
    /// Header and line, assembled for the single write.
    record: Vec<u8>,
    /// A write failed and was logged; logged again only after one succeeds.
    failing: bool,
}

impl PartialFile {
    /// Takes over what an earlier daemon left at `path`.
    pub(super) fn resume(path: PathBuf) -> (PartialFile, Resumed) {
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
            marked: false,
            record: Vec::new(),
            failing: false,
        };
        let resumed = match decode(&data) {
            Some(Resumed::Line(line)) => {
                partial.len = line.len() as u64;
                Resumed::Line(line)
            }
            Some(mark @ (Resumed::Write(_) | Resumed::InFlight(_))) => {
                partial.marked = true;
                mark
            }
            None => {
                log::warn!(
                    "{} is not a partial line; ignoring it",
                    partial.path.display()
                );
                partial.marked = true; // so that `forget` clears it
                partial.forget();
                Resumed::Line(Vec::new())
            }
        };
        (partial, resumed)
    }

    /// Drops the kept line or mark: the pump is about to read, or to write the line to
    /// the log.
    pub(super) fn forget(&mut self) {
        if self.len == 0 && !self.marked && !self.failing {
            return;
        }
        let result = match &self.file {
            Some(file) => file.write_all_at(&0u64.to_le_bytes(), 0),
            None => Ok(()),
        };
        self.len = 0;
        self.marked = false;
        self.done(result);
    }

    /// Records how long a direct stream's file must grow: shorter, output was lost.
    pub(super) fn mark_write(&mut self, mark: WriteMark) {
        self.record.clear();
        for word in [WRITE_MARK, mark.inode, mark.end] {
            push_word(&mut self.record, word);
        }
        self.store(0, true);
    }

    /// Records a chunk on its way to its files (see `InFlight`).
    pub(super) fn record_in_flight(&mut self, flight: &InFlight) {
        let record = &mut self.record;
        record.clear();
        let header = match flight.hash {
            Hash::Bytes => IN_FLIGHT_BYTES,
            Hash::Words => IN_FLIGHT_WORDS,
        };
        for word in [
            header,
            flight.len,
            flight.fingerprint,
            flight.files.len() as u64,
        ] {
            push_word(record, word);
        }
        for span in &flight.files {
            for word in [span.inode, span.before, span.after] {
                push_word(record, word);
            }
        }
        for line in [&flight.before, &flight.after] {
            push_word(record, line.len() as u64);
            record.extend_from_slice(line);
        }
        self.store(0, true);
    }

    /// Writes the assembled record at offset 0, in one `pwrite`; once it is there, the
    /// file holds a partial line of `len` bytes, or a mark or in-flight record (`marked`).
    fn store(&mut self, len: u64, marked: bool) {
        let record = std::mem::take(&mut self.record);
        let result = self.file().and_then(|file| file.write_all_at(&record, 0));
        self.record = record;
        if result.is_ok() {
            self.len = len;
            self.marked = marked;
        }
        self.done(result);
    }

    /// The chunk in flight is written and taken: the file holds `partial` again (even
    /// when it is empty).
    pub(super) fn settle(&mut self, partial: &[u8]) {
        if partial.is_empty() {
            self.forget();
        } else {
            self.keep(partial);
        }
    }

    /// Makes the file hold `partial` (nothing when it is empty or over `MAX_KEPT`, which
    /// are held in memory only).
    pub(super) fn keep(&mut self, partial: &[u8]) {
        if partial.len() > MAX_KEPT {
            self.forget();
            return;
        }
        if partial.is_empty() || (partial.len() as u64 == self.len && !self.marked) {
            return;
        }
        self.record.clear();
        push_word(&mut self.record, partial.len() as u64);
        self.record.extend_from_slice(partial);
        self.store(partial.len() as u64, false);
    }

    /// The stream is gone for good (its instance was deleted).
    pub(super) fn remove(&mut self) {
        self.file = None;
        self.len = 0;
        self.marked = false;
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
                self.marked = false;
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

fn push_word(record: &mut Vec<u8>, word: u64) {
    record.extend_from_slice(&word.to_le_bytes());
}

/// What a file's content holds: an empty line for an empty file, `None` when the content
/// is not one this module wrote.
fn decode(data: &[u8]) -> Option<Resumed> {
    if data.is_empty() {
        return Some(Resumed::Line(Vec::new()));
    }
    let mut cursor = Cursor { data, at: 0 };
    match cursor.word()? {
        WRITE_MARK => Some(Resumed::Write(WriteMark {
            inode: cursor.word()?,
            end: cursor.word()?,
        })),
        IN_FLIGHT_BYTES => decode_in_flight(&mut cursor, Hash::Bytes).map(Resumed::InFlight),
        IN_FLIGHT_WORDS => decode_in_flight(&mut cursor, Hash::Words).map(Resumed::InFlight),
        len => cursor.line(usize::try_from(len).ok()?).map(Resumed::Line),
    }
}

fn decode_in_flight(cursor: &mut Cursor<'_>, hash: Hash) -> Option<InFlight> {
    let len = cursor.word()?;
    let fingerprint = cursor.word()?;
    let count = cursor.word()?;
    if count > 3 {
        return None;
    }
    let mut files = Vec::new();
    for _ in 0..count {
        files.push(FileSpan {
            inode: cursor.word()?,
            before: cursor.word()?,
            after: cursor.word()?,
        });
    }
    let before = cursor.kept_line()?;
    let after = cursor.kept_line()?;
    Some(InFlight {
        len,
        fingerprint,
        hash,
        files,
        before,
        after,
    })
}

/// Reads a record's fields in order.
struct Cursor<'a> {
    data: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn word(&mut self) -> Option<u64> {
        let bytes: [u8; 8] = self.data.get(self.at..self.at + 8)?.try_into().ok()?;
        self.at += 8;
        Some(u64::from_le_bytes(bytes))
    }

    /// The next `len` bytes, which must hold no newline (a partial line).
    fn line(&mut self, len: usize) -> Option<Vec<u8>> {
        let bytes = self.data.get(self.at..self.at.checked_add(len)?)?;
        self.at += len;
        memchr(b'\n', bytes).is_none().then(|| bytes.to_vec())
    }

    /// A length-prefixed partial line of at most `MAX_KEPT` bytes.
    fn kept_line(&mut self) -> Option<Vec<u8>> {
        let len = usize::try_from(self.word()?)
            .ok()
            .filter(|l| *l <= MAX_KEPT)?;
        self.line(len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The partial line the file at `path` holds, as the next daemon would read it.
    fn kept(path: &std::path::Path) -> Vec<u8> {
        let data = fs::read(path).unwrap_or_default();
        match decode(&data).expect("a record this module wrote") {
            Resumed::Line(line) => line,
            other => panic!("not a line: {other:?}"),
        }
    }

    /// A partial-line file in a new directory, nothing in it yet.
    fn fresh() -> (tempfile::TempDir, PathBuf, PartialFile) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.out.partial");
        let (partial, _) = PartialFile::resume(path.clone());
        (dir, path, partial)
    }

    #[test]
    fn keeps_a_line_forgets_it_and_resumes_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("0.out.partial");
        let (mut partial, resumed) = PartialFile::resume(path.clone());
        assert_eq!(resumed, Resumed::Line(Vec::new()));
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
        assert_eq!(resumed, Resumed::Line(b"xy".to_vec()));
        again.keep(b"xyz");
        assert_eq!(kept(&path), b"xyz");
        again.remove();
        assert!(!path.exists());
    }

    #[test]
    fn a_write_mark_is_resumed_and_tells_a_cut_write() {
        let (_dir, path, mut partial) = fresh();
        partial.keep(b"a longer partial line than a mark");
        let mark = WriteMark { inode: 7, end: 100 };
        partial.mark_write(mark);
        drop(partial);
        let (mut again, resumed) = PartialFile::resume(path.clone());
        assert_eq!(resumed, Resumed::Write(mark));
        // Shorter than the marked end, same file: cut. Complete, or another file: not.
        assert!(mark.cut(Some(7), 60));
        assert!(!mark.cut(Some(7), 100));
        assert!(!mark.cut(Some(8), 60));
        assert!(!mark.cut(None, 0));
        // A mark is dropped like a line, and a line replaces it.
        again.forget();
        assert_eq!(kept(&path), b"");
        again.mark_write(mark);
        again.keep(b"x");
        assert_eq!(kept(&path), b"x");
    }

    #[test]
    fn an_in_flight_record_is_resumed_whole_and_settled_by_a_line() {
        for hash in [Hash::Words, Hash::Bytes] {
            an_in_flight_record_round_trips(hash);
        }
    }

    /// Records made with either fingerprint (`Bytes`: left by an older daemon) come back
    /// as they were written, saying which.
    fn an_in_flight_record_round_trips(hash: Hash) {
        let (_dir, path, mut partial) = fresh();
        let flight = InFlight {
            len: 4096,
            fingerprint: 99,
            hash,
            files: vec![
                FileSpan {
                    inode: 7,
                    before: 10,
                    after: 4106,
                },
                FileSpan {
                    inode: 8,
                    before: 0,
                    after: 4096,
                },
            ],
            before: b"start of".to_vec(),
            after: b"next".to_vec(),
        };
        partial.record_in_flight(&flight);
        drop(partial);
        let (mut again, resumed) = PartialFile::resume(path.clone());
        assert_eq!(resumed, Resumed::InFlight(flight.clone()));
        again.settle(b"next");
        assert_eq!(kept(&path), b"next");
        again.record_in_flight(&flight);
        again.settle(b"");
        assert_eq!(kept(&path), b"", "settled with no partial line");
    }

    #[test]
    fn a_partial_line_too_long_to_rewrite_is_not_kept() {
        let (_dir, path, mut partial) = fresh();
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
            assert_eq!(resumed, Resumed::Line(Vec::new()), "{junk:?}");
            assert_eq!(kept(&path), b"", "cleared, so it is not replayed later");
            partial.keep(b"new");
            assert_eq!(kept(&path), b"new");
        }
    }
}
