//! Logs end to end: every line kept whole and in order, timestamps, `rpm logs`, flush,
//! rotation.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;

use crate::harness::{assert_complete_sequence, wait_until, RpmHome, DEADLINE};

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_default()
}

fn count_lines(path: &std::path::Path) -> usize {
    read(path).iter().filter(|b| **b == b'\n').count()
}

#[test]
fn half_a_million_lines_arrive_complete_and_in_order() {
    let home = RpmHome::new();
    home.ok(&[
        "start",
        "seq",
        "--name",
        "seq",
        "--no-autorestart",
        "--",
        "1",
        "500000",
    ]);
    home.wait_app("seq", "finished", |p| p["status"] == "stopped");
    let log = home.join("logs/seq-out.log");
    wait_until(DEADLINE, "all lines written", || {
        let n = count_lines(&log);
        if n >= 500_000 {
            Ok(())
        } else {
            Err(format!("{n} lines"))
        }
    });
    let text = String::from_utf8(read(&log)).expect("utf-8");
    let mut expected = 1u32;
    for line in text.lines() {
        assert_eq!(line, expected.to_string(), "line {expected}");
        expected += 1;
    }
    assert_eq!(expected, 500_001);
}

#[test]
fn a_5_mb_line_binary_bytes_and_a_partial_last_line_are_kept() {
    let home = RpmHome::new();
    home.start_fixture("odd_output.py", "odd", &["--no-autorestart"]);
    home.wait_app("odd", "finished", |p| p["status"] == "stopped");
    let log = home.join("logs/odd-out.log");
    let mut expected = b"first\n".to_vec();
    expected.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    expected.extend_from_slice(b"\nbin \x00\x01\xfe\xff end\npartial without newline\n");
    wait_until(DEADLINE, "the whole output", || {
        let got = read(&log);
        if got == expected {
            Ok(())
        } else {
            Err(format!("{} of {} bytes", got.len(), expected.len()))
        }
    });
}

#[test]
fn instances_and_streams_sharing_a_file_never_mix_inside_a_line() {
    let home = RpmHome::new();
    let combined = home.join("all.log");
    home.start_fixture_env(
        "shouter.py",
        "shout",
        &[
            "-i",
            "3",
            "--merge-logs",
            "-l",
            combined.to_str().expect("path"),
        ],
        &[("COUNT", std::ffi::OsStr::new("200"))],
    );
    wait_until(DEADLINE, "600 lines in the combined log", || {
        let n = count_lines(&combined);
        if n >= 600 {
            Ok(())
        } else {
            Err(format!("{n} lines"))
        }
    });
    for path in [
        combined.clone(),
        home.join("logs/shout-out.log"),
        home.join("logs/shout-error.log"),
    ] {
        let data = read(&path);
        for (i, line) in data
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .enumerate()
        {
            assert_eq!(
                line.len(),
                20_000,
                "{}: line {i} has {} bytes",
                path.display(),
                line.len()
            );
            assert!(
                line.iter().all(|b| *b == line[0]),
                "{}: line {i} mixes instances",
                path.display()
            );
        }
    }
    assert_eq!(count_lines(&home.join("logs/shout-out.log")), 300);
}

#[test]
fn time_and_log_date_format_prefix_every_line() {
    let home = RpmHome::new();
    home.ok(&[
        "start",
        "echo",
        "--name",
        "t",
        "--time",
        "--no-autorestart",
        "--",
        "hello",
    ]);
    home.ok(&[
        "start",
        "echo",
        "--name",
        "f",
        "--log-date-format",
        "YYYY/MM/DD [at] HH",
        "--no-autorestart",
        "--",
        "hi",
    ]);
    let t = home.join("logs/t-out.log");
    let f = home.join("logs/f-out.log");
    wait_until(DEADLINE, "both lines", || {
        if count_lines(&t) == 1 && count_lines(&f) == 1 {
            Ok(())
        } else {
            Err("waiting".into())
        }
    });
    let t = String::from_utf8(read(&t)).expect("utf-8");
    let f = String::from_utf8(read(&f)).expect("utf-8");
    let shape = |s: &str, pattern: &str| {
        s.len() == pattern.len()
            && s.chars().zip(pattern.chars()).all(|(c, p)| {
                if p == '9' {
                    c.is_ascii_digit()
                } else {
                    c == p
                }
            })
    };
    assert!(shape(&t, "9999-99-99T99:99:99: hello\n"), "{t:?}");
    assert!(shape(&f, "9999/99/99 at 99: hi\n"), "{f:?}");
    let err = home.fails(&["start", "echo", "--log-date-format", "YYYY [oops"], 2);
    assert!(err.starts_with("error: --log-date-format"), "{err}");
}

