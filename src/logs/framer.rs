//! `LineFramer`: splits an app's output byte stream into whole lines.
//!
//! Runs on the daemon's log pump thread, once per chunk read from an app's pipe. A chunk
//! usually ends inside a line; the framer keeps that partial line until the rest arrives,
//! so files, rotation and merged writers only ever see whole lines. Lines are bytes, not
//! text: any binary content and any length (many MB) is kept whole, never dropped or
//! altered, and `\r\n` stays as it is. Complete lines inside a chunk are borrowed from
//! the chunk, not copied; only a line that straddles chunks is assembled in a buffer.

use memchr::{memchr, memrchr};

/// Splits a byte stream into lines, keeping a partial last line until more arrives.
#[derive(Debug, Default)]
pub struct LineFramer {
    /// Bytes after the last `\n` seen so far: the start of a line not yet complete.
    pending: Vec<u8>,
    /// The line that straddled the previous chunk and this one, `\n` included.
    joined: Vec<u8>,
}

/// The complete lines one chunk produced, each still ending with its `\n`.
///
/// `head` is the line completed by this chunk that started in an earlier one (empty if
/// none); `body` is a run of whole lines borrowed from the chunk itself; `rest` is the
/// partial line the framer now holds (what [`LineFramer::partial`] returns).
#[derive(Debug, Clone, Copy)]
pub struct Framed<'a> {
    pub head: &'a [u8],
    pub body: &'a [u8],
    pub rest: &'a [u8],
}

impl<'a> Framed<'a> {
    /// True when the chunk completed no line.
    pub fn is_empty(&self) -> bool {
        self.head.is_empty() && self.body.is_empty()
    }

    /// The lines, without their `\n`.
    pub fn lines(&self) -> Lines<'a> {
        Lines {
            head: (!self.head.is_empty()).then_some(self.head),
            rest: self.body,
        }
    }
}

/// Iterator over the lines of a [`Framed`], without their `\n`.
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    head: Option<&'a [u8]>,
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if let Some(head) = self.head.take() {
            return Some(strip_newline(head));
        }
        if self.rest.is_empty() {
            return None;
        }
        let end = memchr(b'\n', self.rest).map_or(self.rest.len(), |i| i + 1);
        let (line, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(strip_newline(line))
    }
}

fn strip_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

impl LineFramer {
    /// A framer with nothing pending.
    pub fn new() -> LineFramer {
        LineFramer::default()
    }

    /// Adds `chunk` and returns the lines it completed. Bytes after the chunk's last `\n`
    /// are kept for the next call.
    pub fn push<'a>(&'a mut self, chunk: &'a [u8]) -> Framed<'a> {
        let Some(last_nl) = memrchr(b'\n', chunk) else {
            self.pending.extend_from_slice(chunk);
            return Framed {
                head: &[],
                body: &[],
                rest: &self.pending,
            };
        };
        let (complete, tail) = chunk.split_at(last_nl + 1);
        let (head, body) = if self.pending.is_empty() {
            self.joined.clear();
            (&[][..], complete)
        } else {
            // Only the first line of the chunk completes the pending one.
            let first_nl = memchr(b'\n', complete).unwrap_or(last_nl);
            let (first, body) = complete.split_at(first_nl + 1);
            self.joined.clear();
            self.joined.extend_from_slice(&self.pending);
            self.joined.extend_from_slice(first);
            self.pending.clear();
            (&self.joined[..], body)
        };
        self.pending.extend_from_slice(tail);
        Framed {
            head,
            body,
            rest: &self.pending,
        }
    }

    /// A framer that continues a line whose start is `partial` (read by an earlier
    /// daemon; it holds no `\n`).
    pub fn resume(partial: Vec<u8>) -> LineFramer {
        LineFramer {
            pending: partial,
            joined: Vec::new(),
        }
    }

    /// The partial line waiting for its end (empty when the last byte was a `\n`).
    pub fn partial(&self) -> &[u8] {
        &self.pending
    }

