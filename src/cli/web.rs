//! `rpm web [--port P] [--host H] [--stop]`: starts the HTTP server in the background and
//! says where it serves, or stops it; `--serve` (hidden) is the server itself (`web::serve`).

use super::args::WebArgs;
use super::error::CliError;
use crate::client::Client;
use crate::web::{self, ServeOptions, WebError};

pub fn web(client: Client, args: &WebArgs) -> Result<(), CliError> {
    let opts = ServeOptions {
        host: args.host.clone(),
        port: args.port,
    };
    if args.serve {
        web::init_log();
        return web::serve(client, &opts).map_err(|e| {
            log::error!("{e}");
            failed(e)
        });
    }
    if args.stop {
        let pid = web::stop(&client).map_err(failed)?;
        println!("rpm web (pid {pid}) stopped");
        return Ok(());
    }
    let exe = std::env::current_exe().map_err(|e| {
        CliError::Failed(format!(
            "cannot find this rpm binary to run the server: {e}"
        ))
    })?;
    let launched = web::launch(&client, &exe, &opts).map_err(failed)?;
    let token = client.home().root().join(web::TOKEN_FILE);
    let verb = if launched.already {
        "already serves"
    } else {
        "serves"
    };
    println!(
        "rpm web {verb} {url} (pid {pid}): API {url}/api/processes, events {url}/api/events, metrics {url}/metrics, dashboard {url}/ui",
        url = launched.url,
        pid = launched.pid
    );
    println!(
        "actions need `Authorization: Bearer <token>`, the token in {}",
        token.display()
    );
    Ok(())
}

fn failed(e: WebError) -> CliError {
    match e.exit_code() {
        2 => CliError::Usage(e.to_string()),
        _ => match e {
            WebError::Client(c) => CliError::Client(c),
            other => CliError::Failed(other.to_string()),
        },
    }
}
