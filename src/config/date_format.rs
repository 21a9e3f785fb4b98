//! `DateFormat`: the grammar of PM2's moment.js/dayjs-style date formats
//! (`log_date_format`, `rpm logs --timestamp`), parsed into a list of tokens.
//!
//! Supported tokens: `YYYY YY MMMM MMM MM M DD D Do dddd ddd dd d HH H hh h mm m ss s`,
//! `S`..`SSSSSSSSS` (fraction of a second), `A a Z ZZ x X`, and `[literal text]`. Other
//! non-letter characters, and letters that are not moment tokens (like the `T` in
//! `YYYY-MM-DDTHH:mm:ss`), are copied as they are. Moment tokens rpm does not implement
//! (quarter, week, day of year, locale formats...) are refused here rather than rendered
//! wrong later.
//!
//! This module only says what a format means; rendering a time with it (and caching the
//! result) is `logs::TimestampFormat`'s job. Runs wherever a format is read: the CLI
//! validating an ecosystem file or a flag, the daemon building an instance's line format.

/// One piece of a parsed date format, in the order it is rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateToken {
    /// Text copied as it is (`[...]` escapes, separators, letters that are no token).
    Literal(String),
    /// `YYYY`: the year, at least four digits.
    Year4,
    /// `YY`: the last two digits of the year.
    Year2,
    /// `MMMM`: the month's English name (`March`).
    MonthLong,
    /// `MMM`: the month's name, three letters (`Mar`).
    MonthShort,
    /// `MM`: the month, two digits.
    Month2,
    /// `M`: the month, no padding.
    Month1,
    /// `DD`: the day of the month, two digits.
    Day2,
    /// `D`: the day of the month, no padding.
    Day1,
    /// `Do`: the day of the month with its English suffix (`5th`).
    DayOrdinal,
    /// `dddd`: the weekday's English name (`Thursday`).
    WeekdayLong,
    /// `ddd`: the weekday's name, three letters.
    WeekdayShort,
    /// `dd`: the weekday's name, two letters.
    WeekdayMin,
    /// `d`: the weekday as a number, Sunday 0.
    WeekdayNumber,
    /// `HH`: the hour of a 24-hour clock, two digits.
    Hour24Pad,
    /// `H`: the hour of a 24-hour clock, no padding.
    Hour24,
    /// `hh`: the hour of a 12-hour clock, two digits.
    Hour12Pad,
    /// `h`: the hour of a 12-hour clock, no padding.
    Hour12,
    /// `mm`: minutes, two digits.
    MinutePad,
    /// `m`: minutes, no padding.
    Minute,
    /// `ss`: seconds, two digits.
    SecondPad,
    /// `s`: seconds, no padding.
    Second,
    /// `S`…: this many leading digits of the fraction of a second.
    Fraction(u8),
    /// `A`: `AM` or `PM`.
    AmPmUpper,
    /// `a`: `am` or `pm`.
    AmPmLower,
    /// `Z`: the UTC offset as `+05:30`.
    OffsetColon,
    /// `ZZ`: the UTC offset as `+0530`.
    OffsetPlain,
    /// `x`: milliseconds since the Unix epoch.
    UnixMillis,
    /// `X`: seconds since the Unix epoch.
    UnixSeconds,
}

/// A date format as the user wrote it, and the tokens it means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateFormat {
    source: String,
    tokens: Vec<DateToken>,
}

/// Why a date format was refused: where, and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {position}: {reason}")]
pub struct DateFormatError {
    /// Byte offset of the offending token in the format.
    pub position: usize,
    pub reason: &'static str,
}

/// Moment.js letters with a meaning rpm does not render; refused instead of printed as-is.
const UNSUPPORTED_LETTERS: &[u8] = b"QWwEegGkNLl";

