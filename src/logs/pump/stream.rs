//! One stream's turn: reading what waits in its pipe and writing it to its files. `turn`
//! runs the loop; each `StreamMode` is a `Mode` (`FRAMED`, `FRAMED_PEEKED`, `DIRECT`,
//! `DIRECT_PEEKED`) with one write function of its own, plus the steps they share:
//! paying what a failed write still owes, stalling on a failed write, ending a line a
//! killed daemon cut, and finishing when the writer exits.
//!
//! It writes the records a next daemon resumes from (partial lines, write marks,
//! chunks in flight: see `partial`); reading them back is `recovery`'s job. What a chunk
//! becomes before it is written (formatted lines, a direct chunk's head, spans, marks)
//! is `chunk`. Runs on the log pump thread.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, AsRawFd};
use std::time::SystemTime;

use nix::sys::epoll::{EpollEvent, EpollFlags};

use super::chunk::{direct_head, lines_to_write, mark_end, peek, spans};
use super::partial::{InFlight, PartialFile};
use super::peek::{fingerprint, Hash, Scratch};
use super::targets::{open_file, primary_path, write_targets, StreamMode, Target};
use super::turn::{Buffers, Tools, READS_PER_TURN, SMALL};
use crate::logs::format::{format_lines, Stream};
use crate::logs::framer::LineFramer;

/// One output stream (out or err) of one instance.
pub(super) struct StreamState {
    pub id: u32,
    pub stream: Stream,
    pub framer: LineFramer,
    /// Where the bytes come from, and the record of what is on its way from there.
    pub pipe: Pipe,
    /// Formatted bytes a failed write still owes.
    pub pending: Vec<u8>,
    pub in_epoll: bool,
    /// A direct stream whose file an earlier daemon left inside a line, losing the
    /// line's rest: the line is ended before the next bytes are written, unless they
    /// start with the newline (which would leave an empty line). Settled by the drain
    /// right after attaching.
    pub cut_line: bool,
}

/// A stream's pipe and its record on disk: what taking a written chunk out needs.
pub(super) struct Pipe {
    pub reader: File,
    /// The framer's partial line, a write mark or a chunk in flight (see `partial`).
    pub partial: PartialFile,
}

/// How a stream's turn ended.
enum Turn {
    /// The pipe is drained (`drained`: seen empty), or the stream had its share of reads
    /// for now.
    Done { read: usize, drained: bool },
    /// A write failed: the bytes are owed and the pipe is left unread.
    Stalled { read: usize },
}

/// Bytes a failed write still owes, and why it failed.
struct Owed {
    bytes: Vec<u8>,
    message: String,
}

/// Reads what is waiting in `state`'s pipe and writes it out; `finish` also writes a
/// partial last line (the writer exited). Returns how many bytes it read.
pub(super) fn pump(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
    finish: bool,
) -> usize {
    // First pay what a failed write still owes, keeping the order of lines.
    if !pay_pending(tools, state, target) {
        return 0;
    }
    let mut read = 0;
    let mut drained = false;
    // The writer's last line is ended only once its pipe is seen empty: a turn can end
    // on a short peek with bytes still waiting (a scratch pipe smaller than the FIFO),
    // and ending the line there would cut it in two.
    for _ in 0..if finish { FINISH_TURNS } else { 1 } {
        // Asked every turn: a refused peek reads from then on.
        let mode = mode_of(tools, state, target);
        match turn(tools, bufs, state, target, mode) {
            Turn::Done {
                read: more,
                drained: empty,
            } => {
                read += more;
                drained = empty;
            }
            Turn::Stalled { read: more } => return read + more,
        }
        if drained {
            break;
        }
    }
    // A read that found nothing (or failed) dropped the copy: put it back.
    state.pipe.partial.keep(state.framer.partial());
    if finish && drained {
        finish_stream(tools, bufs, state, target);
    }
    read
}

/// How `state`'s stream is pumped now: as its files allow, unpeeked without a scratch
/// pipe.
fn mode_of(tools: &Tools, state: &StreamState, target: &Target) -> &'static Mode {
    let mode = match tools.scratch {
        Some(_) => target.mode(state.stream),
        None => target.mode(state.stream).unpeeked(),
    };
    match mode {
        StreamMode::Framed => &FRAMED,
        StreamMode::FramedPeeked => &FRAMED_PEEKED,
        StreamMode::Direct => &DIRECT,
        StreamMode::DirectPeeked => &DIRECT_PEEKED,
    }
}

