//! `WriterIndex`: the daemon's side of a shared log file's writer index. `LogFile` holds
//! one for a file several instances write (or one whose index exists from before), says
//! who writes next (`set_writer`), and calls `before_write` with the file's size just
//! before each append; a run is recorded only when the writer changed. Runs on the log
//! pump thread.
//!
//! Nothing here fails the caller: an index that cannot be written is logged once,
//! removed (so no reader believes a half-kept one) and left alone until the log file is
//! reset (rotated, emptied, reopened as a new file), when it is tried again. Its size is
//! bounded: past `MAX_RUNS` runs, the older half is dropped (lines that old then carry
//! their source's id), so an unrotated file's index stays under about 2 MB.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use super::format::{header, index_path, parse, run_line};

/// Runs kept before the older half is dropped.
pub(super) const MAX_RUNS: usize = 64 * 1024;
/// Mode of index files and of their folder: the daemon's user only.
const FILE_MODE: u32 = 0o600;
const DIR_MODE: u32 = 0o700;

/// The writer index of one log file.
#[derive(Debug)]
pub(crate) struct WriterIndex {
    /// The index file.
    path: PathBuf,
    /// The log file it describes.
    log: PathBuf,
    /// Open for appending; `None` while it cannot be written.
    file: Option<File>,
    /// Who the next bytes belong to.
    writer: Option<(u32, String)>,
    /// The id of the index's last run: who its bytes belong to now.
    recorded: Option<u32>,
    /// Runs in the index.
    runs: usize,
    /// The log file's inode the index describes.
    inode: u64,
}

impl WriterIndex {
    /// The index in `dir` of the log file at `log` (inode `inode`, `size` bytes long):
    /// the one there if it describes this file, else a new one.
    pub(crate) fn open(dir: &Path, log: &Path, inode: u64, size: u64) -> WriterIndex {
        let mut index = WriterIndex {
            path: index_path(dir, log),
            log: log.to_path_buf(),
            file: None,
            writer: None,
            recorded: None,
            runs: 0,
            inode,
        };
        if let Err(e) = index.resume(inode, size) {
            index.fail(&e);
        }
        index
    }

    /// Whether an index exists in `dir` for the log file at `log`.
    pub(crate) fn exists(dir: &Path, log: &Path) -> bool {
        index_path(dir, log).exists()
    }