impl DateFormat {
    /// Parses `fmt`.
    pub fn parse(fmt: &str) -> Result<DateFormat, DateFormatError> {
        let err = |position: usize, reason: &'static str| DateFormatError { position, reason };
        let bytes = fmt.as_bytes();
        let mut tokens: Vec<DateToken> = Vec::new();
        let mut literal = String::new();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'[' {
                let close = bytes[i + 1..]
                    .iter()
                    .position(|&b| b == b']')
                    .ok_or_else(|| err(i, "`[` opens a literal that is never closed by `]`"))?;
                literal.push_str(&fmt[i + 1..i + 1 + close]);
                i += close + 2;
                continue;
            }
            if !c.is_ascii_alphabetic() {
                // A whole UTF-8 character, so multi-byte text stays intact.
                let ch = fmt[i..].chars().next().unwrap_or('\u{fffd}');
                literal.push(ch);
                i += ch.len_utf8();
                continue;
            }
            let run = bytes[i..].iter().take_while(|&&b| b == c).count();
            if UNSUPPORTED_LETTERS.contains(&c) {
                return Err(err(
                    i,
                    "this moment.js token is not supported (quarters, weeks, locale formats)",
                ));
            }
            let (token, used) = match (c, run) {
                (b'Y', 4) => (DateToken::Year4, 4),
                (b'Y', 2) => (DateToken::Year2, 2),
                (b'Y', _) => return Err(err(i, "the year is YYYY or YY")),
                (b'M', n) if n >= 4 => (DateToken::MonthLong, 4),
                (b'M', 3) => (DateToken::MonthShort, 3),
                (b'M', 2) => (DateToken::Month2, 2),
                (b'M', _) => (DateToken::Month1, 1),
                (b'D', 1) if bytes.get(i + 1) == Some(&b'o') => (DateToken::DayOrdinal, 2),
                (b'D', 2) => (DateToken::Day2, 2),
                (b'D', 1) => (DateToken::Day1, 1),
                (b'D', _) => return Err(err(i, "day of the year (DDD) is not supported")),
                (b'd', n) if n >= 4 => (DateToken::WeekdayLong, 4),
                (b'd', 3) => (DateToken::WeekdayShort, 3),
                (b'd', 2) => (DateToken::WeekdayMin, 2),
                (b'd', _) => (DateToken::WeekdayNumber, 1),
                (b'H', n) if n >= 2 => (DateToken::Hour24Pad, 2),
                (b'H', _) => (DateToken::Hour24, 1),
                (b'h', n) if n >= 2 => (DateToken::Hour12Pad, 2),
                (b'h', _) => (DateToken::Hour12, 1),
                (b'm', n) if n >= 2 => (DateToken::MinutePad, 2),
                (b'm', _) => (DateToken::Minute, 1),
                (b's', n) if n >= 2 => (DateToken::SecondPad, 2),
                (b's', _) => (DateToken::Second, 1),
                (b'S', n) => {
                    let n = n.min(9);
                    (DateToken::Fraction(n as u8), n)
                }
                (b'A', _) => (DateToken::AmPmUpper, 1),
                (b'a', _) => (DateToken::AmPmLower, 1),
                (b'Z', n) if n >= 2 => (DateToken::OffsetPlain, 2),
                (b'Z', _) => (DateToken::OffsetColon, 1),
                (b'x', _) => (DateToken::UnixMillis, 1),
                (b'X', _) => (DateToken::UnixSeconds, 1),
                _ => {
                    literal.push(c as char);
                    i += 1;
                    continue;
                }
            };
            if !literal.is_empty() {
                tokens.push(DateToken::Literal(std::mem::take(&mut literal)));
            }
            tokens.push(token);
            i += used;
        }
        if !literal.is_empty() {
            tokens.push(DateToken::Literal(literal));
        }
        Ok(DateFormat {
            source: fmt.to_string(),
            tokens,
        })
    }

    /// The format as the user wrote it.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// What the format shows, in order.
    pub fn tokens(&self) -> &[DateToken] {
        &self.tokens
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_formats_are_refused_with_position() {
        let rows: &[(&str, usize)] = &[
            ("YYYY [oops", 5),
            ("YYY", 0),
            ("DDD", 0),
            ("Q", 0),
            ("HH ww", 3),
            ("LT", 0),
        ];
        for (fmt, at) in rows {
            match DateFormat::parse(fmt) {
                Err(DateFormatError { position, .. }) => {
                    assert_eq!(position, *at, "format {fmt:?}")
                }
                other => panic!("format {fmt:?}: expected an error, got {other:?}"),
            }
        }
    }

    #[test]
    fn tokens_and_literals_in_order() {
        use DateToken::*;
        let lit = |s: &str| Literal(s.to_string());
        let rows: Vec<(&str, Vec<DateToken>)> = vec![
            (
                "YYYY-MM-DDTHH:mm:ss",
                vec![
                    Year4,
                    lit("-"),
                    Month2,
                    lit("-"),
                    Day2,
                    lit("T"),
                    Hour24Pad,
                    lit(":"),
                    MinutePad,
                    lit(":"),
                    SecondPad,
                ],
            ),
            ("[at] HH[h]", vec![lit("at "), Hour24Pad, lit("h")]),
            (
                "Do SSSSSSSSSSSS",
                vec![DayOrdinal, lit(" "), Fraction(9), Fraction(3)],
            ),
            ("été", vec![lit("été")]),
            ("[]", vec![]),
            ("", vec![]),
        ];
        for (fmt, want) in rows {
            let parsed = DateFormat::parse(fmt).expect("parses");
            assert_eq!(parsed.tokens(), &want[..], "format {fmt:?}");
            assert_eq!(parsed.as_str(), fmt);
        }
    }
}
