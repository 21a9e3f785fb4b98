//! TEMPORARY minimal log primitives so the daemon builds; replaced by the logs branch.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::config::AppSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}
#[derive(Debug, Clone)]
pub struct LineFormat {
    pub app: String,
}
impl LineFormat {
    pub fn from_spec(spec: &AppSpec, _id: u32, _instance: u32) -> LineFormat {
        LineFormat {
            app: spec.name.clone(),
        }
    }
}
#[derive(Debug, Default)]
pub struct LineFramer {
    partial: Vec<u8>,
}
impl LineFramer {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(&[u8])) {
        let mut rest = chunk;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            if self.partial.is_empty() {
                emit(&rest[..pos]);
            } else {
                self.partial.extend_from_slice(&rest[..pos]);
                let line = std::mem::take(&mut self.partial);
                emit(&line);
            }
            rest = &rest[pos + 1..];
        }
        self.partial.extend_from_slice(rest);
    }
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            emit(&line);
        }
    }
}
pub fn format_lines(
    out: &mut Vec<u8>,
    lines: &[&[u8]],
    _f: &LineFormat,
    _s: Stream,
    _now: SystemTime,
) {
    for l in lines {
        out.extend_from_slice(l);
        out.push(b'\n');
    }
}
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rotation {
    pub max_size: Option<u64>,
    pub retain: Option<u32>,
    pub compress: bool,
}
pub struct LogFile {
    path: PathBuf,
    file: File,
}
impl LogFile {
    pub fn open(path: &Path, _r: Rotation) -> std::io::Result<LogFile> {
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p)?;
        }
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o640)
            .open(path)?;
        Ok(LogFile {
            path: path.to_path_buf(),
            file,
        })
    }
    pub fn write(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all(data)
    }
    pub fn reopen(&mut self) -> std::io::Result<()> {
        *self = LogFile::open(&self.path.clone(), Rotation::default())?;
        Ok(())
    }
    pub fn truncate(&mut self) -> std::io::Result<()> {
        self.file.set_len(0)
    }
}
pub fn default_log_paths(
    dir: &Path,
    name: &str,
    id: u32,
    multi: bool,
    merge: bool,
) -> (PathBuf, PathBuf) {
    if multi && !merge {
        (
            dir.join(format!("{name}-out-{id}.log")),
            dir.join(format!("{name}-error-{id}.log")),
        )
    } else {
        (
            dir.join(format!("{name}-out.log")),
            dir.join(format!("{name}-error.log")),
        )
    }
}
