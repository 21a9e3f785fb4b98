//! `Labels`: the reader's side of a writer index, for `rpm logs` (and what shares its
//! tail: `rpm run`'s prefixes, `rpm web`'s log route). A `Tracker` keeps one per file,
//! refreshes it after each block it reads (the daemon writes a run before its bytes, so
//! the run of every byte read is in the index by then) and asks which instance wrote the
//! line starting at an offset. Runs in the CLI's process, on the tail's thread.
//!
//! A refresh costs one `stat` of the index when nothing changed, and reads only what was
//! appended when it grew; a new index (reset, compacted) is read whole. An index that
//! does not describe the file being read (another inode or path, runs past the file's
//! end, damage) is not used: lines then carry their source's id.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::format::{index_path, parse, parse_runs, Label};

/// What the reader knows of one log file's writers.
#[derive(Debug)]
pub(crate) struct Labels {
    /// The index file.
    path: PathBuf,
    /// The log file, as the index's header names it.
    log: PathBuf,
    loaded: Option<Loaded>,
}

/// An index read into memory.
#[derive(Debug)]
struct Loaded {
    /// (device, inode) of the index file, to notice a new one.
    identity: (u64, u64),
    /// Bytes of it parsed (whole lines).
    parsed: u64,
    /// The log file's inode it describes.
    inode: u64,
    /// (offset, index into `labels`), offsets non-decreasing.
    runs: Vec<(u64, usize)>,
    /// Each distinct writer once.
    labels: Vec<Label>,
    known: HashMap<(u32, String), usize>,
}

impl Loaded {
    fn push(&mut self, offset: u64, id: u32, name: &str) {
        let key = (id, name.to_string());
        let next = self.labels.len();
        let at = *self.known.entry(key).or_insert(next);
        if at == next {
            self.labels.push(Label {
                id,
                name: name.to_string(),
            });
        }
        self.runs.push((offset, at));
    }
}

impl Labels {
    /// The labels of the log file at `log`, from its index in `dir` (read on `refresh`).
    pub(crate) fn new(dir: &Path, log: &Path) -> Labels {
        Labels {
            path: index_path(dir, log),
            log: log.to_path_buf(),
            loaded: None,
        }
    }

    /// Reads what the index gained since the last look, for the log file with inode
    /// `inode`, now `len` bytes long.
    pub(crate) fn refresh(&mut self, inode: u64, len: u64) {
        let Ok(meta) = fs::metadata(&self.path) else {
            if self.loaded.as_ref().is_some_and(|l| l.inode != inode) {
                self.loaded = None;
            }
            return;
        };
        let identity = (meta.dev(), meta.ino());
        if let Some(loaded) = &mut self.loaded {
            if loaded.identity == identity && loaded.inode == inode {
                if meta.len() > loaded.parsed && !append(&self.path, loaded) {
                    self.loaded = None;
                }
                return;
            }
        }
        match load(&self.path, &self.log, identity, inode, len) {
            Some(loaded) => self.loaded = Some(loaded),
            // The index moved on to a newer file (rotation) while this one is read to
            // its end: what was known of it still holds.
            None if self.loaded.as_ref().is_some_and(|l| l.inode == inode) => {}
            None => self.loaded = None,
        }
    }

    /// Who wrote the line starting at byte `offset` of the file with inode `inode`;
    /// `None` when the index does not say (then the line's source tells).
    pub(crate) fn at(&self, inode: u64, offset: u64) -> Option<&Label> {
        let loaded = self.loaded.as_ref().filter(|l| l.inode == inode)?;
        // The last run starting at or before the offset: a later run at the same offset
        // supersedes an earlier one (a killed daemon's run whose bytes never came).
        let after = loaded.runs.partition_point(|(start, _)| *start <= offset);
        let (_, label) = loaded.runs.get(after.checked_sub(1)?)?;
        loaded.labels.get(*label)
    }
}

/// Reads a whole index; `None` unless it describes the file (inode `inode`, `len` bytes)
/// at `log`.
fn load(path: &Path, log: &Path, identity: (u64, u64), inode: u64, len: u64) -> Option<Loaded> {
    let bytes = fs::read(path).ok()?;
    let parsed = parse(&bytes).ok()?;
    if !parsed.describes(inode, log, len) {
        return None;
    }
    let mut loaded = Loaded {
        identity,
        parsed: parsed.whole as u64,
        inode,
        runs: Vec::with_capacity(parsed.runs.len()),
        labels: Vec::new(),
        known: HashMap::new(),
    };
    for run in &parsed.runs {
        loaded.push(run.offset, run.id, run.name);
    }
    Some(loaded)
}

