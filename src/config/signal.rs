//! Signal names accepted for `kill_signal`: the POSIX/Linux names, with or without the
//! `SIG` prefix, normalised to `SIGNAME`. Pure; runs in the CLI.

/// The canonical `SIGNAME` for `s` (`"term"`, `"SIGTERM"` → `"SIGTERM"`).
pub fn parse_signal(s: &str) -> Result<String, String> {
    // Names only in files: a number means different signals on different systems.
    let named = s.trim().parse::<i32>().is_err();
    match crate::signal_names::parse(s).filter(|_| named) {
        Some(signal) => Ok(signal.as_str().to_string()),
        None => Err(format!(
            "{s:?} is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"
        )),
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
