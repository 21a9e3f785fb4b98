//! What one stream's turn works with: the pump's tools and buffers, lent to one stream
//! at a time, and the sizes that bound a turn. Pump thread.

use nix::sys::epoll::Epoll;

use super::peek::Scratch;
use super::report::Reporter;
use super::targets::Files;

/// Reads per FIFO per wake-up before serving the others (fairness).
pub(super) const READS_PER_TURN: usize = 16;
/// A read smaller than this finds the pipe far from full (see `BUSY` in `mod.rs`).
pub(super) const SMALL: usize = 64 * 1024;

/// What every stream's turn works with, lent to one stream at a time.
pub(super) struct Tools {
    pub(super) epoll: Epoll,
    pub(super) files: Files,
    pub(super) report: Reporter,
    /// Where chunks are peeked through; `None` if no pipe could be made.
    pub(super) scratch: Option<Scratch>,
    /// A read brought more than `SMALL` since the buffers were last given back: once the
    /// pump has been idle for `RELEASE_AFTER`, they are (see `release_buffers`).
    pub(super) burst: bool,
}

/// The pump's two big buffers, apart from `Tools` so that a chunk can be borrowed from
/// one while the files are written.
pub(super) struct Buffers {
    /// Read buffer; only the pages output has filled are resident.
    pub(super) read: Vec<u8>,
    /// Formatted output of one read.
    pub(super) formatted: Vec<u8>,
}
