//! `loggen`: the log-throughput benchmark's app (`bench/logs.py`). Writes `N` numbered
//! lines of `LEN` bytes (newline included) to stdout as fast as it can, then exits 0. It
//! owns nothing else and runs on its own main thread.
//!
//! Line `i` (1-based) is `L` + `i` as nine digits + a space + `x` padding + `\n`, so a
//! checker can find the number after any prefix a process manager adds (`--time`).
//!
//! Usage: `loggen N [LEN] [--per-line]` (LEN defaults to 100, at least 12). With
//! `--per-line` every line is its own `write(2)`, as `println!`, `console.log` and logging
//! handlers that flush each record do; without it lines go out in 256 KiB writes.

use std::io::{self, Write};
use std::process::ExitCode;

/// Bytes handed to one `write`: large, so the generator costs little per line.
const BUF: usize = 256 * 1024;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: u64 = match args.next().and_then(|a| a.parse().ok()) {
        Some(n) if n < 1_000_000_000 => n,
        _ => return usage(),
    };
    let rest: Vec<String> = args.collect();
    let per_line = rest.iter().any(|a| a == "--per-line");
    let len: usize = match rest.iter().find(|a| *a != "--per-line").map(|a| a.parse()) {
        None => 100,
        Some(Ok(len)) if len >= 12 => len,
        Some(_) => return usage(),
    };
    let buf = if per_line { len } else { BUF };
    match generate(n, len, buf, &mut io::stdout().lock()) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away: nothing left to say.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::from(1),
        Err(e) => {
            eprintln!("loggen: {e}");
            ExitCode::from(1)
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: loggen N [LEN] [--per-line]   (N < 1e9 lines of LEN >= 12 bytes)");
    ExitCode::from(2)
}

/// Writes lines 1..=n to `out` in writes of whole lines, at most `buf` bytes each (at
/// least one line). `out` must not buffer: each `write_all` here is one `write(2)`.
fn generate(n: u64, len: usize, buf: usize, out: &mut impl Write) -> io::Result<()> {
    let mut line = vec![b'x'; len];
    line[0] = b'L';
    line[10] = b' ';
    line[len - 1] = b'\n';
    let per_write = (buf / len).max(1);
    let mut buf = Vec::with_capacity(per_write * len);
    let mut i = 1;
    while i <= n {
        buf.clear();
        let end = (i + per_write as u64 - 1).min(n);
        for k in i..=end {
            put_digits(&mut line[1..10], k);
            buf.extend_from_slice(&line);
        }
        out.write_all(&buf)?;
        i = end + 1;
    }
    out.flush()
}

/// Writes `k` as zero-padded decimal into `digits` (k < 10^digits.len()).
fn put_digits(digits: &mut [u8], mut k: u64) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (k % 10) as u8;
        k /= 10;
    }
}