    /// Ends the stream (the pipe closed): returns the partial last line, without a `\n`,
    /// if there is one. The framer is empty afterwards.
    pub fn finish(&mut self) -> Option<&[u8]> {
        if self.pending.is_empty() {
            return None;
        }
        self.joined.clear();
        std::mem::swap(&mut self.joined, &mut self.pending);
        Some(&self.joined)
    }

    /// Releases buffers grown by a huge line, so one 50 MB line does not pin 50 MB for
    /// the life of the app. Call when idle; keeps anything pending.
    pub fn shrink(&mut self) {
        self.joined = Vec::new();
        self.pending.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `chunks` and collects every line, the finished partial one last.
    fn frame(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut framer = LineFramer::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            lines.extend(framer.push(chunk).lines().map(<[u8]>::to_vec));
        }
        if let Some(last) = framer.finish() {
            lines.push(last.to_vec());
        }
        lines
    }

    /// Chunks fed in, lines expected out.
    type Row<'a> = (&'a [&'a [u8]], &'a [&'a [u8]]);

    #[test]
    fn framing_table() {
        let rows: &[Row] = &[
            (&[b"a\nb\n"], &[b"a", b"b"]),
            (&[b"a\nb"], &[b"a", b"b"]),
            (&[b"hel", b"lo\nwor", b"ld\n"], &[b"hello", b"world"]),
            (&[b"x", b"y", b"z", b"\n"], &[b"xyz"]),
            (&[b"crlf\r\n", b"kept\r\n"], &[b"crlf\r", b"kept\r"]),
            (&[b"\n\n"], &[b"", b""]),
            (&[b"", b"a", b"", b"\n"], &[b"a"]),
            (&[b"bin\x00\xff\xfe\n\x01"], &[b"bin\x00\xff\xfe", b"\x01"]),
            (&[b"p", b"\nq\nr", b"\n"], &[b"p", b"q", b"r"]),
            (&[], &[]),
        ];
        for (chunks, want) in rows {
            let want: Vec<Vec<u8>> = want.iter().map(|l| l.to_vec()).collect();
            assert_eq!(frame(chunks), want, "chunks {chunks:?}");
        }
    }

    #[test]
    fn complete_lines_are_borrowed_from_the_chunk() {
        let mut framer = LineFramer::new();
        let chunk = b"one\ntwo\nthr".to_vec();
        let framed = framer.push(&chunk);
        assert!(framed.head.is_empty());
        assert_eq!(framed.body.as_ptr(), chunk.as_ptr());
        assert_eq!(framed.body, b"one\ntwo\n");
        assert_eq!(framer.partial(), b"thr");
    }

    #[test]
    fn a_resumed_framer_completes_the_line_it_was_given() {
        let mut framer = LineFramer::resume(b"half ".to_vec());
        assert_eq!(framer.partial(), b"half ");
        let framed = framer.push(b"line\nnext");
        assert_eq!(framed.head, b"half line\n");
        assert!(framed.body.is_empty());
        assert_eq!(framer.partial(), b"next");
    }

    #[test]
    fn five_megabyte_line_across_chunks_stays_whole() {
        let line: Vec<u8> = (0..5 * 1024 * 1024)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        let mut stream = line.clone();
        stream.extend_from_slice(b"\nafter\n");
        let chunks: Vec<&[u8]> = stream.chunks(65536).collect();
        let lines = frame(&chunks);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], line);
        assert_eq!(lines[1], b"after");
    }

    #[test]
    fn finish_twice_yields_nothing_the_second_time() {
        let mut framer = LineFramer::new();
        assert!(framer.push(b"tail").is_empty());
        assert_eq!(framer.finish(), Some(&b"tail"[..]));
        assert_eq!(framer.finish(), None);
        let framed = framer.push(b"next\n");
        assert_eq!(framed.lines().collect::<Vec<_>>(), vec![&b"next"[..]]);
    }
}
