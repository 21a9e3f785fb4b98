//! The writer index's format (see `writers`): where an index lives, its header and run
//! lines, and reading them back. Pure; used by `index` (the daemon's writer) and `labels`
//! (the reader).

use std::path::{Path, PathBuf};

/// First word of an index's header; the version follows it.
const MAGIC: &str = "rpm-writers 1 ";

/// The instance a run of bytes belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub id: u32,
    pub name: String,
}

/// One run: from `offset` on (until the next run), the bytes are `label`'s.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Run<'a> {
    pub(super) offset: u64,
    pub(super) id: u32,
    pub(super) name: &'a str,
}

/// Where the index of the log file at `log` lives in `dir`: named by a stable hash
/// (FNV-1a, 64 bits) of the path's bytes, so the daemon and the CLI agree on it without
/// asking each other. The header holds the path, so a collision is seen, not believed.
pub(super) fn index_path(dir: &Path, log: &Path) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    let hash = crate::fnv::hash(log.as_os_str().as_bytes());
    dir.join(format!("{hash:016x}"))
}

/// The header line (with its `\n`) tying an index to the log file at `log`, inode `inode`.
pub(super) fn header(inode: u64, log: &Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut line = format!("{MAGIC}{inode} ").into_bytes();
    line.extend_from_slice(log.as_os_str().as_bytes());
    line.push(b'\n');
    line
}

/// One run's line, with its `\n`. A newline in a name (names are validated, but the
/// index must stay one record a line whatever it is handed) becomes a space.
pub(super) fn run_line(offset: u64, id: u32, name: &str) -> String {
    let name = name.replace('\n', " ");
    format!("{offset} {id} {name}\n")
}

/// An index as read back: which file it describes, and its runs.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Parsed<'a> {
    pub(super) inode: u64,
    pub(super) log: &'a [u8],
    pub(super) runs: Vec<Run<'a>>,
    /// Bytes of whole lines, header included: a torn last record (a killed writer) is
    /// left out, and cut off by the next writer.
    pub(super) whole: usize,
}

impl Parsed<'_> {
    /// Whether the index describes the log file at `log` (inode `inode`, `len` bytes
    /// long): its header names both, and no run starts past the file's end.
    pub(super) fn describes(&self, inode: u64, log: &Path, len: u64) -> bool {
        use std::os::unix::ffi::OsStrExt;
        self.inode == inode
            && self.log == log.as_os_str().as_bytes()
            && self.runs.last().is_none_or(|r| r.offset <= len)
    }
}

/// Why an index is not believed.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Damaged;

/// Parses a whole index. Anything but a good header followed by good runs in order (a
/// torn last line apart) is damage: the index is then ignored, never half-believed.
pub(super) fn parse(bytes: &[u8]) -> Result<Parsed<'_>, Damaged> {
    let end = memchr::memchr(b'\n', bytes).ok_or(Damaged)?;
    let rest = bytes[..end].strip_prefix(MAGIC.as_bytes()).ok_or(Damaged)?;
    let space = memchr::memchr(b' ', rest).ok_or(Damaged)?;
    let inode = number(&rest[..space])?;
    let log = &rest[space + 1..];
    let (runs, whole) = parse_runs(&bytes[end + 1..], 0)?;
    Ok(Parsed {
        inode,
        log,
        runs,
        whole: end + 1 + whole,
    })
}

/// Parses the runs in `bytes` (records only, no header), each at an offset no lower
/// than `floor` and than the one before; returns them and the bytes of whole lines.
pub(super) fn parse_runs(bytes: &[u8], mut floor: u64) -> Result<(Vec<Run<'_>>, usize), Damaged> {
    let mut runs = Vec::new();
    let mut at = 0;
    while let Some(nl) = memchr::memchr(b'\n', &bytes[at..]) {
        let run = parse_run(&bytes[at..at + nl])?;
        if run.offset < floor {
            return Err(Damaged);
        }
        floor = run.offset;
        runs.push(run);
        at += nl + 1;
    }
    Ok((runs, at))
}

