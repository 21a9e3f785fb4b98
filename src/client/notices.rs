//! `Notices`: the notices of one subscription, read line by line from its open connection.
//!
//! Runs on whichever thread iterates it. The iterator ends when the daemon closes the
//! connection (it went away, or dropped a subscriber that fell behind) or when a
//! `NoticesCloser` closes it from another thread; it never starts or reconnects a daemon
//! (`rpm events` decides that).

use std::io::{self, BufRead, BufReader};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;

use super::error::ClientError;
use super::wire;
use crate::ipc::protocol::{Notice, Response};

/// The notices of a subscription, in the order the daemon sent them: an iterator of
/// `Result<Notice, ClientError>` that ends at the end of the connection. After an error
/// item it ends too.
#[derive(Debug)]
pub struct Notices {
    reader: BufReader<UnixStream>,
    line: String,
    ended: bool,
}

impl Notices {
    pub(super) fn new(reader: BufReader<UnixStream>) -> Notices {
        Notices {
            reader,
            line: String::new(),
            ended: false,
        }
    }

    /// A handle that ends this subscription from another thread (a signal handler's, a
    /// UI's): the iterator then ends as if the daemon had closed the connection.
    pub fn closer(&self) -> Result<NoticesCloser, ClientError> {
        Ok(NoticesCloser {
            stream: self.reader.get_ref().try_clone()?,
        })
    }

    fn next_notice(&mut self) -> Option<Result<Notice, ClientError>> {
        self.line.clear();
        let read = loop {
            match self.reader.read_line(&mut self.line) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        match read {
            Ok(0) => None,
            Ok(_) => Some(match wire::parse_answer(&self.line) {
                Ok(Response::Notice { notice }) => Ok(notice),
                Ok(Response::Error { kind, message }) => Err(ClientError::Daemon { kind, message }),
                Ok(other) => Err(ClientError::Protocol(format!(
                    "a `{}` line in a subscription",
                    wire::tag(&other, "type")
                ))),
                Err(e) => Err(e),
            }),
            // Closed under us by a `NoticesCloser`: an end, not an error.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => None,
            Err(e) => Some(Err(ClientError::Io(e))),
        }
    }
}

impl Iterator for Notices {
    type Item = Result<Notice, ClientError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ended {
            return None;
        }
        let item = self.next_notice();
        if !matches!(item, Some(Ok(_))) {
            self.ended = true;
        }
        item
    }
}

impl std::iter::FusedIterator for Notices {}

/// Ends a subscription from another thread; see `Notices::closer`.
#[derive(Debug)]
pub struct NoticesCloser {
    stream: UnixStream,
}

impl NoticesCloser {
    /// Closes the subscription's connection; its `Notices` ends at once. Closing twice,
    /// or after the daemon closed it, does nothing.
    pub fn close(&self) {
        // NotConnected when already closed: nothing left to do.
        let _ = self.stream.shutdown(Shutdown::Both);
    }
}
