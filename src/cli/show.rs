//! `rpm list`, `jlist`, `prettylist`, `describe`, `env`: what the daemon knows, printed.

use std::io::{self, Write};

use super::error::CliError;
use super::table;
use super::terminal::{local_time, use_color};
use crate::client::Client;
use crate::ipc::ProcessInfo;

pub fn list(client: &Client) -> Result<(), CliError> {
    let rows = client.list()?;
    print_table(&rows)
}

fn print_table(rows: &[ProcessInfo]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(table::render(rows, use_color()).as_bytes())?;
    Ok(())
}

/// `rpm jlist` / `prettylist`: the rows (DESIGN 1.2), or with `pm2` PM2's shape, the
/// processes `pm2 web` and `pm2 jlist` list.
pub fn jlist(client: &Client, pretty: bool, pm2: bool) -> Result<(), CliError> {
    let rows = client.list()?;
    let value = if pm2 {
        serde_json::Value::Array(rows.iter().map(crate::web::pm2::process).collect())
    } else {
        serde_json::to_value(&rows)
            .map_err(|e| CliError::Failed(format!("cannot encode the list: {e}")))?
    };
    let text = if pretty {
        serde_json::to_string_pretty(&value)
    } else {
        serde_json::to_string(&value)
    }
    .map_err(|e| CliError::Failed(format!("cannot encode the list: {e}")))?;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    Ok(())
}

/// After a command that changed apps, PM2 shows the whole table.
pub fn print_after_change(client: &Client) -> Result<(), CliError> {
    if super::terminal::silent() {
        return Ok(());
    }
    print_table(&client.list()?)
}

/// `print_after_change` for a change whose answer is the whole table already.
pub fn print_listed(rows: &[ProcessInfo]) -> Result<(), CliError> {
    if super::terminal::silent() {
        return Ok(());
    }
    print_table(rows)
}

