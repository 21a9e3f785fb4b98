//! The `cron_restart` grammar: parses an expression into a typed [`CronExpr`] (one bitset
//! per field) and reports the first wrong field. 5 fields (minute hour day month weekday)
//! or 6 with leading seconds, as PM2's cron library accepts. Each field is `*` (or `?`),
//! a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from `a` to the field's end),
//! or a comma list of those; months and weekdays also take three-letter names, and weekday
//! 7 is Sunday like 0. Pure, no clock: finding fire times is `watch::cron`'s job.

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// A parsed cron expression: for each field, the set of values it fires on, as a bitset
/// where bit `v` is set when value `v` matches.
///
/// A 5-field expression has `seconds == {0}`. Weekday 7 is folded into 0 (Sunday). The two
/// day flags record whether day of month and day of week were restricted (the field does
/// not start with `*` or `?`, Vixie cron's test); when both are, a day matches if either
/// does, otherwise both must.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CronExpr {
    seconds: u64,
    minutes: u64,
    hours: u64,
    days_of_month: u64,
    months: u64,
    days_of_week: u64,
    day_of_month_restricted: bool,
    day_of_week_restricted: bool,
}

impl CronExpr {
    /// Parses a cron expression; the error is one sentence naming the wrong field, e.g.
    /// `"60 * * * *" is not a cron expression: minute field "60" is out of range 0-59`.
    pub fn parse(expr: &str) -> Result<CronExpr, String> {
        let fields: Vec<&str> = expr.split_whitespace().collect();
        let (seconds, rest) = match fields.len() {
            5 => ("0", &fields[..]),
            6 => (fields[0], &fields[1..]),
            n => {
                return Err(format!(
                    "{expr:?} is not a cron expression: it has {n} fields, expected 5 or 6"
                ))
            }
        };
        let field = |text: &str, what: &str, min: u32, max: u32, words: &[&str]| {
            parse_field(text, min, max, words).map_err(|why| {
                format!("{expr:?} is not a cron expression: {what} field {text:?} {why}")
            })
        };
        let seconds = if fields.len() == 6 {
            field(seconds, "second", 0, 59, &[])?
        } else {
            1
        };
        let minutes = field(rest[0], "minute", 0, 59, &[])?;
        let hours = field(rest[1], "hour", 0, 23, &[])?;
        let days_of_month = field(rest[2], "day of month", 1, 31, &[])?;
        let months = field(rest[3], "month", 1, 12, MONTHS)?;
        let mut days_of_week = field(rest[4], "day of week", 0, 7, DAYS)?;
        if days_of_week & (1 << 7) != 0 {
            days_of_week = (days_of_week & !(1 << 7)) | 1;
        }
        let restricted = |text: &str| !(text.starts_with('*') || text.starts_with('?'));
        Ok(CronExpr {
            seconds,
            minutes,
            hours,
            days_of_month,
            months,
            days_of_week,
            day_of_month_restricted: restricted(rest[2]),
            day_of_week_restricted: restricted(rest[4]),
        })
    }

    /// The first matching second (0-59) at or after `from`, if any.
    pub fn next_second(&self, from: u32) -> Option<u32> {
        first_at_or_after(self.seconds, from)
    }

    /// The first matching minute (0-59) at or after `from`, if any.
    pub fn next_minute(&self, from: u32) -> Option<u32> {
        first_at_or_after(self.minutes, from)
    }

    /// The first matching hour (0-23) at or after `from`, if any.
    pub fn next_hour(&self, from: u32) -> Option<u32> {
        first_at_or_after(self.hours, from)
    }

    /// The first matching month (1-12) at or after `from`, if any.
    pub fn next_month(&self, from: u32) -> Option<u32> {
        first_at_or_after(self.months, from)
    }

    /// Whether a day matches: `day_of_month` is 1-31, `weekday` 0-6 from Sunday. When both
    /// day fields are restricted either may match (Vixie cron's rule); otherwise both must.
    pub fn matches_day(&self, day_of_month: u32, weekday: u32) -> bool {
        let by_month = has(self.days_of_month, day_of_month);
        let by_week = has(self.days_of_week, weekday);
        if self.day_of_month_restricted && self.day_of_week_restricted {
            by_month || by_week
        } else {
            by_month && by_week
        }
    }
}

/// Checks a cron expression; the error says which field is wrong.
pub fn validate_cron(expr: &str) -> Result<(), String> {
    CronExpr::parse(expr).map(|_| ())
}

fn has(set: u64, v: u32) -> bool {
    v < 64 && set & (1 << v) != 0
}

fn first_at_or_after(set: u64, from: u32) -> Option<u32> {
    let rest = set.checked_shr(from)?;
    (rest != 0).then(|| from + rest.trailing_zeros())
}

fn parse_field(field: &str, min: u32, max: u32, words: &[&str]) -> Result<u64, String> {
    let mut set = 0u64;
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        let step = match step {
            None => None,
            Some(s) => match s.parse::<u32>() {
                Ok(n) if n > 0 => Some(n),
                _ => return Err(format!("has a bad step {s:?}")),
            },
        };
        let (lo, hi) = if range == "*" || range == "?" {
            (min, max)
        } else {
            let (lo, hi) = match range.split_once('-') {
                Some((a, b)) => (value(a, words)?, value(b, words)?),
                None => {
                    let v = value(range, words)?;
                    (v, v)
                }
            };
            for v in [lo, hi] {
                if v < min || v > max {
                    return Err(format!("is out of range {min}-{max}"));
                }
            }
            if lo > hi {
                return Err("has a range that goes backwards".to_string());
            }
            // `a/n` runs from `a` to the field's end, as in PM2's cron library.
            if step.is_some() && !range.contains('-') {
                (lo, max)
            } else {
                (lo, hi)
            }
        };
        for v in (lo..=hi).step_by(step.unwrap_or(1) as usize) {
            set |= 1 << v;
        }
    }
    Ok(set)
}

