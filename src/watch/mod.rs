//! Restart triggers: cron schedules here; file watching and the memory limit join it.
//!
//! Each trigger is a pure answer to "when (or whether) must this app restart"; the
//! supervisor thread asks and turns the answer into a deadline or an event. Nothing here
//! owns a thread or a process yet.

mod cron;

pub use cron::{next_after, next_after_in};
