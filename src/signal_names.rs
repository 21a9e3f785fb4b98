//! Signal names as users write them (`SIGUSR1`, `USR1`, `usr1` or `10`), and as logs name them.

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

/// A signal number as a log line names it: `SIGUSR1`, or `SIGRTMIN+3` for the
/// real-time signals nix has no name for.
pub fn describe(number: i32) -> String {
    match Signal::try_from(number) {
        Ok(signal) => signal.as_str().to_string(),
        Err(_) if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&number) => {
            format!("SIGRTMIN+{}", number - libc::SIGRTMIN())
        }
        Err(_) => format!("signal {number}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_named_and_real_time_signals() {
        assert_eq!(describe(libc::SIGUSR1), "SIGUSR1");
        assert_eq!(describe(libc::SIGRTMIN()), "SIGRTMIN+0");
        assert_eq!(describe(libc::SIGRTMIN() + 3), "SIGRTMIN+3");
        assert_eq!(describe(1000), "signal 1000");
    }

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
