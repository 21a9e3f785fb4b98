//! The CLI–daemon channel: protocol types, the target matcher and the daemon's socket
//! server. The client that speaks it is `rpm::Client` (`src/client.rs`).

pub mod protocol;
pub mod target;

pub use protocol::{
    Details, ErrorKind, ErroredCause, LastRestart, Notice, NoticeEvent, ProcessInfo, Request,
    Response, RestartReason, Scale, StartMode, StartRows, Status, WatchChange,
};
pub use target::Target;
