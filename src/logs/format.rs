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
use memchr::memchr_iter;

use super::error::LogError;
use super::framer::Framed;
use super::timestamp::{push_num, push_u64, TimestampFormat, DEFAULT_TIME_FORMAT};
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
/// chunk's bytes are copied in one piece (or skip `out` entirely: write `framed.head`
/// and `framed.body` with [`LogFile::write_split`](super::LogFile::write_split)).
pub fn format_framed(
    out: &mut Vec<u8>,
    framed: &Framed<'_>,
    fmt: &LineFormat,
    stream: Stream,
    now: SystemTime,
) {
    match (&fmt.timestamp, fmt.json) {
        (_, true) => format_lines(out, framed.lines(), fmt, stream, now),
        (Some(ts), false) => prefix_framed(out, framed, ts, now),
        (None, false) => {
            out.extend_from_slice(framed.head);
            out.extend_from_slice(framed.body);
        }
    }
}

/// `<ts>: <line>` for every line of `framed`, copying each line with its `\n` in one go.
fn prefix_framed(out: &mut Vec<u8>, framed: &Framed<'_>, ts: &TimestampFormat, now: SystemTime) {
    if framed.is_empty() {
        return;
    }
    let start = out.len();
    ts.render(now, out);
    out.extend_from_slice(b": ");
    let end = out.len();
    // `head` and every line of `body` end with `\n` (the framer's guarantee).
    let mut first = true;
    for part in [framed.head, framed.body] {
        let mut line_start = 0;
        for nl in memchr_iter(b'\n', part) {
            if !first {
                out.extend_from_within(start..end);
            }
            first = false;
            out.extend_from_slice(&part[line_start..=nl]);
            line_start = nl + 1;
        }
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

/// JavaScript's `Date.toISOString()`: `2026-11-25T13:25:12.123Z`.
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
    // Most log lines are printable ASCII: one branch-free (vectorised) check, one copy.
    let special = bytes.iter().fold(false, |any, &b| {
        any | !(0x20..0x80).contains(&b) | (b == b'"') | (b == b'\\')
    });
    if !special {
        out.extend_from_slice(bytes);
        return;
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::LineFramer;
    use std::time::{Duration, UNIX_EPOCH};

    /// 2026-11-25T13:25:12.123Z
    fn at() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_795_613_112_123)
    }

    fn line_format(timestamp: Option<&str>, json: bool) -> LineFormat {
        LineFormat {
            app: "api".into(),
            id: 7,
            instance: 2,
            timestamp: timestamp.map(|f| TimestampFormat::parse(f).expect("valid format")),
            json,
        }
    }

    fn formatted(lines: &[&[u8]], fmt: &LineFormat, stream: Stream) -> Vec<u8> {
        let mut out = b"previous|".to_vec();
        format_lines(&mut out, lines, fmt, stream, at());
        out.split_off(b"previous|".len())
    }

    /// Timestamp format, lines in, bytes out.
    type Row<'a> = (Option<&'a str>, &'a [&'a [u8]], &'a [u8]);

    #[test]
    fn text_shapes_table() {
        let rows: &[Row] = &[
            (None, &[b"a", b"b"], b"a\nb\n"),
            (None, &[b""], b"\n"),
            (None, &[b"crlf\r"], b"crlf\r\n"),
            (Some("X"), &[b"a", b"b"], b"1795613112: a\n1795613112: b\n"),
            (Some("x"), &[b"one"], b"1795613112123: one\n"),
            (Some("[ts]"), &[b"\xff"], b"ts: \xff\n"),
        ];
        for (ts, lines, want) in rows {
            let got = formatted(lines, &line_format(*ts, false), Stream::Out);
            assert_eq!(got, *want, "timestamp {ts:?} lines {lines:?}");
        }
    }

    #[test]
    fn json_lines_carry_every_field() {
        let out = formatted(&[b"hello", b"world"], &line_format(None, true), Stream::Err);
        let text = String::from_utf8(out).expect("utf8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            vec![
                r#"{"message":"hello","stream":"err","app":"api","id":7,"instance":2,"timestamp":"2026-11-25T13:25:12.123Z"}"#,
                r#"{"message":"world","stream":"err","app":"api","id":7,"instance":2,"timestamp":"2026-11-25T13:25:12.123Z"}"#,
            ]
        );
        let with_format = formatted(&[b"m"], &line_format(Some("X"), true), Stream::Out);
        let value: serde_json::Value = serde_json::from_slice(&with_format).expect("valid JSON");
        assert_eq!(value["timestamp"], "1795613112");
        assert_eq!(value["stream"], "out");
    }

    #[test]
    fn json_escapes_and_stays_valid_for_any_bytes() {
        let rows: &[(&[u8], &str)] = &[
            (b"say \"hi\"", "say \"hi\""),
            (b"back\\slash", "back\\slash"),
            (b"tab\there\r", "tab\there\r"),
            (b"\x00\x01\x1f\x7f", "\u{0}\u{1}\u{1f}\u{7f}"),
            (b"caf\xc3\xa9 \xe2\x9c\x93", "café ✓"),
            (b"bad \xff\xfe end", "bad \u{fffd}\u{fffd} end"),
            (b"cut \xe2\x9c", "cut \u{fffd}"),
            (b"\x08\x0c", "\u{8}\u{c}"),
        ];
        for (input, want) in rows {
            let out = formatted(&[input], &line_format(Some("[\"q\\]"), true), Stream::Out);
            assert_eq!(out.last(), Some(&b'\n'));
            let value: serde_json::Value = serde_json::from_slice(&out)
                .unwrap_or_else(|e| panic!("input {input:?}: invalid JSON {e}: {out:?}"));
            assert_eq!(value["message"], *want, "input {input:?}");
            assert_eq!(value["timestamp"], "\"q\\", "input {input:?}");
        }
    }

    #[test]
    fn json_app_name_is_escaped() {
        let mut fmt = line_format(None, true);
        fmt.app = "we\"ird\\".into();
        let out = formatted(&[b"x"], &fmt, Stream::Out);
        let value: serde_json::Value = serde_json::from_slice(&out).expect("valid JSON");
        assert_eq!(value["app"], "we\"ird\\");
    }

    #[test]
    fn framed_raw_chunk_is_copied_whole() {
        let fmt = line_format(None, false);
        let mut framer = LineFramer::new();
        let mut out = Vec::new();
        for chunk in [&b"par"[..], b"tial\nwhole\nnext", b"\n"] {
            let framed = framer.push(chunk);
            format_framed(&mut out, &framed, &fmt, Stream::Out, at());
        }
        assert_eq!(out, b"partial\nwhole\nnext\n");
        let stamped = line_format(Some("X"), false);
        let mut out = Vec::new();
        let framed = framer.push(b"a\nb\n");
        format_framed(&mut out, &framed, &stamped, Stream::Out, at());
        assert_eq!(out, b"1795613112: a\n1795613112: b\n");
    }

    #[test]
    fn from_spec_follows_pm2() {
        let base = AppSpec::new("web", "/bin/true".into(), "/".into());
        let mut timed = base.clone();
        timed.time = true;
        let mut dated = timed.clone();
        dated.log_date_format = Some("HH:mm".into());
        let mut json = base.clone();
        json.log_type = LogType::Json;
        let rows: &[(&AppSpec, Option<&str>, bool)] = &[
            (&base, None, false),
            (&timed, Some(DEFAULT_TIME_FORMAT), false),
            (&dated, Some("HH:mm"), false),
            (&json, None, true),
        ];
        for (spec, ts, is_json) in rows {
            let fmt = LineFormat::from_spec(spec, 4, 1).expect("valid spec");
            assert_eq!(fmt.timestamp.as_ref().map(|t| t.as_str()), *ts);
            assert_eq!(fmt.json, *is_json);
            assert_eq!((fmt.app.as_str(), fmt.id, fmt.instance), ("web", 4, 1));
        }
        let mut bad = base;
        bad.log_date_format = Some("YYYY [".into());
        assert!(matches!(
            LineFormat::from_spec(&bad, 0, 0),
            Err(LogError::InvalidTimestampFormat { .. })
        ));
    }
}
