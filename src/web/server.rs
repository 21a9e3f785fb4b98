//! The `rpm web --serve` process: bind, then serve until the daemon goes away or a
//! SIGTERM comes.
//!
//! Threads: the main thread accepts; each connection gets a thread of its own (at most
//! `MAX_CONNECTIONS`; past that a 503 is written and the connection closed), with read
//! and write timeouts, so a slow or stalled client holds one small thread for a bounded
//! time and nothing else. One `notices` thread holds the daemon subscription and feeds
//! the hub (`sse`); when the subscription ends and the daemon does not come back (as
//! after `rpm update`) within `RECONNECT_FOR`, the server removes `web.pid` and exits —
//! which is how `rpm kill` ends it. One `signals` thread does the same on SIGTERM/SIGINT.

use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::auth::{self, Access};
use super::http::{self, ReadError, RequestReader, Response};
use super::pid_file::{self, WebPid};
use super::routes::{self, Route};
use super::sse;
use super::state::State;
use super::WebError;
use crate::client::Client;

/// Connections served at once (SSE subscribers included).
pub const MAX_CONNECTIONS: usize = 1024;
/// How long a client may take to send a request, or to take a write.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the daemon may be away (replaced by `rpm update`) before the server exits.
const RECONNECT_FOR: Duration = Duration::from_secs(10);
/// Each connection's thread stack: handlers are shallow.
const STACK: usize = 256 * 1024;

/// What `rpm web --serve` was asked.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub host: String,
    pub port: u16,
}

/// Serves until the daemon goes away or a signal ends it; errors before serving (bad
/// address, port in use, no daemon, token) are returned.
pub fn serve(client: Client, opts: &ServeOptions) -> Result<(), WebError> {
    let client = client.start_on_demand(false);
    let home = client.home().clone();
    let ip: IpAddr = opts.host.parse().map_err(|_| WebError::BadHost {
        host: opts.host.clone(),
    })?;
    let token = auth::load_or_create(&home.root().join(super::TOKEN_FILE))?;
    // Subscribe before answering anything: a server without a daemon has nothing to say.
    let notices = client.subscribe(&[])?;
    let listener =
        TcpListener::bind(SocketAddr::new(ip, opts.port)).map_err(|source| WebError::Bind {
            address: SocketAddr::new(ip, opts.port).to_string(),
            source,
        })?;
    let address = listener.local_addr().map_err(|source| WebError::Bind {
        address: SocketAddr::new(ip, opts.port).to_string(),
        source,
    })?;
    let caller_cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let state = Arc::new(State::new(client, token, ip.is_loopback(), caller_cwd));
    let pid_path = home.root().join(super::PID_FILE);
    let me = WebPid {
        pid: std::process::id(),
        url: format!("http://{address}"),
    };
    pid_file::write(&pid_path, &me).map_err(|source| WebError::File {
        path: pid_path.clone(),
        source,
    })?;
    log::info!("rpm web serves http://{address}");
    spawn_signal_thread(pid_path.clone())?;
    spawn_notice_thread(Arc::clone(&state), notices, pid_path)?;
    State::spawn_refresher(Arc::clone(&state)).map_err(WebError::Thread)?;
    accept_loop(&listener, &state);
    Ok(())
}

fn accept_loop(listener: &TcpListener, state: &Arc<State>) {
    let active = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        let mut stream = match stream {
            Ok(s) => s,
            Err(e) => {
                log::warn!("accept failed: {e}");
                // Out of file descriptors: give connections in flight time to end.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        };
        if active.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
            let _ = Response::error(
                503,
                format!("rpm web already serves {MAX_CONNECTIONS} connections: try again later"),
            )
            .write_to(&mut stream, false);
            continue;
        }
        active.fetch_add(1, Ordering::SeqCst);
        let slot = Slot(Arc::clone(&active));
        let state = Arc::clone(state);
        let spawned = std::thread::Builder::new()
            .name("web-conn".into())
            .stack_size(STACK)
            .spawn(move || {
                let _slot = slot;
                serve_connection(&state, stream);
            });
        if let Err(e) = spawned {
            log::warn!("cannot start a connection thread: {e}");
        }
    }
}