#[test]
fn logs_prints_the_last_lines_with_prefixes_and_follows_across_a_restart() {
    let home = RpmHome::new();
    home.start_fixture("crash.sh", "c", &["--", "0", "1000"]);
    wait_until(DEADLINE, "a line", || {
        if count_lines(&home.join("logs/c-out.log")) >= 1 {
            Ok(())
        } else {
            Err("none".into())
        }
    });
    let out = home.ok(&["logs", "c", "--nostream", "--lines", "5", "--out"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(
        lines
            .last()
            .is_some_and(|l| l.starts_with("0|c | started ")),
        "{out}"
    );
    let raw = home.ok(&["logs", "c", "--nostream", "--raw", "--out"]);
    assert!(
        raw.lines()
            .last()
            .is_some_and(|l| l.starts_with("started ")),
        "{raw}"
    );
    // Follow, then restart the app: its new first line arrives.
    let old = home.app("c")["pid"].as_i64().expect("pid");
    let (_follower, rx) = follow(&home, &["logs", "c", "--raw", "--out", "--lines", "1"]);
    let next_line = |want: String, what: &str| {
        wait_until(DEADLINE, what, || match rx.try_recv() {
            Ok(line) if line == want => Ok(()),
            Ok(line) => Err(format!("other line {line}")),
            Err(e) => Err(e.to_string()),
        })
    };
    // The last line already there shows the follower is reading.
    next_line(format!("started {old}"), "the last line before following");
    home.ok(&["restart", "c"]);
    let new = home.app("c")["pid"].as_i64().expect("pid");
    assert_ne!(old, new);
    next_line(
        format!("started {new}"),
        "the restarted app's line in `rpm logs`",
    );
}

/// Ends a helper process however the test ends.
struct KillOnDrop(std::process::Child);

/// `rpm <args>` running (a following `rpm logs`), its stdout lines on a channel; killed
/// when the returned guard drops.
fn follow(home: &RpmHome, args: &[&str]) -> (KillOnDrop, mpsc::Receiver<String>) {
    let child = home
        .command(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn logs");
    let mut follower = KillOnDrop(child);
    let stdout = follower.0.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (follower, rx)
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn flush_empties_the_files_and_logging_goes_on() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "n", &[]);
    let log = home.join("logs/n-out.log");
    wait_until(DEADLINE, "some lines", || {
        if count_lines(&log) > 10 {
            Ok(())
        } else {
            Err("few".into())
        }
    });
    home.ok(&["flush", "n"]);
    // The file restarts from empty: its first line is a whole line, not a tail.
    wait_until(DEADLINE, "new whole lines after the flush", || {
        let text = String::from_utf8_lossy(&read(&log)).into_owned();
        let first = text.lines().next().unwrap_or("");
        if first.starts_with("line ") && text.len() < 2000 && text.lines().count() >= 2 {
            Ok(())
        } else {
            Err(text.chars().take(100).collect())
        }
    });
}

#[test]
fn rotation_keeps_log_retain_files_and_loses_no_line() {
    let home = RpmHome::new();
    let file = home.join("eco.json");
    std::fs::write(
        &file,
        r#"{"apps":[{"name":"r","script":"seq","args":["1","200000"],"autorestart":false,"log_max_size":"100K","log_retain":30}]}"#,
    )
    .expect("write");
    home.ok(&["start", file.to_str().expect("path")]);
    home.wait_app("r", "finished", |p| p["status"] == "stopped");
    let logs = home.join("logs");
    let collect = || {
        let mut rotated: Vec<std::path::PathBuf> = std::fs::read_dir(&logs)
            .expect("logs")
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("r-out__"))
            })
            .collect();
        // `r-out__<date>_<time>[_<n>].log`: by time, then by the collision counter.
        rotated.sort_by_key(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let stem = name.trim_end_matches(".log").to_string();
            let stamp: String = stem
                .chars()
                .take("r-out__2026-11-25_13-45-12".len())
                .collect();
            let counter = stem[stamp.len()..]
                .trim_start_matches('_')
                .parse::<u32>()
                .unwrap_or(0);
            (stamp, counter)
        });
        rotated.push(logs.join("r-out.log"));
        rotated
    };
    wait_until(DEADLINE, "every line on disk", || {
        let total: usize = collect().iter().map(|p| count_lines(p)).sum();
        if total >= 200_000 {
            Ok(())
        } else {
            Err(format!("{total} lines"))
        }
    });
    let files = collect();
    assert!(
        files.len() > 5 && files.len() <= 31,
        "{} files: {files:?}",
        files.len()
    );
    let mut expected = 1u32;
    for path in &files {
        let data = read(path);
        assert!(
            data.len() as u64 <= 100 * 1024,
            "{} is {} bytes",
            path.display(),
            data.len()
        );
        for line in String::from_utf8(data).expect("utf-8").lines() {
            assert_eq!(line, expected.to_string(), "in {}", path.display());
            expected += 1;
        }
    }
    assert_eq!(expected, 200_001);
}