/// Turns a finishing stream gets to empty its pipe: enough for a whole FIFO (256 pages)
/// peeked a page at a time, 16 reads a turn; a writer's child that goes on writing past
/// them leaves the last line open for the bytes that follow.
const FINISH_TURNS: usize = 16;

/// What a mode does around each chunk of a turn: how it takes chunks in (read, or peek
/// and take once written), what it does before each read and once the pipe is drained,
/// and how it writes a chunk.
struct Mode {
    peeked: bool,
    before_read: fn(&mut Tools, &mut StreamState, &mut Target),
    at_drain: fn(&mut Tools, &mut StreamState, &mut Target),
    /// Writes the `n` bytes at the start of the read buffer.
    write: fn(&mut Tools, &mut Buffers, &mut StreamState, &mut Target, usize) -> Result<(), Owed>,
}

/// `StreamMode::Framed`: whole lines, read out of the pipe.
const FRAMED: Mode = Mode {
    peeked: false,
    // A read may take the rest of a kept line out of the pipe; were the daemon to die
    // right after it, the next one would join the kept start to whatever comes next. So
    // the copy is dropped before each read and the new partial line kept right after
    // framing, before the (slower) formatting and writing: a crash in that step loses the
    // line's start, as it loses any bytes between a read and a write, but never merges
    // two lines; a crash after it loses whole lines only.
    before_read: |_, state, _| state.pipe.partial.forget(),
    at_drain: |_, _, _| {},
    write: write_framed,
};

/// `StreamMode::FramedPeeked`: whole lines, each chunk taken out of the pipe once
/// written.
const FRAMED_PEEKED: Mode = Mode {
    peeked: true,
    before_read: |_, _, _| {},
    at_drain: |_, _, _| {},
    write: write_framed_peeked,
};

/// `StreamMode::Direct`: the bytes as they came, read out of the pipe, with a mark of
/// where the file must end (see `partial`). The file holds the partial line, so no line
/// is kept; the mark says the file must grow (the read may take bytes) until the write
/// that follows is done, and is settled when the pipe is drained.
const DIRECT: Mode = Mode {
    peeked: false,
    before_read: |tools, state, target| {
        mark_end(
            &mut tools.files,
            target,
            state.stream,
            &mut state.pipe.partial,
            1,
        )
    },
    at_drain: |tools, state, target| {
        mark_end(
            &mut tools.files,
            target,
            state.stream,
            &mut state.pipe.partial,
            0,
        )
    },
    write: write_direct,
};

/// `StreamMode::DirectPeeked`: the bytes as they came, each chunk taken out of the pipe
/// once written.
const DIRECT_PEEKED: Mode = Mode {
    peeked: true,
    before_read: |_, _, _| {},
    at_drain: |_, _, _| {},
    write: write_direct_peeked,
};

/// One stream's turn in `mode`: chunk after chunk until the pipe is drained, a write
/// fails, or the stream had `READS_PER_TURN` reads.
fn turn(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
    mode: &Mode,
) -> Turn {
    let mut read = 0;
    for _ in 0..READS_PER_TURN {
        (mode.before_read)(tools, state, target);
        let n = match next_chunk(tools, bufs, &state.pipe.reader, mode.peeked) {
            Got::Chunk(n) => n,
            Got::Again => continue,
            Got::Refused => break,
            Got::Drained => {
                (mode.at_drain)(tools, state, target);
                return drained(tools, state, target, read);
            }
        };
        read += n;
        if let Err(owed) = (mode.write)(tools, bufs, state, target, n) {
            stall(tools, state, target, owed);
            return Turn::Stalled { read };
        }
        if n < bufs.read.len() {
            break;
        }
    }
    Turn::Done {
        read,
        drained: false,
    }
}

fn write_framed(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
    n: usize,
) -> Result<(), Owed> {
    let framed = state.framer.push(&bufs.read[..n]);
    state.pipe.partial.keep(framed.rest);
    let (head, body) = lines_to_write(
        &mut bufs.formatted,
        &framed,
        &target.outputs.format,
        state.stream,
    );
    write_chunk(tools, state.id, target, state.stream, head, body)
}

