//! Where each instance's output goes and how each of its streams is pumped there: the
//! `StreamMode` of every stream (decided in one place, `stream_modes`, from all the
//! targets at once, since whether a file is shared depends on the others), the paths a
//! stream writes to, the open files, and appending to them (`write_targets`).
//!
//! It does not read pipes or keep records (`stream`, `recovery`). Runs on the log pump
//! thread.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use super::outputs::Outputs;
use super::report::{PumpReport, Reporter};
use crate::logs::file::LogFile;
use crate::logs::format::Stream;
use crate::logs::rotate::Rotation;
use crate::logs::writers::WriterIndex;

/// Every log file this daemon writes, by path; streams and instances that share a path
/// share its `LogFile`, so rotation sees every byte.
pub(super) type Files = HashMap<PathBuf, LogFile>;

/// How one stream moves from its pipe to its files (see `stream_modes` for who gets
/// which, and `stream` for one function per mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StreamMode {
    /// Whole lines only (the files are shared, rotated by size, or lines get timestamps
    /// or JSON), read out of the pipe before they are written. The partial line after a
    /// chunk's last newline waits in the framer and in the stream's record (`partial`).
    Framed,
    /// Framed, into files no other instance writes to and never rotated: each chunk is
    /// only peeked at, recorded in flight, written, and taken out of the pipe after, so
    /// a killed daemon loses nothing (`peek`, `recovery`).
    FramedPeeked,
    /// Raw lines to a file only this stream writes to (no combined `log_file`, no size
    /// rotation, which cuts files between writes): bytes go to the file as they arrive,
    /// partial lines included, so the file holds the partial line. Read out of the pipe
    /// first (another instance writes to one of the files involved), with a write mark
    /// around each read so a next daemon can tell a cut line (`partial`).
    Direct,
    /// Direct, and the files are this instance's alone: peeked, recorded in flight,
    /// written, then taken, like `FramedPeeked`.
    DirectPeeked,
}

impl StreamMode {
    fn of(direct: bool, peeked: bool) -> StreamMode {
        match (direct, peeked) {
            (false, false) => StreamMode::Framed,
            (false, true) => StreamMode::FramedPeeked,
            (true, false) => StreamMode::Direct,
            (true, true) => StreamMode::DirectPeeked,
        }
    }

    /// Bytes go to the file as they arrive (the file, not a record, holds the partial
    /// line); otherwise only whole lines are written.
    pub(super) fn is_direct(self) -> bool {
        matches!(self, StreamMode::Direct | StreamMode::DirectPeeked)
    }

    /// The mode to pump with when chunks cannot be peeked at (no scratch pipe, or the
    /// kernel refused `tee`): the same, read out of the pipe instead.
    pub(super) fn unpeeked(self) -> StreamMode {
        StreamMode::of(self.is_direct(), false)
    }
}

/// One instance's outputs, as the pump keeps them.
pub(super) struct Target {
    pub outputs: Outputs,
    /// The log error last reported for the instance (`None`: none, or cleared).
    pub error: Option<String>,
    /// Per stream (out, err); set by `stream_modes`.
    pub modes: [StreamMode; 2],
    /// Whether other instances write to its out, error and combined files; set by
    /// `stream_modes`. Those files keep a writer index (see `LogFile::attribute`).
    pub shared: [bool; 3],
}

impl Target {
    /// A target whose modes `stream_modes` has yet to decide.
    pub(super) fn new(outputs: Outputs) -> Target {
        Target {
            outputs,
            error: None,
            modes: [StreamMode::Framed; 2],
            shared: [false; 3],
        }
    }

    pub(super) fn mode(&self, stream: Stream) -> StreamMode {
        self.modes[stream as usize]
    }

    /// Tells the owner when instance `id`'s log error appears or clears; the same state
    /// again is not reported, so a write retried every second says nothing new.
    pub(super) fn report(&mut self, reporter: &Reporter, id: u32, error: Option<String>) {
        if self.error == error {
            return;
        }
        if let Some(message) = &error {
            log::error!("instance {id}: cannot write its log: {message}");
        } else {
            log::info!("instance {id}: writing its log again");
        }
        self.error = error.clone();
        reporter(PumpReport::LogError { id, message: error });
    }
}

