//! Line formatting: what each line of an app looks like in its log file.
//!
//! Runs on the daemon's log pump thread for every chunk an app prints. A whole chunk is
//! formatted into one caller-owned buffer, then written with one `write` — no allocation
//! and no syscall per line. The timestamp is rendered once per chunk (every line of a
//! chunk arrived at the same instant) and copied for each line.
//!
//! Shapes, as PM2 writes them: the raw line; `<timestamp>: <line>` with `time` or
//! `log_date_format`; or, with `log_type: json`, one JSON object per line:
//! `{"message","stream","app","id","instance","timestamp"}`. Every output line ends with
//! `\n`. Does not frame lines (see `framer`) nor write files (see `file`).

use std::time::SystemTime;

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::framer::Framed;
use super::timestamp::{push_num, push_u64, TimestampFormat, DEFAULT_TIME_FORMAT};
use super::LogError;
use crate::config::{AppSpec, LogType};

/// Which of an app's output streams a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    Out,
    Err,
}

impl Stream {
    /// The name used in JSON lines: `out` or `err`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Out => "out",
            Stream::Err => "err",
        }
    }
}

/// How each line of one instance is written.
#[derive(Debug, Clone, PartialEq)]
pub struct LineFormat {
    pub app: String,
    pub id: u32,
    pub instance: u32,
    /// Prefix (or, in JSON, `timestamp` field) format; `None` for none (JSON lines then
    /// carry an ISO 8601 UTC time, as PM2 does).
    pub timestamp: Option<TimestampFormat>,
    pub json: bool,
}

impl LineFormat {
    /// The format an app's spec asks for: `log_date_format` if set, else PM2's
    /// `YYYY-MM-DDTHH:mm:ss` when `time` is on; JSON lines when `log_type` is `json`.
    /// Fails only if `log_date_format` is not a valid format (the CLI validates it
    /// first with [`TimestampFormat::parse`]).
    pub fn from_spec(spec: &AppSpec, id: u32, instance: u32) -> Result<LineFormat, LogError> {
        let timestamp = match (&spec.log_date_format, spec.time) {
            (Some(fmt), _) => Some(TimestampFormat::parse(fmt)?),
            (None, true) => Some(TimestampFormat::parse(DEFAULT_TIME_FORMAT)?),
            (None, false) => None,
        };
        Ok(LineFormat {
            app: spec.name.clone(),
            id,
            instance,
            timestamp,
            json: spec.log_type == LogType::Json,
        })
    }

    /// True when lines are written exactly as the app printed them.
    pub fn is_raw(&self) -> bool {
        !self.json && self.timestamp.is_none()
    }
}

/// Appends the lines a chunk completed to `out`, formatted. When lines are raw, the
/// chunk's bytes are copied in one piece.
pub fn format_framed(
    out: &mut Vec<u8>,
    framed: &Framed<'_>,
    fmt: &LineFormat,
    stream: Stream,
    now: SystemTime,
) {
    if fmt.is_raw() {
        out.extend_from_slice(framed.head);
        out.extend_from_slice(framed.body);
    } else {
        format_lines(out, framed.lines(), fmt, stream, now);
    }
}

/// Appends `lines` (without their `\n`) to `out`, formatted; each gets a `\n`.
pub fn format_lines<I>(
    out: &mut Vec<u8>,
    lines: I,
    fmt: &LineFormat,
    stream: Stream,
    now: SystemTime,
) where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    if fmt.json {
        format_json(out, lines, fmt, stream, now);
        return;
    }
    let Some(ts) = &fmt.timestamp else {
        for line in lines {
            out.extend_from_slice(line.as_ref());
            out.push(b'\n');
        }
        return;
    };
    // The prefix is rendered for the first line and copied from there for the others.
    let mut prefix: Option<(usize, usize)> = None;
    for line in lines {
        match prefix {
            Some((start, end)) => out.extend_from_within(start..end),
            None => {
                let start = out.len();
                ts.render(now, out);
                out.extend_from_slice(b": ");
                prefix = Some((start, out.len()));
            }
        }
        out.extend_from_slice(line.as_ref());
        out.push(b'\n');
    }
}

fn format_json<I>(out: &mut Vec<u8>, lines: I, fmt: &LineFormat, stream: Stream, now: SystemTime)
where
    I: IntoIterator,
    I::Item: AsRef<[u8]>,
{
    // Everything after the message is the same for every line of the chunk.
    let mut suffix: Option<(usize, usize)> = None;
    for line in lines {
        out.extend_from_slice(b"{\"message\":\"");
        push_json_escaped(out, line.as_ref());
        match suffix {
            Some((start, end)) => out.extend_from_within(start..end),
            None => {
                let start = out.len();
                out.extend_from_slice(b"\",\"stream\":\"");
                out.extend_from_slice(stream.as_str().as_bytes());
                out.extend_from_slice(b"\",\"app\":\"");
                push_json_escaped(out, fmt.app.as_bytes());
                out.extend_from_slice(b"\",\"id\":");
                push_decimal(out, u64::from(fmt.id));
                out.extend_from_slice(b",\"instance\":");
                push_decimal(out, u64::from(fmt.instance));
                out.extend_from_slice(b",\"timestamp\":\"");
                let ts_start = out.len();
                match &fmt.timestamp {
                    Some(ts) => ts.render(now, out),
                    None => push_iso8601_utc(out, now),
                }
                // A user format may contain quotes or backslashes: escape what it produced.
                if out[ts_start..].iter().any(|&b| needs_escape(b)) {
                    let raw = out.split_off(ts_start);
                    push_json_escaped(out, &raw);
                }
                out.extend_from_slice(b"\"}\n");
                suffix = Some((start, out.len()));
            }
        }
    }
}

/// JavaScript's `Date.toISOString()`: `2026-11-25T13:45:12.123Z`.
fn push_iso8601_utc(out: &mut Vec<u8>, now: SystemTime) {
    let t: DateTime<Utc> = now.into();
    push_num(out, t.year().unsigned_abs(), 4);
    out.push(b'-');
    push_num(out, t.month(), 2);
    out.push(b'-');
    push_num(out, t.day(), 2);
    out.push(b'T');
    push_num(out, t.hour(), 2);
    out.push(b':');
    push_num(out, t.minute(), 2);
    out.push(b':');
    push_num(out, t.second(), 2);
    out.push(b'.');
    push_num(out, t.timestamp_subsec_millis().min(999), 3);
    out.push(b'Z');
}

fn push_decimal(out: &mut Vec<u8>, v: u64) {
    push_u64(out, v, 1);
}

fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || b >= 0x80
}

/// Appends `bytes` as the inside of a JSON string. Invalid UTF-8 becomes U+FFFD, so the
/// output is always valid JSON whatever the app printed.
pub(crate) fn push_json_escaped(out: &mut Vec<u8>, bytes: &[u8]) {
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        let mut run_start = 0;
        for (i, &b) in valid.iter().enumerate() {
            let escape: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            out.extend_from_slice(&valid[run_start..i]);
            run_start = i + 1;
            if escape.is_empty() {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 0xf)]);
            } else {
                out.extend_from_slice(escape);
            }
        }
        out.extend_from_slice(&valid[run_start..]);
        if !chunk.invalid().is_empty() {
            out.extend_from_slice("\u{fffd}".as_bytes());
        }
    }
}
