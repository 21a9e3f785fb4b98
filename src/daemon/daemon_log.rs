//! `daemon.log`: where the daemon's own lines go, rotated like app logs.
//!
//! env_logger formats each record as one line; `DaemonLog` hands it to a rotating
//! `LogFile` in `RPM_HOME/daemon.log` (stderr when the daemon runs in the foreground).

use std::io::{self, Write};

use super::{DaemonError, Mode};
use crate::paths::Home;

/// `daemon.log` is rotated like app logs: 10 MB per file (`RPM_DAEMON_LOG_MAX_SIZE`, in
/// the daemon's environment, sets another size), 5 files kept.
const DAEMON_LOG_ROTATION: crate::logs::Rotation = crate::logs::Rotation {
    max_size: Some(10 * 1024 * 1024),
    retain: Some(5),
    compress: false,
};

/// Names the size at which `daemon.log` rotates.
const DAEMON_LOG_SIZE_VAR: &str = "RPM_DAEMON_LOG_MAX_SIZE";

/// The rotation of `daemon.log`, and a problem with `RPM_DAEMON_LOG_MAX_SIZE` to log once
/// logging works.
fn daemon_log_rotation() -> (crate::logs::Rotation, Option<String>) {
    let mut rotation = DAEMON_LOG_ROTATION;
    let Some(value) = std::env::var_os(DAEMON_LOG_SIZE_VAR) else {
        return (rotation, None);
    };
    let size = value
        .to_str()
        .ok_or_else(|| format!("{value:?} is not text"))
        .and_then(crate::config::units::parse_size)
        .and_then(|size| match size {
            0 => Err("0 is not a size".to_string()),
            size => Ok(size),
        });
    match size {
        Ok(size) => {
            rotation.max_size = Some(size);
            (rotation, None)
        }
        Err(e) => (
            rotation,
            Some(format!("{DAEMON_LOG_SIZE_VAR}: {e}; using 10M")),
        ),
    }
}

/// Hands env_logger's records (one whole line per write) to a rotating `LogFile`.
struct DaemonLog(crate::logs::LogFile);

impl Write for DaemonLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(super) fn init_logging(home: &Home, mode: Mode) -> Result<(), DaemonError> {
    let mut builder = env_logger::Builder::new();
    builder.parse_filters(&std::env::var("RPM_LOG").unwrap_or_else(|_| "info".into()));
    builder.format_timestamp_millis();
    let (rotation, problem) = daemon_log_rotation();
    if mode != Mode::Foreground {
        let path = home.daemon_log();
        let file = crate::logs::LogFile::open(&path, rotation).map_err(|e| DaemonError::File {
            what: "open",
            path,
            source: io::Error::other(e),
        })?;
        builder.target(env_logger::Target::Pipe(Box::new(DaemonLog(file))));
    }
    let _ = builder.try_init();
    if let Some(problem) = problem {
        log::warn!("{problem}");
    }
    Ok(())
}
