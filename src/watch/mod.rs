//! Restart triggers that are not the supervisor's own: cron schedules (`cron`, pure:
//! "when must this app restart next") and file watching (`files`: the watcher thread,
//! `debounce`: its pure planner, `ignore`: the `ignore_watch` matcher). The supervisor
//! turns cron fire times into deadlines and the watcher's reports into restarts
//! (`daemon/supervisor/{triggers,watching}.rs`). The memory limit lives with the
//! sampler, in the daemon.

mod cron;
pub mod debounce;
pub mod files;
mod ignore;

pub use cron::{next_after, next_after_in};
