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
mod foreground;
mod habits;
mod invoked_name;
mod keepalive;
mod logs;
mod monit;
mod packaging;
mod resurrect;
mod run;
mod startup;
mod stopping;
mod structure;
mod targets;
mod triggers;
mod watching;
mod web;
