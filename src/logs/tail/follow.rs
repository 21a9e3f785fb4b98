//! Following log files for a dashboard: the lines themselves, not printed.
//!
//! `rpm monit` keeps one `LogFollower` for the selected app on a thread of its own and
//! calls `poll` when something changed in the files' folders (or on a backstop timer).
//! It reads the same way `rpm logs` does (one `Tracker` per path: rotation, truncation,
//! a file that appears later), so both show the same lines.

use std::path::PathBuf;

use super::tracker::Tracker;
use super::{parent_dir, LogSource, Sink, Stop};
use crate::logs::error::LogError;
use crate::logs::writers::Label;

/// One whole line read from a followed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowedLine {
    /// Index of its file in the sources the follower was opened with.
    pub source: usize,
    /// The line's bytes, without the `\n`.
    pub text: Vec<u8>,
}

/// Follows a few log files: their last lines first, then whatever is appended.
pub struct LogFollower {
    sources: Vec<LogSource>,
    trackers: Vec<Tracker>,
}

/// Gathers the lines trackers read.
struct Collect(Vec<FollowedLine>);

impl Sink for Collect {
    fn line(&mut self, index: usize, _writer: Option<&Label>, line: &[u8]) -> Result<(), Stop> {
        self.0.push(FollowedLine {
            source: index,
            text: line.to_vec(),
        });
        Ok(())
    }
}

/// A collector never reports a reader gone; a failed read is the follower's error.
fn failure(stop: Stop) -> Result<(), LogError> {
    match stop {
        Stop::Failed(e) => Err(e),
        Stop::ReaderGone => Ok(()),
    }
}

impl LogFollower {
    /// Opens `sources` (a missing file is followed until it appears) and returns the last
    /// `last` lines of each, file by file in the order given.
    pub fn open(
        sources: Vec<LogSource>,
        last: usize,
    ) -> Result<(LogFollower, Vec<FollowedLine>), LogError> {
        let mut collect = Collect(Vec::new());
        let mut trackers = Vec::with_capacity(sources.len());
        for (index, source) in sources.iter().enumerate() {
            let mut tracker = Tracker::new(index, &source.path, None);
            if let Err(stop) = tracker.print_last_lines(last, &mut collect) {
                failure(stop)?;
            }
            trackers.push(tracker);
        }
        Ok((LogFollower { sources, trackers }, collect.0))
    }

    /// The whole lines appended since the last look, file by file.
    pub fn poll(&mut self) -> Result<Vec<FollowedLine>, LogError> {
        let mut collect = Collect(Vec::new());
        for tracker in &mut self.trackers {
            if let Err(stop) = tracker.poll(&mut collect) {
                failure(stop)?;
            }
        }
        Ok(collect.0)
    }

    /// The files followed, as given to `open`.
    pub fn sources(&self) -> &[LogSource] {
        &self.sources
    }

    /// The folders holding the files, each once: what to watch for changes.
    pub fn folders(&self) -> Vec<PathBuf> {
        let mut folders: Vec<PathBuf> = Vec::new();
        for source in &self.sources {
            let dir = parent_dir(&source.path);
            if !folders.contains(&dir) {
                folders.push(dir);
            }
        }
        folders
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::Stream;
    use std::io::Write;

    fn texts(lines: &[FollowedLine]) -> Vec<(usize, String)> {
        lines
            .iter()
            .map(|l| (l.source, String::from_utf8_lossy(&l.text).into_owned()))
            .collect()
    }

    #[test]
    fn last_lines_then_appended_lines_then_a_file_that_appears() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = dir.path().join("api-out.log");
        let err = dir.path().join("api-error.log");
        std::fs::write(&out, "one\ntwo\nthree\n").expect("write");
        let sources = vec![
            LogSource {
                id: 0,
                name: "api".into(),
                stream: Stream::Out,
                path: out.clone(),
            },
            LogSource {
                id: 0,
                name: "api".into(),
                stream: Stream::Err,
                path: err.clone(),
            },
        ];
        let (mut follower, first) = LogFollower::open(sources, 2).expect("open");
        assert_eq!(texts(&first), [(0, "two".into()), (0, "three".into())]);
        assert!(follower.poll().expect("poll").is_empty());
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&out)
            .expect("open out");
        file.write_all(b"four\nhal").expect("append");
        std::fs::write(&err, "oops\n").expect("write err");
        assert_eq!(
            texts(&follower.poll().expect("poll")),
            [(0, "four".into()), (1, "oops".into())]
        );
        file.write_all(b"f\n").expect("append");
        assert_eq!(texts(&follower.poll().expect("poll")), [(0, "half".into())]);
        assert_eq!(follower.folders(), [dir.path().to_path_buf()]);
    }
}
