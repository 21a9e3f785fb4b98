//! `rpm monit`: the terminal dashboard, over `rpm::Client` only.
//!
//! Three layers, so the logic is tested without a terminal: `model` (the state and the
//! pure functions that change it on keys and new data), `render` (draws a model; tested
//! on ratatui's `TestBackend` at 80x24) and this file, a thin loop doing the I/O. The
//! loop owns the model and waits on one channel fed by small threads:
//!
//! ```text
//!  monit-keys    crossterm events (blocks in read: no polling) ──┐
//!  monit-list    `list` once a second, or at once after an action ┤
//!  monit-logs    the selected app's new log lines (follow.rs) ────┼─▶ loop: model ─▶ draw
//!  monit-action  one per restart/reload/stop/delete, its result ──┤
//!  monit-signals SIGTERM, SIGHUP, SIGQUIT, SIGINT: quit ──────────┘
//! ```
//!
//! It draws only after something changed, at most every `MIN_FRAME`; ratatui writes only
//! the cells that differ from the last frame, so nothing flickers and an ssh session
//! carries little. Idle, that is one `list` and one frame a second. The daemon samples
//! CPU and memory only while rows are being read (`daemon/supervisor/sampling.rs`), so it
//! samples while the dashboard is open and stops about two seconds after it closes. The
//! terminal is given back on every way out (`screen`).

mod error;
mod follow;
mod model;
mod render;
mod screen;

use std::io::{self, IsTerminal};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};

use crate::client::Client;
use crate::ipc::ProcessInfo;
use crate::logs::{LogSource, Stream};
pub use error::MonitError;
use follow::Order;
use model::{Action, Chosen, Effect, Key, Model};
use render::Look;
use screen::Screen;

/// How often the apps are listed.
const POLL: Duration = Duration::from_secs(1);
/// The shortest time between two frames: a flood of log lines costs 20 frames a second.
const MIN_FRAME: Duration = Duration::from_millis(50);
/// Messages applied at most between two frames.
const BATCH: usize = 256;

/// What the loop hears from its threads.
enum Msg {
    Input(Event),
    InputLost(io::Error),
    Rows(Result<Vec<ProcessInfo>, String>),
    Logs(follow::Lines),
    Done {
        action: Action,
        chosen: Chosen,
        result: Result<(), String>,
    },
    Quit,
}

/// Runs the dashboard until the user quits (`q`, Esc, Ctrl-C) or a signal ends it.
pub fn run(client: &Client) -> Result<(), MonitError> {
    if !io::stdout().is_terminal() {
        return Err(MonitError::NotATerminal);
    }
    // Asked before the screen is taken, so a daemon that cannot be reached or started is
    // one sentence on the normal screen.
    let first = client.list()?;
    // From here on no daemon is started behind the user's back: one stopped with
    // `rpm kill` while the dashboard is open stays stopped, and the dashboard says so.
    let client = client.clone().start_on_demand(false);
    let mut model = Model::new();
    model.on_rows(first);
    let look = Look {
        color: wants_color(),
    };
    let mut screen = Screen::open().map_err(MonitError::Terminal)?;
    let (tx, rx) = mpsc::channel();
    let threads = Threads::start(&client, &tx)?;
    let outcome = show(&mut screen, &mut model, look, &rx, &threads, &tx);
    let _ = threads.logs.send(Order::Stop);
    drop(screen);
    outcome
}

/// The senders the loop keeps to its threads.
struct Threads {
    client: Client,
    /// Wakes monit-list for a `list` now.
    list_now: Sender<()>,
    logs: Sender<Order>,
}

