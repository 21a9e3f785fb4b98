//! What the terminal the CLI writes to wants, and times as a person there reads them.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};

static NO_COLOR_FLAG: AtomicBool = AtomicBool::new(false);
static SILENT: AtomicBool = AtomicBool::new(false);

/// `--no-color` and `-s/--silent`, given once before the command runs.
pub(crate) fn set_preferences(no_color: bool, silent: bool) {
    NO_COLOR_FLAG.store(no_color, Ordering::Relaxed);
    SILENT.store(silent, Ordering::Relaxed);
}

/// Whether stdout is a terminal that wants colour (`NO_COLOR` and `--no-color` respected).
pub(crate) fn use_color() -> bool {
    use std::io::IsTerminal;
    !NO_COLOR_FLAG.load(Ordering::Relaxed)
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && io::stdout().is_terminal()
}

/// `-s/--silent`: nothing is printed after a change.
pub(crate) fn silent() -> bool {
    SILENT.load(Ordering::Relaxed)
}

/// A Unix time in ms in local time, formatted with chrono's `format`; `None` when it is
/// out of chrono's range.
pub(crate) fn local_time(unix_ms: u64, format: &str) -> Option<String> {
    let at = chrono::DateTime::from_timestamp_millis(i64::try_from(unix_ms).ok()?)?;
    Some(at.with_timezone(&chrono::Local).format(format).to_string())
}
