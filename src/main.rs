//! The `rpm` binary: parse the command line, run it, map errors to exit codes.
fn main() {}
