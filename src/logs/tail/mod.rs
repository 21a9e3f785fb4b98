//! `rpm logs`: print the last lines of log files, then follow them.
//!
//! Runs in the CLI process, on the caller's thread. The last N lines are found by reading
//! backwards from the end in blocks, so a multi-GB file costs a few reads. Following
//! keeps each path in view across appends, app restarts (same path), rotation (the file
//! is renamed and a new one appears: the old one is read to its end first) and flush
//! (the file shrinks: reading restarts at 0). Wake-ups come from inotify (`notify`) on
//! the files' directories; a slow backstop timer covers file systems without events.
//! Output stops quietly when the reader goes away (broken pipe).

mod follow;
mod printer;
mod tracker;

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use notify::{RecursiveMode, Watcher};

use super::error::LogError;
use super::format::Stream;
use super::timestamp::TimestampFormat;
use super::writers::Label;
pub use follow::{FollowedLine, LogFollower};
use printer::Printer;
use tracker::Tracker;

/// One file `rpm logs` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct LogSource {
    pub id: u32,
    pub name: String,
    pub stream: Stream,
    pub path: PathBuf,
}

/// How `rpm logs` prints.
#[derive(Debug, Clone, PartialEq)]
pub struct TailOptions {
    /// Last lines shown per file before following.
    pub lines: usize,
    /// Keep printing new lines until the reader goes away.
    pub follow: bool,
    /// Lines exactly as in the file, without the `<id>|<name> | ` prefix or headers.
    pub raw: bool,
    /// Prefix each line with the time it was printed.
    pub timestamp: Option<TimestampFormat>,
    /// One JSON object per line.
    pub json: bool,
    /// ANSI colours: a colour per app, errors in red.
    pub color: bool,
    /// The daemon's writer indexes (`RPM_HOME/logs/writers`): each line of a file
    /// several instances share carries the instance that wrote it. `None`, or no index
    /// for a file: its lines carry their source's id.
    pub writers: Option<PathBuf>,
}

/// Bytes read per block, backwards for the last lines and forwards when following.
const BLOCK: usize = 64 * 1024;
/// Re-check files this often even without an inotify event (network file systems).
const BACKSTOP: Duration = Duration::from_secs(2);

/// What a caller feeds `tail_fed` while it follows.
#[derive(Debug, Clone, PartialEq)]
pub enum TailInput {
    /// Another file to follow (an app started since), from its start if it is new.
    Source(LogSource),
    /// A line about an instance's life, printed with its prefix.
    Lifecycle { id: u32, name: String, text: String },
}

/// The caller's end of a following `tail_fed`: sends stop mattering once it returns.
#[derive(Debug, Clone)]
pub struct TailFeed(mpsc::Sender<Wake>);

impl TailFeed {
    /// Hands `input` to the tail; false once it has returned.
    pub fn send(&self, input: TailInput) -> bool {
        self.0.send(Wake::Input(input)).is_ok()
    }
}

/// Why the following loop wakes up.
#[derive(Debug)]
enum Wake {
    /// Something changed in a watched directory.
    Files,
    Input(TailInput),
}

/// Prints the last `opts.lines` lines of each source, then, with `opts.follow`, new lines
/// as they are written. Returns when done, or when `out` reports a broken pipe.
pub fn tail(
    sources: &[LogSource],
    opts: &TailOptions,
    out: &mut dyn Write,
) -> Result<(), LogError> {
    tail_fed(sources, opts, out, |_| {})
}

/// `tail`, where `feed` is handed (once, when following begins) a `TailFeed` through
/// which more sources and lifecycle lines arrive, from a thread of the caller's.
pub fn tail_fed(
    sources: &[LogSource],
    opts: &TailOptions,
    out: &mut dyn Write,
    feed: impl FnOnce(TailFeed),
) -> Result<(), LogError> {
    match run(sources, opts, out, feed) {
        Err(Stop::ReaderGone) => Ok(()),
        Err(Stop::Failed(e)) => Err(e),
        Ok(()) => Ok(()),
    }
}

