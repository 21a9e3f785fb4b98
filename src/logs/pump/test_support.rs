//! Test fixtures for the pump: one instance's log files, stream records and real FIFOs
//! in a temp dir, set up as a killed daemon would have left them (records written with
//! `partial`'s own encoder), and a real pump thread attaching them as the next daemon
//! does. Runs on the test thread; the pump runs on its own.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use super::partial::{FileSpan, InFlight, PartialFile, Resumed, WriteMark};
use super::peek::{fingerprint, Hash};
use super::{Outputs, Pump, PumpCommand, PumpReport};
use crate::logs::{LineFormat, Rotation};

/// Instance 0 of app `half`, alive: its FIFOs are open at both ends.
pub(super) struct Instance {
    _dir: tempfile::TempDir,
    pub outputs: Outputs,
    /// The out stream's record (`pipes/0.out.partial`).
    record: PathBuf,
    err_record: PathBuf,
    /// The pump's ends of the FIFOs (each daemon gets a duplicate).
    out: File,
    err: File,
    /// The app's end of its stdout.
    app_out: File,
    _app_err: File,
}

impl Instance {
    /// Raw lines to files of its own (a `DirectPeeked` stream), as `change` leaves them.
    pub fn new(change: impl FnOnce(&Path, &mut Outputs)) -> Instance {
        let dir = tempfile::tempdir().expect("temp dir");
        let pipes = dir.path().join("pipes");
        fs::create_dir(&pipes).expect("pipes dir");
        let mut outputs = Outputs {
            format: LineFormat {
                app: "half".into(),
                id: 0,
                instance: 0,
                timestamp: None,
                json: false,
            },
            out_file: dir.path().join("logs/half-out.log"),
            error_file: dir.path().join("logs/half-error.log"),
            log_file: None,
            rotation: Rotation {
                max_size: None,
                retain: None,
                compress: false,
            },
            writers: Some(dir.path().join("logs/writers")),
        };
        change(dir.path(), &mut outputs);
        let (out, app_out) = fifo(&pipes.join("0.out"));
        let (err, app_err) = fifo(&pipes.join("0.err"));
        Instance {
            record: pipes.join("0.out.partial"),
            err_record: pipes.join("0.err.partial"),
            _dir: dir,
            outputs,
            out,
            err,
            app_out,
            _app_err: app_err,
        }
    }

    /// The app writes `bytes` to its stdout (no daemon reads them yet).
    pub fn app_writes(&mut self, bytes: &[u8]) {
        self.app_out.write_all(bytes).expect("write to the FIFO");
    }

    /// The out file holds `text`, as a killed daemon left it.
    pub fn log_holds(&self, text: &str) {
        let log = &self.outputs.out_file;
        fs::create_dir_all(log.parent().expect("a logs dir")).expect("logs dir");
        fs::write(log, text).expect("write the log");
    }

    /// The out stream's record says a daemon was writing `chunk`, peeked from the pipe,
    /// to the out file from its size `from` on, with no partial line before or after.
    pub fn record_in_flight(&self, chunk: &[u8], from: u64) {
        self.record_in_flight_as(chunk, from, Hash::Words);
    }

    /// `record_in_flight`, fingerprinted with `hash` (`Bytes`: as older daemons did).
    pub fn record_in_flight_as(&self, chunk: &[u8], from: u64, hash: Hash) {
        let len = chunk.len() as u64;
        let (mut partial, _) = PartialFile::resume(self.record.clone());
        partial.record_in_flight(&InFlight {
            len,
            fingerprint: fingerprint(chunk, hash),
            hash,
            files: vec![FileSpan {
                inode: inode(&self.outputs.out_file),
                before: from,
                after: from + len,
            }],
            before: Vec::new(),
            after: Vec::new(),
        });
    }

    /// The out stream's record says the out file was to reach `end` bytes, as a daemon
    /// that read destructively marked it.
    pub fn record_write_mark(&self, end: u64) {
        let (mut partial, _) = PartialFile::resume(self.record.clone());
        partial.mark_write(WriteMark {
            inode: inode(&self.outputs.out_file),
            end,
        });
    }

    /// What the out stream's record holds, as the next daemon will read it.
    pub fn record(&self) -> Resumed {
        PartialFile::resume(self.record.clone()).1
    }

    /// Runs a daemon's pump: it attaches the instance (settling the records), drains its
    /// pipes and stops without ending any line, as a daemon does before it is replaced.
    /// Returns what the pump reported.
    pub fn pump_once(&self) -> Vec<PumpReport> {
        self.pump_with(super::CHUNK, &[])
    }

    /// `pump_once` through a scratch pipe of `scratch` bytes, sending `then` after
    /// attaching; all of it reaches the pump thread before it starts.
    pub fn pump_with(&self, scratch: usize, then: &[fn() -> PumpCommand]) -> Vec<PumpReport> {
        let (report, reports) = mpsc::channel();
        let pump = Pump::spawn_with_scratch(scratch, move |r| {
            let _ = report.send(r);
        })
        .expect("spawn the pump");
        pump.send(PumpCommand::Attach {
            id: 0,
            out: self.out.try_clone().expect("dup the FIFO"),
            err: self.err.try_clone().expect("dup the FIFO"),
            partials: [self.record.clone(), self.err_record.clone()],
            outputs: self.outputs.clone(),
        });
        for command in then {
            pump.send(command());
        }
        let (done, stopped) = mpsc::channel();
        pump.send(PumpCommand::Shutdown { done });
        stopped
            .recv_timeout(Duration::from_secs(10))
            .expect("the pump drains and stops");
        reports.try_iter().collect()
    }

    /// Bytes in the out FIFO that no pump has taken (FIONREAD).
    pub fn unread(&self) -> usize {
        let mut n: libc::c_int = 0;
        // SAFETY: FIONREAD stores one int into `n`, which outlives the call.
        let rc = unsafe { libc::ioctl(self.out.as_raw_fd(), libc::FIONREAD, &mut n) };
        assert_eq!(rc, 0, "FIONREAD");
        usize::try_from(n).expect("a byte count")
    }
}

/// The text of the file at `path` (empty when it does not exist).
pub(super) fn text(path: &Path) -> String {
    String::from_utf8(fs::read(path).unwrap_or_default()).expect("utf-8")
}

fn inode(path: &Path) -> u64 {
    fs::metadata(path).expect("metadata").ino()
}

/// A FIFO at `path`: the pump's end, opened as the daemon opens it (read-write, so it
/// never sees end-of-file; non-blocking), and the app's.
fn fifo(path: &Path) -> (File, File) {
    nix::unistd::mkfifo(path, nix::sys::stat::Mode::S_IRWXU).expect("mkfifo");
    let reader = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .expect("open the FIFO to read");
    let writer = OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open the FIFO to write");
    (reader, writer)
}