    /// Removes the index of the log file at `log` (emptied while no daemon had it open).
    pub(crate) fn remove(dir: &Path, log: &Path) {
        let path = index_path(dir, log);
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove log writer index {}: {e}", path.display()),
        }
    }

    /// Takes up the index on disk if it describes this file (its inode, its path, no
    /// run past its end), cutting a torn last record; otherwise starts a new one.
    fn resume(&mut self, inode: u64, size: u64) -> io::Result<()> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return self.start(inode, &[], None),
            Err(e) => return Err(e),
        };
        let parsed = match parse(&bytes) {
            Ok(parsed) => parsed,
            Err(_) => {
                log::warn!(
                    "log writer index {} is damaged; starting it again",
                    self.path.display()
                );
                return self.start(inode, &[], None);
            }
        };
        if !parsed.describes(inode, &self.log, size) {
            return self.start(inode, &[], None);
        }
        let file = OpenOptions::new().write(true).open(&self.path)?;
        if parsed.whole < bytes.len() {
            file.set_len(parsed.whole as u64)?;
        }
        drop(file);
        self.file = Some(open_append(&self.path)?);
        self.recorded = parsed.runs.last().map(|r| r.id);
        self.runs = parsed.runs.len();
        Ok(())
    }

    /// Says who the next bytes belong to; copies the name only when the writer changes.
    pub(crate) fn set_writer(&mut self, id: u32, name: &str) {
        match &mut self.writer {
            Some((current, current_name)) if *current == id && current_name == name => {}
            _ => self.writer = Some((id, name.to_string())),
        }
    }

    /// Called just before bytes are appended at `offset`: records a run if they belong
    /// to another instance than the bytes before them.
    pub(crate) fn before_write(&mut self, offset: u64) {
        let Some((id, name)) = &self.writer else {
            return;
        };
        if self.recorded == Some(*id) {
            return;
        }
        let Some(file) = &mut self.file else {
            return;
        };
        let id = *id;
        let line = run_line(offset, id, name);
        match file.write_all(line.as_bytes()) {
            Ok(()) => {
                self.recorded = Some(id);
                self.runs += 1;
            }
            Err(e) => return self.fail(&e),
        }
        if self.runs > MAX_RUNS {
            if let Err(e) = self.compact() {
                self.fail(&e);
            }
        }
    }

    /// The log file is new at its path, or was emptied: its index starts again.
    pub(crate) fn reset(&mut self, inode: u64) {
        if let Err(e) = self.start(inode, &[], None) {
            self.fail(&e);
        }
    }

    /// The log file was cut back to `len` bytes: runs of the bytes cut are dropped.
    pub(crate) fn cut(&mut self, inode: u64, len: u64) {
        let kept = self.kept(|runs| 0..runs.iter().filter(|r| r.offset < len).count());
        if let Err(e) = kept.and_then(|(runs, last)| self.start(inode, &runs, last)) {
            self.fail(&e);
        }
    }

    /// Drops the older half of the runs.
    fn compact(&mut self) -> io::Result<()> {
        let (runs, last) = self.kept(|runs| runs.len() / 2..runs.len())?;
        self.start(self.inode, &runs, last)
    }

    /// The runs at `range(runs)` of the index on disk, as lines, and the last one's id.
    /// An index not in use (it could not be written) keeps nothing.
    fn kept(
        &self,
        range: impl Fn(&[super::format::Run<'_>]) -> std::ops::Range<usize>,
    ) -> io::Result<(Vec<String>, Option<u32>)> {
        if self.file.is_none() {
            return Ok((Vec::new(), None));
        }
        let bytes = fs::read(&self.path)?;
        let parsed = parse(&bytes).map_err(|_| io::Error::other("the index is damaged"))?;
        let kept = &parsed.runs[range(&parsed.runs)];
        let lines = kept
            .iter()
            .map(|r| run_line(r.offset, r.id, r.name))
            .collect();
        Ok((lines, kept.last().map(|r| r.id)))
    }

    /// Writes a new index for inode `inode` holding `runs` (lines; `last`: the last
    /// one's id), in place of the old one at once (a reader sees one or the other; no
    /// fsync: the index is advisory, and this runs on the pump thread).
    fn start(&mut self, inode: u64, runs: &[String], last: Option<u32>) -> io::Result<()> {
        self.file = None;
        self.recorded = None;
        if let Some(dir) = self.path.parent() {
            DirBuilder::new()
                .recursive(true)
                .mode(DIR_MODE)
                .create(dir)?;
        }
        let mut bytes = header(inode, &self.log);
        for run in runs {
            bytes.extend_from_slice(run.as_bytes());
        }
        crate::atomic_write::replace_unsynced(&self.path, &bytes, FILE_MODE)?;
        self.file = Some(open_append(&self.path)?);
        self.recorded = last;
        self.runs = runs.len();
        self.inode = inode;
        Ok(())
    }

    /// The index cannot be written: say so, remove it so no reader trusts a stale one,
    /// and stop writing it until the next reset.
    fn fail(&mut self, e: &io::Error) {
        log::warn!(
            "cannot keep the writer index {} of {}: {e}; its lines are labelled with one instance until the file is rotated or emptied",
            self.path.display(),
            self.log.display()
        );
        self.file = None;
        self.recorded = None;
        let _ = fs::remove_file(&self.path);
    }
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .append(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::super::format::Run;
    use super::*;

    /// The runs on disk, as (offset, id, name).
    fn runs(index: &WriterIndex) -> Vec<(u64, u32, String)> {
        let bytes = fs::read(&index.path).expect("index on disk");
        let parsed = parse(&bytes).expect("a good index");
        parsed
            .runs
            .iter()
            .map(|Run { offset, id, name }| (*offset, *id, name.to_string()))
            .collect()
    }

    fn run(offset: u64, id: u32) -> (u64, u32, String) {
        (offset, id, "api".into())
    }

    #[test]
    fn a_run_is_recorded_only_when_the_writer_changes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("api-out.log");
        let mut index = WriterIndex::open(&dir.path().join("writers"), &log, 5, 0);
        index.before_write(0); // no writer known yet: nothing to say
        for (offset, id) in [(0, 1), (10, 1), (20, 1), (30, 2), (40, 2), (50, 1)] {
            index.set_writer(id, "api");
            index.before_write(offset);
        }
        assert_eq!(runs(&index), [run(0, 1), run(30, 2), run(50, 1)]);
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &fs::metadata(&index.path).expect("stat").permissions(),
        );
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }

    #[test]
    fn a_next_daemon_takes_up_the_index_of_the_same_file_and_cuts_a_torn_record() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writers, log) = (dir.path().join("writers"), dir.path().join("out.log"));
        let mut index = WriterIndex::open(&writers, &log, 5, 0);
        index.set_writer(1, "api");
        index.before_write(0);
        index.set_writer(2, "api");
        index.before_write(10);
        // Killed in the middle of writing a record.
        fs::OpenOptions::new()
            .append(true)
            .open(&index.path)
            .and_then(|mut f| f.write_all(b"20 1 a"))
            .expect("torn record");
        let mut next = WriterIndex::open(&writers, &log, 5, 20);
        next.set_writer(2, "api");
        next.before_write(20); // still instance 2's bytes: no new run
        next.set_writer(1, "api");
        next.before_write(30);
        assert_eq!(runs(&next), [run(0, 1), run(10, 2), run(30, 1)]);
    }

    #[test]
    fn an_index_of_another_file_or_a_shorter_one_or_a_damaged_one_starts_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (writers, log) = (dir.path().join("writers"), dir.path().join("out.log"));
        let seed = || {
            let mut index = WriterIndex::open(&writers, &log, 5, 0);
            for (offset, id) in [(0, 1), (10, 2)] {
                index.set_writer(id, "api");
                index.before_write(offset);
            }
            index
        };
        // Another inode (the file was replaced), and a file shorter than its runs.
        for (inode, size) in [(6, 100), (5, 9)] {
            seed();
            let mut index = WriterIndex::open(&writers, &log, inode, size);
            assert_eq!(runs(&index), [], "inode {inode} size {size}");
            index.set_writer(2, "api");
            index.before_write(size);
            assert_eq!(runs(&index), [run(size, 2)]);
        }
        let path = seed().path;
        fs::write(&path, b"garbage\n").expect("damage");
        let index = WriterIndex::open(&writers, &log, 5, 100);
        assert_eq!(runs(&index), []);
    }

    #[test]
    fn reset_and_cut_follow_the_log_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("out.log");
        let mut index = WriterIndex::open(&dir.path().join("writers"), &log, 5, 0);
        for (offset, id) in [(0, 1), (10, 2), (20, 1)] {
            index.set_writer(id, "api");
            index.before_write(offset);
        }
        // Cut back to 15 bytes: the run at 20 goes, 2 is the writer again.
        index.cut(5, 15);
        assert_eq!(runs(&index), [run(0, 1), run(10, 2)]);
        index.set_writer(2, "api");
        index.before_write(15);
        assert_eq!(runs(&index), [run(0, 1), run(10, 2)]);
        // Rotated or emptied: a new file, nothing recorded yet, the writer starts a run.
        index.reset(6);
        assert_eq!(runs(&index), []);
        index.before_write(0);
        assert_eq!(runs(&index), [run(0, 2)]);
        let bytes = fs::read(&index.path).expect("index");
        assert_eq!(parse(&bytes).expect("good").inode, 6);
    }

    #[test]
    fn the_index_keeps_the_newer_half_past_its_bound() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("out.log");
        let mut index = WriterIndex::open(&dir.path().join("writers"), &log, 5, 0);
        for i in 0..=MAX_RUNS as u64 {
            index.set_writer((i % 2) as u32, "api");
            index.before_write(i * 10);
        }
        let kept = runs(&index);
        assert_eq!(kept.len(), (MAX_RUNS + 1).div_ceil(2));
        assert_eq!(kept.last(), Some(&run(MAX_RUNS as u64 * 10, 0)));
        // Still the same writer: no new run; another one: recorded after the kept ones.
        index.set_writer(0, "api");
        index.before_write(MAX_RUNS as u64 * 10 + 5);
        index.set_writer(1, "api");
        index.before_write(MAX_RUNS as u64 * 10 + 7);
        assert_eq!(runs(&index).len(), kept.len() + 1);
    }

    #[test]
    fn an_unwritable_index_never_fails_the_caller() {
        let dir = tempfile::tempdir().expect("temp dir");
        // The folder for indexes is a file: nothing can be created there.
        let blocked = dir.path().join("writers");
        fs::write(&blocked, b"").expect("file");
        let mut index = WriterIndex::open(&blocked, &dir.path().join("out.log"), 5, 0);
        index.set_writer(1, "api");
        index.before_write(0);
        index.reset(6);
        index.cut(6, 0);
        assert!(index.file.is_none());
    }
}