/// Where a `Tracker` hands the lines it reads: the printer of `rpm logs`, or a
/// `LogFollower`'s collection.
trait Sink {
    /// The header before source `index`'s last `lines` lines.
    fn header(&mut self, _index: usize, _lines: usize) {}
    /// One line (without `\n`) of source `index`, written by `writer` when the
    /// daemon's index says so (else by the source's instance).
    fn line(&mut self, index: usize, writer: Option<&Label>, line: &[u8]) -> Result<(), Stop>;
}

/// Why printing stopped early.
enum Stop {
    ReaderGone,
    Failed(LogError),
}

impl From<LogError> for Stop {
    fn from(e: LogError) -> Stop {
        Stop::Failed(e)
    }
}

fn run(
    sources: &[LogSource],
    opts: &TailOptions,
    out: &mut dyn Write,
    feed: impl FnOnce(TailFeed),
) -> Result<(), Stop> {
    // File times are coarse (a clock tick): a file made just after this may carry an
    // earlier time.
    let began = SystemTime::now() - Duration::from_millis(50);
    let mut printer = Printer::new(sources, opts, out);
    let mut trackers = Vec::with_capacity(sources.len());
    for (index, source) in sources.iter().enumerate() {
        let mut tracker = Tracker::new(index, &source.path, opts.writers.as_deref());
        tracker.print_last_lines(opts.lines, &mut printer)?;
        if !opts.follow {
            tracker.finish_line(&mut printer)?;
        }
        printer.flush()?;
        trackers.push(tracker);
    }
    if !opts.follow {
        return Ok(());
    }
    let (tx, rx) = mpsc::channel();
    let files = tx.clone();
    let mut watcher = notify::recommended_watcher(move |_event| {
        // The receiver only goes away when `tail` returns.
        let _ = files.send(Wake::Files);
    })
    .map_err(|source| LogError::WatcherInit { source })?;
    let mut watched: Vec<PathBuf> = Vec::new();
    for source in sources {
        watch_dir(&mut watcher, &mut watched, &source.path)?;
    }
    feed(TailFeed(tx));
    loop {
        for tracker in &mut trackers {
            tracker.poll(&mut printer)?;
            printer.flush()?;
        }
        // Any event in a watched directory, or the backstop, means: look again.
        let mut wakes = match rx.recv_timeout(BACKSTOP) {
            Ok(wake) => vec![wake],
            Err(mpsc::RecvTimeoutError::Timeout) => Vec::new(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        };
        wakes.extend(rx.try_iter());
        for wake in wakes {
            match wake {
                Wake::Files => {}
                Wake::Input(TailInput::Lifecycle { id, name, text }) => {
                    // What the app wrote before it exited comes first.
                    for tracker in &mut trackers {
                        tracker.poll(&mut printer)?;
                    }
                    printer.flush()?;
                    printer.lifecycle(id, &name, &text)?;
                }
                Wake::Input(TailInput::Source(source)) => {
                    if printer.shows(&source.path) {
                        continue;
                    }
                    watch_dir(&mut watcher, &mut watched, &source.path)?;
                    let path = source.path.clone();
                    let index = printer.add_source(source);
                    let mut tracker = Tracker::new(index, &path, opts.writers.as_deref());
                    if !born_after(&path, began) {
                        // A file from before: its last lines, as for the first sources.
                        tracker.print_last_lines(opts.lines, &mut printer)?;
                    }
                    trackers.push(tracker);
                }
            }
        }
    }
}

/// Whether the file at `path` was made after `began` (or does not exist yet): then it
/// is read from its start. A file system without birth times counts as older.
fn born_after(path: &Path, began: SystemTime) -> bool {
    match std::fs::metadata(path) {
        Err(_) => true,
        Ok(meta) => meta.created().is_ok_and(|born| born >= began),
    }
}

/// Watches the folder of `path` once (a folder that does not exist yet is covered by the
/// backstop re-check).
fn watch_dir(
    watcher: &mut notify::RecommendedWatcher,
    watched: &mut Vec<PathBuf>,
    path: &Path,
) -> Result<(), Stop> {
    let dir = parent_dir(path);
    if watched.contains(&dir) {
        return Ok(());
    }
    match watcher.watch(&dir, RecursiveMode::NonRecursive) {
        Ok(()) => {}
        Err(e) if matches!(&e.kind, notify::ErrorKind::PathNotFound) => {}
        Err(e) if matches!(&e.kind, notify::ErrorKind::Io(io) if io.kind() == io::ErrorKind::NotFound) =>
            {}
        Err(source) => return Err(LogError::Watch { path: dir, source }.into()),
    }
    watched.push(dir);
    Ok(())
}

/// What wakes [`follow`]: a file may have changed, or it is time to finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nudge {
    Look,
    /// Print what is left (partial last lines too) and return.
    Finish,
}

