//! End-to-end tests: the real `rpm` binary, a private RPM_HOME, real child processes.

mod harness;

mod adoption;
mod bad_input;
mod cluster;
mod compat;
mod convert;
mod daemon_life;
mod events;
mod export;
mod files;
mod keepalive;
mod logs;
mod resurrect;
mod stopping;
mod structure;
mod targets;
mod triggers;
mod watching;