#[test]
fn a_failing_log_file_is_reported_and_never_kills_the_app() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "full", &["-o", "/dev/full"]);
    let shown = wait_until(DEADLINE, "the problem in describe", || {
        let out = home.ok(&["describe", "full"]);
        if out.contains("No space left on device") {
            Ok(out)
        } else {
            Err(out)
        }
    });
    assert!(shown.contains("cannot write log file /dev/full"), "{shown}");
    assert!(home.daemon_log().contains("cannot write its log"));
    let row = home.app("full");
    assert_eq!(
        (row["status"].as_str(), row["restarts"].as_u64()),
        (Some("online"), Some(0))
    );
}

#[test]
fn logging_resumes_with_every_line_once_the_log_file_can_be_written_again() {
    let home = RpmHome::new();
    // A path that cannot be opened for writing (a socket), as a full or failing disk
    // refuses writes, until it is removed.
    let out = home.join("out.log");
    drop(std::os::unix::net::UnixListener::bind(&out).expect("bind a socket"));
    home.start_fixture(
        "counter.sh",
        "c",
        &["-o", out.to_str().expect("utf-8 path")],
    );
    wait_until(DEADLINE, "the problem in describe", || {
        let shown = home.ok(&["describe", "c"]);
        if shown.contains("No such device or address") {
            Ok(())
        } else {
            Err(shown)
        }
    });
    // The app waits on its full pipe meanwhile; it is neither killed nor restarted.
    std::fs::remove_file(&out).expect("remove the socket");
    wait_until(DEADLINE, "writing again, the problem gone", || {
        let shown = home.ok(&["describe", "c"]);
        match std::fs::read_to_string(&out) {
            Ok(text) if !shown.contains("cannot open") && text.lines().count() > 20 => Ok(()),
            _ => Err(shown),
        }
    });
    home.ok(&["stop", "c"]);
    assert_complete_sequence(&out);
    assert_eq!(home.app("c")["restarts"], 0);
}

#[test]
fn reload_logs_reopens_files_after_an_external_rotation() {
    let home = RpmHome::new();
    home.start_fixture("counter.sh", "n", &[]);
    let log = home.join("logs/n-out.log");
    let moved = home.join("logs/n-out.log.1");
    wait_until(DEADLINE, "some lines", || {
        if count_lines(&log) > 5 {
            Ok(())
        } else {
            Err("few".into())
        }
    });
    std::fs::rename(&log, &moved).expect("rotate like logrotate");
    home.ok(&["reload-logs"]);
    wait_until(DEADLINE, "a new file at the old path", || {
        if count_lines(&log) > 2 {
            Ok(())
        } else {
            Err("none".into())
        }
    });
    // Nothing lost across the two files: one unbroken sequence.
    let mut all = String::from_utf8(read(&moved)).expect("utf-8");
    all.push_str(&String::from_utf8(read(&log)).expect("utf-8"));
    for (i, line) in all.lines().enumerate() {
        assert_eq!(line, format!("line {}", i + 1));
    }
}