fn parse_run(line: &[u8]) -> Result<Run<'_>, Damaged> {
    let line = std::str::from_utf8(line).map_err(|_| Damaged)?;
    let (offset, rest) = line.split_once(' ').ok_or(Damaged)?;
    let (id, name) = rest.split_once(' ').ok_or(Damaged)?;
    Ok(Run {
        offset: number(offset.as_bytes())?,
        id: u32::try_from(number(id.as_bytes())?).map_err(|_| Damaged)?,
        name,
    })
}

/// A decimal number of digits only.
fn number(digits: &[u8]) -> Result<u64, Damaged> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(Damaged);
    }
    std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(Damaged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_paths_are_stable_per_log_path() {
        let dir = Path::new("/home/u/.rpm/logs/writers");
        let a = index_path(dir, Path::new("/srv/app/out.log"));
        assert_eq!(a, index_path(dir, Path::new("/srv/app/out.log")));
        assert_ne!(a, index_path(dir, Path::new("/srv/app/out.log.1")));
        assert_eq!(a.parent(), Some(dir));
        // The hash is part of the on-disk contract between a daemon and a newer CLI.
        assert_eq!(
            index_path(dir, Path::new("")).file_name(),
            Some("cbf29ce484222325".as_ref())
        );
    }

    #[test]
    fn parse_table() {
        let head = "rpm-writers 1 42 /l/a b.log\n";
        let good = |runs: &str| format!("{head}{runs}");
        type Want = Result<(Vec<(u64, u32, &'static str)>, usize), Damaged>;
        let rows: Vec<(&str, String, Want)> = vec![
            ("header only", good(""), Ok((vec![], head.len()))),
            (
                "two runs, same offset twice",
                good("0 1 api\n10 2 api\n10 3 my app\n"),
                Ok((
                    vec![(0, 1, "api"), (10, 2, "api"), (10, 3, "my app")],
                    head.len() + 29,
                )),
            ),
            (
                "a torn last record is left out",
                good("0 1 api\n10 2 a"),
                Ok((vec![(0, 1, "api")], head.len() + 8)),
            ),
            (
                "offsets going back",
                good("10 1 api\n5 2 api\n"),
                Err(Damaged),
            ),
            ("a bad record", good("0 1 api\nx 2 api\n"), Err(Damaged)),
            ("no name field", good("0 1\n"), Err(Damaged)),
            ("an id past u32", good("0 4294967296 api\n"), Err(Damaged)),
            ("a torn header", "rpm-writers 1 42".into(), Err(Damaged)),
            (
                "another version",
                "rpm-writers 2 42 /l\n0 1 api\n".into(),
                Err(Damaged),
            ),
            ("empty", String::new(), Err(Damaged)),
            ("not text", "\u{0}\u{1}\n".into(), Err(Damaged)),
        ];
        for (what, text, want) in rows {
            let got = parse(text.as_bytes()).map(|p| {
                let runs = p.runs.iter().map(|r| (r.offset, r.id, r.name)).collect();
                (runs, p.whole)
            });
            assert_eq!(got, want, "{what}");
        }
        let text = good("");
        let parsed = parse(text.as_bytes()).expect("good");
        assert_eq!((parsed.inode, parsed.log), (42, &b"/l/a b.log"[..]));
    }

    #[test]
    fn a_header_and_runs_read_back_as_written() {
        let mut bytes = header(7, Path::new("/logs/api-out.log"));
        bytes.extend_from_slice(run_line(0, 3, "api").as_bytes());
        bytes.extend_from_slice(run_line(99, 4, "two\nlines").as_bytes());
        let parsed = parse(&bytes).expect("good");
        assert_eq!(parsed.inode, 7);
        assert_eq!(parsed.log, b"/logs/api-out.log");
        assert_eq!(parsed.whole, bytes.len());
        assert_eq!(
            parsed.runs,
            [
                Run {
                    offset: 0,
                    id: 3,
                    name: "api"
                },
                Run {
                    offset: 99,
                    id: 4,
                    name: "two lines"
                }
            ]
        );
    }
}
