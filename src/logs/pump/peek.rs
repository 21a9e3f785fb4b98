//! Reading a FIFO without taking what is read: `tee(2)` into a scratch pipe, then
//! `splice(2)` to `/dev/null` once the bytes are safely in their log files.
//!
//! A plain `read` takes bytes out of the pipe for good; a daemon killed between that
//! read and the end of the write that follows lost them. Peeking first and consuming
//! after the write leaves them in the app's pipe until then, so a next daemon can write
//! them again (see `partial` for the record that tells it how far the write got).
//! Runs on the log pump thread.

use std::fs::File;
use std::io::{self, Read};
use std::os::fd::AsRawFd;

use nix::errno::Errno;
use nix::fcntl::{splice, tee, OFlag, SpliceFFlags};

/// Bytes of a chunk's start and end that go into its fingerprint.
const FINGERPRINT_EDGE: usize = 4096;

/// A private pipe that peeked bytes pass through, and `/dev/null` to consume into.
pub(super) struct Scratch {
    read: File,
    write: File,
    null: File,
    /// splice(2) to /dev/null was refused once (logged): taken bytes are read instead.
    splice_refused: bool,
}

impl Scratch {
    /// A scratch pipe of `size` bytes, as far as the kernel allows (a smaller one only
    /// makes chunks smaller).
    pub(super) fn new(size: usize) -> io::Result<Scratch> {
        let (read, write) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK)?;
        let size = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
        // SAFETY: F_SETPIPE_SZ on a pipe we own; failure only leaves the default size.
        unsafe {
            libc::fcntl(write.as_raw_fd(), libc::F_SETPIPE_SZ, size);
        }
        let null = std::fs::OpenOptions::new().write(true).open("/dev/null")?;
        Ok(Scratch {
            read: File::from(read),
            write: File::from(write),
            null,
            splice_refused: false,
        })
    }

    /// Copies bytes from the head of `fifo` into `buf` without taking them out of it:
    /// `Ok(0)` when the pipe is empty.
    pub(super) fn peek(&mut self, fifo: &File, buf: &mut [u8]) -> io::Result<usize> {
        let n = match tee(
            fifo,
            &self.write,
            buf.len(),
            SpliceFFlags::SPLICE_F_NONBLOCK,
        ) {
            Ok(n) => n,
            Err(Errno::EAGAIN) => return Ok(0),
            Err(e) => return Err(e.into()),
        };
        // The scratch pipe is empty between peeks and now holds exactly `n` bytes.
        let mut got = 0;
        while got < n {
            match self.read.read(&mut buf[got..n]) {
                Ok(0) => break,
                Ok(k) => got += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(got)
    }

    /// Takes `n` bytes (already peeked and written) out of `fifo`. Should splice(2) be
    /// refused, the bytes are read and dropped instead: left in the pipe, they would be
    /// written again at every turn.
    pub(super) fn consume(&mut self, fifo: &File, n: usize) -> io::Result<()> {
        let mut left = n;
        if self.splice_refused {
            left -= discard(fifo, left)?;
        }
        while left > 0 {
            match splice(
                fifo,
                None,
                &self.null,
                None,
                left,
                SpliceFFlags::SPLICE_F_NONBLOCK,
            ) {
                Ok(0) | Err(Errno::EAGAIN) => break,
                Ok(k) => left -= k,
                Err(Errno::EINTR) => {}
                Err(e) => {
                    log::warn!("log pump: cannot splice output away ({e}); reading it");
                    self.splice_refused = true;
                    left -= discard(fifo, left)?;
                    break;
                }
            }
        }
        if left == 0 {
            Ok(())
        } else {
            Err(io::Error::other(format!(
                "{left} peeked bytes were gone from the pipe"
            )))
        }
    }
}

/// Reads and drops up to `n` bytes of `fifo`; returns how many.
fn discard(mut fifo: &File, n: usize) -> io::Result<usize> {
    let mut sink = [0u8; 16 * 1024];
    let mut done = 0;
    while done < n {
        let want = sink.len().min(n - done);
        match fifo.read(&mut sink[..want]) {
            Ok(0) => break,
            Ok(k) => done += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Identifies a chunk well enough to tell whether a pipe still starts with it: its
/// length and its first and last 4 KiB (FNV-1a). Hashing all of a 1 MiB chunk would
/// cost as much as copying it again.
pub(super) fn fingerprint(chunk: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    };
    mix(&(chunk.len() as u64).to_le_bytes());
    if chunk.len() <= 2 * FINGERPRINT_EDGE {
        mix(chunk);
    } else {
        mix(&chunk[..FINGERPRINT_EDGE]);
        mix(&chunk[chunk.len() - FINGERPRINT_EDGE..]);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn peeked_bytes_stay_in_the_pipe_until_consumed() {
        let (r, w) = nix::unistd::pipe2(OFlag::O_CLOEXEC | OFlag::O_NONBLOCK).expect("pipe");
        let (fifo, mut writer) = (File::from(r), File::from(w));
        let mut scratch = Scratch::new(1 << 16).expect("scratch");
        let mut buf = [0u8; 64];
        assert_eq!(scratch.peek(&fifo, &mut buf).expect("peek"), 0, "empty");
        writer.write_all(b"one\ntwo\n").expect("write");
        assert_eq!(scratch.peek(&fifo, &mut buf).expect("peek"), 8);
        assert_eq!(&buf[..8], b"one\ntwo\n");
        // Not taken: the same bytes again.
        assert_eq!(scratch.peek(&fifo, &mut buf[..4]).expect("peek"), 4);
        assert_eq!(&buf[..4], b"one\n");
        scratch.consume(&fifo, 4).expect("consume");
        assert_eq!(scratch.peek(&fifo, &mut buf).expect("peek"), 4);
        assert_eq!(&buf[..4], b"two\n");
        scratch.consume(&fifo, 4).expect("consume");
        assert_eq!(scratch.peek(&fifo, &mut buf).expect("peek"), 0);
        assert!(scratch.consume(&fifo, 1).is_err(), "nothing left to take");
    }

    #[test]
    fn fingerprints_tell_chunks_apart() {
        let a = vec![b'a'; 10_000];
        let mut b = a.clone();
        b[9_999] = b'b';
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a[..9_999]), fingerprint(&a));
        assert_eq!(fingerprint(b"x\n"), fingerprint(b"x\n"));
    }
}