#[test]
fn logs_nostream_with_nothing_to_show_says_so() {
    // Following waits for apps to come instead (see the test above).
    let home = RpmHome::new();
    let err = home.fails(&["logs", "--nostream"], 1);
    assert_eq!(
        err,
        "error: no log file to show: no app is known yet, or the selected ones log to /dev/null\n"
    );
}

/// Bytes written into a FIFO that nobody has read yet (FIONREAD).
fn unread(fifo: &std::path::Path) -> usize {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(fifo)
        .unwrap_or_else(|e| panic!("open {}: {e}", fifo.display()));
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD stores one int into `n`, which outlives the call.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), libc::FIONREAD, &mut n) };
    assert_eq!(rc, 0, "FIONREAD on {}", fifo.display());
    n as usize
}

/// Starts `half_line.sh` with `extra`, waits until the daemon has taken the half line
/// out of the pipe, lets `replace` do away with the daemon, has the app end the line,
/// and returns the contents of `files` once each holds a whole line.
fn half_line_across(extra: &[&str], replace: impl Fn(&RpmHome), files: &[&str]) -> Vec<String> {
    let home = RpmHome::new();
    let signals = home.join("signals");
    std::fs::create_dir(&signals).expect("signals dir");
    let mut args = extra.to_vec();
    args.extend(["--", signals.to_str().expect("utf-8 path")]);
    home.start_fixture("half_line.sh", "half", &args);
    let fifo = home.join("pipes/0.out");
    // Out of the pipe, the half line is in the daemon's record for the stream (the
    // pump's unit tests check the record itself: `logs::pump::stream`).
    wait_until(DEADLINE, "the daemon to take the half line", || {
        if !signals.join("wrote").exists() {
            return Err("not written yet".into());
        }
        match unread(&fifo) {
            0 => Ok(()),
            n => Err(format!("{n} bytes unread")),
        }
    });
    replace(&home);
    std::fs::write(signals.join("go"), b"").expect("go");
    home.jlist(); // a daemon again: it adopts the app and drains its pipe
    files
        .iter()
        .map(|file| {
            let path = home.join(file);
            wait_until(DEADLINE, &format!("{file}: the line's end"), || {
                let text = String::from_utf8_lossy(&read(&path)).into_owned();
                if text.ends_with("line\n") {
                    Ok(text)
                } else {
                    Err(format!("{text:?}"))
                }
            })
        })
        .collect()
}

#[test]
fn a_half_written_line_survives_a_sigkilled_daemon() {
    let texts = half_line_across(
        &["--time"],
        |home| {
            home.sigkill_daemon();
        },
        &["logs/half-out.log"],
    );
    let lines: Vec<&str> = texts[0].lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let (stamp, rest) = lines[0].split_once(": ").expect("a timestamp prefix");
    assert_eq!(rest, "half line", "{lines:?}");
    assert!(stamp.starts_with("20"), "{lines:?}");
}

#[test]
fn a_half_written_line_survives_rpm_update() {
    // Also in the combined log: a shared file, so the stream is framed.
    let texts = half_line_across(
        &["-l", "logs/all.log"],
        |home| {
            home.ok(&["update"]);
        },
        &["logs/half-out.log", "logs/all.log"],
    );
    assert_eq!(texts, ["half line\n", "half line\n"]);
}

#[test]
fn a_line_left_open_by_a_killed_daemon_is_ended_when_the_app_exits() {
    // Raw output to a file of its own goes to the file as it comes, half lines included.
    let home = RpmHome::new();
    let signals = home.join("signals");
    std::fs::create_dir(&signals).expect("signals dir");
    let args = [
        "--no-autorestart",
        "--",
        signals.to_str().expect("utf-8 path"),
    ];
    home.start_fixture("half_line.sh", "half", &args);
    let log = home.join("logs/half-out.log");
    wait_until(DEADLINE, "the half line in the log", || match read(&log) {
        text if text == b"half " => Ok(()),
        text => Err(format!("{:?}", String::from_utf8_lossy(&text))),
    });
    let pid = home.app("half")["pid"].as_i64().expect("pid") as i32;
    home.sigkill_daemon();
    // SAFETY: kill(2) on the app this test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    crate::harness::wait_gone(&[pid], "the app");
    // The next daemon finds the app gone and ends its line, so a later line stands alone.
    home.wait_app("half", "stopped", |p| p["status"] == "stopped");
    wait_until(DEADLINE, "the line ended", || match read(&log) {
        text if text == b"half \n" => Ok(()),
        text => Err(format!("{:?}", String::from_utf8_lossy(&text))),
    });
}