impl Threads {
    fn start(client: &Client, tx: &Sender<Msg>) -> Result<Threads, MonitError> {
        let list_now = start_lister(client.clone(), tx.clone())?;
        let keys = tx.clone();
        spawn("keys", move || loop {
            match event::read() {
                Ok(event) => {
                    if keys.send(Msg::Input(event)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = keys.send(Msg::InputLost(e));
                    return;
                }
            }
        })?;
        start_signals(tx.clone())?;
        let lines = tx.clone();
        let logs =
            follow::start(move |batch| lines.send(Msg::Logs(batch)).is_ok()).map_err(|source| {
                MonitError::Thread {
                    what: "logs",
                    source,
                }
            })?;
        Ok(Threads {
            client: client.clone(),
            list_now,
            logs,
        })
    }

    /// Runs an action on a thread of its own; its result comes back as `Msg::Done`, and
    /// the apps are listed again at once.
    fn act(&self, action: Action, chosen: Chosen, tx: &Sender<Msg>) -> Result<(), MonitError> {
        let (client, tx, list_now) = (self.client.clone(), tx.clone(), self.list_now.clone());
        spawn("action", move || {
            let target = [chosen.id.to_string()];
            let result = match action {
                Action::Restart => client.restart(&target),
                Action::Reload => client.reload(&target),
                Action::Stop => client.stop(&target),
                Action::Delete => client.delete(&target),
            };
            let result = result.map(drop).map_err(|e| e.to_string());
            let _ = tx.send(Msg::Done {
                action,
                chosen,
                result,
            });
            let _ = list_now.send(());
        })
    }
}

fn spawn(what: &'static str, work: impl FnOnce() + Send + 'static) -> Result<(), MonitError> {
    std::thread::Builder::new()
        .name(format!("monit-{what}"))
        .spawn(work)
        .map(drop)
        .map_err(|source| MonitError::Thread { what, source })
}

/// monit-list: `list` every `POLL`, or when woken; ends when the loop is gone.
fn start_lister(client: Client, tx: Sender<Msg>) -> Result<Sender<()>, MonitError> {
    let (list_now, woken) = mpsc::channel::<()>();
    spawn("list", move || loop {
        match woken.recv_timeout(POLL) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let rows = client.list().map_err(|e| e.to_string());
        if tx.send(Msg::Rows(rows)).is_err() {
            return;
        }
    })?;
    Ok(list_now)
}

/// monit-signals: a signal that would end the process ends the dashboard instead, so the
/// terminal is given back first.
fn start_signals(tx: Sender<Msg>) -> Result<(), MonitError> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGHUP, SIGQUIT, SIGINT])
        .map_err(|source| MonitError::Thread {
            what: "signals",
            source,
        })?;
    spawn("signals", move || {
        for _ in signals.forever() {
            if tx.send(Msg::Quit).is_err() {
                return;
            }
        }
    })
}

