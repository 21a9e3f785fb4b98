//! Rotation of log files: naming rotated files, compressing them, keeping `log_retain`.
//!
//! `x.log` is renamed to `x__2026-11-25_13-45-12.log` (local time; `_1`, `_2`… appended
//! when that name is taken), then optionally gzipped to `x__…log.gz`. Compression cannot
//! lose the file: the `.gz` is written under a temporary name, fsynced, renamed into
//! place, and only then is the uncompressed file removed. Runs on the log pump thread
//! (renaming) and on a short-lived compression thread (gzip, pruning); `LogFile` decides
//! when.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Local};
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::config::AppSpec;

use super::error::LogError;

/// When and how a log file is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Rotation {
    /// Rotate before a write would take the file past this many bytes; `None`: never.
    pub max_size: Option<u64>,
    /// Rotated files kept (oldest deleted first); `None`: all.
    pub retain: Option<u32>,
    /// Gzip rotated files.
    pub compress: bool,
}

impl Rotation {
    /// The policy an app's spec asks for (`log_max_size`, `log_retain`, `log_compress`).
    pub fn from_spec(spec: &AppSpec) -> Rotation {
        Rotation {
            max_size: spec.log_max_size,
            retain: spec.log_retain,
            compress: spec.log_compress,
        }
    }
}

/// Layout of the timestamp in rotated names; sorts chronologically as text.
const NAME_TIME_FORMAT: &str = "%Y-%m-%d_%H-%M-%S";
const NAME_TIME_LEN: usize = 19;

/// `x.log` → (`x`, `.log`); `x` → (`x`, ``).
fn split_name(path: &Path) -> (OsString, OsString) {
    let stem = path.file_stem().unwrap_or_default().to_os_string();
    let ext = match path.extension() {
        Some(ext) => {
            let mut dotted = OsString::from(".");
            dotted.push(ext);
            dotted
        }
        None => OsString::new(),
    };
    (stem, ext)
}

/// The name `path` gets when rotated at `now` with collision counter `n` (0: none).
fn rotated_path(path: &Path, now: SystemTime, n: u32) -> PathBuf {
    let (stem, ext) = split_name(path);
    let stamp = DateTime::<Local>::from(now).format(NAME_TIME_FORMAT);
    let mut name = stem;
    name.push(format!("__{stamp}"));
    if n > 0 {
        name.push(format!("_{n}"));
    }
    name.push(ext);
    path.with_file_name(name)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// Renames `path` to a free rotated name and returns that name. Within one second the
/// counter goes past every existing file of that second, even pruned-around ones, so
/// names always sort in rotation order.
pub(crate) fn rotate_aside(path: &Path, now: SystemTime) -> Result<PathBuf, LogError> {
    let stamp = DateTime::<Local>::from(now)
        .format(NAME_TIME_FORMAT)
        .to_string();
    let same_second = rotated_files(path)
        .unwrap_or_default()
        .into_iter()
        .filter(|(key, _)| key.stamp == stamp)
        .map(|(key, _)| key.counter)
        .max();
    let mut n = same_second.map_or(0, |c| c + 1);
    let target = loop {
        let candidate = rotated_path(path, now, n);
        let taken = fs::symlink_metadata(&candidate).is_ok()
            || fs::symlink_metadata(with_suffix(&candidate, ".gz")).is_ok();
        if !taken {
            break candidate;
        }
        n += 1;
    };
    fs::rename(path, &target).map_err(|source| LogError::Rotate {
        path: path.to_path_buf(),
        to: target.clone(),
        source,
    })?;
    Ok(target)
}

/// Gzips `rotated` into `rotated.gz`, then removes `rotated`. On failure the
/// uncompressed file stays and no partial `.gz` is left under the final name.
pub(crate) fn compress(rotated: &Path) -> Result<PathBuf, LogError> {
    let gz = with_suffix(rotated, ".gz");
    let tmp = with_suffix(rotated, ".gz.tmp");
    let err = |source: io::Error| LogError::Compress {
        path: rotated.to_path_buf(),
        source,
    };
    let result = (|| -> io::Result<()> {
        let mut input = File::open(rotated)?;
        let out = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o640)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        let mut encoder = GzEncoder::new(BufWriter::new(out), Compression::default());
        io::copy(&mut input, &mut encoder)?;
        let out = encoder.finish()?.into_inner().map_err(|e| e.into_error())?;
        out.sync_all()?;
        fs::rename(&tmp, &gz)?;
        sync_parent(&gz)?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(err(e));
    }
    fs::remove_file(rotated).map_err(err)?;
    Ok(gz)
}

fn sync_parent(path: &Path) -> io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => File::open(dir)?.sync_all(),
        None => File::open(".")?.sync_all(),
    }
}

/// A rotated file of one log, by its place in time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct RotatedKey {
    stamp: String,
    counter: u32,
}

