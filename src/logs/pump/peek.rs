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

/// How a record's fingerprint was made. Records say which (see `partial`), so a daemon
/// can settle what an older one left after `rpm update`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hash {
    /// FNV-1a byte by byte: what daemons before `Words` recorded.
    Bytes,
    /// Eight bytes a step (see `mix_words`): about five times faster on the pump's hot
    /// path, where a chunk of a block writer is fingerprinted for every few hundred KiB
    /// written.
    Words,
}

/// Identifies a chunk well enough to tell whether a pipe still starts with it: its
/// length and its first and last 4 KiB, mixed by `hash`. Hashing all of a 1 MiB chunk
/// would cost as much as copying it again.
pub(super) fn fingerprint(chunk: &[u8], hash: Hash) -> u64 {
    let mut state = crate::fnv::OFFSET;
    let mut mix = |bytes: &[u8]| match hash {
        Hash::Bytes => mix_bytes(&mut state, bytes),
        Hash::Words => mix_words(&mut state, bytes),
    };
    mix(&(chunk.len() as u64).to_le_bytes());
    if chunk.len() <= 2 * FINGERPRINT_EDGE {
        mix(chunk);
    } else {
        mix(&chunk[..FINGERPRINT_EDGE]);
        mix(&chunk[chunk.len() - FINGERPRINT_EDGE..]);
    }
    state
}

fn mix_bytes(state: &mut u64, bytes: &[u8]) {
    *state = crate::fnv::mix(*state, bytes);
}

/// FNV-1a over little-endian words, rotated after each multiply so that a word's high
/// bits reach the low ones; the bytes past the last whole word go in one at a time.
fn mix_words(state: &mut u64, bytes: &[u8]) {
    const MULTIPLIER: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("chunks_exact(8) gives 8 bytes"));
        *state = (*state ^ word).wrapping_mul(MULTIPLIER).rotate_left(29);
    }
    mix_bytes(state, words.remainder());
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
        let mut last = a.clone();
        last[9_999] = b'b';
        let mut first = a.clone();
        first[0] = b'b';
        let mut high_bit = a.clone();
        high_bit[7] ^= 0x80;
        let mut ninth = a[..9].to_vec();
        ninth[8] = b'b';
        for hash in [Hash::Bytes, Hash::Words] {
            let f = |chunk: &[u8]| fingerprint(chunk, hash);
            assert_ne!(f(&a), f(&last), "{hash:?}: last byte");
            assert_ne!(f(&a), f(&first), "{hash:?}: first byte");
            assert_ne!(f(&a), f(&high_bit), "{hash:?}: a word's high bit");
            assert_ne!(f(&a[..9_999]), f(&a), "{hash:?}: length");
            assert_ne!(f(&a[..9]), f(&ninth), "{hash:?}: past the last word");
            assert_eq!(f(b"x\n"), f(b"x\n"), "{hash:?}");
        }
    }

    #[test]
    fn byte_fingerprints_are_those_older_daemons_recorded() {
        // FNV-1a of the length (8 bytes, little-endian) and the bytes: what daemons
        // before word fingerprints wrote into in-flight records.
        assert_eq!(fingerprint(b"", Hash::Bytes), 0xa8c7_f832_281a_39c5);
        assert_ne!(
            fingerprint(b"line\n", Hash::Bytes),
            fingerprint(b"line\n", Hash::Words)
        );
    }
}
