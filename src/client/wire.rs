//! One exchange on the daemon's socket: write the request line, read the first answer line.
//!
//! Shared by every verb (which then closes the connection) and by `subscribe` (which keeps
//! reading notices on it). Runs on the caller's thread; nothing here starts a daemon.

use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;

use serde::Serialize;

use super::error::ClientError;
use crate::ipc::protocol::{Request, Response, MAX_REQUEST_BYTES, VERSION};

/// The wire form of `protocol::Envelope`, borrowing the request so a request asked again
/// (of a new daemon) is not copied, however many app specs it carries.
#[derive(Serialize)]
struct EnvelopeRef<'a> {
    version: &'a str,
    request: &'a Request,
}

/// Writes `request` on `stream` and reads one answer. An `Error` answer becomes
/// `ClientError::Daemon`; the reader is returned for answers that are followed by more
/// lines (a subscription's notices).
pub(super) fn exchange(
    stream: UnixStream,
    request: &Request,
) -> Result<(Response, BufReader<UnixStream>), ClientError> {
    let envelope = EnvelopeRef {
        version: VERSION,
        request,
    };
    let mut line =
        serde_json::to_vec(&envelope).map_err(|e| ClientError::Protocol(e.to_string()))?;
    if line.len() > MAX_REQUEST_BYTES {
        return Err(ClientError::TooLarge {
            bytes: line.len(),
            limit: MAX_REQUEST_BYTES,
        });
    }
    line.push(b'\n');
    (&stream).write_all(&line)?;
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    if reader.read_line(&mut answer)? == 0 {
        return Err(ClientError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the daemon closed the connection without answering",
        )));
    }
    match parse_answer(&answer)? {
        Response::Error { kind, message } => Err(ClientError::Daemon { kind, message }),
        other => Ok((other, reader)),
    }
}

/// Reads one answer line.
pub(super) fn parse_answer(line: &str) -> Result<Response, ClientError> {
    serde_json::from_str(line).map_err(|e| {
        ClientError::Protocol(format!("`{}` is not an answer: {e}", shorten(line.trim())))
    })
}

/// The error for an answer of the wrong kind to `request` (named by its variant, never
/// dumped: it may carry whole app specs).
pub(super) fn unexpected(request: &Request, response: &Response) -> ClientError {
    ClientError::Protocol(format!(
        "a `{}` answer to `{}`",
        tag(response, "type"),
        tag(request, "cmd")
    ))
}

/// The serde tag of a wire enum value.
pub(super) fn tag(value: &impl Serialize, key: &str) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.get(key).and_then(|t| t.as_str()).map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string())
}

/// At most 80 characters of a line, for an error sentence.
fn shorten(line: &str) -> String {
    const MAX: usize = 80;
    match line.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}…", &line[..end]),
        None => line.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_answer_is_named_not_dumped() {
        let err = unexpected(
            &Request::List,
            &Response::Pong {
                version: "1".into(),
                pid: 2,
            },
        );
        assert_eq!(
            err.to_string(),
            "the rpm daemon sent an answer this CLI does not understand (a `pong` answer to `list`): run `rpm update`"
        );
    }

    #[test]
    fn a_long_garbage_line_is_shortened_in_the_error() {
        let line = "x".repeat(200);
        let Err(ClientError::Protocol(message)) = parse_answer(&line) else {
            panic!("garbage must be a protocol error");
        };
        assert!(
            message.starts_with(&format!("`{}…`", "x".repeat(80))),
            "{message}"
        );
    }
}