/// Recognises `name` as a rotated file of the log `stem` + `ext`.
fn parse_rotated(name: &str, stem: &str, ext: &str) -> Option<RotatedKey> {
    let rest = name.strip_prefix(stem)?.strip_prefix("__")?;
    let rest = rest.strip_suffix(".gz").unwrap_or(rest);
    let rest = rest.strip_suffix(ext)?;
    let (stamp, counter) = match rest.get(NAME_TIME_LEN..)? {
        "" => (rest, 0),
        tail => (
            &rest[..NAME_TIME_LEN],
            tail.strip_prefix('_')?.parse().ok()?,
        ),
    };
    let shape_ok = stamp.bytes().enumerate().all(|(i, b)| match i {
        4 | 7 | 13 | 16 => b == b'-',
        10 => b == b'_',
        _ => b.is_ascii_digit(),
    });
    shape_ok.then(|| RotatedKey {
        stamp: stamp.to_string(),
        counter,
    })
}

/// The rotated files of the log at `live`, oldest first; a key may have two files (the
/// plain and `.gz` versions, when compression was interrupted).
fn rotated_files(live: &Path) -> io::Result<Vec<(RotatedKey, PathBuf)>> {
    let dir = match live.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    let (stem, ext) = split_name(live);
    let (Some(stem), Some(ext)) = (stem.to_str(), ext.to_str()) else {
        return Ok(Vec::new());
    };
    let mut found = Vec::new();
    for entry in fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name();
        if let Some(key) = name.to_str().and_then(|n| parse_rotated(n, stem, ext)) {
            found.push((key, entry.path()));
        }
    }
    found.sort();
    Ok(found)
}

/// Compresses every uncompressed rotated file of `live`: the one just rotated, and any
/// left by an interrupted run. A plain file whose `.gz` already exists was compressed
/// (the `.gz` only gets its name once complete and synced), so only the plain one is
/// removed; stale `.gz.tmp` files are deleted.
pub(crate) fn compress_pending(live: &Path) -> Result<(), LogError> {
    let err = |source: io::Error| LogError::Compress {
        path: live.to_path_buf(),
        source,
    };
    let dir = match live.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    };
    let (stem, ext) = split_name(live);
    if let (Some(stem), Some(ext)) = (stem.to_str(), ext.to_str()) {
        for entry in fs::read_dir(&dir).map_err(err)? {
            let entry = entry.map_err(err)?;
            let name = entry.file_name();
            let stale_tmp = name
                .to_str()
                .and_then(|n| n.strip_suffix(".gz.tmp"))
                .is_some_and(|n| parse_rotated(n, stem, ext).is_some());
            if stale_tmp {
                let _ = fs::remove_file(entry.path());
            }
        }
    }
    for (_, path) in rotated_files(live).map_err(err)? {
        if path.extension().is_some_and(|e| e == "gz") {
            continue;
        }
        if with_suffix(&path, ".gz").exists() {
            fs::remove_file(&path).map_err(err)?;
        } else {
            compress(&path)?;
        }
    }
    Ok(())
}

/// Deletes the oldest rotated files of `live` beyond `retain`.
pub(crate) fn prune(live: &Path, retain: Option<u32>) -> Result<(), LogError> {
    let Some(retain) = retain else {
        return Ok(());
    };
    let err = |source: io::Error| LogError::Rotate {
        path: live.to_path_buf(),
        to: live.parent().map(Path::to_path_buf).unwrap_or_default(),
        source,
    };
    let files = rotated_files(live).map_err(err)?;
    let mut keys: Vec<&RotatedKey> = files.iter().map(|(k, _)| k).collect();
    keys.dedup();
    let excess = keys.len().saturating_sub(retain as usize);
    let doomed: Vec<RotatedKey> = keys[..excess].iter().map(|k| (*k).clone()).collect();
    for (key, path) in &files {
        if doomed.contains(key) {
            match fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(err(e)),
            }
        }
    }
    Ok(())
}

