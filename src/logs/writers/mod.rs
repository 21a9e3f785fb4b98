//! Who wrote which bytes of a log file several instances share: a small side index
//! beside the logs (`RPM_HOME/logs/writers/<hash of the path>`), never in the file itself,
//! so merged files keep the plain lines PM2 users expect.
//!
//! The daemon's log pump keeps one [`WriterIndex`] per shared file (`index`, driven by
//! `LogFile`): each time the instance writing the file changes, it appends a run, "from
//! byte `offset` on, instance `id` (`name`) wrote". One writer costs nothing per write;
//! files written by one instance have no index at all. `rpm logs` (`tail`) reads it with
//! [`Labels`] (`labels`) and gives each line the run that covers its first byte.
//!
//! The index is advisory. A missing, damaged or stale one (another inode, a file
//! shorter than its runs say) is ignored and lines carry their source's id, as before;
//! a failing index write is logged and never fails or delays the log write. The run is
//! written just before the bytes it covers, so a reader that sees the bytes sees their
//! run (a follower woken by the write never labels it from a run still to come), and a
//! daemon killed between the two leaves a run no byte follows yet, which the next
//! write's run (same offset, later in the index) supersedes.
//!
//! Format (text, one record a line): a header `rpm-writers 1 <inode> <log path>`, then
//! runs `<offset> <id> <name>` with non-decreasing offsets; `format` owns it. Each part
//! runs on the thread that calls it (the pump thread, or the CLI's).

mod format;
mod index;
mod labels;

pub use format::Label;
pub(crate) use index::WriterIndex;
pub(crate) use labels::Labels;
