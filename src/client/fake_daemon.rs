//! A fake daemon for unit tests: listens on a temporary `RPM_HOME/rpm.sock`, reads one
//! request per connection and answers with lines a test chose.
//!
//! Runs one thread per fake. After its last conversation it removes the socket, so a
//! client that comes back finds no daemon (and, with `start_on_demand(false)`, starts none).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::thread::JoinHandle;

use crate::ipc::protocol::{Notice, NoticeEvent, Response};
use crate::paths::Home;

/// A fake daemon and the temporary home it serves.
pub(crate) struct FakeDaemon {
    dir: tempfile::TempDir,
    thread: Option<JoinHandle<Vec<String>>>,
}

impl FakeDaemon {
    /// Serves one connection per entry of `conversations`, answering each request with
    /// that entry's lines (a newline is added to each), then closing the connection.
    pub(crate) fn serve(conversations: Vec<Vec<String>>) -> FakeDaemon {
        let dir = tempfile::tempdir().expect("a temporary RPM_HOME");
        let socket = dir.path().join("rpm.sock");
        let listener = UnixListener::bind(&socket).expect("bind the fake daemon's socket");
        let thread = std::thread::spawn(move || {
            let mut requests = Vec::new();
            for lines in conversations {
                let (stream, _) = listener.accept().expect("accept");
                let mut request = String::new();
                BufReader::new(&stream)
                    .read_line(&mut request)
                    .expect("read the request");
                requests.push(request);
                for line in lines {
                    // The client may have gone (a test of an early end): keep going.
                    let _ = (&stream).write_all(format!("{line}\n").as_bytes());
                }
            }
            drop(listener);
            let _ = std::fs::remove_file(&socket);
            requests
        });
        FakeDaemon {
            dir,
            thread: Some(thread),
        }
    }

    /// The home the fake serves.
    pub(crate) fn home(&self) -> Home {
        Home::at(self.dir.path())
    }

    /// A client of the fake that never starts a real daemon.
    pub(crate) fn client(&self) -> crate::client::Client {
        crate::client::Client::new(self.home()).start_on_demand(false)
    }

    /// Waits for the fake to finish; returns the request line of each conversation.
    pub(crate) fn requests(mut self) -> Vec<String> {
        self.thread
            .take()
            .expect("requests is called once")
            .join()
            .expect("the fake daemon's thread")
    }
}

/// One answer as a wire line.
pub(crate) fn line(response: &Response) -> String {
    serde_json::to_string(response).expect("a response encodes")
}

/// A notice of instance 3, `api`, at `at`.
pub(crate) fn notice(at: u64, event: NoticeEvent) -> Notice {
    Notice {
        at,
        id: 3,
        name: "api".into(),
        namespace: "default".into(),
        event,
    }
}

/// A notice as the wire line of a subscription.
pub(crate) fn notice_line(notice: &Notice) -> String {
    line(&Response::Notice {
        notice: notice.clone(),
    })
}
