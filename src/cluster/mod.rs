//! Cluster mode: the listening sockets the daemon owns and hands to instances, how
//! instances say they are ready, and the rolling-reload planner.
//!
//! - `listener`: binds an app's `port` (TCP on IPv4 and IPv6, one address, or a Unix
//!   socket path) once, with errors that name the port or path; the supervisor keeps
//!   the socket open across crashes and reloads and passes it as fd 3 (systemd's
//!   socket-activation protocol).
//! - `readiness`: one thread that reads systemd's `NOTIFY_SOCKET` datagrams and each
//!   Node instance's IPC channel (`NODE_CHANNEL_FD`: PM2's `process.send('ready')`,
//!   the preload's socket requests) and reports what it read through a closure.
//! - `preload`: the Node preload rpm embeds, so `server.listen(PORT)` uses the shared
//!   socket unmodified.
//! - `reload`: which instance to replace next in a rolling reload; pure.
//!
//! Nothing here knows the supervisor: it reports through its own types.

pub mod listener;
pub mod preload;
pub mod readiness;
pub mod reload;
