//! The selected app's log lines, on a thread of its own ("monit-logs").
//!
//! The loop tells it which instance's files to follow (`Follow`); it answers with that
//! instance's last lines, then with new ones as they are written. It wakes when something
//! changes in the files' folders (inotify, through `notify`) or every `BACKSTOP`, never
//! otherwise, so a quiet app costs nothing. Lines are made safe for the screen first:
//! an app's colour codes and control characters would otherwise move the cursor.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use super::model::{LogLine, LOG_LINES};
use crate::logs::{FollowedLine, LogFollower, LogSource, Stream};

/// Look at the files this often even without an inotify event (network file systems).
const BACKSTOP: Duration = Duration::from_secs(2);

/// What the follower thread is told.
pub(crate) enum Order {
    /// Follow these files of instance `id` from their last lines on.
    Follow { id: u32, sources: Vec<LogSource> },
    /// Something changed in a watched folder.
    Changed,
    /// The dashboard is closing.
    Stop,
}

/// Lines for the loop: `fresh` when they start a newly followed instance's log.
pub(crate) struct Lines {
    pub id: u32,
    pub fresh: bool,
    pub lines: Vec<LogLine>,
}

/// Starts the thread; it sends through `deliver` until told to stop or the receiver is gone.
pub(crate) fn start<F>(deliver: F) -> std::io::Result<Sender<Order>>
where
    F: Fn(Lines) -> bool + Send + 'static,
{
    let (orders, inbox) = mpsc::channel();
    let wake = orders.clone();
    std::thread::Builder::new()
        .name("monit-logs".into())
        .spawn(move || follow(inbox, wake, deliver))?;
    Ok(orders)
}