/// Reads the runs appended to the index since `loaded.parsed`; false if they are damaged.
fn append(path: &Path, loaded: &mut Loaded) -> bool {
    let mut bytes = Vec::new();
    let read = File::open(path).and_then(|mut file| {
        file.seek(SeekFrom::Start(loaded.parsed))?;
        file.read_to_end(&mut bytes)
    });
    if read.is_err() {
        return false;
    }
    let floor = loaded.runs.last().map_or(0, |(offset, _)| *offset);
    let Ok((runs, whole)) = parse_runs(&bytes, floor) else {
        return false;
    };
    for run in &runs {
        loaded.push(run.offset, run.id, run.name);
    }
    loaded.parsed += whole as u64;
    true
}

#[cfg(test)]
mod tests {
    use super::super::index::WriterIndex;
    use super::*;
    use std::io::Write;

    fn who(labels: &Labels, inode: u64, offset: u64) -> Option<(u32, &str)> {
        labels.at(inode, offset).map(|l| (l.id, l.name.as_str()))
    }

    #[test]
    fn offset_lookup_table() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("out.log");
        let mut index = WriterIndex::open(dir.path(), &log, 9, 0);
        for (offset, id, name) in [
            (0, 1, "api"),
            (10, 2, "api"),
            (10, 3, "web"),
            (25, 1, "api"),
        ] {
            index.set_writer(id, name);
            index.before_write(offset);
        }
        let mut labels = Labels::new(dir.path(), &log);
        labels.refresh(9, 100);
        let rows: &[(u64, Option<(u32, &str)>)] = &[
            (0, Some((1, "api"))),
            (9, Some((1, "api"))),
            // Two runs at 10: the later one holds (the earlier one's bytes never came).
            (10, Some((3, "web"))),
            (24, Some((3, "web"))),
            (25, Some((1, "api"))),
            (1 << 40, Some((1, "api"))),
        ];
        for (offset, want) in rows {
            assert_eq!(who(&labels, 9, *offset), *want, "offset {offset}");
        }
        assert_eq!(who(&labels, 8, 0), None, "another file");
    }

    #[test]
    fn lines_before_the_first_run_or_without_an_index_have_no_label() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("out.log");
        let mut labels = Labels::new(dir.path(), &log);
        labels.refresh(9, 100);
        assert_eq!(who(&labels, 9, 0), None, "no index");
        let mut index = WriterIndex::open(dir.path(), &log, 9, 50);
        index.set_writer(2, "api");
        index.before_write(50);
        labels.refresh(9, 100);
        assert_eq!(who(&labels, 9, 49), None, "written before the index");
        assert_eq!(who(&labels, 9, 50), Some((2, "api")));
    }

    #[test]
    fn a_refresh_reads_what_was_appended_and_a_new_index_whole() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("out.log");
        let mut index = WriterIndex::open(dir.path(), &log, 9, 0);
        index.set_writer(1, "api");
        index.before_write(0);
        let mut labels = Labels::new(dir.path(), &log);
        labels.refresh(9, 10);
        index.set_writer(2, "api");
        index.before_write(10);
        assert_eq!(who(&labels, 9, 10), Some((1, "api")), "not looked yet");
        labels.refresh(9, 20);
        assert_eq!(who(&labels, 9, 10), Some((2, "api")));
        // Rotated: the index starts again for the new file, which the reader then reads.
        index.reset(10);
        index.before_write(0);
        labels.refresh(9, 20);
        assert_eq!(
            who(&labels, 9, 10),
            Some((2, "api")),
            "the old file, to its end"
        );
        labels.refresh(10, 5);
        assert_eq!(who(&labels, 10, 0), Some((2, "api")));
        assert_eq!(who(&labels, 9, 10), None);
    }

    #[test]
    fn a_damaged_or_stale_index_is_not_used() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("out.log");
        let mut index = WriterIndex::open(dir.path(), &log, 9, 0);
        for (offset, id) in [(0, 1), (30, 2)] {
            index.set_writer(id, "api");
            index.before_write(offset);
        }
        // Emptied behind the daemon's back: the runs pass the file's end.
        let mut labels = Labels::new(dir.path(), &log);
        labels.refresh(9, 20);
        assert_eq!(who(&labels, 9, 0), None, "stale");
        labels.refresh(9, 40);
        assert_eq!(who(&labels, 9, 30), Some((2, "api")));
        // Damage appended after a good start: the index is dropped, not half-believed.
        let path = index_path(dir.path(), &log);
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"5 x api\n"))
            .expect("damage");
        labels.refresh(9, 40);
        assert_eq!(who(&labels, 9, 30), None, "damaged");
        // Another file's index at this name (a hash collision), or garbage.
        let other = dir.path().join("other.log");
        fs::write(&path, super::super::format::header(9, &other)).expect("write");
        let mut labels = Labels::new(dir.path(), &log);
        labels.refresh(9, 40);
        assert_eq!(who(&labels, 9, 0), None, "another path");
        fs::write(&path, b"\xff\xfe garbage").expect("write");
        labels.refresh(9, 40);
        assert_eq!(who(&labels, 9, 0), None, "garbage");
    }
}
