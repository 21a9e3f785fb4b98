//! Output of `rpm logs`: PM2's `<id>|<name> | ` prefix (the instance that wrote the
//! line), headers, colours, JSON lines.
//!
//! Runs on the caller's thread inside `tail`. Lines are gathered in one buffer and
//! written to the output in one go per batch; a broken pipe means the reader left.

use std::io::{self, Write};
use std::time::SystemTime;

use super::{LogSource, Sink, Stop, TailOptions, BLOCK};
use crate::logs::error::LogError;
use crate::logs::format::push_json_escaped;
use crate::logs::format::Stream;
use crate::logs::timestamp::push_u64;
use crate::logs::writers::Label;

const PALETTE: [&str; 10] = [
    "\x1b[36m", "\x1b[32m", "\x1b[35m", "\x1b[34m", "\x1b[33m", "\x1b[96m", "\x1b[92m", "\x1b[95m",
    "\x1b[94m", "\x1b[93m",
];
pub(super) const RED: &str = "\x1b[31m";
const GREY: &str = "\x1b[90m";
pub(super) const RESET: &str = "\x1b[0m";

/// Formats lines into one buffer, written to `out` in one go per batch (or whenever
/// it reaches a block, so `--lines 1000000` does not hold everything in memory).
pub(super) struct Printer<'a> {
    out: &'a mut dyn Write,
    sources: Vec<LogSource>,
    opts: &'a TailOptions,
    width: usize,
    buf: Vec<u8>,
    /// A rendered timestamp before JSON escaping.
    scratch: Vec<u8>,
}