fn follow<F: Fn(Lines) -> bool>(inbox: Receiver<Order>, wake: Sender<Order>, deliver: F) {
    // Without inotify, the backstop alone finds new lines.
    let mut watcher = notify::recommended_watcher(move |_| {
        let _ = wake.send(Order::Changed);
    })
    .map_err(|e| log::debug!("monit: no inotify for the logs ({e}); looking every {BACKSTOP:?}"))
    .ok();
    let mut watched: Vec<PathBuf> = Vec::new();
    let mut current: Option<(u32, LogFollower)> = None;
    let mut pending: Option<Order> = None;
    loop {
        let order = match pending.take() {
            Some(order) => order,
            None => match inbox.recv_timeout(BACKSTOP) {
                Ok(order) => order,
                Err(RecvTimeoutError::Timeout) => Order::Changed,
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        let batch = match order {
            Order::Stop => return,
            Order::Follow { id, sources } => {
                let (follower, lines) = match LogFollower::open(sources, LOG_LINES) {
                    Ok((follower, first)) => {
                        let lines = screen_lines(&follower, first);
                        (Some(follower), lines)
                    }
                    Err(e) => (None, vec![problem(&e)]),
                };
                if let (Some(watcher), Some(follower)) = (watcher.as_mut(), &follower) {
                    watch(watcher, &mut watched, follower.folders());
                }
                current = follower.map(|f| (id, f));
                Lines {
                    id,
                    fresh: true,
                    lines,
                }
            }
            Order::Changed => {
                // One look covers every event already queued; an order found among them
                // is carried out next.
                while let Ok(next) = inbox.try_recv() {
                    if !matches!(next, Order::Changed) {
                        pending = Some(next);
                        break;
                    }
                }
                let Some((id, follower)) = current.as_mut() else {
                    continue;
                };
                let id = *id;
                let looked = follower.poll().map(|new| screen_lines(follower, new));
                let lines = match looked {
                    Ok(lines) => lines,
                    Err(e) => {
                        current = None;
                        vec![problem(&e)]
                    }
                };
                if lines.is_empty() {
                    continue;
                }
                Lines {
                    id,
                    fresh: false,
                    lines,
                }
            }
        };
        if !deliver(batch) {
            return;
        }
    }
}

/// Watches `folders` and stops watching the others.
fn watch(watcher: &mut impl Watcher, watched: &mut Vec<PathBuf>, folders: Vec<PathBuf>) {
    for gone in watched.iter().filter(|w| !folders.contains(w)) {
        let _ = watcher.unwatch(gone);
    }
    watched.retain(|w| folders.contains(w));
    for folder in folders {
        if watched.contains(&folder) {
            continue;
        }
        // A folder that cannot be watched (not there yet) is looked at on the backstop.
        match watcher.watch(&folder, RecursiveMode::NonRecursive) {
            Ok(()) => watched.push(folder),
            Err(e) => log::debug!("monit: cannot watch {}: {e}", folder.display()),
        }
    }
}

fn screen_lines(follower: &LogFollower, lines: Vec<FollowedLine>) -> Vec<LogLine> {
    lines
        .into_iter()
        .map(|line| LogLine {
            err: follower
                .sources()
                .get(line.source)
                .is_some_and(|s| s.stream == Stream::Err),
            text: plain_text(&line.text),
        })
        .collect()
}

fn problem(e: &crate::logs::LogError) -> LogLine {
    LogLine {
        err: true,
        text: format!("cannot read the logs: {e}"),
    }
}

/// A log line as the screen can show it: invalid UTF-8 replaced, escape sequences
/// (colours, cursor moves, titles) and control characters removed, tabs as spaces.
pub(crate) fn plain_text(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\t' => out.push_str("    "),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Skips the rest of an escape sequence whose ESC was just read.
fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.next() {
        // CSI: parameters and intermediates, then one final character in `@`..=`~`.
        Some('[') => {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
        // OSC (a window title, a link): up to BEL or ESC \.
        Some(']') => {
            while let Some(c) = chars.next() {
                if c == '\u{7}' {
                    break;
                }
                if c == '\u{1b}' {
                    if chars.peek() == Some(&'\\') {
                        chars.next();
                    }
                    break;
                }
            }
        }
        // A character set choice (`ESC ( B`) is three characters long.
        Some(c) if (' '..='/').contains(&c) => {
            chars.next();
        }
        // Any other escape is two characters long; a lone ESC at the end is dropped.
        Some(_) | None => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_leaves_only_what_can_be_shown() {
        let rows: &[(&[u8], &str)] = &[
            (b"plain line", "plain line"),
            (
                b"\x1b[32mgreen\x1b[0m and \x1b[1;31mred\x1b[m",
                "green and red",
            ),
            (b"\x1b[2K\rprogress 50%", "progress 50%"),
            (b"\x1b]0;title\x07after", "after"),
            (b"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"),
            (b"a\tb", "a    b"),
            (b"bell\x07 back\x08space", "bell backspace"),
            (b"\xff\xfe bytes", "\u{fffd}\u{fffd} bytes"),
            (b"caf\xc3\xa9 \xe2\x9c\x93", "café ✓"),
            (b"\x1b(Bcharset", "charset"),
            (b"trailing \x1b", "trailing "),
        ];
        for (input, want) in rows {
            assert_eq!(plain_text(input), *want, "{input:?}");
        }
    }

    #[test]
    fn the_thread_sends_the_last_lines_then_new_ones_and_stops_when_told() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("api-out.log");
        let err = dir.path().join("api-error.log");
        std::fs::write(&out, "one\ntwo\n").expect("write");
        let (tx, rx) = mpsc::channel();
        let orders = start(move |lines| tx.send(lines).is_ok()).expect("thread");
        let source = |stream, path: &PathBuf| LogSource {
            id: 7,
            name: "api".into(),
            stream,
            path: path.clone(),
        };
        orders
            .send(Order::Follow {
                id: 7,
                sources: vec![source(Stream::Out, &out), source(Stream::Err, &err)],
            })
            .expect("send");
        let first = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("first lines");
        assert!(first.fresh);
        assert_eq!(first.id, 7);
        let texts: Vec<&str> = first.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["one", "two"]);
        std::fs::write(&err, "\x1b[31mboom\x1b[0m\n").expect("write err");
        let next = rx.recv_timeout(Duration::from_secs(10)).expect("new lines");
        assert!(!next.fresh);
        assert_eq!(
            next.lines,
            [LogLine {
                err: true,
                text: "boom".into()
            }]
        );
        orders.send(Order::Stop).expect("send");
        // The thread ends: its sender of lines is dropped.
        loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(_) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("the thread did not stop"),
            }
        }
    }
}
