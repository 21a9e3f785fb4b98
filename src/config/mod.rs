//! Ecosystem configuration: the resolved `AppSpec` the daemon runs, and (in the CLI)
//! everything that turns a user's command line or ecosystem file into `AppSpec`s.

pub mod interpreter;
pub mod spec;

pub use spec::{AppSpec, ExecMode, LogType};

// TEMPORARY until the config branch lands.
pub fn validate_app_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains('/') || name == ".." || name.chars().any(char::is_control) {
        return Err("not a valid app name".into());
    }
    Ok(())
}
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    s.parse().map_err(|_| format!("`{s}` is not a duration"))
}