fn write_framed_peeked(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
    n: usize,
) -> Result<(), Owed> {
    let chunk = &bufs.read[..n];
    // The chunk's record needs the partial line from before.
    let before = state.framer.partial().to_vec();
    let framed = state.framer.push(chunk);
    let (head, body) = lines_to_write(
        &mut bufs.formatted,
        &framed,
        &target.outputs.format,
        state.stream,
    );
    let peeked = Peeked {
        chunk,
        head,
        body,
        before,
        after: framed.rest,
    };
    write_peeked(
        tools,
        &mut state.pipe,
        state.id,
        target,
        state.stream,
        peeked,
    )
}

fn write_direct(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
    n: usize,
) -> Result<(), Owed> {
    let chunk = &bufs.read[..n];
    let head = direct_head(&mut state.cut_line, &mut state.framer, chunk);
    let len = (head.len() + n) as u64;
    mark_end(
        &mut tools.files,
        target,
        state.stream,
        &mut state.pipe.partial,
        len,
    );
    write_chunk(tools, state.id, target, state.stream, head, chunk)
}

fn write_direct_peeked(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
    n: usize,
) -> Result<(), Owed> {
    let chunk = &bufs.read[..n];
    // The chunk's record needs the partial line from before (one a framer held).
    let before = state.framer.partial().to_vec();
    let head = direct_head(&mut state.cut_line, &mut state.framer, chunk);
    let peeked = Peeked {
        chunk,
        head,
        body: chunk,
        before,
        after: &[],
    };
    write_peeked(
        tools,
        &mut state.pipe,
        state.id,
        target,
        state.stream,
        peeked,
    )
}

/// A chunk peeked from the pipe, and what it writes.
struct Peeked<'a> {
    /// The bytes as they are in the pipe.
    chunk: &'a [u8],
    /// Written in one go, `head` then `body`.
    head: &'a [u8],
    body: &'a [u8],
    /// The framer's partial line before the chunk, and after it.
    before: Vec<u8>,
    after: &'a [u8],
}

/// Writes a peeked chunk and takes it out of the pipe. The chunk is recorded in flight
/// on its way (see `recovery`), so a daemon killed during the write leaves what a next
/// one needs to finish it; a chunk whose partial lines are too long to record is taken
/// before the write instead, as a destructive read would have. Either way it is taken
/// even when the write fails: the owed bytes are kept instead.
fn write_peeked(
    tools: &mut Tools,
    pipe: &mut Pipe,
    id: u32,
    target: &mut Target,
    stream: Stream,
    peeked: Peeked<'_>,
) -> Result<(), Owed> {
    let n = peeked.chunk.len();
    let recorded = InFlight::fits(&peeked.before, peeked.after);
    if recorded {
        let len = (peeked.head.len() + peeked.body.len()) as u64;
        let files = spans(&mut tools.files, target, stream, len);
        pipe.partial.record_in_flight(&InFlight {
            len: n as u64,
            fingerprint: fingerprint(peeked.chunk, Hash::Words),
            hash: Hash::Words,
            files,
            before: peeked.before,
            after: peeked.after.to_vec(),
        });
    } else {
        take(&mut tools.scratch, pipe, n, peeked.after);
    }
    let written = write_chunk(tools, id, target, stream, peeked.head, peeked.body);
    if recorded {
        take(&mut tools.scratch, pipe, n, peeked.after);
    }
    written
}

/// Appends a chunk's lines (`head`, then `body`) to the stream's files, and tells the
/// owner if that clears a log error; nothing to write is no write at all.
fn write_chunk(
    tools: &mut Tools,
    id: u32,
    target: &mut Target,
    stream: Stream,
    head: &[u8],
    body: &[u8],
) -> Result<(), Owed> {
    if head.is_empty() && body.is_empty() {
        return Ok(());
    }
    if let Err(message) = write_targets(&mut tools.files, target, stream, head, body) {
        let mut bytes = head.to_vec();
        bytes.extend_from_slice(body);
        return Err(Owed { bytes, message });
    }
    target.report(&tools.report, id, None);
    Ok(())
}

/// What one read (or peek) of a stream's pipe brought.
enum Got {
    /// This many bytes, at the start of the read buffer.
    Chunk(usize),
    /// Interrupted: try again.
    Again,
    /// End of file, WouldBlock (drained) or an error: nothing taken.
    Drained,
    /// `tee(2)` refused: the stream is read from now on (see `refuse_peeking`).
    Refused,
}

