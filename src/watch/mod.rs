//! Restart triggers: cron schedules here; file watching and the memory limit join it.

pub mod debounce;
pub mod files;
mod ignore;