/// Decides, per stream, how it is pumped. Direct (written straight through): raw lines,
/// no combined `log_file`, no size rotation (it cuts files between writes, so writes
/// must be whole lines), and a file no other stream writes to. Peeked (taken once
/// written): no size rotation, and files no other instance writes to.
pub(super) fn stream_modes(targets: &mut HashMap<u32, Target>) {
    let mut users: HashMap<PathBuf, usize> = HashMap::new();
    for t in targets.values() {
        for path in [&t.outputs.out_file, &t.outputs.error_file] {
            *users.entry(path.clone()).or_default() += 1;
        }
    }
    // Instances writing to each file.
    let mut instances: HashMap<PathBuf, usize> = HashMap::new();
    for t in targets.values() {
        let mut paths = target_paths(&t.outputs);
        paths.sort();
        paths.dedup();
        for path in paths {
            *instances.entry(path).or_default() += 1;
        }
    }
    for t in targets.values_mut() {
        let alone = |p: &PathBuf| users.get(p) == Some(&1);
        let raw = t.outputs.format.is_raw()
            && t.outputs.log_file.is_none()
            && t.outputs.rotation.max_size.is_none();
        let ours = |p: &PathBuf| instances.get(p) == Some(&1);
        let peeked = |primary: &PathBuf| {
            t.outputs.rotation.max_size.is_none()
                && ours(primary)
                && t.outputs
                    .log_file
                    .as_ref()
                    .is_none_or(|l| ours(l) && l != primary)
        };
        let mode = |primary: &PathBuf| StreamMode::of(raw && alone(primary), peeked(primary));
        t.modes = [mode(&t.outputs.out_file), mode(&t.outputs.error_file)];
        let shared = |p: &PathBuf| instances.get(p).is_some_and(|n| *n > 1);
        t.shared = [
            shared(&t.outputs.out_file),
            shared(&t.outputs.error_file),
            t.outputs.log_file.as_ref().is_some_and(shared),
        ];
    }
}

/// The files one instance writes to.
pub(super) fn target_paths(outputs: &Outputs) -> Vec<PathBuf> {
    let mut paths = vec![outputs.out_file.clone(), outputs.error_file.clone()];
    if let Some(log) = &outputs.log_file {
        paths.push(log.clone());
    }
    paths
}

/// Every file `stream` is written to: its own, then the combined `log_file`.
pub(super) fn stream_paths(outputs: &Outputs, stream: Stream) -> impl Iterator<Item = &PathBuf> {
    std::iter::once(primary_path(outputs, stream)).chain(outputs.log_file.iter())
}

/// The file of `stream` alone (`log_file` also gets both streams).
pub(super) fn primary_path(outputs: &Outputs, stream: Stream) -> &PathBuf {
    match stream {
        Stream::Out => &outputs.out_file,
        Stream::Err => &outputs.error_file,
    }
}

/// Appends formatted lines of `stream` to its file and to the combined file. A framed
/// stream writes whole lines only, so a file of its that ends inside a line was cut (a
/// daemon killed in the middle of a write): that line is ended first, so it is never
/// joined to the next one.
pub(super) fn write_targets(
    files: &mut Files,
    target: &Target,
    stream: Stream,
    head: &[u8],
    body: &[u8],
) -> Result<(), String> {
    let outputs = &target.outputs;
    let whole_lines = !target.mode(stream).is_direct();
    // `stream_paths` yields the stream's own file, then the combined one.
    let shared = [target.shared[stream as usize], target.shared[2]];
    for (path, shared) in stream_paths(outputs, stream).zip(shared) {
        let file = open_file(files, path, outputs.rotation)?;
        if let Some(dir) = &outputs.writers {
            file.attribute(dir, shared, outputs.format.id, &outputs.format.app);
        }
        if whole_lines && file.mid_line() {
            file.write(b"\n").map_err(|e| e.to_string())?;
        }
        file.write_split(head, body).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The open log file at `path`, opened now if this daemon has not written to it yet.
pub(super) fn open_file<'a>(
    files: &'a mut Files,
    path: &Path,
    rotation: Rotation,
) -> Result<&'a mut LogFile, String> {
    // Looked up by reference: the hot path allocates no key.
    if !files.contains_key(path) {
        let file = LogFile::open(path, rotation).map_err(|e| e.to_string())?;
        files.insert(path.to_path_buf(), file);
    }
    files
        .get_mut(path)
        .ok_or_else(|| format!("{} is not open", path.display()))
}

