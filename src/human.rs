//! Sizes and durations as people read them, in PM2's short forms (`1.5kb`, `3m`): the
//! process table of `rpm list` and the dashboard of `rpm monit` write them the same way.

/// `1.2mb`, `512kb`, `0b` as PM2 writes sizes.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["b", "kb", "mb", "gb"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes}b")
    } else {
        format!("{value:.1}{}", UNITS[unit])
    }
}

/// `45s`, `3m`, `2h`, `4D` as PM2 writes uptimes.
pub fn human_duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}D", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_like_pm2() {
        let sizes = [
            (0, "0b"),
            (1023, "1023b"),
            (1536, "1.5kb"),
            (3 * 1024 * 1024, "3.0mb"),
        ];
        for (bytes, want) in sizes {
            assert_eq!(human_bytes(bytes), want);
        }
        let durations = [
            (0, "0s"),
            (59_999, "59s"),
            (60_000, "1m"),
            (7_200_000, "2h"),
            (172_800_000, "2D"),
        ];
        for (ms, want) in durations {
            assert_eq!(human_duration(ms), want);
        }
    }
}
