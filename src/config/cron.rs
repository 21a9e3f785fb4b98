//! Validation of `cron_restart` expressions: 5 fields (minute hour day month weekday) or
//! 6 with leading seconds, as PM2's cron library accepts. Each field is `*`, a number, a
//! range `a-b`, a step `*/n` or `a-b/n`, or a comma list of those; months and weekdays
//! also take three-letter names. Checks syntax and ranges only; scheduling is elsewhere.

const MONTHS: &[&str] = &[
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DAYS: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/// Checks a cron expression; the error says which field is wrong.
pub fn validate_cron(expr: &str) -> Result<(), String> {
    let fields: Vec<&str> = expr.split_whitespace().collect();
    let names: &[(&str, u32, u32, &[&str])] = match fields.len() {
        5 => &[
            ("minute", 0, 59, &[]),
            ("hour", 0, 23, &[]),
            ("day of month", 1, 31, &[]),
            ("month", 1, 12, MONTHS),
            ("day of week", 0, 7, DAYS),
        ],
        6 => &[
            ("second", 0, 59, &[]),
            ("minute", 0, 59, &[]),
            ("hour", 0, 23, &[]),
            ("day of month", 1, 31, &[]),
            ("month", 1, 12, MONTHS),
            ("day of week", 0, 7, DAYS),
        ],
        n => {
            return Err(format!(
                "{expr:?} is not a cron expression: it has {n} fields, expected 5 or 6"
            ))
        }
    };
    for (field, (what, min, max, words)) in fields.iter().zip(names) {
        check_field(field, *min, *max, words).map_err(|why| {
            format!("{expr:?} is not a cron expression: {what} field {field:?} {why}")
        })?;
    }
    Ok(())
}

fn check_field(field: &str, min: u32, max: u32, words: &[&str]) -> Result<(), String> {
    for part in field.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (part, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(format!("has a bad step {step:?}")),
            }
        }
        if range == "*" || range == "?" {
            continue;
        }
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
    }
    Ok(())
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