fn value(s: &str, words: &[&str]) -> Result<u32, String> {
    if let Ok(n) = s.parse::<u32>() {
        return Ok(n);
    }
    let lower = s.to_ascii_lowercase();
    let base = if words.len() == 12 { 1 } else { 0 };
    words
        .iter()
        .position(|w| *w == lower)
        .map(|i| i as u32 + base)
        .ok_or_else(|| format!("has {s:?}, which is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(set: u64) -> Vec<u32> {
        (0..64).filter(|v| set & (1 << v) != 0).collect()
    }

    #[test]
    fn fields_parse_into_value_sets() {
        let field = |e: &CronExpr, name: &str| match name {
            "second" => e.seconds,
            "minute" => e.minutes,
            "hour" => e.hours,
            "day of month" => e.days_of_month,
            "month" => e.months,
            _ => e.days_of_week,
        };
        let rows: &[(&str, &str, Vec<u32>)] = &[
            ("*/2 * * * * *", "second", (0..60).step_by(2).collect()),
            ("0 0 * * *", "second", vec![0]),
            ("10-30/10 * * * *", "minute", vec![10, 20, 30]),
            ("5/15 * * * * *", "second", vec![5, 20, 35, 50]),
            ("0 0,12 * * *", "hour", vec![0, 12]),
            ("0 */7 * * *", "hour", vec![0, 7, 14, 21]),
            ("0 0 1,15 * *", "day of month", vec![1, 15]),
            ("0 0 ? * *", "day of month", (1..=31).collect()),
            ("0 0 */10 * *", "day of month", vec![1, 11, 21, 31]),
            ("0 0 * jan,JUL,Dec *", "month", vec![1, 7, 12]),
            ("0 0 * feb-apr *", "month", vec![2, 3, 4]),
            ("0 0 * * *", "day of week", (0..=6).collect()),
            ("0 0 * * 7", "day of week", vec![0]),
            ("0 0 * * 5-7", "day of week", vec![0, 5, 6]),
            ("0 0 * * mon-fri", "day of week", vec![1, 2, 3, 4, 5]),
            ("0 0 * * */2", "day of week", vec![0, 2, 4, 6]),
        ];
        for (input, name, want) in rows {
            let parsed = CronExpr::parse(input).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(values(field(&parsed, name)), *want, "{input:?} {name}");
        }
    }

    #[test]
    fn spellings_of_the_same_schedule_parse_equal() {
        let rows = [
            ("0 0 * * 7", "0 0 * * 0"),
            ("0 0 * * sun", "0 0 * * 0"),
            ("0 0 * * *", "0 0 0 * * *"),
            ("0 0 * * *", "0 0 ? * ?"),
            ("0 0 1 jan *", "0 0 1 1 *"),
            ("0 12 * * mon-fri", "0 12 * * 1,2,3,4,5"),
        ];
        for (a, b) in rows {
            assert_eq!(CronExpr::parse(a), CronExpr::parse(b), "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn day_fields_are_restricted_unless_they_start_with_a_wildcard() {
        let rows = [
            ("0 0 1 * 1", true, true),
            ("0 0 */2 * 1", false, true),
            ("0 0 1 * *", true, false),
            ("0 0 ? * mon", false, true),
            ("0 0 * * *", false, false),
        ];
        for (input, by_month, by_week) in rows {
            let parsed = CronExpr::parse(input).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (
                    parsed.day_of_month_restricted,
                    parsed.day_of_week_restricted
                ),
                (by_month, by_week),
                "{input:?}"
            );
        }
    }

    #[test]
    fn cron_expressions() {
        let rows: &[(&str, Result<(), &str>)] = &[
            ("0 0 * * *", Ok(())),
            ("*/15 * * * *", Ok(())),
            ("0 3 * * mon-fri", Ok(())),
            ("0 0 1 jan,jul *", Ok(())),
            ("30 0 0 * * *", Ok(())),
            ("0 0 * * 7", Ok(())),
            ("0-30/5 1,2,3 1-31 1-12 0-6", Ok(())),
            ("0 0 * *", Err("\"0 0 * *\" is not a cron expression: it has 4 fields, expected 5 or 6")),
            ("", Err("\"\" is not a cron expression: it has 0 fields, expected 5 or 6")),
            ("60 * * * *", Err("\"60 * * * *\" is not a cron expression: minute field \"60\" is out of range 0-59")),
            ("* 24 * * *", Err("\"* 24 * * *\" is not a cron expression: hour field \"24\" is out of range 0-23")),
            ("* * 0 * *", Err("\"* * 0 * *\" is not a cron expression: day of month field \"0\" is out of range 1-31")),
            ("* * * foo *", Err("\"* * * foo *\" is not a cron expression: month field \"foo\" has \"foo\", which is not a number")),
            ("*/0 * * * *", Err("\"*/0 * * * *\" is not a cron expression: minute field \"*/0\" has a bad step \"0\"")),
            ("5-1 * * * *", Err("\"5-1 * * * *\" is not a cron expression: minute field \"5-1\" has a range that goes backwards")),
        ];
        for (input, want) in rows {
            assert_eq!(
                validate_cron(input),
                want.map_err(str::to_string),
                "{input:?}"
            );
        }
    }
}
