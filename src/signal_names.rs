//! Signal names as users write them: `SIGUSR1`, `USR1`, `usr1` or `10`.

use nix::sys::signal::Signal;

/// The signal a user named, or `None` when no such signal exists.
pub fn parse(name: &str) -> Option<Signal> {
    let trimmed = name.trim();
    if let Ok(number) = trimmed.parse::<i32>() {
        return Signal::try_from(number).ok();
    }
    let upper = trimmed.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    full.parse::<Signal>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_usual_spellings() {
        let rows = [
            ("SIGINT", Some(Signal::SIGINT)),
            ("sigterm", Some(Signal::SIGTERM)),
            ("USR1", Some(Signal::SIGUSR1)),
            ("usr2", Some(Signal::SIGUSR2)),
            ("9", Some(Signal::SIGKILL)),
            (" HUP ", Some(Signal::SIGHUP)),
            ("SIGNOPE", None),
            ("0", None),
            ("999", None),
            ("", None),
        ];
        for (input, want) in rows {
            assert_eq!(parse(input), want, "{input:?}");
        }
    }
}