/// Frees a connection slot when its thread ends, however it ends.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn serve_connection(state: &State, mut stream: TcpStream) {
    if stream.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let _ = stream.set_nodelay(true);
    let mut reader = RequestReader::new();
    loop {
        let request = match reader.read(&mut stream) {
            Ok(r) => r,
            Err(e) => {
                if let Some((status, message)) = e.answer() {
                    let _ = Response::error(status, message).write_to(&mut stream, false);
                }
                if matches!(e, ReadError::BodyTooLarge(_)) {
                    // Let the client see the 413 before the unread body resets the link.
                    let _ = stream.shutdown(std::net::Shutdown::Write);
                }
                return;
            }
        };
        let keep_alive = request.keep_alive;
        let route = match routes::route(&request.method, &request.path) {
            Ok(route) => route,
            Err((status, message)) => {
                if Response::error(status, message)
                    .write_to(&mut stream, keep_alive)
                    .is_err()
                    || !keep_alive
                {
                    return;
                }
                continue;
            }
        };
        if !route.is_public()
            && state.access(route.is_action(), request.bearer.as_deref()) == Access::Refused
        {
            let message = if route.is_action() {
                "this action needs `Authorization: Bearer <token>`, the token in RPM_HOME/web.token"
            } else {
                "rpm web is bound to a non-loopback address: every request needs `Authorization: Bearer <token>`, the token in RPM_HOME/web.token"
            };
            let response = Response::error(401, message).with_header("WWW-Authenticate: Bearer");
            if response.write_to(&mut stream, keep_alive).is_err() || !keep_alive {
                return;
            }
            continue;
        }
        match route {
            Route::Events => return stream_events(state, &mut stream),
            Route::Logs(id) if request.query_value("follow").is_some_and(|v| v != "0") => {
                return stream_logs(state, id, &request, &mut stream)
            }
            _ => {}
        }
        let started = Instant::now();
        let mut response = routes::answer(state, route, &request);
        // The server's own time, for benchmarks and browsers' network panels.
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        response
            .headers
            .push(format!("Server-Timing: app;dur={ms:.3}"));
        if request.method == "HEAD" {
            response.body.clear();
        }
        if response.write_to(&mut stream, keep_alive).is_err() || !keep_alive {
            return;
        }
    }
}

fn stream_events(state: &State, stream: &mut TcpStream) {
    let queue = state.hub().subscribe();
    let head = http::stream_head("text/event-stream");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    if let Err(e) = sse::pump(stream, &queue) {
        log::debug!("an event stream ended: {e}");
    }
}

fn stream_logs(state: &State, id: u32, request: &http::Request, stream: &mut TcpStream) {
    let row = match routes::existing(state, id) {
        Ok(row) => row,
        Err(response) => {
            let _ = response.write_to(stream, false);
            return;
        }
    };
    let sources = routes::log_sources(&row);
    let head = http::stream_head("text/event-stream");
    if stream.write_all(head.as_bytes()).is_err()
        || stream.write_all(sse::OPENING.as_bytes()).is_err()
    {
        return;
    }
    let opts = routes::tail_options(state.client().home(), request, true);
    let mut out = sse::SseLines::new(stream);
    if let Err(e) = crate::logs::tail(&sources, &opts, &mut out) {
        log::debug!("a log stream of instance {id} ended: {e}");
    }
}

/// Feeds the hub from the daemon's notices; exits the process when the daemon is gone.
fn spawn_notice_thread(
    state: Arc<State>,
    mut notices: crate::client::Notices,
    pid_path: PathBuf,
) -> Result<(), WebError> {
    let mut daemon = state.client().ping().ok().map(|p| p.pid);
    std::thread::Builder::new()
        .name("web-notices".into())
        .spawn(move || loop {
            for item in &mut notices {
                match item {
                    Ok(notice) => {
                        state.invalidate();
                        match serde_json::to_string(&notice) {
                            Ok(json) => {
                                state.hub().publish(&json);
                            }
                            Err(e) => log::warn!("cannot encode a notice: {e}"),
                        }
                    }
                    Err(e) => {
                        log::debug!("the subscription ended: {e}");
                        break;
                    }
                }
            }
            match resubscribe(state.client(), daemon) {
                Some(again) => {
                    log::info!("subscribed again to the rpm daemon's notices");
                    // Changes while no subscription was open went unheard.
                    state.invalidate();
                    notices = again;
                    daemon = state.client().ping().ok().map(|p| p.pid).or(daemon);
                }
                None => {
                    log::info!("the rpm daemon is gone: rpm web stops");
                    state.hub().close_all();
                    pid_file::remove_if_ours(&pid_path);
                    std::process::exit(0);
                }
            }
        })
        .map(|_| ())
        .map_err(WebError::Thread)
}

/// Subscribes again while a daemon comes back within `RECONNECT_FOR` (`rpm update`
/// execs the same process, which re-creates its socket); `None` at once when the daemon
/// `pid` is gone and so is its socket (`rpm kill`), or when nothing answers in time.
fn resubscribe(client: &Client, pid: Option<u32>) -> Option<crate::client::Notices> {
    let deadline = Instant::now() + RECONNECT_FOR;
    while Instant::now() < deadline {
        if let Ok(notices) = client.subscribe(&[]) {
            return Some(notices);
        }
        let daemon_alive = pid.is_some_and(|p| {
            crate::proctree::stat(p as i32).is_some_and(|s| s.state != 'Z' && s.state != 'X')
        });
        if !daemon_alive && !client.home().socket().exists() {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn spawn_signal_thread(pid_path: PathBuf) -> Result<(), WebError> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals =
        signal_hook::iterator::Signals::new([SIGTERM, SIGINT]).map_err(WebError::Thread)?;
    std::thread::Builder::new()
        .name("web-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                log::info!("rpm web stops on signal {signal}");
                pid_file::remove_if_ours(&pid_path);
                let _ = io::stderr().flush();
                std::process::exit(0);
            }
        })
        .map(|_| ())
        .map_err(WebError::Thread)
}
