//! `GET /`: the JSON `pm2 web` serves (PM2's `lib/HttpInterface.js`), so dashboards and
//! scripts written for PM2 read rpm unchanged: `system_info` (hostname, uptime), `monit`
//! (load average, total and free memory, CPUs) and `processes`, each with `pid`, `name`,
//! `pm_id`, `monit` (memory, cpu) and `pm2_env` (status, restart_time, pm_uptime, …).
//!
//! `process` is a pure function of one row (table-tested); `system` reads `/proc`.
//! PM2's `monit.interfaces` (Node's `os.networkInterfaces()`) is not served.

use serde_json::{json, Value};

use crate::config::ExecMode;
use crate::ipc::{ProcessInfo, Status};

/// The whole document.
pub fn document(rows: &[ProcessInfo]) -> Value {
    let (system_info, monit) = system();
    json!({
        "system_info": system_info,
        "monit": monit,
        "processes": rows.iter().map(process).collect::<Vec<_>>(),
    })
}

/// PM2's spelling of a status (`waiting restart` has a space in PM2).
fn status(status: Status) -> &'static str {
    match status {
        Status::WaitingRestart => "waiting restart",
        other => other.as_str(),
    }
}

/// One process as PM2's `getMonitorData` lists it.
pub fn process(row: &ProcessInfo) -> Value {
    let exec_mode = match row.exec_mode {
        ExecMode::Fork => "fork_mode",
        ExecMode::Cluster => "cluster_mode",
    };
    let interpreter = row
        .interpreter
        .as_ref()
        .map_or_else(|| "none".to_string(), |p| p.display().to_string());
    json!({
        "pid": row.pid.unwrap_or(0),
        "name": row.name,
        "pm_id": row.id,
        "monit": {"memory": row.memory, "cpu": row.cpu},
        "pm2_env": {
            "name": row.name,
            "pm_id": row.id,
            "namespace": row.namespace,
            "status": status(row.status),
            "restart_time": row.restarts,
            "unstable_restarts": row.unstable_restarts,
            "pm_uptime": row.started_at.unwrap_or(row.created_at),
            "created_at": row.created_at,
            "exec_mode": exec_mode,
            "instance_id": row.instance,
            "NODE_APP_INSTANCE": row.instance,
            "pm_exec_path": row.script,
            "pm_cwd": row.cwd,
            "args": row.args,
            "exec_interpreter": interpreter,
            "pm_out_log_path": row.out_file,
            "pm_err_log_path": row.error_file,
            "watch": row.watch,
            "exit_code": row.exit_code,
            "uid": row.user,
        },
    })
}

/// `system_info` and `monit`, from `/proc` (fields that cannot be read are left out).
fn system() -> (Value, Value) {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let hostname = read("/proc/sys/kernel/hostname").trim().to_string();
    let uptime = crate::proctree::uptime_seconds().unwrap_or(0.0).floor();
    let loadavg: Vec<f64> = read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .filter_map(|v| v.parse().ok())
        .collect();
    let meminfo = read("/proc/meminfo");
    let kib = |key: &str| {
        meminfo
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map_or(0, |k| k * 1024)
    };
    (
        json!({"hostname": hostname, "uptime": uptime}),
        json!({
            "loadavg": loadavg,
            "total_mem": kib("MemTotal:"),
            "free_mem": kib("MemAvailable:"),
            "cpu": cpus(&read("/proc/cpuinfo"), &read("/proc/stat")),
        }),
    )
}

/// Node's `os.cpus()`: model, speed (MHz) and times (ms) per CPU.
fn cpus(cpuinfo: &str, stat: &str) -> Vec<Value> {
    let models: Vec<(&str, f64)> = cpuinfo
        .split("\n\n")
        .filter(|block| block.contains("processor"))
        .map(|block| {
            let field = |key: &str| {
                block.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    (k.trim() == key).then(|| v.trim())
                })
            };
            let speed = field("cpu MHz").and_then(|v| v.parse().ok()).unwrap_or(0.0);
            (field("model name").unwrap_or(""), speed)
        })
        .collect();
    let tick_ms = 1000 / crate::proctree::ticks_per_second().max(1);
    stat.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .enumerate()
        .map(|(i, line)| {
            let t: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .map(|v| v.parse::<u64>().unwrap_or(0) * tick_ms)
                .collect();
            let at = |n: usize| t.get(n).copied().unwrap_or(0);
            let (model, speed) = models.get(i).copied().unwrap_or(("", 0.0));
            json!({
                "model": model,
                "speed": speed.round() as u64,
                "times": {"user": at(0), "nice": at(1), "sys": at(2), "idle": at(3), "irq": at(5)},
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_becomes_pm2s_process_shape() {
        let row = ProcessInfo {
            id: 4,
            name: "api".into(),
            namespace: "web".into(),
            instance: 1,
            exec_mode: ExecMode::Cluster,
            status: Status::WaitingRestart,
            pid: None,
            restarts: 7,
            unstable_restarts: 2,
            uptime_ms: None,
            exit_code: Some(1),
            exit_signal: None,
            cpu: 1.5,
            memory: 1234,
            script: "/srv/api.js".into(),
            args: vec!["--x".into()],
            cwd: "/srv".into(),
            interpreter: Some("/usr/bin/node".into()),
            out_file: "/l/o".into(),
            error_file: "/l/e".into(),
            watch: true,
            started_at: Some(1_700_000_000_000),
            created_at: 1_600_000_000_000,
            user: Some(1000),
        };
        let want = json!({
            "pid": 0, "name": "api", "pm_id": 4,
            "monit": {"memory": 1234, "cpu": 1.5},
            "pm2_env": {
                "name": "api", "pm_id": 4, "namespace": "web", "status": "waiting restart",
                "restart_time": 7, "unstable_restarts": 2, "pm_uptime": 1_700_000_000_000u64,
                "created_at": 1_600_000_000_000u64, "exec_mode": "cluster_mode",
                "instance_id": 1, "NODE_APP_INSTANCE": 1, "pm_exec_path": "/srv/api.js",
                "pm_cwd": "/srv", "args": ["--x"], "exec_interpreter": "/usr/bin/node",
                "pm_out_log_path": "/l/o", "pm_err_log_path": "/l/e", "watch": true,
                "exit_code": 1, "uid": 1000,
            },
        });
        assert_eq!(process(&row), want);
        for (s, pm2) in [
            (Status::Online, "online"),
            (Status::Errored, "errored"),
            (Status::Stopped, "stopped"),
        ] {
            assert_eq!(status(s), pm2);
        }
    }

    #[test]
    fn cpus_come_from_cpuinfo_and_stat() {
        let cpuinfo = "processor\t: 0\nmodel name\t: Fast CPU\ncpu MHz\t\t: 2400.4\n\nprocessor\t: 1\nmodel name\t: Fast CPU\ncpu MHz\t\t: 1000\n";
        let stat = "cpu  1 2 3 4 5 6 7\ncpu0 10 0 20 30 0 1 0\ncpu1 1 1 1 1 1 1 1\nintr 5\n";
        let got = cpus(cpuinfo, stat);
        assert_eq!(got.len(), 2);
        let ms = 1000 / crate::proctree::ticks_per_second();
        assert_eq!(got[0]["model"], "Fast CPU");
        assert_eq!(got[0]["speed"], 2400);
        assert_eq!(got[0]["times"]["sys"], 20 * ms);
        assert_eq!(got[0]["times"]["irq"], ms);
        assert_eq!(got[1]["speed"], 1000);
    }
}
