//! Sizes (`300M`, `1G`, `512K`, bytes) and durations (`1500`, `250ms`, `5s`, `2m`, `1h`)
//! as PM2 writes them in ecosystem files. Pure functions; runs in the CLI.

/// Parses a size: a whole number of bytes, or a number followed by `K`, `M` or `G`
/// (binary multiples, as PM2; a trailing `B` and lower case are accepted).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let body = upper.strip_suffix('B').unwrap_or(&upper);
    let (digits, mult) = match body.char_indices().last() {
        Some((i, 'K')) => (&body[..i], 1u64 << 10),
        Some((i, 'M')) => (&body[..i], 1 << 20),
        Some((i, 'G')) => (&body[..i], 1 << 30),
        Some((i, 'T')) => (&body[..i], 1 << 40),
        _ => (body, 1),
    };
    let invalid =
        || format!("{s:?} is not a size (use bytes or a number with K, M or G, e.g. \"300M\")");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Parses a duration in milliseconds: a whole number of ms, or a number followed by
/// `ms`, `s`, `m` or `h`.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, mult) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1u64)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else if let Some(d) = t.strip_suffix('m') {
        (d, 60_000)
    } else if let Some(d) = t.strip_suffix('h') {
        (d, 3_600_000)
    } else {
        (t, 1)
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "{s:?} is not a duration (use milliseconds or a number with ms, s, m or h, e.g. \"5s\")"
        ));
    }
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// `parse_duration_ms` as a `Duration` (for the fields of `AppSpec`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    parse_duration_ms(s).map(std::time::Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_duration() {
        let rows: &[(&str, Result<u64, &str>)] = &[
            ("1500", Ok(1500)),
            ("5s", Ok(5000)),
            (
                "soon",
                Err("\"soon\" is not a duration (use milliseconds or a number with ms, s, m or h, e.g. \"5s\")"),
            ),
        ];
        for (input, want) in rows {
            let want = want
                .map(std::time::Duration::from_millis)
                .map_err(str::to_string);
            assert_eq!(parse_duration(input), want, "{input:?}");
        }
    }

    #[test]
    fn sizes() {
        let rows: &[(&str, Result<u64, &str>)] = &[
            ("0", Ok(0)),
            ("1024", Ok(1024)),
            ("512K", Ok(512 * 1024)),
            ("300M", Ok(300 * 1024 * 1024)),
            ("300m", Ok(300 * 1024 * 1024)),
            ("1G", Ok(1 << 30)),
            ("1GB", Ok(1 << 30)),
            (" 2M ", Ok(2 << 20)),
            (
                "",
                Err("\"\" is not a size (use bytes or a number with K, M or G, e.g. \"300M\")"),
            ),
            (
                "M",
                Err("\"M\" is not a size (use bytes or a number with K, M or G, e.g. \"300M\")"),
            ),
            (
                "1.5G",
                Err("\"1.5G\" is not a size (use bytes or a number with K, M or G, e.g. \"300M\")"),
            ),
            (
                "-1",
                Err("\"-1\" is not a size (use bytes or a number with K, M or G, e.g. \"300M\")"),
            ),
            (
                "12X",
                Err("\"12X\" is not a size (use bytes or a number with K, M or G, e.g. \"300M\")"),
            ),
            (
                "99999999999999999999",
                Err("\"99999999999999999999\" is too large"),
            ),
            ("99999999999999G", Err("\"99999999999999G\" is too large")),
        ];
        for (input, want) in rows {
            assert_eq!(parse_size(input), want.map_err(str::to_string), "{input:?}");
        }
    }

    #[test]
    fn durations() {
        let bad = |s: &str| {
            format!("{s:?} is not a duration (use milliseconds or a number with ms, s, m or h, e.g. \"5s\")")
        };
        let rows: &[(&str, Result<u64, String>)] = &[
            ("1500", Ok(1500)),
            ("250ms", Ok(250)),
            ("5s", Ok(5000)),
            ("2m", Ok(120_000)),
            ("1h", Ok(3_600_000)),
            ("0", Ok(0)),
            ("", Err(bad(""))),
            ("s", Err(bad("s"))),
            ("1.5s", Err(bad("1.5s"))),
            ("5 minutes", Err(bad("5 minutes"))),
            ("-5s", Err(bad("-5s"))),
            (
                "99999999999999999h",
                Err("\"99999999999999999h\" is too large".into()),
            ),
        ];
        for (input, want) in rows {
            assert_eq!(&parse_duration_ms(input), want, "{input:?}");
        }
    }
}
