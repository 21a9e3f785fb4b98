//! HTTP/1.1 on a `TcpStream`, as much as `rpm web` needs: reading one request (head size
//! limit, body limit, `Content-Length` only) and writing one response.
//!
//! Runs on each connection's thread. Parsing the head is a pure function over bytes
//! (`parse_head`), table-tested; `read_request` adds the socket reads around it, with the
//! limits that keep a slow or hostile client from holding memory: the head may not pass
//! `MAX_HEAD`, the body `MAX_BODY` (413), and the socket's read timeout ends a stalled one.

use std::io::{self, Read, Write};

/// The largest request head (request line and headers) read.
pub const MAX_HEAD: usize = 16 * 1024;
/// The largest request body read: an ecosystem spec of a few hundred apps fits.
pub const MAX_BODY: usize = 1024 * 1024;

/// One request, as routes see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path without the query, percent-decoding not applied (ids and fixed names only).
    pub path: String,
    /// The query string after `?`, if any.
    pub query: Option<String>,
    /// `Authorization: Bearer <token>`'s token.
    pub bearer: Option<String>,
    /// Whether the client asked to keep the connection open (HTTP/1.1's default).
    pub keep_alive: bool,
    pub body: Vec<u8>,
}

impl Request {
    /// The value of `name` in the query string (`follow=1&lines=20`).
    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }
}

/// Why a request could not be read; each maps to a status and a sentence.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The client closed the connection before sending a request (a normal end).
    Closed,
    /// The request is not HTTP/1.x as we read it.
    Malformed(&'static str),
    /// The head passed `MAX_HEAD`.
    HeadTooLarge,
    /// `Content-Length` passed `MAX_BODY`.
    BodyTooLarge(usize),
    /// A body without `Content-Length` (chunked uploads are not accepted).
    LengthRequired,
    /// The client stopped sending in the middle of a request.
    TimedOut,
    /// The connection failed.
    Io(io::ErrorKind),
}

impl ReadError {
    /// The status and sentence to answer with, or `None` when there is no one to answer.
    pub fn answer(&self) -> Option<(u16, String)> {
        match self {
            ReadError::Closed | ReadError::Io(_) => None,
            ReadError::Malformed(what) => Some((400, format!("malformed HTTP request: {what}"))),
            ReadError::HeadTooLarge => Some((
                431,
                format!("the request's headers pass the {MAX_HEAD}-byte limit"),
            )),
            ReadError::BodyTooLarge(n) => Some((
                413,
                format!("the request body of {n} bytes passes the {MAX_BODY}-byte limit"),
            )),
            ReadError::LengthRequired => Some((
                411,
                "a request body needs a Content-Length header (chunked bodies are not accepted)"
                    .into(),
            )),
            ReadError::TimedOut => Some((408, "the request was not sent in time".into())),
        }
    }
}

/// A parsed head and how long its body is.
#[derive(Debug, PartialEq, Eq)]
pub struct Head {
    pub request: Request,
    pub content_length: usize,
}

/// Parses a request head (everything before the blank line, without it).
pub fn parse_head(head: &[u8]) -> Result<Head, ReadError> {
    let text = std::str::from_utf8(head).map_err(|_| ReadError::Malformed("not UTF-8"))?;
    let mut lines = text.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ReadError::Malformed(
            "the request line is not `METHOD PATH HTTP/1.1`",
        ));
    };
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(ReadError::Malformed("the method is not a token"));
    }
    let http11 = match version {
        "HTTP/1.1" => true,
        "HTTP/1.0" => false,
        _ => {
            return Err(ReadError::Malformed(
                "only HTTP/1.0 and HTTP/1.1 are served",
            ))
        }
    };
    if !target.starts_with('/') {
        return Err(ReadError::Malformed("the path does not start with `/`"));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (target, None),
    };
    let mut content_length = 0;
    let mut bearer = None;
    let mut keep_alive = http11;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(ReadError::Malformed("a header line has no `:`"));
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                content_length = value
                    .parse()
                    .map_err(|_| ReadError::Malformed("Content-Length is not a number"))?;
            }
            "transfer-encoding" => chunked = true,
            "authorization" => {
                bearer = value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .map(|t| t.trim().to_string());
            }
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.contains("close") {
                    keep_alive = false;
                } else if v.contains("keep-alive") {
                    keep_alive = true;
                }
            }
            _ => {}
        }
    }
    if chunked {
        return Err(ReadError::LengthRequired);
    }
    if content_length > MAX_BODY {
        return Err(ReadError::BodyTooLarge(content_length));
    }
    Ok(Head {
        request: Request {
            method: method.to_string(),
            path: path.to_string(),
            query,
            bearer,
            keep_alive,
            body: Vec::new(),
        },
        content_length,
    })
}