/// Starts `half_line.sh` with raw output to its own file (written as it comes), waits
/// for the half line in the file, SIGKILLs the daemon, has the app end the line while no
/// daemon runs, and returns the file once the next daemon has drained the pipe into it.
/// (What the next daemon does with the records a killed one left is unit-tested with
/// the pump's own encoder in `logs::pump::recovery`.)
fn raw_half_line_across_a_kill() -> String {
    let home = RpmHome::new();
    let signals = home.join("signals");
    std::fs::create_dir(&signals).expect("signals dir");
    home.start_fixture(
        "half_line.sh",
        "half",
        &["--", signals.to_str().expect("utf-8 path")],
    );
    let log = home.join("logs/half-out.log");
    let fifo = home.join("pipes/0.out");
    wait_until(DEADLINE, "the half line in the log", || match read(&log) {
        text if text == b"half " && unread(&fifo) == 0 => Ok(()),
        text => Err(format!("{:?}", String::from_utf8_lossy(&text))),
    });
    home.sigkill_daemon();
    std::fs::write(signals.join("go"), b"").expect("go");
    wait_until(DEADLINE, "the app to end its line", || {
        signals
            .join("ended")
            .exists()
            .then_some(())
            .ok_or_else(|| "not yet".to_string())
    });
    home.jlist(); // a daemon again: it adopts the app and drains its pipe
    wait_until(DEADLINE, "the pipe drained into the log", || {
        let text = read_text(&log);
        if unread(&fifo) == 0 && text.ends_with('\n') {
            Ok(text)
        } else {
            Err(format!("{text:?}"))
        }
    })
}

#[test]
fn a_raw_line_left_open_across_a_sigkill_is_continued() {
    assert_eq!(raw_half_line_across_a_kill(), "half line\n");
}

/// A line of `pieces.py` numbered `k`.
fn piece_line(k: usize) -> String {
    format!("n{k:08} {}", "y".repeat(k % 97))
}

/// Reads `pieces.py` output after stripping `prefix` bytes per line. Every line must be
/// whole, with numbers rising and never repeated, except: the last line may be cut short
/// (the app was stopped mid-line), a line may have lost its start where lines are
/// missing (a daemon killed between a read and the write after it), and a line may have
/// lost its end where lines are missing (a daemon killed inside its write to the file,
/// which the kernel cuts short at a page boundary). Returns the numbers of the whole
/// lines and the runs of missing numbers.
fn pieces_output(text: &str, prefix: usize, what: &str) -> (Vec<usize>, Vec<(usize, usize)>) {
    assert!(text.ends_with('\n'), "{what}: no final newline");
    let lines: Vec<&str> = text.lines().collect();
    let bodies: Vec<&str> = lines
        .iter()
        .map(|l| l.get(prefix..).unwrap_or_default())
        .collect();
    let number = |body: &str| body.get(1..9).and_then(|d| d.parse::<usize>().ok());
    let whole: Vec<Option<usize>> = bodies
        .iter()
        .map(|b| number(b).filter(|k| piece_line(*k) == *b))
        .collect();
    let mut seen: Vec<usize> = Vec::new();
    let mut missing = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        let around = &lines[i.saturating_sub(3)..(i + 4).min(lines.len())];
        let prev = seen.last().copied().unwrap_or(0);
        if let Some(k) = whole[i] {
            assert!(k > prev, "{what}: {k} after {prev}; around it: {around:#?}");
            if k > prev + 1 && missing.last().is_none_or(|(_, end)| *end < prev + 1) {
                missing.push((prev + 1, k - 1));
            }
            seen.push(k);
            continue;
        }
        let next = whole[i + 1..].iter().flatten().next().copied();
        let last = i + 1 == lines.len();
        // A write cut inside the timestamp leaves the start of one and no body.
        let line = lines[i];
        let cut_stamp = !line.is_empty()
            && line.len() <= prefix
            && line
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-T: ".contains(&b));
        let cut_end = cut_stamp || (!body.is_empty() && piece_line(prev + 1).starts_with(body));
        let lost_start = (prev + 1..next.unwrap_or(prev + 2))
            .find(|k| piece_line(*k).ends_with(body) && !body.is_empty());
        assert!(
            cut_end || lost_start.is_some(),
            "{what}: {body:?}; around it: {around:#?}"
        );
        if let Some(k) = lost_start {
            missing.push((prev + 1, k));
        } else if !last {
            // Cut short by a killed write: that line and the rest of its chunk are lost.
            missing.push((prev + 1, next.map_or(prev + 1, |n| (n - 1).max(prev + 1))));
        }
    }
    (seen, missing)
}

