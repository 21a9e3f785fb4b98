//! Ecosystem configuration: the resolved `AppSpec` the daemon runs, and (in the CLI)
//! everything that turns a user's command line or ecosystem file into `AppSpec`s.

pub mod interpreter;
pub mod spec;

pub use spec::{AppSpec, ExecMode, LogType};
