//! `GET /metrics`: the process list in Prometheus' text format (version 0.0.4).
//!
//! A pure renderer: rows and the daemon's own figures in, text out, so every line is
//! table-tested. Per instance: CPU, memory, restarts, uptime and status (one series per
//! status, 1 for the current one, as Prometheus' state-set convention has it); for the
//! daemon: its resident memory and uptime. Each family has `# HELP` and `# TYPE`.

use std::fmt::Write;

use crate::ipc::{ProcessInfo, Status};

/// The daemon's own figures, read from `/proc` by the web server.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DaemonFigures {
    pub memory_bytes: u64,
    pub uptime_seconds: f64,
}

/// The content type Prometheus expects for this format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

const STATUSES: [Status; 6] = [
    Status::Launching,
    Status::Online,
    Status::Stopping,
    Status::Stopped,
    Status::WaitingRestart,
    Status::Errored,
];

/// Renders the metrics text.
pub fn render(rows: &[ProcessInfo], daemon: DaemonFigures) -> String {
    let mut out = String::with_capacity(256 + rows.len() * 900);
    let labels: Vec<String> = rows.iter().map(instance_labels).collect();
    family(
        &mut out,
        "rpm_process_cpu_percent",
        "gauge",
        "CPU use of the instance's process tree, in percent of one core.",
    );
    for (row, l) in rows.iter().zip(&labels) {
        let _ = writeln!(out, "rpm_process_cpu_percent{{{l}}} {}", float(row.cpu));
    }
    family(
        &mut out,
        "rpm_process_memory_bytes",
        "gauge",
        "Resident memory of the instance's process tree, in bytes.",
    );
    for (row, l) in rows.iter().zip(&labels) {
        let _ = writeln!(out, "rpm_process_memory_bytes{{{l}}} {}", row.memory);
    }
    family(
        &mut out,
        "rpm_process_restarts_total",
        "counter",
        "Restarts of the instance since it was started or reset.",
    );
    for (row, l) in rows.iter().zip(&labels) {
        let _ = writeln!(out, "rpm_process_restarts_total{{{l}}} {}", row.restarts);
    }
    family(
        &mut out,
        "rpm_process_uptime_seconds",
        "gauge",
        "Seconds the instance has been online (0 unless online).",
    );
    for (row, l) in rows.iter().zip(&labels) {
        let up = row.uptime_ms.unwrap_or(0) as f64 / 1000.0;
        let _ = writeln!(out, "rpm_process_uptime_seconds{{{l}}} {}", float(up));
    }
    family(
        &mut out,
        "rpm_process_status",
        "gauge",
        "The instance's status: 1 for the status it has, 0 for the others.",
    );
    for (row, l) in rows.iter().zip(&labels) {
        for status in STATUSES {
            let value = u8::from(row.status == status);
            let _ = writeln!(out, "rpm_process_status{{{l},status=\"{status}\"}} {value}");
        }
    }
    family(
        &mut out,
        "rpm_daemon_memory_bytes",
        "gauge",
        "Resident memory of the rpm daemon, in bytes.",
    );
    let _ = writeln!(out, "rpm_daemon_memory_bytes {}", daemon.memory_bytes);
    family(
        &mut out,
        "rpm_daemon_uptime_seconds",
        "gauge",
        "Seconds since the rpm daemon started.",
    );
    let _ = writeln!(
        out,
        "rpm_daemon_uptime_seconds {}",
        float(daemon.uptime_seconds)
    );
    family(
        &mut out,
        "rpm_processes",
        "gauge",
        "Instances the daemon knows.",
    );
    let _ = writeln!(out, "rpm_processes {}", rows.len());
    out
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

fn instance_labels(row: &ProcessInfo) -> String {
    format!(
        "id=\"{}\",name=\"{}\",namespace=\"{}\",instance=\"{}\"",
        row.id,
        escape(&row.name),
        escape(&row.namespace),
        row.instance
    )
}

/// A label value with `\`, `"` and line ends escaped as the format asks.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A sample value: finite numbers as Rust prints them (`1.5`, `0`), others as the
/// format spells them.
fn float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ExecMode;

    fn row(id: u32, name: &str, status: Status) -> ProcessInfo {
        ProcessInfo {
            id,
            name: name.into(),
            namespace: "default".into(),
            instance: 0,
            exec_mode: ExecMode::Fork,
            status,
            pid: Some(100 + id as i32),
            restarts: 3,
            unstable_restarts: 0,
            uptime_ms: (status == Status::Online).then_some(1500),
            exit_code: None,
            exit_signal: None,
            cpu: 2.5,
            memory: 4096,
            script: "/srv/app.py".into(),
            args: vec![],
            cwd: "/srv".into(),
            interpreter: None,
            out_file: "/dev/null".into(),
            error_file: "/dev/null".into(),
            watch: false,
            started_at: None,
            created_at: 0,
            user: None,
        }
    }

    #[test]
    fn every_family_has_help_type_and_one_line_per_instance() {
        let rows = [
            row(0, "api", Status::Online),
            row(1, "odd \"name\"\\\n", Status::Errored),
        ];
        let text = render(
            &rows,
            DaemonFigures {
                memory_bytes: 5_000_000,
                uptime_seconds: 12.5,
            },
        );
        let api = r#"id="0",name="api",namespace="default",instance="0""#;
        let odd = r#"id="1",name="odd \"name\"\\\n",namespace="default",instance="0""#;
        for line in [
            "# HELP rpm_process_cpu_percent CPU use of the instance's process tree, in percent of one core.".to_string(),
            "# TYPE rpm_process_cpu_percent gauge".into(),
            format!("rpm_process_cpu_percent{{{api}}} 2.5"),
            format!("rpm_process_memory_bytes{{{odd}}} 4096"),
            "# TYPE rpm_process_restarts_total counter".into(),
            format!("rpm_process_restarts_total{{{api}}} 3"),
            format!("rpm_process_uptime_seconds{{{api}}} 1.5"),
            format!("rpm_process_uptime_seconds{{{odd}}} 0"),
            format!("rpm_process_status{{{api},status=\"online\"}} 1"),
            format!("rpm_process_status{{{api},status=\"errored\"}} 0"),
            format!("rpm_process_status{{{odd},status=\"errored\"}} 1"),
            format!("rpm_process_status{{{odd},status=\"waiting-restart\"}} 0"),
            "# TYPE rpm_daemon_memory_bytes gauge".into(),
            "rpm_daemon_memory_bytes 5000000".into(),
            "rpm_daemon_uptime_seconds 12.5".into(),
            "rpm_processes 2".into(),
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
        let helps = text.lines().filter(|l| l.starts_with("# HELP")).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!((helps, types), (8, 8));
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn values_keep_the_formats_spelling() {
        let rows = [
            (0.0, "0"),
            (1.25, "1.25"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
        ];
        for (v, want) in rows {
            assert_eq!(float(v), want);
        }
    }
}