#[test]
fn pieces_output_tells_a_killed_write_from_a_merged_line() {
    // As CI once saw: a SIGKILL cut the daemon's write inside line 3, and lines 3-5 were
    // lost; the next daemon ended the cut line and went on with line 6.
    let lines = |ks: &[usize]| ks.iter().map(|k| piece_line(*k) + "\n").collect::<String>();
    let cut = format!(
        "{}{}\n{}",
        lines(&[1, 2]),
        &piece_line(3)[..6],
        lines(&[6, 7])
    );
    let (seen, lost) = pieces_output(&cut, 0, "cut");
    assert_eq!((seen, lost), (vec![1, 2, 6, 7], vec![(3, 5)]));
    // The same cut line with the next one glued to it is a merge, and fails.
    let merged = format!(
        "{}{}{}",
        lines(&[1, 2]),
        &piece_line(3)[..6],
        lines(&[6, 7])
    );
    let caught = std::panic::catch_unwind(|| pieces_output(&merged, 0, "merged"));
    assert!(caught.is_err(), "a merged line passed");
    // With timestamps, the write may be cut inside one.
    let stamped = |ks: &[usize]| {
        ks.iter()
            .map(|k| format!("2026-11-25T17:20:09: {}\n", piece_line(*k)))
            .collect::<String>()
    };
    let cut = format!("{}2026-11-25T\n{}", stamped(&[1, 2]), stamped(&[6, 7]));
    let (seen, lost) = pieces_output(&cut, "2026-11-25T17:20:09: ".len(), "stamped");
    assert_eq!((seen, lost), (vec![1, 2, 6, 7], vec![(3, 5)]));
}

/// A FIFO `name` in the home through which the test tells an app when to go on, and
/// the test's end of it: opened read-write, so opening never waits for the app and the
/// app never sees end-of-file.
fn control_fifo(home: &RpmHome, name: &str) -> (std::path::PathBuf, std::fs::File) {
    let path = home.join(name);
    let c_path = std::ffi::CString::new(path.to_str().expect("utf-8 path")).expect("path");
    // SAFETY: mkfifo reads a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let end = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .expect("open the control FIFO");
    (path, end)
}

#[test]
fn lines_written_in_pieces_survive_repeated_daemon_kills_and_updates() {
    let home = RpmHome::new();
    // The app writes a batch of lines, as fast as it can, per byte the test sends it;
    // every write ends inside a line, so the daemon always holds half of one.
    let (control, mut go) = control_fifo(&home, "control");
    let control_arg = control.to_str().expect("utf-8 path");
    // Timestamps (in both files) and a combined file: framed streams.
    home.start_fixture(
        "pieces.py",
        "t",
        &["--time", "-l", "logs/all.log", "--", control_arg],
    );
    let out = home.join("logs/t-out.log");
    let prefix = "2026-11-25T15:28:14: ".len();
    // Three updates, then three kills, each while a batch is still pouring out.
    let mut after_updates = 0;
    for round in 0..6 {
        let before = count_lines(&out);
        std::io::Write::write_all(&mut go, b"g").expect("let the app write a batch");
        wait_until(DEADLINE, "more lines", || match count_lines(&out) {
            n if n >= before + 300 => Ok(()),
            n => Err(format!("{n} lines")),
        });
        if round < 3 {
            home.ok(&["update"]);
        } else {
            if round == 3 {
                // Whatever is in the file by now went through the updates only.
                after_updates = count_lines(&out);
            }
            home.sigkill_daemon();
        }
        home.jlist(); // a daemon again
    }
    home.ok(&["stop", "t"]);
    // Never a merged or repeated line, and nothing lost: `rpm update` costs nothing, not
    // even the half line the daemon held, and neither does a SIGKILL, since the chunk
    // being written stays in the pipe until it is in both files (their own, not rotated).
    for file in ["logs/t-out.log", "logs/all.log"] {
        let (seen, lost) = pieces_output(&read_text(&home.join(file)), prefix, file);
        assert!(seen.len() > 10_000, "{file}: {} lines", seen.len());
        assert!(
            lost.is_empty(),
            "{file}: lost {lost:?} (updates covered 1..={after_updates})"
        );
    }
    assert_eq!(home.app("t")["restarts"], 0);
}