/// Reads requests from one connection; bytes read past one request are kept for the next.
pub struct RequestReader {
    buffer: Vec<u8>,
}

impl RequestReader {
    pub fn new() -> RequestReader {
        RequestReader { buffer: Vec::new() }
    }

    /// Reads the next request. The socket's read timeout bounds each read.
    pub fn read(&mut self, stream: &mut impl Read) -> Result<Request, ReadError> {
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = find_blank_line(&self.buffer) {
                break at;
            }
            if self.buffer.len() > MAX_HEAD {
                return Err(ReadError::HeadTooLarge);
            }
            let n = read_some(stream, &mut chunk, self.buffer.is_empty())?;
            self.buffer.extend_from_slice(&chunk[..n]);
        };
        if head_end > MAX_HEAD {
            return Err(ReadError::HeadTooLarge);
        }
        let Head {
            mut request,
            content_length,
        } = parse_head(&self.buffer[..head_end])?;
        let body_start = head_end + 4;
        while self.buffer.len() < body_start + content_length {
            let n = read_some(stream, &mut chunk, false)?;
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        request.body = self.buffer[body_start..body_start + content_length].to_vec();
        self.buffer.drain(..body_start + content_length);
        Ok(request)
    }
}

/// One read; an end of stream or a timeout before any byte of a request is `Closed`
/// (an idle keep-alive connection going away), later it is a broken request.
fn read_some(stream: &mut impl Read, chunk: &mut [u8], idle: bool) -> Result<usize, ReadError> {
    loop {
        match stream.read(chunk) {
            Ok(0) if idle => return Err(ReadError::Closed),
            Ok(0) => return Err(ReadError::Malformed("the connection closed mid-request")),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(if idle {
                    ReadError::Closed
                } else {
                    ReadError::TimedOut
                })
            }
            Err(e) => return Err(ReadError::Io(e.kind())),
        }
    }
}

fn find_blank_line(buffer: &[u8]) -> Option<usize> {
    buffer.windows(4).position(|w| w == b"\r\n\r\n")
}

/// A complete response.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Extra header lines, without the line end.
    pub headers: Vec<String>,
}

impl Response {
    pub fn new(status: u16, content_type: &'static str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type,
            body: body.into(),
            headers: Vec::new(),
        }
    }

    pub fn json(status: u16, value: &serde_json::Value) -> Response {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        Response::new(status, "application/json", body)
    }

    /// An error as JSON: `{"error": "...", "status": 404}`.
    pub fn error(status: u16, message: impl Into<String>) -> Response {
        Response::json(
            status,
            &serde_json::json!({"error": message.into(), "status": status}),
        )
    }

    pub fn with_header(mut self, line: impl Into<String>) -> Response {
        self.headers.push(line.into());
        self
    }

    /// Writes the response; `keep_alive` says whether the connection stays open after it.
    pub fn write_to(&self, out: &mut impl Write, keep_alive: bool) -> io::Result<()> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: {}\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len(),
            if keep_alive { "keep-alive" } else { "close" },
        );
        for line in &self.headers {
            head.push_str(line);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        let mut all = head.into_bytes();
        all.extend_from_slice(&self.body);
        out.write_all(&all)?;
        out.flush()
    }
}

