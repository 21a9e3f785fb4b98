//! End-to-end tests: the real `rpm` binary, a private RPM_HOME, real child processes.

mod harness;

mod adoption;
mod bad_input;
mod cluster;
mod compat;
mod daemon_life;
mod events;
mod files;
mod keepalive;
mod logs;
mod resurrect;
mod startup;
mod stopping;
mod structure;
mod targets;
mod triggers;
mod watching;
