//! The `rpm` binary: parse the command line, run it, map errors to exit codes.
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

fn main() {
    match rpm::cli::run() {
        Ok(()) => {}
        Err(e) if e.is_broken_pipe() => {}
        Err(e) => {
            eprintln!("{}", e.render());
            std::process::exit(e.exit_code());
        }
    }
}
