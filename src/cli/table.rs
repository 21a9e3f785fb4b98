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

pub use crate::human::{human_bytes, human_duration};

fn user_name(uid: u32) -> String {
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}
