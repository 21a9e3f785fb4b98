//! `loggen`: the log-throughput benchmark's app (`bench/logs.py`). Writes `N` numbered
//! lines of `LEN` bytes (newline included) to stdout as fast as it can, then exits 0. It
//! owns nothing else and runs on its own main thread.
//!
//! Line `i` (1-based) is `L` + `i` as nine digits + a space + `x` padding + `\n`, so a
//! checker can find the number after any prefix a process manager adds (`--time`).
//!
//! Usage: `loggen N [LEN] [--per-line | --block BYTES]` (LEN defaults to 100, at least
//! 12). With `--per-line` every line is its own `write(2)`, as `println!`, `console.log`
//! and logging handlers that flush each record do; without either, lines go out in
//! writes of whole lines, 256 KiB at most. With `--block BYTES` every write is exactly
//! `BYTES` (the last one shorter), lines cut at the block edges, as C stdio's full
//! buffering flushes a pipe: `--block 8192` is an app whose stdout buffer is 8 KiB.

use std::fs::File;
use std::io::{self, Write};
use std::os::fd::AsFd;
use std::process::ExitCode;

/// Bytes handed to one `write` by default: large, so the generator costs little per line.
const BUF: usize = 256 * 1024;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let n: u64 = match args.next().and_then(|a| a.parse().ok()) {
        Some(n) if n < 1_000_000_000 => n,
        _ => return usage(),
    };
    let (mut len, mut per_line, mut block) = (None, false, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--per-line" => per_line = true,
            "--block" => match args.next().and_then(|b| b.parse::<usize>().ok()) {
                Some(bytes) if bytes > 0 => block = Some(bytes),
                _ => return usage(),
            },
            _ if len.is_none() => match arg.parse::<usize>() {
                Ok(l) if l >= 12 => len = Some(l),
                _ => return usage(),
            },
            _ => return usage(),
        }
    }
    if per_line && block.is_some() {
        return usage();
    }
    let len = len.unwrap_or(100);
    // Unbuffered: std's stdout is line-buffered, which would cut blocks at newlines.
    let mut out = match io::stdout().as_fd().try_clone_to_owned() {
        Ok(fd) => File::from(fd),
        Err(e) => {
            eprintln!("loggen: {e}");
            return ExitCode::from(1);
        }
    };
    let out = &mut out;
    let written = match block {
        Some(bytes) => generate_blocks(n, len, bytes, out),
        None => generate(n, len, if per_line { len } else { BUF }, out),
    };
    match written {
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
    eprintln!(
        "usage: loggen N [LEN] [--per-line | --block BYTES]   (N < 1e9 lines of LEN >= 12 bytes)"
    );
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

/// Writes lines 1..=n to `out` in writes of exactly `block` bytes (the last one
/// shorter), cutting lines at the block edges. `out` must not buffer.
fn generate_blocks(n: u64, len: usize, block: usize, out: &mut impl Write) -> io::Result<()> {
    let mut line = vec![b'x'; len];
    line[0] = b'L';
    line[10] = b' ';
    line[len - 1] = b'\n';
    let mut buf = Vec::with_capacity(block + len);
    for k in 1..=n {
        put_digits(&mut line[1..10], k);
        buf.extend_from_slice(&line);
        if buf.len() >= block {
            out.write_all(&buf[..block])?;
            buf.drain(..block);
        }
    }
    out.write_all(&buf)?;
    out.flush()
}

/// Writes `k` as zero-padded decimal into `digits` (k < 10^digits.len()).
fn put_digits(digits: &mut [u8], mut k: u64) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (k % 10) as u8;
        k /= 10;
    }
}