impl<'a> Printer<'a> {
    pub(super) fn new(
        sources: &[LogSource],
        opts: &'a TailOptions,
        out: &'a mut dyn Write,
    ) -> Printer<'a> {
        let width = sources
            .iter()
            .map(|s| s.name.chars().count())
            .max()
            .unwrap_or(0);
        Printer {
            out,
            sources: sources.to_vec(),
            opts,
            width,
            buf: Vec::with_capacity(BLOCK),
            scratch: Vec::new(),
        }
    }

    pub(super) fn header(&mut self, index: usize, lines: usize) {
        if self.opts.raw || self.opts.json || lines == 0 {
            return;
        }
        let path = self.sources[index].path.display().to_string();
        let text = format!("{path} last {lines} lines:");
        if self.opts.color {
            self.buf.extend_from_slice(GREY.as_bytes());
            self.buf.extend_from_slice(text.as_bytes());
            self.buf.extend_from_slice(RESET.as_bytes());
        } else {
            self.buf.extend_from_slice(text.as_bytes());
        }
        self.buf.push(b'\n');
    }

    /// A source added while following; its index.
    pub(super) fn add_source(&mut self, source: LogSource) -> usize {
        self.width = self.width.max(source.name.chars().count());
        self.sources.push(source);
        self.sources.len() - 1
    }

    /// Whether `path` is shown already.
    pub(super) fn shows(&self, path: &std::path::Path) -> bool {
        self.sources.iter().any(|s| s.path == path)
    }

    /// Appends one line (without `\n`) of source `index`, labelled with `writer` (the
    /// instance that wrote it, from the daemon's index) or else the source's instance.
    pub(super) fn line(
        &mut self,
        index: usize,
        writer: Option<&Label>,
        line: &[u8],
    ) -> Result<(), Stop> {
        let Some(source) = self.sources.get_mut(index) else {
            return Ok(());
        };
        let stream = source.stream;
        let is_err = stream == Stream::Err;
        if let Some(writer) = writer {
            self.format_line(writer.id, &writer.name, stream.as_str(), is_err, line);
        } else {
            // The name is lent out for the line (no copy per line), then put back.
            let (id, name) = (source.id, std::mem::take(&mut source.name));
            self.format_line(id, &name, stream.as_str(), is_err, line);
            self.sources[index].name = name;
        }
        if self.buf.len() >= BLOCK {
            self.flush()?;
        }
        Ok(())
    }

    /// A line about the instance's life (exited, restarting, errored), from rpm rather
    /// than from the app: `stream` is `rpm` in JSON.
    /// `--raw` shows the app's own lines only.
    pub(super) fn lifecycle(&mut self, id: u32, name: &str, text: &str) -> Result<(), Stop> {
        if self.opts.raw {
            return Ok(());
        }
        let line = if self.opts.json {
            text.to_string()
        } else {
            format!("[rpm] {text}")
        };
        self.format_line(id, name, "rpm", false, line.as_bytes());
        self.flush()
    }

    fn format_line(&mut self, id: u32, name: &str, stream: &str, is_err: bool, line: &[u8]) {
        let opts = self.opts;
        let buf = &mut self.buf;
        if opts.json {
            buf.extend_from_slice(b"{\"message\":\"");
            push_json_escaped(buf, line);
            buf.extend_from_slice(b"\",\"stream\":\"");
            buf.extend_from_slice(stream.as_bytes());
            buf.extend_from_slice(b"\",\"app\":\"");
            push_json_escaped(buf, name.as_bytes());
            buf.extend_from_slice(b"\",\"id\":");
            push_u64(buf, u64::from(id), 1);
            if let Some(ts) = &opts.timestamp {
                buf.extend_from_slice(b",\"timestamp\":\"");
                let stamp = &mut self.scratch;
                stamp.clear();
                ts.render(SystemTime::now(), stamp);
                push_json_escaped(buf, stamp);
                buf.push(b'"');
            }
            buf.extend_from_slice(b"}\n");
            return;
        }
        if let Some(ts) = &opts.timestamp {
            if opts.color {
                buf.extend_from_slice(GREY.as_bytes());
            }
            ts.render(SystemTime::now(), buf);
            if opts.color {
                buf.extend_from_slice(RESET.as_bytes());
            }
            buf.push(b' ');
        }
        if !opts.raw {
            let colour = app_colour(name);
            if opts.color {
                buf.extend_from_slice(colour.as_bytes());
            }
            push_u64(buf, u64::from(id), 1);
            buf.push(b'|');
            buf.extend_from_slice(name.as_bytes());
            for _ in name.chars().count()..self.width {
                buf.push(b' ');
            }
            buf.extend_from_slice(b" |");
            if opts.color {
                buf.extend_from_slice(RESET.as_bytes());
            }
            buf.push(b' ');
        }
        let red = opts.color && is_err;
        if red {
            buf.extend_from_slice(RED.as_bytes());
        }
        buf.extend_from_slice(line);
        if red {
            buf.extend_from_slice(RESET.as_bytes());
        }
        buf.push(b'\n');
    }

    /// Writes what is gathered and flushes the output. The output is flushed even when
    /// nothing was gathered: a `Write` that checks its reader there (`rpm web`'s event
    /// stream) learns on every wake-up that the reader left.
    pub(super) fn flush(&mut self) -> Result<(), Stop> {
        let out = &mut *self.out;
        let result = if self.buf.is_empty() {
            out.flush()
        } else {
            out.write_all(&self.buf).and_then(|()| out.flush())
        };
        self.buf.clear();
        result.map_err(|source| match source.kind() {
            io::ErrorKind::BrokenPipe => Stop::ReaderGone,
            _ => Stop::Failed(LogError::Output { source }),
        })
    }
}

impl Sink for Printer<'_> {
    fn header(&mut self, index: usize, lines: usize) {
        Printer::header(self, index, lines);
    }

    fn line(&mut self, index: usize, writer: Option<&Label>, line: &[u8]) -> Result<(), Stop> {
        Printer::line(self, index, writer, line)
    }
}

/// A stable colour per app name (FNV-1a of the name picks from the palette).
pub(super) fn app_colour(name: &str) -> &'static str {
    let hash = crate::fnv::hash(name.as_bytes());
    PALETTE[(hash % PALETTE.len() as u64) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_colours_are_stable_and_varied() {
        assert_eq!(app_colour("api"), app_colour("api"));
        let names = ["api", "worker", "web", "cron", "mailer", "queue"];
        let distinct: std::collections::HashSet<&str> =
            names.iter().map(|n| app_colour(n)).collect();
        assert!(distinct.len() >= 3, "{distinct:?}");
    }
}