/// Empties the file at `path`, which this daemon has not opened (`rpm flush`), and
/// forgets its writer index (in `writers`), which no longer describes it.
pub(super) fn truncate_path(path: &Path, writers: Option<&Path>) -> io::Result<()> {
    if let Some(dir) = writers {
        WriterIndex::remove(dir, path);
    }
    match std::fs::OpenOptions::new().write(true).open(path) {
        Ok(file) => file.set_len(0),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::format::LineFormat;
    use crate::logs::timestamp::TimestampFormat;

    fn outputs(name: &str) -> Outputs {
        Outputs {
            format: LineFormat {
                app: name.into(),
                id: 0,
                instance: 0,
                timestamp: None,
                json: false,
            },
            out_file: PathBuf::from(format!("/logs/{name}-out.log")),
            error_file: PathBuf::from(format!("/logs/{name}-error.log")),
            log_file: None,
            rotation: Rotation {
                max_size: None,
                retain: None,
                compress: false,
            },
            writers: None,
        }
    }

    /// The modes `stream_modes` gives instance 0 among `all` (instance 0 first).
    fn modes_of(all: Vec<Outputs>) -> [StreamMode; 2] {
        let mut targets: HashMap<u32, Target> = all
            .into_iter()
            .enumerate()
            .map(|(id, o)| (id as u32, Target::new(o)))
            .collect();
        stream_modes(&mut targets);
        targets[&0].modes
    }

    #[test]
    fn each_stream_gets_the_mode_its_files_allow() {
        use StreamMode::*;
        let plain = || outputs("a");
        let with = |change: &dyn Fn(&mut Outputs)| {
            let mut o = plain();
            change(&mut o);
            o
        };
        let rows: Vec<(&str, Vec<Outputs>, [StreamMode; 2])> = vec![
            ("raw, files of its own", vec![plain()], [DirectPeeked; 2]),
            (
                "timestamps",
                vec![with(&|o| {
                    o.format.timestamp = TimestampFormat::parse("HH:mm").ok();
                })],
                [FramedPeeked; 2],
            ),
            (
                "JSON lines",
                vec![with(&|o| o.format.json = true)],
                [FramedPeeked; 2],
            ),
            (
                "a combined log_file of its own",
                vec![with(&|o| o.log_file = Some("/logs/a.log".into()))],
                [FramedPeeked; 2],
            ),
            (
                "rotated by size",
                vec![with(&|o| o.rotation.max_size = Some(1024))],
                [Framed; 2],
            ),
            (
                "both streams in one file (merge)",
                vec![with(&|o| o.error_file = o.out_file.clone())],
                [FramedPeeked; 2],
            ),
            (
                "log_file is its own out_file",
                vec![with(&|o| o.log_file = Some(o.out_file.clone()))],
                [Framed, FramedPeeked],
            ),
            (
                "another instance writes the same out_file",
                vec![
                    plain(),
                    with(&|o| o.error_file = "/logs/b-error.log".into()),
                ],
                [Framed, DirectPeeked],
            ),
            (
                "another instance's log_file is this out_file",
                vec![
                    plain(),
                    with(&|o| {
                        o.out_file = "/logs/b-out.log".into();
                        o.error_file = "/logs/b-error.log".into();
                        o.log_file = Some("/logs/a-out.log".into());
                    }),
                ],
                [Direct, DirectPeeked],
            ),
        ];
        for (what, all, want) in rows {
            assert_eq!(modes_of(all), want, "{what}");
        }
    }

    #[test]
    fn lines_of_a_file_instances_share_carry_the_instance_that_wrote_them() {
        use crate::logs::{tail, LogSource, TailOptions};
        let dir = tempfile::tempdir().expect("temp dir");
        let writers = dir.path().join("writers");
        let shared = dir.path().join("api-out.log");
        let mut targets: HashMap<u32, Target> = HashMap::new();
        for id in 0..2 {
            let mut o = outputs("api");
            o.format.id = id;
            o.out_file = shared.clone();
            o.error_file = dir.path().join(format!("api-error-{id}.log"));
            o.writers = Some(writers.clone());
            targets.insert(id, Target::new(o));
        }
        stream_modes(&mut targets);
        assert_eq!(targets[&0].shared, [true, false, false]);
        let mut files = Files::new();
        for (id, stream, text) in [
            (0, Stream::Out, "a"),
            (0, Stream::Out, "b"),
            (1, Stream::Out, "c"),
            (0, Stream::Err, "oops"),
            (0, Stream::Out, "d"),
            (1, Stream::Out, "e"),
        ] {
            let line = format!("{text} from {id}\n");
            write_targets(&mut files, &targets[&id], stream, b"", line.as_bytes()).expect("write");
        }
        // The file holds the plain lines; the index is beside it, one for the shared
        // file only.
        assert_eq!(
            std::fs::read_to_string(&shared).expect("read"),
            "a from 0\nb from 0\nc from 1\nd from 0\ne from 1\n"
        );
        let indexes = std::fs::read_dir(&writers).expect("writers").count();
        assert_eq!(indexes, 1);

        let sources = [LogSource {
            id: 0,
            name: "api".into(),
            stream: Stream::Out,
            path: shared.clone(),
        }];
        let mut opts = TailOptions {
            lines: 4,
            follow: false,
            raw: false,
            timestamp: None,
            json: false,
            color: false,
            writers: Some(writers),
        };
        let shown = |opts: &TailOptions| {
            let mut out = Vec::new();
            tail(&sources, opts, &mut out).expect("tail");
            let text = String::from_utf8(out).expect("utf-8");
            text.lines().skip(1).map(str::to_string).collect::<Vec<_>>()
        };
        assert_eq!(
            shown(&opts),
            [
                "0|api | b from 0",
                "1|api | c from 1",
                "0|api | d from 0",
                "1|api | e from 1"
            ]
        );
        opts.json = true;
        let ids: Vec<serde_json::Value> = shown(&opts)
            .iter()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON")["id"].clone())
            .collect();
        assert_eq!(ids, [1, 0, 1]);
        // Without the indexes, every line carries the source's id, as before.
        opts.json = false;
        opts.writers = None;
        assert!(shown(&opts).iter().all(|l| l.starts_with("0|api")));
    }

    #[test]
    fn without_peeking_a_mode_keeps_how_it_writes() {
        use StreamMode::*;
        let rows = [
            (Framed, Framed),
            (FramedPeeked, Framed),
            (Direct, Direct),
            (DirectPeeked, Direct),
        ];
        for (mode, want) in rows {
            assert_eq!(mode.unpeeked(), want, "{mode:?}");
            assert_eq!(mode.is_direct(), want.is_direct(), "{mode:?}");
        }
    }
}
