//! Restart triggers: cron schedules here; file watching and the memory limit join it.

pub mod debounce;
