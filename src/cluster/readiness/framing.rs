//! Splitting a Node IPC channel's byte stream into lines: Node's `json` serialization
//! writes each message as `JSON.stringify(msg) + "\n"`. A partial line waits for the
//! rest; a line over [`MAX_LINE`] is dropped whole (the bytes up to its newline are
//! skipped), so a runaway sender cannot grow the daemon's memory.
//!
//! Pure: the reader thread owns one `LineBuffer` per channel and decodes the lines.

/// The longest line kept, without its newline.
pub(super) const MAX_LINE: usize = 64 * 1024;

/// The bytes of a channel's unfinished line.
#[derive(Debug, Default)]
pub(super) struct LineBuffer {
    partial: Vec<u8>,
    /// Inside a line already found too long: drop bytes until its newline.
    skipping: bool,
}

impl LineBuffer {
    /// Feeds the bytes just read; calls `line` with each complete line (without its
    /// `\n`) and returns how many over-long lines were dropped.
    pub(super) fn push(&mut self, mut bytes: &[u8], mut line: impl FnMut(&[u8])) -> usize {
        let mut dropped = 0;
        while let Some(end) = memchr::memchr(b'\n', bytes) {
            let (head, rest) = (&bytes[..end], &bytes[end + 1..]);
            bytes = rest;
            if self.skipping {
                self.skipping = false;
                continue;
            }
            if self.partial.len() + head.len() > MAX_LINE {
                self.partial.clear();
                dropped += 1;
            } else if self.partial.is_empty() {
                line(head);
            } else {
                self.partial.extend_from_slice(head);
                line(&self.partial);
                self.partial.clear();
            }
        }
        if !self.skipping {
            if self.partial.len() + bytes.len() > MAX_LINE {
                self.partial = Vec::new();
                self.skipping = true;
                dropped += 1;
            } else {
                self.partial.extend_from_slice(bytes);
            }
        }
        dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(buffer: &mut LineBuffer, bytes: &[u8]) -> (Vec<String>, usize) {
        let mut lines = Vec::new();
        let dropped = buffer.push(bytes, |l| {
            lines.push(String::from_utf8_lossy(l).into_owned())
        });
        (lines, dropped)
    }

    #[test]
    fn lines_are_split_and_partial_lines_wait() {
        let mut b = LineBuffer::default();
        assert_eq!(feed(&mut b, b"\"a\"\n{\"b\""), (vec!["\"a\"".into()], 0));
        assert_eq!(feed(&mut b, b":1}"), (vec![], 0));
        assert_eq!(
            feed(&mut b, b"\n1\n\n2"),
            (vec!["{\"b\":1}".into(), "1".into(), "".into()], 0)
        );
        assert_eq!(feed(&mut b, b"\n"), (vec!["2".into()], 0));
    }

    #[test]
    fn a_line_over_the_cap_is_dropped_to_its_newline() {
        let mut b = LineBuffer::default();
        let long = vec![b'x'; MAX_LINE];
        assert_eq!(feed(&mut b, &long), (vec![], 0)); // exactly the cap: still kept
        assert_eq!(feed(&mut b, b"y"), (vec![], 1));
        assert_eq!(feed(&mut b, b"zzz"), (vec![], 0)); // still the same line: skipped
        assert_eq!(
            feed(&mut b, b"zz\n\"next\"\n"),
            (vec!["\"next\"".into()], 0)
        );

        let mut whole = vec![b'x'; MAX_LINE + 1];
        whole.extend_from_slice(b"\n1\n");
        assert_eq!(
            feed(&mut LineBuffer::default(), &whole),
            (vec!["1".into()], 1)
        );

        let mut b = LineBuffer::default();
        let mut at_cap = vec![b'x'; MAX_LINE];
        at_cap.push(b'\n');
        assert_eq!(feed(&mut b, &at_cap).0.len(), 1);
    }
}
