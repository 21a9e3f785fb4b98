//! Reading one log file for `rpm logs`: its last lines, then whatever comes next.
//!
//! Runs on the caller's thread inside `tail` (or a `LogFollower`). A `Tracker` follows a path, not a file: it
//! notices rotation (a new inode at the path; the old file is read to its end first) and
//! truncation (the file shrank below what was read: start again from 0). With the
//! daemon's writer indexes at hand, each line goes with the instance that wrote it
//! (`writers::Labels`, looked up by the offset the line starts at).

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::{Sink, Stop, BLOCK};
use crate::logs::error::LogError;
use crate::logs::framer::LineFramer;
use crate::logs::writers::Labels;

/// Where reading one path has got to.
pub(super) struct Tracker {
    index: usize,
    path: PathBuf,
    file: Option<File>,
    /// (device, inode) of `file`, to notice a new file at the path.
    identity: (u64, u64),
    /// Bytes of `file` consumed.
    pos: u64,
    pub(super) framer: LineFramer,
    chunk: Vec<u8>,
    /// Who wrote which lines, where the daemon keeps an index of it.
    labels: Option<Labels>,
}

impl Tracker {
    /// Follows `path`; `writers`: the folder of the daemon's writer indexes, if lines
    /// are to carry the instance that wrote them.
    pub(super) fn new(index: usize, path: &Path, writers: Option<&Path>) -> Tracker {
        Tracker {
            index,
            path: path.to_path_buf(),
            file: None,
            identity: (0, 0),
            pos: 0,
            framer: LineFramer::new(),
            chunk: vec![0; BLOCK],
            labels: writers.map(|dir| Labels::new(dir, path)),
        }
    }

    /// Prints the partial line the framer holds as a line (the file ended, or was
    /// replaced or emptied, without ending it).
    pub(super) fn finish_line(&mut self, printer: &mut dyn Sink) -> Result<(), Stop> {
        let start = self.pos.saturating_sub(self.framer.partial().len() as u64);
        let writer = self
            .labels
            .as_ref()
            .and_then(|l| l.at(self.identity.1, start));
        match self.framer.finish() {
            Some(line) => printer.line(self.index, writer, line),
            None => Ok(()),
        }
    }

    fn read_error(&self, source: io::Error) -> Stop {
        Stop::Failed(LogError::Read {
            path: self.path.clone(),
            source,
        })
    }

