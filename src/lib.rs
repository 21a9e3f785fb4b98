//! rpm: a process manager for any language, with PM2's verbs and systemd's rigour.
//!
//! One binary is both the CLI and the supervisor daemon. This library exposes the pieces
//! so the binary stays thin and other Rust programs can drive rpm through `rpm::Client`.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod atomic_write;
pub mod cli;
pub mod client;
pub mod cluster;
pub mod config;
pub mod convert;
pub mod daemon;
pub mod dump;
pub mod export;
pub mod fnv;
pub mod human;
pub mod ipc;
pub mod logs;
pub(crate) mod mailbox;
pub mod monit;
pub mod paths;
pub mod proctree;
pub mod signal_names;
pub mod startup;
pub mod watch;
pub mod web;
pub(crate) mod yaml_out;

pub use client::{Client, ClientError, ScriptStart};
