//! What a chunk becomes before it is written, and the records about it: the lines a
//! framed chunk writes, what goes before a direct chunk, peeking at the pipe, where a
//! peeked chunk will take each file (`spans`), and the write mark of a direct stream.
//! Pure helpers over the targets and the records; used by `stream`, on the pump thread.

use std::fs::File;
use std::io;
use std::time::SystemTime;

use super::partial::{FileSpan, PartialFile, WriteMark};
use super::peek::Scratch;
use super::targets::{open_file, primary_path, stream_paths, Files, Target};
use crate::logs::format::{format_framed, LineFormat, Stream};
use crate::logs::framer::{Framed, LineFramer};

/// The lines a framed chunk writes: raw lines as framed (one writev, no copy), others
/// formatted into `formatted` first.
pub(super) fn lines_to_write<'a>(
    formatted: &'a mut Vec<u8>,
    framed: &Framed<'a>,
    format: &LineFormat,
    stream: Stream,
) -> (&'a [u8], &'a [u8]) {
    if format.is_raw() {
        return (framed.head, framed.body);
    }
    formatted.clear();
    format_framed(formatted, framed, format, stream, SystemTime::now());
    (&[], formatted)
}

/// What goes before a direct stream's chunk in its file: a newline ending a line a
/// killed daemon cut (unless the chunk starts with its own), or else the partial line a
/// framer held from before the stream was direct (usually nothing).
pub(super) fn direct_head<'a>(
    cut_line: &mut bool,
    framer: &'a mut LineFramer,
    chunk: &[u8],
) -> &'a [u8] {
    if std::mem::take(cut_line) && chunk.first() != Some(&b'\n') {
        b"\n"
    } else {
        framer.finish().unwrap_or(&[])
    }
}

/// Peeks at the head of the pipe (see `peek`).
pub(super) fn peek(
    scratch: &mut Option<Scratch>,
    reader: &File,
    buf: &mut [u8],
) -> io::Result<usize> {
    match scratch {
        Some(scratch) => scratch.peek(reader, buf),
        None => Err(io::Error::other("no scratch pipe")),
    }
}

/// Where a peeked chunk of `len` bytes (formatted) will take each of its stream's
/// files: its own file and the combined one, as `write_targets` writes them.
pub(super) fn spans(files: &mut Files, target: &Target, stream: Stream, len: u64) -> Vec<FileSpan> {
    let outputs = &target.outputs;
    let whole_lines = !target.mode(stream).is_direct();
    let mut spans = Vec::new();
    for path in stream_paths(outputs, stream) {
        let Ok(file) = open_file(files, path, outputs.rotation) else {
            continue;
        };
        if let Some(inode) = file.inode() {
            let ended = u64::from(whole_lines && file.mid_line() && len > 0);
            spans.push(FileSpan {
                inode,
                before: file.size(),
                after: file.size() + ended + len,
            });
        }
    }
    spans
}

/// Marks where a direct stream's file must end once `coming` more bytes are written (see
/// `partial`): a later daemon that finds it shorter knows output was lost in between.
pub(super) fn mark_end(
    files: &mut Files,
    target: &Target,
    stream: Stream,
    partial: &mut PartialFile,
    coming: u64,
) {
    let path = primary_path(&target.outputs, stream);
    if let Ok(file) = open_file(files, path, target.outputs.rotation) {
        if let Some(inode) = file.inode() {
            let end = file.size() + coming;
            partial.mark_write(WriteMark { inode, end });
        }
    }
}