/// Follows `sources`, each from the byte offset beside it (what the file held before,
/// so nothing written since is missed and nothing older is shown), until `nudges`
/// brings `Finish` (or every sender is gone); then prints what is left and returns.
/// `wake` is a sender of the same channel, for the file watcher. Used by `rpm run`.
pub fn follow(
    sources: &[(LogSource, u64)],
    opts: &TailOptions,
    out: &mut dyn Write,
    wake: mpsc::Sender<Nudge>,
    nudges: mpsc::Receiver<Nudge>,
) -> Result<(), LogError> {
    let files: Vec<LogSource> = sources.iter().map(|(s, _)| s.clone()).collect();
    match follow_inner(&files, sources, opts, out, wake, nudges) {
        Err(Stop::ReaderGone) | Ok(()) => Ok(()),
        Err(Stop::Failed(e)) => Err(e),
    }
}

fn follow_inner(
    files: &[LogSource],
    sources: &[(LogSource, u64)],
    opts: &TailOptions,
    out: &mut dyn Write,
    wake: mpsc::Sender<Nudge>,
    nudges: mpsc::Receiver<Nudge>,
) -> Result<(), Stop> {
    let mut printer = Printer::new(files, opts, out);
    let mut trackers = Vec::with_capacity(sources.len());
    for (index, (source, offset)) in sources.iter().enumerate() {
        let mut tracker = Tracker::new(index, &source.path, opts.writers.as_deref());
        tracker.open_at(*offset)?;
        trackers.push(tracker);
    }
    let mut watcher = notify::recommended_watcher(move |_event| {
        let _ = wake.send(Nudge::Look);
    })
    .map_err(|source| LogError::WatcherInit { source })?;
    let mut watched: Vec<PathBuf> = Vec::new();
    for (source, _) in sources {
        let dir = parent_dir(&source.path);
        if !watched.contains(&dir) {
            // A folder that cannot be watched is still read on every backstop tick.
            let _ = watcher.watch(&dir, RecursiveMode::NonRecursive);
            watched.push(dir);
        }
    }
    loop {
        for tracker in &mut trackers {
            tracker.poll(&mut printer)?;
        }
        printer.flush()?;
        match nudges.recv_timeout(BACKSTOP) {
            Ok(Nudge::Look) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Ok(Nudge::Finish) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(watcher);
    for tracker in &mut trackers {
        tracker.poll(&mut printer)?;
        tracker.finish_line(&mut printer)?;
    }
    printer.flush()?;
    Ok(())
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.to_path_buf(),
        None => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::printer::{app_colour, RED, RESET};
    use super::*;
    use crate::logs::{LogFile, Rotation};
    use std::fs;
    use std::time::Instant;

    fn options() -> TailOptions {
        TailOptions {
            lines: 10,
            follow: false,
            raw: false,
            timestamp: None,
            json: false,
            color: false,
            writers: None,
        }
    }

    fn source(id: u32, name: &str, stream: Stream, path: &Path) -> LogSource {
        LogSource {
            id,
            name: name.into(),
            stream,
            path: path.to_path_buf(),
        }
    }

    fn tail_to_string(sources: &[LogSource], opts: &TailOptions) -> String {
        let mut out = Vec::new();
        tail(sources, opts, &mut out).expect("tail succeeds");
        String::from_utf8(out).expect("utf8")
    }

    #[test]
    fn last_lines_of_a_big_file_across_blocks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("big-out.log");
        let mut content = Vec::new();
        for i in 0..200_000 {
            content.extend_from_slice(format!("line {i}\n").as_bytes());
        }
        // One line longer than a block near the end.
        let long = "L".repeat(3 * BLOCK);
        content.extend_from_slice(format!("{long}\nlast\n").as_bytes());
        fs::write(&path, &content).expect("write");
        let mut opts = options();
        opts.raw = true;
        opts.lines = 4;
        let got = tail_to_string(&[source(0, "big", Stream::Out, &path)], &opts);
        assert_eq!(got, format!("line 199998\nline 199999\n{long}\nlast\n"));
    }

    #[test]
    fn prefixes_headers_and_shapes() {
        let dir = tempfile::tempdir().expect("temp dir");
        let out_path = dir.path().join("api-out.log");
        let err_path = dir.path().join("worker-error.log");
        fs::write(&out_path, b"o1\no2\no3\n").expect("write");
        fs::write(&err_path, b"e1\ne2").expect("write");
        let sources = [
            source(0, "api", Stream::Out, &out_path),
            source(12, "worker", Stream::Err, &err_path),
            source(3, "gone", Stream::Out, &dir.path().join("missing.log")),
        ];
        let mut opts = options();
        opts.lines = 2;
        let plain = tail_to_string(&sources, &opts);
        let expected = format!(
            "{} last 2 lines:\n0|api    | o2\n0|api    | o3\n{} last 2 lines:\n12|worker | e1\n12|worker | e2\n",
            out_path.display(),
            err_path.display()
        );
        assert_eq!(plain, expected);

        opts.raw = true;
        assert_eq!(tail_to_string(&sources, &opts), "o2\no3\ne1\ne2\n");

        opts.raw = false;
        opts.json = true;
        let json = tail_to_string(&sources[1..2], &opts);
        let values: Vec<serde_json::Value> = json
            .lines()
            .map(|l| serde_json::from_str(l).expect("valid JSON"))
            .collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[1]["message"], "e2");
        assert_eq!(values[1]["stream"], "err");
        assert_eq!(values[1]["app"], "worker");
        assert_eq!(values[1]["id"], 12);
        assert!(values[1].get("timestamp").is_none());
        opts.timestamp = Some(TimestampFormat::parse("[\"at\"]").expect("valid"));
        let stamped: serde_json::Value = serde_json::from_str(
            tail_to_string(&sources[1..2], &opts)
                .lines()
                .next()
                .expect("a line"),
        )
        .expect("valid JSON");
        assert_eq!(stamped["timestamp"], "\"at\"");
        opts.timestamp = None;

        opts.json = false;
        opts.color = true;
        let coloured = tail_to_string(&sources[1..2], &opts);
        let colour = app_colour("worker");
        assert!(
            coloured.contains(&format!("{colour}12|worker |{RESET} {RED}e2{RESET}\n")),
            "{coloured:?}"
        );

        opts.color = false;
        opts.raw = true;
        opts.timestamp = Some(TimestampFormat::parse("[at]").expect("valid"));
        assert_eq!(tail_to_string(&sources[..1], &opts), "at o2\nat o3\n");
    }

    /// Accepts one write, then reports that the reader went away (`rpm logs | head`).
    struct ClosesAfterOneWrite {
        writes: usize,
    }

    impl Write for ClosesAfterOneWrite {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            if self.writes > 1 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_reader_ends_a_huge_dump_early_and_quietly() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("many-out.log");
        let content: String = (0..200_000).map(|i| format!("line {i}\n")).collect();
        fs::write(&path, content).expect("write");
        let mut opts = options();
        opts.lines = 1_000_000;
        let mut out = ClosesAfterOneWrite { writes: 0 };
        tail(&[source(0, "many", Stream::Out, &path)], &opts, &mut out).expect("quiet end");
        assert_eq!(out.writes, 2, "stopped at the first failed write");
    }

    /// A writer that hands everything to a channel, and reports a broken pipe once the
    /// receiving side is gone, like a closed terminal pager.
    struct ChannelWriter(mpsc::Sender<Vec<u8>>);

    impl Write for ChannelWriter {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0
                .send(buf.to_vec())
                .map_err(|_| io::Error::from(io::ErrorKind::BrokenPipe))?;
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// What a following `tail` printed so far.
    struct Followed {
        rx: mpsc::Receiver<Vec<u8>>,
        seen: String,
    }

    impl Followed {
        /// Waits (10 s at most) until the output holds `lines` at its end, in order.
        fn wait_for(&mut self, lines: &[&str]) {
            let want: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !self.seen.ends_with(&want) {
                let left = deadline.saturating_duration_since(Instant::now());
                match self.rx.recv_timeout(left) {
                    Ok(bytes) => self.seen.push_str(&String::from_utf8_lossy(&bytes)),
                    Err(_) => panic!("waited for {want:?}; output so far: {:?}", self.seen),
                }
            }
        }
    }

    fn follow(path: &Path) -> (Followed, std::thread::JoinHandle<Result<(), LogError>>) {
        let (tx, rx) = mpsc::channel();
        let sources = vec![source(1, "app", Stream::Out, path)];
        let handle = std::thread::spawn(move || {
            let mut opts = options();
            opts.raw = true;
            opts.follow = true;
            opts.lines = 2;
            tail(&sources, &opts, &mut ChannelWriter(tx))
        });
        let followed = Followed {
            rx,
            seen: String::new(),
        };
        (followed, handle)
    }

    #[test]
    fn follow_across_append_rotation_and_truncation() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("app-out.log");
        fs::write(&path, b"old1\nold2\nold3\n").expect("write");
        let (mut followed, handle) = follow(&path);
        followed.wait_for(&["old2", "old3"]);

        let rotation = Rotation {
            max_size: Some(8),
            retain: None,
            compress: false,
        };
        let mut file = LogFile::open(&path, rotation).expect("opens");
        // Appends, including a line written in two pieces.
        file.write(b"a1\n").expect("write");
        followed.wait_for(&["a1"]);
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"half"))
            .expect("append partial line");
        fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"-whole\n"))
            .expect("finish the line");
        followed.wait_for(&["half-whole"]);
        file.reopen()
            .expect("reopen to account for the external appends");

        // Each write now passes max_size: the file is renamed and a new one appears.
        for i in 0..5 {
            let line = format!("rot{i}");
            file.write(format!("{line}\n").as_bytes()).expect("write");
            followed.wait_for(&[&line]);
        }
        // Two lines, the first into the old file just before rotation moves it.
        let mut unrotated = LogFile::open(&path, Rotation::default()).expect("opens");
        unrotated.write(b"x1\n").expect("write");
        file.write(b"x2\n").expect("write");
        followed.wait_for(&["x1", "x2"]);

        // `rpm flush`: the file shrinks, reading starts again from 0.
        unrotated
            .write(b"padding padding padding\n")
            .expect("write");
        followed.wait_for(&["padding padding padding"]);
        unrotated.truncate().expect("truncate");
        unrotated.write(b"new\n").expect("write");
        followed.wait_for(&["new"]);

        // The reader goes away: the next line ends `tail` quietly.
        drop(followed);
        unrotated.write(b"wake\n").expect("write");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !handle.is_finished() {
            assert!(
                Instant::now() < deadline,
                "tail did not stop after the reader left"
            );
            std::thread::yield_now();
        }
        handle
            .join()
            .expect("tail thread")
            .expect("tail ends without error");
    }

    #[test]
    fn follow_picks_up_a_file_that_appears_later() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("late-out.log");
        let (mut followed, handle) = follow(&path);
        let mut file = LogFile::open(&path, Rotation::default()).expect("opens");
        file.write(b"first\n").expect("write");
        followed.wait_for(&["first"]);
        drop(followed);
        file.write(b"wake\n").expect("write");
        handle.join().expect("tail thread").expect("ends quietly");
    }
}
