//! What a killed (or replaced) daemon left for a stream, settled when the stream is
//! attached and before anything newer is written: a partial line to continue, a chunk
//! it was writing when it died (undone and written again if the write was cut short,
//! taken out of the pipe if it was whole), or a write mark saying whether the file lost
//! output and so ends inside a line that must be ended (see `partial` for the records).
//!
//! It writes no records of its own (`stream` does). Runs on the log pump thread.

use std::fs::File;
use std::path::PathBuf;

use super::partial::{FileSpan, InFlight, PartialFile, Resumed, WriteMark};
use super::peek::fingerprint;
use super::targets::{open_file, primary_path, stream_paths, Files, Target};
use super::turn::Tools;
use crate::logs::file::LogFile;
use crate::logs::format::Stream;

/// A stream as an earlier daemon left it.
pub(super) struct Resumption {
    /// The stream's record, kept from now on.
    pub partial: PartialFile,
    /// The partial line to start the stream's framer with.
    pub line: Vec<u8>,
    /// The stream's file ends inside a line whose rest was lost (see
    /// `StreamState::cut_line`).
    pub cut_line: bool,
}

/// Takes over the record at `path` of instance `id`'s `stream`, whose pipe is `reader`,
/// and settles what it says against the stream's files. `buf` is scratch space for
/// peeking at the pipe.
pub(super) fn resume(
    tools: &mut Tools,
    buf: &mut [u8],
    target: &Target,
    id: u32,
    stream: Stream,
    reader: &File,
    path: PathBuf,
) -> Resumption {
    let (partial, resumed) = PartialFile::resume(path);
    let (line, cut_line) = match resumed {
        Resumed::Line(line) => (line, false),
        Resumed::Write(mark) => (Vec::new(), lost(&mut tools.files, target, stream, mark)),
        Resumed::InFlight(flight) => (
            resume_in_flight(tools, buf, target, id, stream, reader, flight),
            false,
        ),
    };
    Resumption {
        partial,
        line,
        cut_line,
    }
}

/// Whether an earlier daemon was killed between taking a direct stream's bytes from
/// the pipe and writing them all, leaving its file inside a line: its file is shorter
/// than `mark` says, and does not end with a newline. That line is then ended before
/// the bytes that come next (a later part of the output) go in.
fn lost(files: &mut Files, target: &Target, stream: Stream, mark: WriteMark) -> bool {
    if !target.mode(stream).is_direct() {
        return false; // Framed streams end such a line before writing anyway.
    }
    let path = primary_path(&target.outputs, stream);
    let Ok(file) = open_file(files, path, target.outputs.rotation) else {
        return false; // Reported by the first write.
    };
    let cut = mark.cut(file.inode(), file.size()) && file.mid_line();
    if cut {
        log::warn!(
            "{}: a killed daemon lost output it had read; the line it cut is ended",
            path.display()
        );
    }
    cut
}

/// Settles a chunk an earlier daemon was writing when it died, before anything else
/// is written: if a file is short of where the write was to end, the files are cut
/// back to where it began and the chunk, still in the pipe, is written again (the
/// framer resumes with the partial line from before it); if the write was whole, the
/// chunk is taken out of the pipe, unless the dead daemon already had. Returns the
/// partial line to resume the framer with.
fn resume_in_flight(
    tools: &mut Tools,
    buf: &mut [u8],
    target: &Target,
    id: u32,
    stream: Stream,
    reader: &File,
    flight: InFlight,
) -> Vec<u8> {
    let outputs = &target.outputs;
    let paths: Vec<PathBuf> = stream_paths(outputs, stream).cloned().collect();
    let span_of = |file: &LogFile| -> Option<FileSpan> {
        flight
            .files
            .iter()
            .find(|s| Some(s.inode) == file.inode())
            .copied()
    };
    let mut whole = true;
    for path in &paths {
        if let Ok(file) = open_file(&mut tools.files, path, outputs.rotation) {
            whole &= span_of(file).is_none_or(|span| file.size() >= span.after);
        }
    }
    if !whole {
        for path in &paths {
            let Ok(file) = open_file(&mut tools.files, path, outputs.rotation) else {
                continue;
            };
            if let Some(span) = span_of(file).filter(|span| file.size() > span.before) {
                if let Err(e) = file.truncate_to(span.before) {
                    log::warn!("cannot undo a cut write in {}: {e}", path.display());
                }
            }
        }
        log::warn!(
            "instance {id}: a killed daemon was writing {} bytes of {} output; written again",
            flight.len,
            stream.as_str()
        );
        return flight.before;
    }
    let n = usize::try_from(flight.len).unwrap_or(usize::MAX);
    if let (Some(scratch), Some(buf)) = (tools.scratch.as_mut(), buf.get_mut(..n)) {
        let still_there = scratch
            .peek(reader, buf)
            .is_ok_and(|got| got == n && fingerprint(buf, flight.hash) == flight.fingerprint);
        if still_there {
            if let Err(e) = scratch.consume(reader, n) {
                log::warn!("instance {id}: cannot take written output from its pipe: {e}");
            }
        }
    }
    flight.after
}