fn read_text(path: &std::path::Path) -> String {
    String::from_utf8(read(path)).expect("utf-8")
}

#[test]
fn a_timestamped_line_never_joins_a_line_cut_short_in_its_file() {
    // As a daemon killed in the middle of a write leaves it: the file ends inside a line.
    let home = RpmHome::new();
    std::fs::create_dir_all(home.join("logs")).expect("logs dir");
    std::fs::write(home.join("logs/echo-out.log"), b"cut sho").expect("write");
    home.ok(&[
        "start",
        "echo",
        "--name",
        "echo",
        "--time",
        "--no-autorestart",
        "--",
        "hello",
    ]);
    home.wait_app("echo", "finished", |p| p["status"] == "stopped");
    let log = home.join("logs/echo-out.log");
    let text = wait_until(DEADLINE, "the app's line", || {
        let text = read_text(&log);
        if text.ends_with("hello\n") {
            Ok(text)
        } else {
            Err(format!("{text:?}"))
        }
    });
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "cut sho", "{text:?}");
    assert!(
        lines[1].ends_with(": hello") && lines.len() == 2,
        "{text:?}"
    );
}

#[test]
fn following_picks_up_apps_started_since_and_shows_their_lifecycle() {
    let home = RpmHome::new();
    home.ok(&[
        "start",
        "sh",
        "--name",
        "first",
        "--",
        "-c",
        "echo first is up; exec sleep 1000",
    ]);
    let first_log = home.join("logs/first-out.log");
    wait_until(DEADLINE, "first's line", || {
        match std::fs::read_to_string(&first_log) {
            Ok(text) if text.contains("first is up") => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    let (_follower, rx) = follow(&home, &["logs", "--lines", "1"]);
    let mut seen: Vec<String> = Vec::new();
    let mut wait_for = |want: &str, what: &str| {
        wait_until(DEADLINE, what, || {
            while let Ok(line) = rx.try_recv() {
                seen.push(line);
            }
            if seen.iter().any(|l| l.contains(want)) {
                Ok(())
            } else {
                Err(format!("{seen:?}"))
            }
        });
    };
    // The follower subscribes before it lists the apps: once it shows first's line, an
    // app started later is noticed.
    wait_for("first is up", "the follower showing the app it found");
    // The app ends only once the follower has shown its line.
    let (control, mut go) = control_fifo(&home, "late.go");
    let script = format!(
        "echo hello from late; read _ < '{}'; exit 3",
        control.display()
    );
    home.ok(&[
        "start",
        "sh",
        "--name",
        "late",
        "--no-autorestart",
        "--",
        "-c",
        &script,
    ]);
    wait_for("1|late  | hello from late", "the new app's line");
    std::io::Write::write_all(&mut go, b"go\n").expect("let the app exit");
    wait_for(
        "1|late  | [rpm] exited with code 3",
        "the exit as a lifecycle line",
    );
}

/// One line of `ids.sh` as `rpm logs` showed it: the id of its `<id>|<name>` label, and
/// the id, pid and count the instance wrote into it. `None` for other lines (headers,
/// lifecycle lines).
fn labelled(line: &str) -> Option<(u64, u64, u64, u64)> {
    let (label, rest) = line.split_once('|')?;
    let text = &rest[rest.find("id=")?..];
    let field = |name: &str| -> Option<u64> {
        let at = text.find(&format!("{name}="))? + name.len() + 1;
        text[at..].split(' ').next()?.parse().ok()
    };
    Some((
        label.trim().parse().ok()?,
        field("id")?,
        field("pid")?,
        field("n")?,
    ))
}

/// Checks that every `ids.sh` line in `output` is labelled with the id that wrote it;
/// returns them, as (id, pid, n).
fn all_labelled_right(output: &str, what: &str) -> Vec<(u64, u64, u64)> {
    let mut lines = Vec::new();
    for line in output.lines() {
        if let Some((label, id, pid, n)) = labelled(line) {
            assert_eq!(
                label, id,
                "{what}: {line:?} has another instance's label\n{output}"
            );
            lines.push((id, pid, n));
        }
    }
    lines
}

/// Waits until `rpm logs ids` shows lines of both instances newer than `seen` (pid, n
/// pairs: a line is newer if its pid is not in `seen` or its n is higher), checking the
/// labels of every line each look shows; returns the newest (pid, n) per id.
fn labels_right_after(home: &RpmHome, seen: &[(u64, u64)], what: &str) -> Vec<(u64, u64)> {
    wait_until(DEADLINE, what, || {
        let out = home.ok(&["logs", "ids", "--nostream", "--lines", "60", "--out"]);
        let lines = all_labelled_right(&out, what);
        let newer = |id: u64| {
            lines
                .iter()
                .rev()
                .find(|(i, pid, n)| *i == id && seen.iter().all(|(p, m)| p != pid || n > m))
        };
        match (newer(0), newer(1)) {
            (Some(a), Some(b)) => Ok(vec![(a.1, a.2), (b.1, b.2)]),
            _ => Err(format!("not yet newer lines of both instances:\n{out}")),
        }
    })
}

#[test]
fn issue_15_lines_of_a_merged_file_carry_the_instance_that_wrote_them() {
    let home = RpmHome::new();
    home.start_fixture("ids.sh", "ids", &["-i", "2", "--merge-logs"]);
    let merged = home.join("logs/ids-out.log");
    let newest = labels_right_after(&home, &[], "both instances in the merged file");

    // The file holds the apps' plain lines, nothing of rpm's.
    let text = String::from_utf8(read(&merged)).expect("utf-8");
    assert!(
        text.lines().all(|l| l.starts_with("id=")),
        "the merged file was changed:\n{text}"
    );
    // JSON lines carry the writer's id too.
    let json = home.ok(&[
        "logs",
        "ids",
        "--nostream",
        "--lines",
        "30",
        "--out",
        "--json",
    ]);
    let mut ids = std::collections::BTreeSet::new();
    for line in json.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let message = value["message"].as_str().expect("message");
        let (_, id, _, _) = labelled(&format!("0|{message}")).expect("an ids.sh line");
        assert_eq!(value["id"].as_u64(), Some(id), "{line}");
        ids.insert(id);
    }
    assert_eq!(ids.len(), 2, "both instances in the last 30 lines:\n{json}");

    // Following: new lines are labelled as they come.
    let (follower, rx) = follow(&home, &["logs", "ids", "--out", "--lines", "0"]);
    let mut followed = Vec::new();
    wait_until(DEADLINE, "40 followed lines of both instances", || {
        followed.extend(rx.try_iter());
        let lines = all_labelled_right(&followed.join("\n"), "following");
        let both = lines.iter().any(|l| l.0 == 0) && lines.iter().any(|l| l.0 == 1);
        if lines.len() >= 40 && both {
            Ok(())
        } else {
            Err(format!("{} lines so far", lines.len()))
        }
    });
    drop(follower);

    // A daemon replaced in place, one SIGKILLed and one started again after `rpm kill`
    // each take up the index where the last one left it.
    home.ok(&["update"]);
    let newest = labels_right_after(&home, &newest, "labels after rpm update");
    home.sigkill_daemon();
    home.jlist();
    let newest = labels_right_after(&home, &newest, "labels after a SIGKILLed daemon");
    home.ok(&["save"]);
    home.ok(&["kill"]);
    home.ok(&["resurrect"]);
    labels_right_after(&home, &newest, "labels after kill and resurrect");
}
