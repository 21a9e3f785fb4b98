//! What the terminal the CLI writes to wants, and times as a person there reads them.

use std::io;

/// Whether stdout is a terminal that wants colour (`NO_COLOR` respected).
pub(crate) fn use_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
}

/// A Unix time in ms in local time, formatted with chrono's `format`; `None` when it is
/// out of chrono's range.
pub(crate) fn local_time(unix_ms: u64, format: &str) -> Option<String> {
    let at = chrono::DateTime::from_timestamp_millis(i64::try_from(unix_ms).ok()?)?;
    Some(at.with_timezone(&chrono::Local).format(format).to_string())
}
