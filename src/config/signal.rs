//! Signal names accepted for `kill_signal`: the POSIX/Linux names, with or without the
//! `SIG` prefix, normalised to `SIGNAME`. Pure; runs in the CLI.

const SIGNALS: &[&str] = &[
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The canonical `SIGNAME` for `s` (`"term"`, `"SIGTERM"` → `"SIGTERM"`).
pub fn parse_signal(s: &str) -> Result<String, String> {
    let upper = s.trim().to_ascii_uppercase();
    let name = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    if SIGNALS.contains(&name.as_str()) {
        Ok(name)
    } else {
        Err(format!(
            "{s:?} is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        let rows: &[(&str, Result<&str, &str>)] = &[
            ("SIGINT", Ok("SIGINT")),
            ("SIGTERM", Ok("SIGTERM")),
            ("term", Ok("SIGTERM")),
            ("sigusr2", Ok("SIGUSR2")),
            ("HUP", Ok("SIGHUP")),
            (
                "SIGFOO",
                Err("\"SIGFOO\" is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"),
            ),
            (
                "",
                Err("\"\" is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"),
            ),
            (
                "15",
                Err("\"15\" is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"),
            ),
        ];
        for (input, want) in rows {
            assert_eq!(
                parse_signal(input),
                want.map(str::to_string).map_err(str::to_string),
                "{input:?}"
            );
        }
    }
}