pub fn describe(client: &Client, target: String) -> Result<(), CliError> {
    let details = client.describe(&[target])?;
    let mut out = std::io::stdout().lock();
    for d in details {
        let p = &d.process;
        let s = &d.spec;
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let rows: Vec<(&str, String)> = vec![
            ("status", p.status.to_string()),
            ("name", p.name.clone()),
            ("namespace", p.namespace.clone()),
            ("id", p.id.to_string()),
            ("instance", p.instance.to_string()),
            (
                "pid",
                p.pid.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
            ),
            ("exec mode", p.exec_mode.as_str().to_string()),
            ("socket", opt(&d.socket)),
            ("wait ready", s.wait_ready.to_string()),
            (
                "listen timeout",
                format!("{} ms", s.listen_timeout.as_millis()),
            ),
            ("notify status", opt(&d.notify_status)),
            ("hint", opt(&d.hint)),
            ("script", p.script.display().to_string()),
            ("args", shell_words(&p.args)),
            (
                "interpreter",
                p.interpreter
                    .as_ref()
                    .map(|i| i.display().to_string())
                    .unwrap_or_else(|| "none (executed directly)".into()),
            ),
            ("interpreter args", shell_words(&s.interpreter_args)),
            ("cwd", p.cwd.display().to_string()),
            ("restarts", p.restarts.to_string()),
            ("last restart", last_restart(d.last_restart.as_ref())),
            ("unstable restarts", p.unstable_restarts.to_string()),
            (
                "uptime",
                p.uptime_ms
                    .map(table::human_duration)
                    .unwrap_or_else(|| "-".into()),
            ),
            (
                "last exit code",
                p.exit_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
            ("last exit signal", opt(&p.exit_signal)),
            ("cpu", format!("{}%", p.cpu)),
            ("memory", table::human_bytes(p.memory)),
            ("out log", p.out_file.display().to_string()),
            ("error log", p.error_file.display().to_string()),
            (
                "combined log",
                d.log_file
                    .as_ref()
                    .map(|f| f.display().to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
            ("log problem", opt(&d.log_error)),
            ("autorestart", s.autorestart.to_string()),
            ("max restarts", s.max_restarts.to_string()),
            ("min uptime", format!("{} ms", s.min_uptime.as_millis())),
            (
                "restart delay",
                format!("{} ms", s.restart_delay.as_millis()),
            ),
            (
                "exp backoff restart delay",
                s.exp_backoff_restart_delay
                    .map(|v| format!("{} ms", v.as_millis()))
                    .unwrap_or_else(|| "-".into()),
            ),
            ("stop exit codes", format!("{:?}", s.stop_exit_codes)),
            ("kill signal", s.kill_signal.to_string()),
            ("kill timeout", format!("{} ms", s.kill_timeout.as_millis())),
            ("treekill", s.treekill.to_string()),
            (
                "max memory restart",
                s.max_memory_restart
                    .map(table::human_bytes)
                    .unwrap_or_else(|| "-".into()),
            ),
            ("cron restart", opt(&s.cron_restart)),
            (
                "next cron restart",
                d.next_cron
                    .map(local_date_time)
                    .unwrap_or_else(|| "-".into()),
            ),
            ("watch problem", opt(&d.watch_problem)),
            ("adopted from an earlier daemon", d.adopted.to_string()),
            (
                "ecosystem file",
                s.source_file
                    .as_ref()
                    .map(|f| f.display().to_string())
                    .unwrap_or_else(|| "-".into()),
            ),
        ];
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        writeln!(out, "Describing {} (id {})", p.name, p.id)?;
        for (key, value) in rows {
            writeln!(out, "  {key:<width$}  {value}")?;
        }
        write_env_sources(&mut out, s)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Where the app's environment came from: each variable its file or flags set, with
/// the layer that set it, and how many came from the shell that started it.
fn write_env_sources(out: &mut impl Write, spec: &crate::config::AppSpec) -> io::Result<()> {
    let from_shell = spec.env.len().saturating_sub(spec.env_origin.len());
    writeln!(
        out,
        "  environment: {from_shell} variable(s) from the shell that started it (`--update-env` on restart or reload refreshes them){}",
        if spec.env_origin.is_empty() { "" } else { ", and:" }
    )?;
    let width = spec.env_origin.keys().map(String::len).max().unwrap_or(0);
    for key in spec.env_origin.keys() {
        let value = spec.env.get(key).map(String::as_str).unwrap_or("");
        let from = spec.env_source(key);
        writeln!(out, "    {key:<width$}  {value}  (from {from})")?;
    }
    Ok(())
}

/// `watch (src/app.js changed) at 2026-12-02 14:03:07`, or `-`.
fn last_restart(last: Option<&crate::ipc::LastRestart>) -> String {
    let Some(last) = last else {
        return "-".into();
    };
    let detail = last
        .detail
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    format!(
        "{}{detail} at {}",
        last.reason.as_str(),
        local_date_time(last.at)
    )
}

/// A Unix time in ms as local `YYYY-MM-DD HH:MM:SS`.
fn local_date_time(unix_ms: u64) -> String {
    local_time(unix_ms, "%Y-%m-%d %H:%M:%S").unwrap_or_else(|| "-".into())
}

fn shell_words(words: &[String]) -> String {
    if words.is_empty() {
        return "-".into();
    }
    words
        .iter()
        .map(|w| {
            if w.is_empty()
                || w.chars()
                    .any(|c| c.is_whitespace() || "'\"\\$`".contains(c))
            {
                format!("'{}'", w.replace('\'', "'\\''"))
            } else {
                w.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `rpm env <id|name>`: the environment of an instance, or of each of an app's.
pub fn env(client: &Client, target: &str) -> Result<(), CliError> {
    let ids = ids_of(client, target)?;
    let mut out = std::io::stdout().lock();
    for (n, id) in ids.iter().enumerate() {
        if ids.len() > 1 {
            if n > 0 {
                writeln!(out)?;
            }
            writeln!(out, "# {target} (id {id})")?;
        }
        for (key, value) in client.env(*id)? {
            writeln!(out, "{key}: {value}")?;
        }
    }
    Ok(())
}

/// `rpm pid [name]`: pids of the app's running instances (of every instance without a
/// name), one per line, as `pm2 pid`.
pub fn pid(client: &Client, name: Option<&str>) -> Result<(), CliError> {
    let rows = client.list()?;
    let ids = match name {
        Some(name) => ids_of_rows(&rows, name)?,
        None => rows.iter().map(|p| p.id).collect(),
    };
    let mut out = std::io::stdout().lock();
    for p in rows.iter().filter(|p| ids.contains(&p.id)) {
        if let Some(pid) = p.pid {
            writeln!(out, "{pid}")?;
        }
    }
    Ok(())
}

/// `rpm id <name>`: the ids of an app's instances as a JSON array, as `pm2 id`.
pub fn id(client: &Client, name: &str) -> Result<(), CliError> {
    let ids = ids_of(client, name)?;
    let text = serde_json::to_string(&ids).map_err(|e| CliError::Failed(e.to_string()))?;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// The ids `target` (an id, a name or a namespace) selects, or an error naming it.
fn ids_of(client: &Client, target: &str) -> Result<Vec<u32>, CliError> {
    ids_of_rows(&client.list()?, target)
}

fn ids_of_rows(rows: &[crate::ipc::ProcessInfo], target: &str) -> Result<Vec<u32>, CliError> {
    let ids = crate::ipc::Target::parse(target).select(rows.iter().map(super::targets::target_row));
    if ids.is_empty() {
        return Err(CliError::Failed(format!(
            "no app or instance `{target}`: `rpm list` shows what rpm knows"
        )));
    }
    Ok(ids)
}
