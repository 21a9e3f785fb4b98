//! `TimestampFormat`: a parsed PM2/moment.js-style date format (`config::DateFormat`,
//! which owns the grammar), rendered on the log pump's hot path. Times are shown in the
//! local time zone.
//!
//! Rendering caches the last result per second (or per millisecond when the format shows
//! milliseconds), so a burst of lines costs one calendar computation, not one per line.
//! The cache lives in a `Cell`: a format is owned by one thread (the pump's per-instance
//! `LineFormat`, or `rpm logs`).

use std::cell::Cell;
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Datelike, FixedOffset, Local, Timelike};

use super::error::LogError;
use crate::config::{DateFormat, DateToken};

/// PM2's format for `time: true` / `--time` (`addLogDateFormat` in PM2's Common.js).
pub const DEFAULT_TIME_FORMAT: &str = "YYYY-MM-DDTHH:mm:ss";
/// PM2's default format for `pm2 logs --timestamp` without a value.
pub const DEFAULT_TAIL_TIMESTAMP_FORMAT: &str = "YYYY-MM-DD-HH:mm:ss";

/// Longest rendering kept in the per-second cache; longer ones are rendered every time.
const CACHE_CAPACITY: usize = 96;

#[derive(Clone, Copy)]
struct Cached {
    key: i64,
    len: u8,
    bytes: [u8; CACHE_CAPACITY],
}

const EMPTY_CACHE: Cached = Cached {
    key: i64::MIN,
    len: 0,
    bytes: [0; CACHE_CAPACITY],
};

/// How cached renderings are keyed: what the format can show changes at this rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CacheKey {
    Seconds,
    Millis,
    /// Sub-millisecond digits: never cached.
    None,
}

/// A PM2/moment.js-style date format, ready to render.
#[derive(Clone)]
pub struct TimestampFormat {
    format: DateFormat,
    cache_key: CacheKey,
    cache: Cell<Cached>,
}

impl fmt::Debug for TimestampFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("TimestampFormat")
            .field(&self.format.as_str())
            .finish()
    }
}

impl PartialEq for TimestampFormat {
    fn eq(&self, other: &Self) -> bool {
        self.format == other.format
    }
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl TimestampFormat {
    /// Parses `fmt` (see `config::DateFormat` for the grammar).
    pub fn parse(fmt: &str) -> Result<TimestampFormat, LogError> {
        let format = DateFormat::parse(fmt).map_err(|e| LogError::InvalidTimestampFormat {
            format: fmt.to_string(),
            position: e.position,
            reason: e.reason,
        })?;
        Ok(TimestampFormat::new(format))
    }

    /// Makes `format` ready to render.
    pub fn new(format: DateFormat) -> TimestampFormat {
        let cache_key = format
            .tokens()
            .iter()
            .fold(CacheKey::Seconds, |key, token| match token {
                DateToken::Fraction(n) if *n > 3 => CacheKey::None,
                DateToken::Fraction(_) | DateToken::UnixMillis if key == CacheKey::Seconds => {
                    CacheKey::Millis
                }
                _ => key,
            });
        TimestampFormat {
            format,
            cache_key,
            cache: Cell::new(EMPTY_CACHE),
        }
    }

    /// The format as the user wrote it.
    pub fn as_str(&self) -> &str {
        self.format.as_str()
    }

    /// Appends `t`, in the local time zone, to `out`.
    pub fn render(&self, t: SystemTime, out: &mut Vec<u8>) {
        let key = match (self.cache_key, t.duration_since(UNIX_EPOCH)) {
            (CacheKey::Seconds, Ok(d)) => i64::try_from(d.as_secs()).ok(),
            (CacheKey::Millis, Ok(d)) => i64::try_from(d.as_millis()).ok(),
            _ => None,
        };
        let Some(key) = key else {
            self.render_at(&DateTime::<Local>::from(t).fixed_offset(), out);
            return;
        };
        let cached = self.cache.get();
        if cached.key == key {
            out.extend_from_slice(&cached.bytes[..usize::from(cached.len)]);
            return;
        }
        let start = out.len();
        self.render_at(&DateTime::<Local>::from(t).fixed_offset(), out);
        let rendered = &out[start..];
        if let Ok(len) = u8::try_from(rendered.len()) {
            if rendered.len() <= CACHE_CAPACITY {
                let mut fresh = EMPTY_CACHE;
                fresh.key = key;
                fresh.len = len;
                fresh.bytes[..rendered.len()].copy_from_slice(rendered);
                self.cache.set(fresh);
            }
        }
    }

    /// Appends `t` in its own offset; the calendar work behind `render`.
    fn render_at(&self, t: &DateTime<FixedOffset>, out: &mut Vec<u8>) {
        for token in self.format.tokens() {
            match token {
                DateToken::Literal(s) => out.extend_from_slice(s.as_bytes()),
                DateToken::Year4 => push_year(out, t.year()),
                DateToken::Year2 => push_num(out, t.year().rem_euclid(100).unsigned_abs(), 2),
                DateToken::MonthLong => out.extend_from_slice(month_name(t.month0()).as_bytes()),
                DateToken::MonthShort => {
                    out.extend_from_slice(&month_name(t.month0()).as_bytes()[..3])
                }
                DateToken::Month2 => push_num(out, t.month(), 2),
                DateToken::Month1 => push_num(out, t.month(), 1),
                DateToken::Day2 => push_num(out, t.day(), 2),
                DateToken::Day1 => push_num(out, t.day(), 1),
                DateToken::DayOrdinal => {
                    push_num(out, t.day(), 1);
                    out.extend_from_slice(ordinal_suffix(t.day()).as_bytes());
                }
                DateToken::WeekdayLong => out.extend_from_slice(weekday_name(t).as_bytes()),
                DateToken::WeekdayShort => out.extend_from_slice(&weekday_name(t).as_bytes()[..3]),
                DateToken::WeekdayMin => out.extend_from_slice(&weekday_name(t).as_bytes()[..2]),
                DateToken::WeekdayNumber => push_num(out, t.weekday().num_days_from_sunday(), 1),
                DateToken::Hour24Pad => push_num(out, t.hour(), 2),
                DateToken::Hour24 => push_num(out, t.hour(), 1),
                DateToken::Hour12Pad => push_num(out, t.hour12().1, 2),
                DateToken::Hour12 => push_num(out, t.hour12().1, 1),
                DateToken::MinutePad => push_num(out, t.minute(), 2),
                DateToken::Minute => push_num(out, t.minute(), 1),
                DateToken::SecondPad => push_num(out, t.second(), 2),
                DateToken::Second => push_num(out, t.second(), 1),
                DateToken::Fraction(digits) => {
                    // Leap-second nanos (>= 1e9) still show as .999…
                    let nanos = t.nanosecond().min(999_999_999);
                    let shown = nanos / 10u32.pow(9 - u32::from(*digits));
                    push_num(out, shown, usize::from(*digits));
                }
                DateToken::AmPmUpper => {
                    out.extend_from_slice(if t.hour() < 12 { b"AM" } else { b"PM" })
                }
                DateToken::AmPmLower => {
                    out.extend_from_slice(if t.hour() < 12 { b"am" } else { b"pm" })
                }
                DateToken::OffsetColon => push_offset(out, t.offset().local_minus_utc(), true),
                DateToken::OffsetPlain => push_offset(out, t.offset().local_minus_utc(), false),
                DateToken::UnixMillis => push_signed(out, t.timestamp_millis()),
                DateToken::UnixSeconds => push_signed(out, t.timestamp()),
            }
        }
    }
}

fn month_name(month0: u32) -> &'static str {
    MONTHS.get(month0 as usize).copied().unwrap_or("?")
}

