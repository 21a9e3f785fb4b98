//! `Unmapped`: one attribute of one app that a target has no equivalent for, and how the
//! list is shown — one `warning:` line each on stderr, and the same sentences as comments
//! at the top of every exported file, so nothing is dropped without a word.

use std::fmt;

/// An attribute an export could not carry over (or carried over only in part).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unmapped {
    pub app: String,
    pub attribute: &'static str,
    /// What happens instead, in one sentence without a final period.
    pub why: String,
}

impl Unmapped {
    pub(crate) fn new(app: &str, attribute: &'static str, why: impl Into<String>) -> Unmapped {
        Unmapped {
            app: app.to_string(),
            attribute,
            why: why.into(),
        }
    }
}

impl fmt::Display for Unmapped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "app \"{}\": `{}` {}", self.app, self.attribute, self.why)
    }
}

/// The list as comment lines in a language whose comments start with `marker`; every
/// line break in a sentence is flattened so a value cannot end the comment.
pub(crate) fn comment_block(marker: &str, target: &str, unmapped: &[Unmapped]) -> String {
    let mut out = format!("{marker} Exported by rpm for {target}.\n");
    if unmapped.is_empty() {
        return out;
    }
    out.push_str(&format!(
        "{marker} Not carried over (no {target} equivalent):\n"
    ));
    for u in unmapped {
        let line: String = u
            .to_string()
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        out.push_str(&format!("{marker}   {line}\n"));
    }
    out
}

/// The entries every target shares: rpm features no engine here has.
pub(crate) fn common(spec: &crate::config::AppSpec, target: &str) -> Vec<Unmapped> {
    let name = spec.name.as_str();
    let mut out = Vec::new();
    if !spec.watch.is_empty() {
        out.push(Unmapped::new(
            name,
            "watch",
            format!("(restart on file changes) has no {target} equivalent: the app is not restarted when its files change"),
        ));
    }
    if spec.cron_restart.is_some() {
        out.push(Unmapped::new(
            name,
            "cron_restart",
            format!("(scheduled restarts) is not exported: schedule `{target}` restarts yourself"),
        ));
    }
    if spec.exp_backoff_restart_delay.is_some() {
        out.push(Unmapped::new(
            name,
            "exp_backoff_restart_delay",
            "is not exported: restarts use a fixed delay (restart_delay)",
        ));
    }
    if spec.increment_var.is_some() {
        out.push(Unmapped::new(
            name,
            "increment_var",
            "is not exported: instances do not get an incremented variable",
        ));
    }
    if spec.shutdown_with_message {
        out.push(Unmapped::new(
            name,
            "shutdown_with_message",
            "is not exported: the app is stopped by its kill signal",
        ));
    }
    if spec.log_date_format.is_some() || spec.time {
        out.push(Unmapped::new(
            name,
            "log_date_format",
            "is not exported: the engine timestamps log lines itself",
        ));
    }
    if spec.log_max_size.is_some() || spec.log_retain.is_some() || spec.log_compress {
        out.push(Unmapped::new(
            name,
            "log_max_size",
            "(rotation) is not exported: the engine rotates its own logs",
        ));
    }
    out
}