/// Reads the next chunk of `reader` into the read buffer or, when `peeked`, copies it
/// there and leaves it in the pipe.
fn next_chunk(tools: &mut Tools, bufs: &mut Buffers, reader: &File, peeked: bool) -> Got {
    let got = if peeked {
        peek(&mut tools.scratch, reader, &mut bufs.read)
    } else {
        let mut reader = reader;
        reader.read(&mut bufs.read)
    };
    match got {
        Ok(n) if n > 0 => {
            tools.burst |= n >= SMALL;
            Got::Chunk(n)
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Got::Again,
        Err(e) if peeked => {
            refuse_peeking(tools, e);
            Got::Refused
        }
        _ => Got::Drained,
    }
}

/// `tee(2)` refused: read as before rather than wake up again forever.
fn refuse_peeking(tools: &mut Tools, e: io::Error) {
    log::error!("log pump: cannot peek at output ({e}); reading it instead");
    tools.scratch = None;
}

/// The pipe had nothing more (or failed): end a line a killed daemon cut, now that no
/// bytes come to end it (see `StreamState::cut_line`).
fn drained(tools: &mut Tools, state: &mut StreamState, target: &mut Target, read: usize) -> Turn {
    if std::mem::take(&mut state.cut_line) {
        if let Err(message) = write_targets(&mut tools.files, target, state.stream, &[], b"\n") {
            let owed = Owed {
                bytes: b"\n".to_vec(),
                message,
            };
            stall(tools, state, target, owed);
            return Turn::Stalled { read };
        }
    }
    Turn::Done {
        read,
        drained: true,
    }
}

/// Pays what a failed write still owes before anything newer is written; `false` while
/// it still fails. Once paid, the pipe is read again.
fn pay_pending(tools: &mut Tools, state: &mut StreamState, target: &mut Target) -> bool {
    if state.pending.is_empty() {
        return true;
    }
    let pending = std::mem::take(&mut state.pending);
    if let Err(message) = write_targets(&mut tools.files, target, state.stream, &[], &pending) {
        let owed = Owed {
            bytes: pending,
            message,
        };
        stall(tools, state, target, owed);
        return false;
    }
    target.report(&tools.report, state.id, None);
    if !state.in_epoll {
        let fd = state.pipe.reader.as_raw_fd();
        let added = tools.epoll.add(
            state.pipe.reader.as_fd(),
            EpollEvent::new(EpollFlags::EPOLLIN, fd as u64),
        );
        state.in_epoll = added.is_ok();
    }
    true
}

/// The writer exited: end its last line. A direct stream's line may have been left
/// open by this daemon or one before it, in the file; a framed stream's is in its
/// framer, and is written as a line.
fn finish_stream(
    tools: &mut Tools,
    bufs: &mut Buffers,
    state: &mut StreamState,
    target: &mut Target,
) {
    let stream = state.stream;
    let open_line = target.mode(stream).is_direct()
        && open_file(
            &mut tools.files,
            primary_path(&target.outputs, stream),
            target.outputs.rotation,
        )
        .is_ok_and(|file| file.mid_line());
    if open_line {
        // The writer is gone mid-line: end the line, as framed streams do.
        if let Err(message) = write_targets(&mut tools.files, target, stream, &[], b"\n") {
            let owed = Owed {
                bytes: b"\n".to_vec(),
                message,
            };
            stall(tools, state, target, owed);
        }
        return;
    }
    state.pipe.partial.forget();
    if let Some(last) = state.framer.finish() {
        bufs.formatted.clear();
        format_lines(
            &mut bufs.formatted,
            [last],
            &target.outputs.format,
            stream,
            SystemTime::now(),
        );
        if let Err(message) = write_targets(&mut tools.files, target, stream, &[], &bufs.formatted)
        {
            let owed = Owed {
                bytes: std::mem::take(&mut bufs.formatted),
                message,
            };
            stall(tools, state, target, owed);
        }
    }
}

/// A write failed: keep the bytes owed, stop reading the FIFO (the app waits) and tell
/// the owner; the retry timer takes it from there.
fn stall(tools: &Tools, state: &mut StreamState, target: &mut Target, owed: Owed) {
    state.pending = owed.bytes;
    target.report(&tools.report, state.id, Some(owed.message));
    if state.in_epoll {
        let _ = tools.epoll.delete(state.pipe.reader.as_fd());
        state.in_epoll = false;
    }
}

/// Takes a written chunk of `n` bytes out of a stream's pipe, and records the partial
/// line it leaves (`rest`) alone again.
fn take(scratch: &mut Option<Scratch>, pipe: &mut Pipe, n: usize, rest: &[u8]) {
    if let Some(scratch) = scratch {
        if let Err(e) = scratch.consume(&pipe.reader, n) {
            log::error!("log pump: cannot take written output from its pipe: {e}");
        }
    }
    pipe.partial.settle(rest);
}

#[cfg(test)]
mod tests {
    use super::super::partial::Resumed;
    use super::super::test_support::{text, Instance};
    use super::super::PumpCommand;
    use crate::logs::timestamp::{TimestampFormat, DEFAULT_TIME_FORMAT};

    #[test]
    fn a_framed_half_line_is_kept_in_its_record_once_taken_and_ended_by_the_next_daemon() {
        // Framed streams (timestamps, a combined file, size rotation) write whole lines
        // only: the half line waits in the stream's record, which is what lets it
        // survive a SIGKILLed daemon or `rpm update`.
        type Change = fn(&std::path::Path, &mut super::super::Outputs);
        let rows: [(&str, Change); 3] = [
            ("timestamps (FramedPeeked)", |_, o| {
                o.format.timestamp = TimestampFormat::parse(DEFAULT_TIME_FORMAT).ok();
            }),
            ("a combined log (FramedPeeked)", |dir, o| {
                o.log_file = Some(dir.join("logs/all.log"));
            }),
            ("rotated by size (Framed)", |_, o| {
                o.rotation.max_size = Some(1 << 20);
            }),
        ];
        for (what, change) in rows {
            let mut app = Instance::new(change);
            app.app_writes(b"half ");
            assert_eq!(app.pump_once(), [], "{what}");
            assert_eq!(app.unread(), 0, "{what}: taken out of the pipe");
            assert_eq!(app.record(), Resumed::Line(b"half ".to_vec()), "{what}");
            assert_eq!(text(&app.outputs.out_file), "", "{what}: no line yet");

            app.app_writes(b"line\n");
            assert_eq!(app.pump_once(), [], "{what}");
            let files = std::iter::once(&app.outputs.out_file).chain(&app.outputs.log_file);
            for file in files {
                let got = text(file);
                let line = got.strip_suffix('\n').unwrap_or_default();
                let line = match &app.outputs.format.timestamp {
                    Some(_) => line.split_once(": ").map_or("", |(_, rest)| rest),
                    None => line,
                };
                assert_eq!(
                    line,
                    "half line",
                    "{what}: {} holds {got:?}",
                    file.display()
                );
            }
            assert_eq!(app.record(), Resumed::Line(Vec::new()), "{what}");
        }
    }

    #[test]
    fn an_exited_writers_last_line_is_ended_only_once_its_pipe_is_empty() {
        // A scratch pipe of one page (the kernel refused to grow it) peeks 4 KiB at a
        // time out of a 64 KiB FIFO: the exit's drain takes many peeks, and the last
        // line is ended after the last one, not in the middle of the output.
        let mut app = Instance::new(|_, _| {});
        let mut wrote = Vec::new();
        for k in 0..300 {
            wrote.extend_from_slice(format!("line {k:04} of the app's last burst\n").as_bytes());
        }
        wrote.extend_from_slice(b"no newline at the end");
        app.app_writes(&wrote);
        let exited: fn() -> PumpCommand = || PumpCommand::Exited { id: 0 };
        assert_eq!(app.pump_with(4096, &[exited]), []);
        wrote.push(b'\n');
        let got = text(&app.outputs.out_file).into_bytes();
        let at = got.iter().zip(&wrote).take_while(|(a, b)| a == b).count();
        assert!(
            got == wrote,
            "differs at byte {at} of {}: {:?}",
            wrote.len(),
            String::from_utf8_lossy(&got[at.saturating_sub(20)..(at + 20).min(got.len())])
        );
        assert_eq!(app.unread(), 0);
    }
}
