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
//!
//! A file several instances write keeps a writer index (`writers`): the pump says who
//! writes next (`attribute`), and each append records a run when the writer changed;
//! rotation, `flush` and reopening a new file at the path start the index again.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, IoSlice, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::SystemTime;

use super::error::LogError;
use super::rotate::{self, Rotation};
use super::writers::WriterIndex;

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
    /// The file's last byte is not a newline: a line in it is not finished.
    mid_line: bool,
    /// Inode number of a regular file, as opened.
    inode: Option<u64>,
    /// Who wrote which bytes, for a file several instances write.
    writers: Option<WriterIndex>,
    /// Whether an index from before was looked for (once per open file).
    writers_checked: bool,
}

impl LogFile {
    /// Opens `path` for appending, creating it (mode `0o640 & !umask`) and its parent
    /// directories. Refuses a symlink at `path`. `/dev/null` and other non-regular files
    /// are allowed and never rotated.
    pub fn open(path: &Path, rotation: Rotation) -> Result<LogFile, LogError> {
        let Opened {
            file,
            size,
            regular,
            inode,
        } = open_append(path)?;
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
            size,
            regular,
            rotation,
            retry_rotation_at: 0,
            background: None,
            mid_line: regular && ends_mid_line(path, size),
            inode,
            writers: None,
            writers_checked: false,
        })
    }

    /// Says that the next writes are instance `id`'s (app `name`), for the writer index
    /// in `dir`. A file `shared` by several instances gets an index; so does one whose
    /// index exists from before (it was shared, and may be written by one instance now);
    /// any other costs nothing.
    pub fn attribute(&mut self, dir: &Path, shared: bool, id: u32, name: &str) {
        let Some(inode) = self.inode else {
            return;
        };
        if self.writers.is_none() {
            let from_before = !self.writers_checked && WriterIndex::exists(dir, &self.path);
            self.writers_checked = true;
            if !shared && !from_before {
                return;
            }
            self.writers = Some(WriterIndex::open(dir, &self.path, inode, self.size));
        }
        if let Some(index) = &mut self.writers {
            index.set_writer(id, name);
        }
    }

    /// The path this file was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes written to the current file (as far as rpm knows).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file ends inside a line (its last byte is not a newline), whoever wrote it:
    /// this daemon, or one before it that was killed while an app was mid-line.
    pub fn mid_line(&self) -> bool {
        self.mid_line
    }

    /// The inode number of a regular file (`None` for `/dev/null` and the like): tells
    /// the file this daemon writes from one an external rotation put in its place.
    pub fn inode(&self) -> Option<u64> {
        self.inode
    }

    /// Appends `formatted`, which holds only whole lines. Rotates first when the write
    /// would take the file past `max_size`, so no line is split across files.
    /// A failed rotation is logged and retried later; the lines still get written.
    pub fn write(&mut self, formatted: &[u8]) -> Result<(), LogError> {
        self.write_split(&[], formatted)
    }

    /// Like [`write`](Self::write) for whole lines held in two buffers (a raw chunk's
    /// `Framed::head` and `Framed::body`), written with one `writev`: no copy at all,
    /// unless the lines must be spread over several files to honour `max_size`.
    pub fn write_split(&mut self, first: &[u8], second: &[u8]) -> Result<(), LogError> {
        let len = (first.len() + second.len()) as u64;
        if len == 0 {
            return Ok(());
        }
        if let Some(max) = self.rotation.max_size.filter(|_| self.regular) {
            if len > max.saturating_sub(self.size) && len > 0 {
                let mut joined = Vec::with_capacity(len as usize);
                joined.extend_from_slice(first);
                joined.extend_from_slice(second);
                return self.write_spread(&joined, max);
            }
        }
        self.rotate_if_needed(len);
        self.write_now(first, second)
    }

    /// Writes whole lines over as many files as `max_size` needs: each file gets the
    /// lines that fit, a line longer than `max_size` gets a fresh file of its own.
    fn write_spread(&mut self, mut data: &[u8], max: u64) -> Result<(), LogError> {
        while !data.is_empty() {
            let room = max.saturating_sub(self.size) as usize;
            let cut = if data.len() <= room {
                data.len()
            } else {
                match memchr::memrchr(b'\n', &data[..room]) {
                    Some(nl) => nl + 1,
                    None if self.size > 0 => 0,
                    // One line longer than a whole file: it goes whole into this one.
                    None => memchr::memchr(b'\n', data).map_or(data.len(), |nl| nl + 1),
                }
            };
            if cut > 0 {
                self.write_now(&[], &data[..cut])?;
                data = &data[cut..];
            }
            if data.is_empty() {
                break;
            }
            let before = self.size;
            self.rotate_if_needed(data.len() as u64);
            if self.size == before && before > 0 {
                // Rotation failed (logged): keep every line, in this file.
                return self.write_now(&[], data);
            }
        }
        Ok(())
    }

    fn write_now(&mut self, first: &[u8], second: &[u8]) -> Result<(), LogError> {
        // The run goes first: a reader that sees the bytes finds who wrote them.
        if let Some(index) = &mut self.writers {
            index.before_write(self.size);
        }
        write_all_pair(&mut self.file, first, second).map_err(|source| LogError::Write {
            path: self.path.clone(),
            source,
        })?;
        self.size = self
            .size
            .saturating_add((first.len() + second.len()) as u64);
        if let Some(last) = second.last().or(first.last()) {
            self.mid_line = *last != b'\n';
        }
        Ok(())
    }

    /// Rotates before a write of `len` bytes that would take the file past `max_size`.
    fn rotate_if_needed(&mut self, len: u64) {
        if let Some(max) = self.rotation.max_size {
            let would_pass = self.size > 0 && self.size.saturating_add(len) > max;
            if self.regular && would_pass && self.size >= self.retry_rotation_at {
                if let Err(e) = self.rotate() {
                    log::warn!("{e}; writing on to {}", self.path.display());
                    self.retry_rotation_at = self.size.saturating_add(max);
                }
            }
        }
    }

    /// Renames the file aside now and continues in a fresh file at the same path;
    /// compression and pruning of old files follow on a background thread.
    pub fn rotate(&mut self) -> Result<(), LogError> {
        self.wait_background()?;
        rotate::rotate_aside(&self.path, SystemTime::now())?;
        let before = self.inode;
        self.reopen()?;
        if let (Some(index), Some(inode)) = (&mut self.writers, self.inode) {
            if before == self.inode {
                // A fresh file with the inode number of one pruned (`reopen` resets the
                // index of any other).
                index.reset(inode);
            }
        }
        self.retry_rotation_at = 0;
        let rotation = self.rotation;
        let live = self.path.clone();
        if rotation.compress {
            let spawned = std::thread::Builder::new()
                .name("rpm-log-compress".into())
                .spawn(move || {
                    // Also picks up files an interrupted earlier run left uncompressed.
                    rotate::compress_pending(&live)?;
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
        let Opened {
            file,
            size,
            regular,
            inode,
        } = open_append(&self.path)?;
        if let (Some(index), Some(new)) = (&mut self.writers, inode) {
            if self.inode != inode {
                index.reset(new);
            }
        }
        self.file = file;
        self.size = size;
        self.regular = regular;
        self.inode = inode;
        self.mid_line = regular && ends_mid_line(&self.path, size);
        Ok(())
    }

    /// Cuts the file back to `len` bytes: what a killed daemon's unfinished write added
    /// is taken away before the same bytes are written again. Appends continue at the
    /// new end.
    pub fn truncate_to(&mut self, len: u64) -> Result<(), LogError> {
        if !self.regular {
            return Ok(());
        }
        self.file
            .set_len(len)
            .map_err(|source| LogError::Truncate {
                path: self.path.clone(),
                source,
            })?;
        self.size = len;
        self.mid_line = ends_mid_line(&self.path, len);
        if let (Some(index), Some(inode)) = (&mut self.writers, self.inode) {
            index.cut(inode, len);
        }
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
        self.mid_line = false;
        if let (Some(index), Some(inode)) = (&mut self.writers, self.inode) {
            index.reset(inode);
        }
        Ok(())
    }
}

/// Whether the `size`-byte file at `path` ends without a newline. Unreadable: assume it
/// does not (the worst outcome is two lines joined, as before this check).
fn ends_mid_line(path: &Path, size: u64) -> bool {
    let mut last = [0u8];
    size > 0
        && File::open(path)
            .and_then(|f| f.read_exact_at(&mut last, size - 1))
            .is_ok_and(|()| last[0] != b'\n')
}

/// `write_all` over two buffers with `writev`, resuming after short writes.
fn write_all_pair(file: &mut File, mut first: &[u8], mut second: &[u8]) -> io::Result<()> {
    while !first.is_empty() || !second.is_empty() {
        let written = match file.write_vectored(&[IoSlice::new(first), IoSlice::new(second)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if written >= first.len() {
            second = &second[written - first.len()..];
            first = &[];
        } else {
            first = &first[written..];
        }
    }
    Ok(())
}

/// Opens `path` append-only without following a final symlink; returns the file, its
/// size and whether it is a regular file.
/// A log file just opened for appending.
struct Opened {
    file: File,
    /// Its length (0 for a non-regular file).
    size: u64,
    regular: bool,
    inode: Option<u64>,
}

fn open_append(path: &Path) -> Result<Opened, LogError> {
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
    Ok(Opened {
        file,
        size: if regular { meta.len() } else { 0 },
        regular,
        inode: regular.then(|| meta.ino()),
    })
}

/// Refuses a log path that is a symbolic link, as `LogFile::open` would, so an instance
/// is not started with output that could go nowhere.
pub fn refuse_symlink(path: &Path) -> Result<(), LogError> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(LogError::SymlinkRefused {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_symlinked_log_path_is_refused_before_opening() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("elsewhere.log");
        let link = dir.path().join("app-out.log");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let err = refuse_symlink(&link).expect_err("refused");
        assert!(err.to_string().contains("app-out.log"), "{err}");
        assert!(refuse_symlink(&dir.path().join("missing.log")).is_ok());
        std::fs::write(&target, "").expect("write");
        assert!(refuse_symlink(&target).is_ok());
    }

    /// The live file's rotated files, oldest first, decompressed, then the live file.
    fn read_all(live: &Path) -> Vec<Vec<u8>> {
        let mut contents: Vec<Vec<u8>> = rotate::rotated_files_for_tests(live)
            .into_iter()
            .map(|path| {
                let mut data = Vec::new();
                let mut file = File::open(&path).expect("open rotated file");
                if path.extension().is_some_and(|e| e == "gz") {
                    flate2::read::GzDecoder::new(file)
                        .read_to_end(&mut data)
                        .expect("valid gzip");
                } else {
                    file.read_to_end(&mut data).expect("read rotated file");
                }
                data
            })
            .collect();
        contents.push(fs::read(live).expect("read live file"));
        contents
    }

    /// Writes lines 0..n in chunks of 1..=7 lines through `file`.
    fn write_numbered(file: &mut LogFile, n: usize) {
        let mut i = 0;
        let mut chunk = 1;
        while i < n {
            let mut buf = Vec::new();
            for _ in 0..chunk {
                if i < n {
                    buf.extend_from_slice(
                        format!("line {i:06} {}\n", "x".repeat(i % 50)).as_bytes(),
                    );
                    i += 1;
                }
            }
            file.write(&buf).expect("write lines");
            chunk = chunk % 7 + 1;
        }
    }

    fn assert_all_lines_in_order(files: &[Vec<u8>], n: usize) {
        let mut expected = 0;
        for content in files {
            assert!(
                content.is_empty() || content.ends_with(b"\n"),
                "a file ends mid-line"
            );
            for line in content.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
                let want = format!("line {expected:06} {}", "x".repeat(expected % 50));
                assert_eq!(String::from_utf8_lossy(line), want);
                expected += 1;
            }
        }
        assert_eq!(expected, n, "every line is present");
    }

    #[test]
    fn knows_whether_the_file_ends_inside_a_line_even_one_it_did_not_write() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app-out.log");
        fs::write(&path, b"done\nhalf").expect("write");
        let mut file = LogFile::open(&path, Rotation::default()).expect("open");
        assert!(file.mid_line(), "left open by an earlier writer");
        file.write(b" line\n").expect("write");
        assert!(!file.mid_line());
        file.write_split(b"a", b"").expect("write");
        assert!(file.mid_line());
        file.truncate().expect("truncate");
        assert!(!file.mid_line());
        assert!(
            !LogFile::open(&dir.path().join("new.log"), Rotation::default())
                .expect("open")
                .mid_line()
        );
    }

    #[test]
    fn rotation_loses_and_splits_no_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("logs/app-out.log");
        let rotation = Rotation {
            max_size: Some(4096),
            retain: None,
            compress: false,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        write_numbered(&mut file, 5000);
        file.wait_background().expect("background done");
        let files = read_all(&path);
        assert!(files.len() > 20, "rotated many times: {}", files.len());
        for content in &files {
            assert!(
                content.len() <= 4096,
                "a file passed max_size: {}",
                content.len()
            );
        }
        assert_all_lines_in_order(&files, 5000);
    }

    #[test]
    fn one_write_of_many_lines_is_spread_over_files_at_line_boundaries() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("spread.log");
        let rotation = Rotation {
            max_size: Some(4096),
            retain: None,
            compress: false,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        let mut chunk = Vec::new();
        for i in 0..3000 {
            chunk.extend_from_slice(format!("line {i:06} {}\n", "x".repeat(i % 50)).as_bytes());
        }
        // Head (one whole line) and body of one pump chunk, as the pump hands them over.
        let first_line = chunk.iter().position(|b| *b == b'\n').expect("a line") + 1;
        let (head, body) = chunk.split_at(first_line);
        file.write_split(head, body).expect("write");
        file.wait_background().expect("background done");
        let files = read_all(&path);
        assert!(
            files.len() > 5,
            "spread over several files: {}",
            files.len()
        );
        for content in &files {
            assert!(
                content.len() <= 4096,
                "a file passed max_size: {}",
                content.len()
            );
        }
        assert_all_lines_in_order(&files, 3000);
    }

    #[test]
    fn rotation_with_compression_keeps_retain_gzip_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app-error.log");
        let rotation = Rotation {
            max_size: Some(2000),
            retain: Some(3),
            compress: true,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        write_numbered(&mut file, 2000);
        file.wait_background().expect("background done");
        let rotated = rotate::rotated_files_for_tests(&path);
        assert_eq!(rotated.len(), 3, "{rotated:?}");
        assert!(rotated
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "gz")));
        let leftovers = fs::read_dir(dir.path())
            .expect("list")
            .filter(|e| {
                e.as_ref()
                    .map(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
                    .unwrap_or(false)
            })
            .count();
        assert_eq!(leftovers, 0);
        // The kept files hold the last lines, contiguous and whole, up to the live file.
        let files = read_all(&path);
        let joined: Vec<u8> = files.concat();
        let text = String::from_utf8(joined).expect("utf8");
        let numbers: Vec<usize> = text
            .lines()
            .map(|l| l[5..11].parse().expect("numbered line"))
            .collect();
        assert_eq!(numbers.last(), Some(&1999));
        assert!(
            numbers.windows(2).all(|w| w[1] == w[0] + 1),
            "contiguous: {numbers:?}"
        );
    }

    #[test]
    fn a_write_larger_than_max_size_goes_whole_into_a_fresh_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big.log");
        let rotation = Rotation {
            max_size: Some(10),
            retain: None,
            compress: false,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        file.write(b"small\n").expect("write");
        let big = format!("{}\n", "b".repeat(100));
        file.write(big.as_bytes()).expect("write");
        assert_eq!(fs::read(&path).expect("read"), big.as_bytes());
        assert_eq!(read_all(&path).len(), 2);
    }

    #[test]
    fn write_split_appends_both_parts_and_rotates_before() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("split.log");
        let rotation = Rotation {
            max_size: Some(12),
            retain: None,
            compress: false,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        file.write_split(b"par", b"tial\n").expect("write");
        file.write_split(b"", b"").expect("nothing to write");
        file.write_split(b"", b"x\n").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"partial\nx\n");
        file.write_split(b"head\n", b"body\n").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"head\nbody\n");
        assert_eq!(file.size(), 10);
        assert_eq!(read_all(&path).concat(), b"partial\nx\nhead\nbody\n");
    }

    #[test]
    fn new_files_are_not_group_or_world_writable() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("a/b/new.log");
        LogFile::open(&path, Rotation::default()).expect("opens");
        let mode = fs::metadata(&path).expect("stat").mode();
        assert_eq!(mode & 0o022, 0, "mode {mode:o}");
        assert_eq!(mode & 0o111, 0, "mode {mode:o}");

        let loose = dir.path().join("loose.log");
        fs::write(&loose, b"").expect("create");
        fs::set_permissions(&loose, fs::Permissions::from_mode(0o666)).expect("chmod");
        LogFile::open(&loose, Rotation::default()).expect("opens");
        let mode = fs::metadata(&loose).expect("stat").mode();
        assert_eq!(mode & 0o022, 0, "mode {mode:o}");
    }

    #[test]
    fn a_symlink_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("target.log");
        fs::write(&target, b"").expect("create target");
        let link = dir.path().join("link.log");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        match LogFile::open(&link, Rotation::default()) {
            Err(e @ LogError::SymlinkRefused { .. }) => {
                assert!(e.to_string().contains("link.log"), "{e}")
            }
            other => panic!("expected SymlinkRefused, got {other:?}"),
        }
        let dangling = dir.path().join("dangling.log");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).expect("symlink");
        assert!(matches!(
            LogFile::open(&dangling, Rotation::default()),
            Err(LogError::SymlinkRefused { .. })
        ));
        assert!(!dir.path().join("nowhere").exists());
    }

    #[test]
    fn dev_null_is_allowed_and_never_rotated() {
        let rotation = Rotation {
            max_size: Some(1),
            retain: Some(1),
            compress: false,
        };
        let mut file = LogFile::open(Path::new("/dev/null"), rotation).expect("opens");
        file.write(b"a\n").expect("write");
        file.write(b"b\n").expect("write");
        file.truncate().expect("truncate is a no-op");
        assert!(Path::new("/dev/null").exists());
    }

    #[test]
    fn reopen_follows_an_external_rotation_and_truncate_empties() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app.log");
        let moved = dir.path().join("app.log.1");
        let mut file = LogFile::open(&path, Rotation::default()).expect("opens");
        file.write(b"before\n").expect("write");
        fs::rename(&path, &moved).expect("external rotation");
        file.reopen().expect("reopens");
        file.write(b"after\n").expect("write");
        assert_eq!(fs::read(&moved).expect("read"), b"before\n");
        assert_eq!(fs::read(&path).expect("read"), b"after\n");
        file.truncate().expect("truncates");
        assert_eq!(file.size(), 0);
        file.write(b"fresh\n").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"fresh\n");
        assert_eq!(file.path(), path);
    }

    #[test]
    fn a_shared_files_writer_index_starts_again_when_the_file_does() {
        use crate::logs::writers::Labels;
        let dir = tempfile::tempdir().expect("temp dir");
        let (writers, path) = (dir.path().join("writers"), dir.path().join("all.log"));
        let rotation = Rotation {
            max_size: Some(20),
            retain: None,
            compress: false,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        let mut labels = Labels::new(&writers, &path);
        // Who wrote the line at `offset` of the file now at the path.
        let mut who = |offset: u64| {
            let meta = fs::metadata(&path).expect("stat");
            labels.refresh(meta.ino(), meta.len());
            labels.at(meta.ino(), offset).map(|l| l.id)
        };
        let write = |file: &mut LogFile, id: u32, line: &[u8]| {
            file.attribute(&writers, true, id, "api");
            file.write(line).expect("write");
        };
        write(&mut file, 1, b"one\n");
        write(&mut file, 2, b"two\n");
        assert_eq!((who(0), who(4)), (Some(1), Some(2)));
        // Rotated by size: the new file's first bytes are instance 2's.
        write(&mut file, 2, b"a longer line\n");
        assert_eq!(fs::read(&path).expect("read"), b"a longer line\n");
        assert_eq!(who(0), Some(2));
        write(&mut file, 1, b"x\n");
        assert_eq!(who(14), Some(1));
        // `rpm flush`.
        file.truncate().expect("truncate");
        write(&mut file, 2, b"y\n");
        assert_eq!(who(0), Some(2));
        // External rotation and `reload-logs`: a new inode, a new index.
        fs::rename(&path, dir.path().join("all.log.1")).expect("rename");
        file.reopen().expect("reopen");
        write(&mut file, 1, b"z\n");
        assert_eq!(who(0), Some(1));
        // A file written by one instance gets no index at all.
        let alone = dir.path().join("alone.log");
        let mut own = LogFile::open(&alone, Rotation::default()).expect("opens");
        own.attribute(&writers, false, 3, "api");
        own.write(b"mine\n").expect("write");
        assert!(!crate::logs::writers::WriterIndex::exists(&writers, &alone));
    }
}