/// The head of a streamed response (Server-Sent Events): no length, the connection
/// closes at its end.
pub fn stream_head(content_type: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nCache-Control: no-store\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\n"
    )
}

/// The reason phrase of the statuses rpm web sends.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_parse_into_requests_or_the_right_refusal() {
        let ok = |text: &str| parse_head(text.as_bytes()).expect("parses");
        let head = ok(
            "GET /api/processes?follow=1&lines=5 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc ",
        );
        assert_eq!(head.request.method, "GET");
        assert_eq!(head.request.path, "/api/processes");
        assert_eq!(head.request.query_value("follow"), Some("1"));
        assert_eq!(head.request.query_value("lines"), Some("5"));
        assert_eq!(head.request.query_value("nope"), None);
        assert_eq!(head.request.bearer.as_deref(), Some("abc"));
        assert!(head.request.keep_alive);
        assert_eq!(head.content_length, 0);

        let head = ok("POST /api/processes HTTP/1.0\r\ncontent-length: 12");
        assert_eq!(head.content_length, 12);
        assert!(!head.request.keep_alive);
        assert!(!ok("GET / HTTP/1.1\r\nConnection: close").request.keep_alive);
        assert!(
            ok("GET / HTTP/1.0\r\nConnection: keep-alive")
                .request
                .keep_alive
        );

        let rows: &[(&str, ReadError)] = &[
            (
                "GET /",
                ReadError::Malformed("the request line is not `METHOD PATH HTTP/1.1`"),
            ),
            (
                "GET / HTTP/2",
                ReadError::Malformed("only HTTP/1.0 and HTTP/1.1 are served"),
            ),
            (
                "get / HTTP/1.1",
                ReadError::Malformed("the method is not a token"),
            ),
            (
                "GET x HTTP/1.1",
                ReadError::Malformed("the path does not start with `/`"),
            ),
            (
                "GET / HTTP/1.1\r\nbroken",
                ReadError::Malformed("a header line has no `:`"),
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: x",
                ReadError::Malformed("Content-Length is not a number"),
            ),
            (
                "POST / HTTP/1.1\r\nContent-Length: 99999999",
                ReadError::BodyTooLarge(99_999_999),
            ),
            (
                "POST / HTTP/1.1\r\nTransfer-Encoding: chunked",
                ReadError::LengthRequired,
            ),
        ];
        for (text, want) in rows {
            assert_eq!(
                parse_head(text.as_bytes()).err().as_ref(),
                Some(want),
                "{text:?}"
            );
        }
    }

    #[test]
    fn a_reader_splits_pipelined_requests_and_refuses_huge_heads() {
        let mut input: &[u8] =
            b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n";
        let mut reader = RequestReader::new();
        let first = reader.read(&mut input).expect("first");
        assert_eq!(
            (first.path.as_str(), first.body.as_slice()),
            ("/a", &b"abc"[..])
        );
        let second = reader.read(&mut input).expect("second");
        assert_eq!(second.path, "/b");
        assert_eq!(reader.read(&mut input), Err(ReadError::Closed));

        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(MAX_HEAD));
        let mut input = huge.as_bytes();
        assert_eq!(
            RequestReader::new().read(&mut input),
            Err(ReadError::HeadTooLarge)
        );
        let mut cut: &[u8] = b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
        assert!(matches!(
            RequestReader::new().read(&mut cut),
            Err(ReadError::Malformed(_))
        ));
    }

    #[test]
    fn responses_carry_their_length_and_connection() {
        let mut out = Vec::new();
        Response::error(404, "no process with id 7")
            .write_to(&mut out, false)
            .expect("writes");
        let text = String::from_utf8(out).expect("utf-8");
        let body = r#"{"error":"no process with id 7","status":404}"#;
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"), "{text}");
        assert!(
            text.contains(&format!("Content-Length: {}\r\n", body.len())),
            "{text}"
        );
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with(&format!("\r\n\r\n{body}")), "{text}");
    }
}
