//! The CLI–daemon channel: protocol types, the daemon's socket server, and the client.

pub mod client;
pub mod protocol;
pub mod target;

pub use client::{Client, ClientError};
pub use protocol::{
    Details, ErrorKind, ErroredCause, Notice, NoticeEvent, ProcessInfo, Request, Response,
    RestartReason, StartMode, Status,
};
pub use target::Target;
