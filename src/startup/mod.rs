//! Boot scripts: `rpm startup` and `rpm unstartup` for systemd, launchd, OpenRC, upstart,
//! SysV init and FreeBSD's rc.d.
//!
//! Everything here is pure except `account` (the user database), `observe` (which init
//! system this machine runs) and `install` (carrying out a plan): `Boot::resolve` checks
//! and gathers every value a script needs, one renderer per init system writes the script
//! from them (each value quoted by `quote` for the script's language), and `plan` lists
//! the files, links and commands that install or remove it. Used by `cli/startup.rs`;
//! imports nothing above it.

pub mod account;
mod boot;
mod detect;
mod error;
mod install;
pub mod names;
mod plan;
pub mod quote;
mod render;
mod system;

mod launchd;
mod openrc;
mod rcd;
mod shell;
mod systemd;
mod sysv;
mod upstart;

pub use account::Account;
pub use boot::{Boot, Host, Request};
pub use detect::{detect, observe, on_path, Observations};
pub use error::StartupError;
pub use install::{apply, under};
pub use plan::{plan_install, plan_uninstall, Step, Target};
pub use render::render;
pub use system::InitSystem;

#[cfg(test)]
mod tests;