    /// Opens the file (a missing one is not an error: it may appear later) and prints
    /// its last `lines` lines.
    pub(super) fn print_last_lines(
        &mut self,
        lines: usize,
        printer: &mut dyn Sink,
    ) -> Result<(), Stop> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.read_error(e)),
        };
        let meta = file.metadata().map_err(|e| self.read_error(e))?;
        let len = if meta.is_file() { meta.len() } else { 0 };
        let start = last_lines_start(&mut file, len, lines).map_err(|e| self.read_error(e))?;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| self.read_error(e))?;
        self.identity = (meta.dev(), meta.ino());
        self.file = Some(file);
        self.pos = start;
        printer.header(self.index, lines);
        self.read_to_end(printer, Some(len))
    }

    /// Opens the file now at the path to follow it from byte `offset` (what it held
    /// before: from 0 when it is shorter, so a new file is read whole); a missing file
    /// is read from 0 once it appears.
    pub(super) fn open_at(&mut self, offset: u64) -> Result<(), Stop> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.read_error(e)),
        };
        let meta = file.metadata().map_err(|e| self.read_error(e))?;
        let start = if meta.is_file() && meta.len() >= offset {
            offset
        } else {
            0
        };
        file.seek(SeekFrom::Start(start))
            .map_err(|e| self.read_error(e))?;
        self.identity = (meta.dev(), meta.ino());
        self.file = Some(file);
        self.pos = start;
        Ok(())
    }

    /// Prints whatever was appended since the last look, and follows the path to a new
    /// file or back to the start of a truncated one.
    pub(super) fn poll(&mut self, printer: &mut dyn Sink) -> Result<(), Stop> {
        if self.file.is_some() {
            self.read_to_end(printer, None)?;
        }
        let current = match fs::metadata(&self.path) {
            Ok(meta) => meta,
            // Between a rotation's rename and the new file: keep the old one.
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.read_error(e)),
        };
        if self.file.is_some() && (current.dev(), current.ino()) == self.identity {
            return Ok(());
        }
        // A new file is at the path (rotation, or the file appeared). Lines written to
        // the old one before it was renamed are read first, then the new one from 0.
        if self.file.is_some() {
            self.read_to_end(printer, None)?;
            self.finish_line(printer)?;
        }
        let file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(self.read_error(e)),
        };
        let meta = file.metadata().map_err(|e| self.read_error(e))?;
        self.identity = (meta.dev(), meta.ino());
        self.file = Some(file);
        self.pos = 0;
        self.read_to_end(printer, None)
    }

    /// Reads from `pos` to the end (or to `limit`), printing complete lines. A file that
    /// shrank below `pos` was truncated: start again from 0.
    pub(super) fn read_to_end(
        &mut self,
        printer: &mut dyn Sink,
        limit: Option<u64>,
    ) -> Result<(), Stop> {
        let Some(file) = self.file.as_ref() else {
            return Ok(());
        };
        let len = file
            .metadata()
            .map_err(|source| LogError::Read {
                path: self.path.clone(),
                source,
            })?
            .len();
        if len < self.pos {
            self.finish_line(printer)?;
            self.pos = 0;
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        if self.pos == 0 {
            file.seek(SeekFrom::Start(0))
                .map_err(|source| LogError::Read {
                    path: self.path.clone(),
                    source,
                })?;
        }
        loop {
            let want = match limit {
                Some(limit) if self.pos >= limit => break,
                Some(limit) => BLOCK.min(usize::try_from(limit - self.pos).unwrap_or(BLOCK)),
                None => BLOCK,
            };
            let n = match file.read(&mut self.chunk[..want]) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    return Err(Stop::Failed(LogError::Read {
                        path: self.path.clone(),
                        source,
                    }))
                }
            };
            // Where the framer's partial line, and so the chunk's first line, starts.
            let mut start = self.pos.saturating_sub(self.framer.partial().len() as u64);
            self.pos += n as u64;
            let inode = self.identity.1;
            if let Some(labels) = &mut self.labels {
                // After the read: the daemon records a run before writing its bytes.
                labels.refresh(inode, self.pos);
            }
            for line in self.framer.push(&self.chunk[..n]).lines() {
                let writer = self.labels.as_ref().and_then(|l| l.at(inode, start));
                start += line.len() as u64 + 1;
                printer.line(self.index, writer, line)?;
            }
        }
        Ok(())
    }
}

/// Offset where the last `n` lines of the first `len` bytes of `file` start, found by
/// reading backwards in blocks. A final `\n` ends the last line rather than starting an
/// empty one.
fn last_lines_start<R: Read + Seek>(file: &mut R, len: u64, n: usize) -> io::Result<u64> {
    if n == 0 {
        return Ok(len);
    }
    let mut block = vec![0u8; BLOCK];
    let mut end = len;
    let mut seen = 0usize;
    while end > 0 {
        let start = end.saturating_sub(BLOCK as u64);
        let size = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..size])?;
        for (i, &b) in block[..size].iter().enumerate().rev() {
            let offset = start + i as u64;
            if b != b'\n' || offset + 1 == len {
                continue;
            }
            seen += 1;
            if seen == n {
                return Ok(offset + 1);
            }
        }
        end = start;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn last_lines_start_table() {
        let rows: &[(&[u8], usize, u64)] = &[
            (b"a\nb\nc\n", 2, 2),
            (b"a\nb\nc\n", 3, 0),
            (b"a\nb\nc\n", 9, 0),
            (b"a\nb\nc", 1, 4),
            (b"a\nb\nc", 2, 2),
            (b"a\nb\nc\n", 0, 6),
            (b"", 3, 0),
            (b"\n\n\n", 1, 2),
            (b"only\n", 1, 0),
        ];
        for (content, n, want) in rows {
            let mut cursor = Cursor::new(content.to_vec());
            let got = last_lines_start(&mut cursor, content.len() as u64, *n).expect("reads");
            assert_eq!(got, *want, "{content:?} last {n}");
        }
    }
}
