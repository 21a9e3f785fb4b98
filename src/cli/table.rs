//! The process table of `rpm list`: PM2's columns, colour only on a terminal.

use crate::ipc::{ProcessInfo, Status};

const HEADERS: [&str; 12] = [
    "id",
    "name",
    "namespace",
    "mode",
    "pid",
    "uptime",
    "↺",
    "status",
    "cpu",
    "memory",
    "user",
    "watching",
];

/// Renders rows as an aligned table with a header.
pub fn render(rows: &[ProcessInfo], color: bool) -> String {
    let cells: Vec<[String; 12]> = rows.iter().map(row_cells).collect();
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for row in &cells {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String], statuses: Option<Status>| {
        out.push('│');
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            out.push(' ');
            match (i, statuses, color) {
                (7, Some(status), true) => out.push_str(&paint(cell, status_color(status))),
                (1, Some(_), true) => out.push_str(&paint(cell, "1;36")),
                _ => out.push_str(cell),
            }
            out.push_str(&" ".repeat(pad));
            out.push_str(" │");
        }
        out.push('\n');
    };
    let rule = |out: &mut String, left: char, mid: char, right: char| {
        out.push(left);
        for (i, w) in widths.iter().enumerate() {
            out.push_str(&"─".repeat(w + 2));
            out.push(if i + 1 == widths.len() { right } else { mid });
        }
        out.push('\n');
    };
    rule(&mut out, '┌', '┬', '┐');
    let header: Vec<String> = HEADERS.iter().map(|h| h.to_string()).collect();
    line(&mut out, &header, None);
    rule(&mut out, '├', '┼', '┤');
    for (row, info) in cells.iter().zip(rows) {
        line(&mut out, row, Some(info.status));
    }
    rule(&mut out, '└', '┴', '┘');
    out
}

fn row_cells(p: &ProcessInfo) -> [String; 12] {
    [
        p.id.to_string(),
        p.name.clone(),
        p.namespace.clone(),
        p.exec_mode.as_str().to_string(),
        p.pid.map(|x| x.to_string()).unwrap_or_else(|| "0".into()),
        p.uptime_ms
            .map(human_duration)
            .unwrap_or_else(|| "0".into()),
        p.restarts.to_string(),
        p.status.to_string(),
        format!("{}%", p.cpu),
        human_bytes(p.memory),
        p.user.map(user_name).unwrap_or_else(|| "-".into()),
        if p.watch { "enabled" } else { "disabled" }.to_string(),
    ]
}

fn status_color(status: Status) -> &'static str {
    match status {
        Status::Online => "1;32",
        Status::Stopped => "1;90",
        Status::Errored => "1;31",
        _ => "1;33",
    }
}

fn paint(text: &str, code: &str) -> String {
    format!("\x1b[{code}m{text}\x1b[0m")
}

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

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
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