/// The loop: apply what arrives, draw when something changed and a frame is due.
fn show(
    screen: &mut Screen,
    model: &mut Model,
    look: Look,
    rx: &Receiver<Msg>,
    threads: &Threads,
    tx: &Sender<Msg>,
) -> Result<(), MonitError> {
    let mut followed: Option<u32> = None;
    let mut drawn: Option<Instant> = None;
    loop {
        follow_selected(model, &mut followed, &threads.logs);
        if let Some(at) = drawn {
            // Too soon for another frame: take what comes until it is due.
            let since = at.elapsed();
            if since < MIN_FRAME {
                match rx.recv_timeout(MIN_FRAME - since) {
                    Ok(msg) => {
                        if apply(msg, model, threads, tx)? {
                            return Ok(());
                        }
                        continue;
                    }
                    Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            }
        }
        screen
            .terminal
            .draw(|frame| render::draw(frame, model, look))
            .map_err(MonitError::Terminal)?;
        drawn = Some(Instant::now());
        let Ok(msg) = rx.recv() else { return Ok(()) };
        if apply(msg, model, threads, tx)? {
            return Ok(());
        }
        for msg in rx.try_iter().take(BATCH) {
            if apply(msg, model, threads, tx)? {
                return Ok(());
            }
        }
    }
}

/// Applies one message; true when the dashboard must close.
fn apply(
    msg: Msg,
    model: &mut Model,
    threads: &Threads,
    tx: &Sender<Msg>,
) -> Result<bool, MonitError> {
    match msg {
        Msg::Input(event) => {
            // A resize needs nothing but the next frame, drawn at the new size.
            if let Some(key) = key_of(&event) {
                match model.on_key(key) {
                    Effect::Nothing => {}
                    Effect::Quit => return Ok(true),
                    Effect::Run(action, chosen) => threads.act(action, chosen, tx)?,
                }
            }
        }
        Msg::InputLost(e) => return Err(MonitError::Terminal(e)),
        Msg::Rows(Ok(rows)) => model.on_rows(rows),
        Msg::Rows(Err(why)) => model.on_list_failed(why),
        Msg::Logs(batch) => model.on_log_lines(batch.id, batch.fresh, batch.lines),
        Msg::Done {
            action,
            chosen,
            result,
        } => model.on_action_done(action, &chosen, result),
        Msg::Quit => return Ok(true),
    }
    Ok(false)
}

/// Tells monit-logs to follow the selected instance when the selection changed.
fn follow_selected(model: &Model, followed: &mut Option<u32>, logs: &Sender<Order>) {
    let Some(row) = model.selected_row() else {
        *followed = None;
        return;
    };
    if *followed == Some(row.id) {
        return;
    }
    *followed = Some(row.id);
    let _ = logs.send(Order::Follow {
        id: row.id,
        sources: log_sources(row),
    });
}

/// An instance's log files, each once (`merge_logs` can make them one), none of /dev/null.
fn log_sources(row: &ProcessInfo) -> Vec<LogSource> {
    let mut sources: Vec<LogSource> = Vec::new();
    for (stream, path) in [(Stream::Out, &row.out_file), (Stream::Err, &row.error_file)] {
        if path.as_os_str() == "/dev/null" || sources.iter().any(|s| &s.path == path) {
            continue;
        }
        sources.push(LogSource {
            id: row.id,
            name: row.name.clone(),
            stream,
            path: path.clone(),
        });
    }
    sources
}

/// The dashboard's key for a terminal event, if it has one.
fn key_of(event: &Event) -> Option<Key> {
    let Event::Key(key) = event else { return None };
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return matches!(key.code, KeyCode::Char('c' | 'C')).then_some(Key::Interrupt);
    }
    Some(match key.code {
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Char(c) => Key::Char(c),
        _ => return None,
    })
}

/// Colour unless `NO_COLOR` is set (to anything but empty) or the terminal is `dumb`.
fn wants_color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::Status;
    use ratatui::crossterm::event::KeyEvent;

    #[test]
    fn terminal_keys_become_dashboard_keys() {
        let press = |code, modifiers| Event::Key(KeyEvent::new(code, modifiers));
        let none = KeyModifiers::NONE;
        let rows = [
            (
                press(KeyCode::Char('c'), KeyModifiers::CONTROL),
                Some(Key::Interrupt),
            ),
            (press(KeyCode::Char('z'), KeyModifiers::CONTROL), None),
            (press(KeyCode::Char('r'), none), Some(Key::Char('r'))),
            (
                press(KeyCode::Char('G'), KeyModifiers::SHIFT),
                Some(Key::Char('G')),
            ),
            (press(KeyCode::Esc, none), Some(Key::Esc)),
            (press(KeyCode::Up, none), Some(Key::Up)),
            (press(KeyCode::F(1), none), None),
            (Event::Resize(80, 24), None),
        ];
        for (event, want) in rows {
            assert_eq!(key_of(&event), want, "{event:?}");
        }
    }

    #[test]
    fn log_sources_skip_dev_null_and_shared_files() {
        let mut row = model::tests::row(3, "api", Status::Online);
        let streams = |row: &ProcessInfo| -> Vec<Stream> {
            log_sources(row).iter().map(|s| s.stream).collect()
        };
        assert_eq!(streams(&row), [Stream::Out, Stream::Err]);
        row.error_file = row.out_file.clone();
        assert_eq!(streams(&row), [Stream::Out]);
        row.out_file = "/dev/null".into();
        row.error_file = "/dev/null".into();
        assert_eq!(streams(&row), []);
    }
}
