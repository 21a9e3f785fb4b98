//! What the terminal the CLI writes to wants.

use std::io;

/// Whether stdout is a terminal that wants colour (`NO_COLOR` respected).
pub(crate) fn use_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && io::stdout().is_terminal()
}