fn weekday_name(t: &DateTime<FixedOffset>) -> &'static str {
    WEEKDAYS[t.weekday().num_days_from_sunday() as usize % 7]
}

fn ordinal_suffix(day: u32) -> &'static str {
    match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

/// Appends `v` in decimal, left-padded with zeros to `width` digits.
pub(crate) fn push_num(out: &mut Vec<u8>, v: u32, width: usize) {
    push_u64(out, u64::from(v), width);
}

pub(crate) fn push_u64(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut digits = [0u8; 20];
    let mut n = v;
    let mut len = 0;
    loop {
        digits[len] = b'0' + (n % 10) as u8;
        len += 1;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for _ in len..width {
        out.push(b'0');
    }
    out.extend(digits[..len].iter().rev());
}

fn push_year(out: &mut Vec<u8>, year: i32) {
    if year < 0 {
        out.push(b'-');
    }
    push_num(out, year.unsigned_abs(), 4);
}

fn push_signed(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
    }
    push_u64(out, v.unsigned_abs(), 1);
}

fn push_offset(out: &mut Vec<u8>, seconds: i32, colon: bool) {
    out.push(if seconds < 0 { b'-' } else { b'+' });
    let minutes = seconds.unsigned_abs() / 60;
    push_num(out, minutes / 60, 2);
    if colon {
        out.push(b':');
    }
    push_num(out, minutes % 60, 2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// 2026-03-05 07:08:09.012345678 at +05:30 — a Thursday.
    fn sample() -> DateTime<FixedOffset> {
        FixedOffset::east_opt(5 * 3600 + 30 * 60)
            .expect("valid offset")
            .with_ymd_and_hms(2026, 3, 5, 7, 8, 9)
            .single()
            .expect("unambiguous")
            + chrono::Duration::nanoseconds(12_345_678)
    }

    fn render(fmt: &str, t: &DateTime<FixedOffset>) -> String {
        let f = TimestampFormat::parse(fmt).expect("format parses");
        let mut out = Vec::new();
        f.render_at(t, &mut out);
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn every_token_renders_like_moment() {
        let t = sample();
        let rows: &[(&str, &str)] = &[
            ("YYYY", "2026"),
            ("YY", "26"),
            ("MMMM", "March"),
            ("MMM", "Mar"),
            ("MM", "03"),
            ("M", "3"),
            ("DD", "05"),
            ("D", "5"),
            ("Do", "5th"),
            ("dddd", "Thursday"),
            ("ddd", "Thu"),
            ("dd", "Th"),
            ("d", "4"),
            ("HH", "07"),
            ("H", "7"),
            ("hh", "07"),
            ("h", "7"),
            ("mm", "08"),
            ("m", "8"),
            ("ss", "09"),
            ("s", "9"),
            ("SSS", "012"),
            ("SS", "01"),
            ("S", "0"),
            ("SSSSSS", "012345"),
            ("A", "AM"),
            ("a", "am"),
            ("Z", "+05:30"),
            ("ZZ", "+0530"),
            ("X", "1772674689"),
            ("x", "1772674689012"),
            ("YYYY-MM-DDTHH:mm:ss", "2026-03-05T07:08:09"),
            (
                "YYYY-MM-DD HH:mm:ss.SSS Z",
                "2026-03-05 07:08:09.012 +05:30",
            ),
        ];
        for (fmt, want) in rows {
            assert_eq!(render(fmt, &t), *want, "format {fmt:?}");
        }
    }

    #[test]
    fn afternoon_and_negative_offsets() {
        let t = FixedOffset::west_opt(8 * 3600)
            .expect("valid offset")
            .with_ymd_and_hms(2026, 12, 22, 23, 59, 1)
            .single()
            .expect("unambiguous");
        let rows: &[(&str, &str)] = &[
            ("hh:mm A", "11:59 PM"),
            ("h a", "11 pm"),
            ("Z ZZ", "-08:00 -0800"),
            ("Do", "22nd"),
            ("D Do", "22 22nd"),
        ];
        for (fmt, want) in rows {
            assert_eq!(render(fmt, &t), *want, "format {fmt:?}");
        }
        let noon = t.with_hour(12).expect("valid hour");
        assert_eq!(render("hh A", &noon), "12 PM");
        let midnight = t.with_hour(0).expect("valid hour");
        assert_eq!(render("hh a", &midnight), "12 am");
    }

    #[test]
    fn ordinal_suffixes() {
        let rows = [
            (1, "st"),
            (2, "nd"),
            (3, "rd"),
            (4, "th"),
            (11, "th"),
            (12, "th"),
            (13, "th"),
            (21, "st"),
            (22, "nd"),
            (23, "rd"),
            (31, "st"),
        ];
        for (day, want) in rows {
            assert_eq!(ordinal_suffix(day), want, "day {day}");
        }
    }

    #[test]
    fn escaped_and_plain_literals() {
        let t = sample();
        let rows: &[(&str, &str)] = &[
            ("[YYYY]", "YYYY"),
            ("[at] HH[h]", "at 07h"),
            ("[]", ""),
            ("YYYY[-]MM", "2026-03"),
            ("T", "T"),
            ("HH:mm:ss", "07:08:09"),
            ("été HH", "été 07"),
            ("[[x]", "[x"),
            ("", ""),
        ];
        for (fmt, want) in rows {
            assert_eq!(render(fmt, &t), *want, "format {fmt:?}");
        }
    }

    #[test]
    fn a_refused_format_names_itself_and_the_position() {
        match TimestampFormat::parse("HH ww") {
            Err(LogError::InvalidTimestampFormat {
                format, position, ..
            }) => assert_eq!((format.as_str(), position), ("HH ww", 3)),
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn cache_key_follows_the_finest_unit_shown() {
        let rows: &[(&str, CacheKey)] = &[
            ("HH:mm:ss", CacheKey::Seconds),
            ("ss.SSS", CacheKey::Millis),
            ("x", CacheKey::Millis),
            ("ss.SSSSSS", CacheKey::None),
        ];
        for (fmt, want) in rows {
            let f = TimestampFormat::parse(fmt).expect("parses");
            assert_eq!(f.cache_key, *want, "format {fmt:?}");
        }
    }

    #[test]
    fn cached_rendering_matches_fresh_rendering() {
        let f = TimestampFormat::parse("YYYY-MM-DD HH:mm:ss.SSS").expect("parses");
        let base = UNIX_EPOCH + std::time::Duration::from_millis(1_772_674_689_012);
        for step_ms in [0u64, 0, 1, 1, 999, 1000, 61_000] {
            let t = base + std::time::Duration::from_millis(step_ms);
            let mut cached = Vec::new();
            f.render(t, &mut cached);
            let mut fresh = Vec::new();
            f.render_at(&DateTime::<Local>::from(t).fixed_offset(), &mut fresh);
            assert_eq!(cached, fresh, "+{step_ms} ms");
        }
    }
}