#[cfg(test)]
mod tests {
    use super::super::peek::Hash;
    use super::super::test_support::{text, Instance};

    // Each test starts where a daemon was SIGKILLed while the app (raw output to files of
    // its own: a `DirectPeeked` stream) had written "half " and then the rest of its
    // line; the out file and the stream's record are what that daemon left, and the next
    // daemon's pump attaches the still-open FIFO.

    #[test]
    fn a_write_cut_short_by_a_killed_daemon_is_undone_and_written_again() {
        // Two of the five bytes of "line\n" were in the file when the daemon died.
        let mut app = Instance::new(|_, _| {});
        app.log_holds("half li");
        app.record_in_flight(b"line\n", 5);
        app.app_writes(b"line\n");
        assert_eq!(app.pump_once(), []);
        assert_eq!(text(&app.outputs.out_file), "half line\n");
        assert_eq!(app.unread(), 0, "written, then taken from the pipe");
    }

    #[test]
    fn a_chunk_written_whole_by_a_killed_daemon_is_taken_not_written_twice() {
        // The write was complete; the daemon died before taking the chunk from the pipe.
        let mut app = Instance::new(|_, _| {});
        app.log_holds("half line\n");
        app.record_in_flight(b"line\n", 5);
        app.app_writes(b"line\n");
        assert_eq!(app.pump_once(), []);
        assert_eq!(text(&app.outputs.out_file), "half line\n");
        assert_eq!(app.unread(), 0, "taken from the pipe");
    }

    #[test]
    fn a_whole_chunk_an_older_daemon_fingerprinted_byte_by_byte_is_taken_not_written_twice() {
        // `rpm update` from a daemon that recorded byte-wise fingerprints, killed between
        // its write and taking the chunk; and the same when it had taken it already.
        for (taken, want) in [(false, "half line\n"), (true, "half line\nnext\n")] {
            let mut app = Instance::new(|_, _| {});
            app.log_holds("half line\n");
            app.record_in_flight_as(b"line\n", 5, Hash::Bytes);
            app.app_writes(if taken { b"next\n" } else { b"line\n" });
            assert_eq!(app.pump_once(), []);
            assert_eq!(text(&app.outputs.out_file), want, "taken already: {taken}");
            assert_eq!(app.unread(), 0);
        }
    }

    #[test]
    fn a_chunk_a_killed_daemon_had_taken_already_is_not_taken_again() {
        // It had taken it already: what the pipe holds is newer output, written.
        let mut app = Instance::new(|_, _| {});
        app.log_holds("half gone\n");
        app.record_in_flight(b"gone\n", 5);
        app.app_writes(b"line\n");
        assert_eq!(app.pump_once(), []);
        assert_eq!(text(&app.outputs.out_file), "half gone\nline\n");
        assert_eq!(app.unread(), 0);
    }

    #[test]
    fn a_raw_line_an_older_daemon_marked_as_cut_is_ended_before_the_next() {
        // What a daemon that read destructively left (a write mark: the file was to reach
        // 5 bytes) when the kernel cut its write of "half " short at the kill. Output
        // that goes on with a newline ends the cut line itself: no empty line.
        for (rest, want) in [(&b"line\n"[..], "hal\nline\n"), (b"\n", "hal\n")] {
            let mut app = Instance::new(|_, _| {});
            app.log_holds("hal");
            app.record_write_mark(5);
            app.app_writes(rest);
            assert_eq!(app.pump_once(), []);
            assert_eq!(text(&app.outputs.out_file), want, "then {rest:?}");
        }
    }
}