/// Rotated files of `live`, oldest first (tests of other modules read them back).
#[cfg(test)]
pub(crate) fn rotated_files_for_tests(live: &Path) -> Vec<PathBuf> {
    rotated_files(live)
        .expect("list rotated files")
        .into_iter()
        .map(|(_, p)| p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn rotated_names_are_recognised() {
        let rows: &[(&str, Option<(&str, u32)>)] = &[
            (
                "x__2026-11-25_13-45-12.log",
                Some(("2026-11-25_13-45-12", 0)),
            ),
            (
                "x__2026-11-25_13-45-12_3.log",
                Some(("2026-11-25_13-45-12", 3)),
            ),
            (
                "x__2026-11-25_13-45-12.log.gz",
                Some(("2026-11-25_13-45-12", 0)),
            ),
            (
                "x__2026-11-25_13-45-12_12.log.gz",
                Some(("2026-11-25_13-45-12", 12)),
            ),
            ("x.log", None),
            ("x__2026-11-25_13-45-12.log.gz.tmp", None),
            ("x__2026-11-25_13-45.log", None),
            ("x__2026-11-25T13-45-12.log", None),
            ("xy__2026-11-25_13-45-12.log", None),
            ("x__2026-11-25_13-45-12_a.log", None),
            ("x__2026-11-25_13-45-12.txt", None),
        ];
        for (name, want) in rows {
            let got = parse_rotated(name, "x", ".log");
            let want = want.map(|(stamp, counter)| RotatedKey {
                stamp: stamp.into(),
                counter,
            });
            assert_eq!(got, want, "{name}");
        }
        assert!(parse_rotated("x__2026-11-25_13-45-12", "x", "").is_some());
    }

    #[test]
    fn rotate_aside_adds_a_counter_when_the_name_is_taken() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = dir.path().join("app-out.log");
        let now = SystemTime::now();
        let mut names = Vec::new();
        for i in 0..3 {
            fs::write(&live, format!("{i}\n")).expect("write live file");
            let rotated = rotate_aside(&live, now).expect("rotates");
            names.push(
                rotated
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        let stamp = DateTime::<Local>::from(now)
            .format(NAME_TIME_FORMAT)
            .to_string();
        assert_eq!(
            names,
            vec![
                format!("app-out__{stamp}.log"),
                format!("app-out__{stamp}_1.log"),
                format!("app-out__{stamp}_2.log"),
            ]
        );
        let order: Vec<u32> = rotated_files(&live)
            .expect("lists")
            .iter()
            .map(|(k, _)| k.counter)
            .collect();
        assert_eq!(order, vec![0, 1, 2]);
    }

    #[test]
    fn compress_replaces_the_file_with_valid_gzip() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rotated = dir.path().join("a__2026-01-01_00-00-00.log");
        let content: Vec<u8> = (0..100_000u32)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        fs::write(&rotated, &content).expect("write");
        let gz = compress(&rotated).expect("compresses");
        assert!(!rotated.exists());
        assert!(!with_suffix(&rotated, ".gz.tmp").exists());
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(File::open(&gz).expect("open gz"))
            .read_to_end(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, content);
    }

    #[test]
    fn failed_compression_leaves_no_partial_archive() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("gone__2026-01-01_00-00-00.log");
        assert!(matches!(compress(&missing), Err(LogError::Compress { .. })));
        assert_eq!(fs::read_dir(dir.path()).expect("list").count(), 0);
    }

    #[test]
    fn compress_pending_finishes_what_an_interrupted_run_left() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = dir.path().join("p.log");
        let write =
            |name: &str, data: &[u8]| fs::write(dir.path().join(name), data).expect("write");
        write("p.log", b"live\n");
        write("p__2026-01-01_00-00-00.log", b"never compressed\n");
        write("p__2026-01-02_00-00-00.log", b"compressed, not removed\n");
        write("p__2026-01-02_00-00-00.log.gz.tmp", b"stale");
        let done = compress(&dir.path().join("p__2026-01-02_00-00-00.log")).expect("compress");
        write("p__2026-01-02_00-00-00.log", b"compressed, not removed\n");
        write("p__2026-01-03_00-00-00.log.gz.tmp", b"stale");
        write("other__2026-01-01_00-00-00.log", b"not ours\n");
        compress_pending(&live).expect("compresses");
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![
                "other__2026-01-01_00-00-00.log",
                "p.log",
                "p__2026-01-01_00-00-00.log.gz",
                "p__2026-01-02_00-00-00.log.gz",
            ]
        );
        let mut decoded = String::new();
        flate2::read::GzDecoder::new(File::open(&done).expect("open"))
            .read_to_string(&mut decoded)
            .expect("valid gzip");
        assert_eq!(decoded, "compressed, not removed\n");
    }

    #[test]
    fn prune_keeps_the_newest_and_counts_plain_and_gz_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let live = dir.path().join("w.log");
        let names = [
            "w__2026-01-01_00-00-00.log.gz",
            "w__2026-01-01_00-00-00.log",
            "w__2026-01-01_00-00-00_1.log.gz",
            "w__2026-01-02_00-00-00.log.gz",
            "w__2026-01-03_00-00-00.log",
            "other__2026-01-01_00-00-00.log",
            "w.log",
        ];
        for name in names {
            fs::write(dir.path().join(name), b"x\n").expect("write");
        }
        prune(&live, Some(2)).expect("prunes");
        let mut left: Vec<String> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![
                "other__2026-01-01_00-00-00.log",
                "w.log",
                "w__2026-01-02_00-00-00.log.gz",
                "w__2026-01-03_00-00-00.log",
            ]
        );
        prune(&live, None).expect("keeping all is a no-op");
        prune(&live, Some(0)).expect("prunes all");
        assert!(!dir.path().join("w__2026-01-03_00-00-00.log").exists());
    }
}
