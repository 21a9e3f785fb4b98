//! The dashboard's state, and how keys and new data change it: pure, no terminal, no I/O.
//!
//! `rpm monit`'s loop (`super::run`) feeds it the rows of `list` (about once a second),
//! the selected app's log lines, the results of actions and the keys pressed; each key
//! is answered with an `Effect` the loop carries out (quit, or an action on one
//! instance). `super::render` only reads it.

use std::collections::{BTreeMap, VecDeque};

use crate::ipc::ProcessInfo;

/// Samples of CPU and memory kept per instance for the sparklines (a minute at 1 Hz).
pub(crate) const HISTORY: usize = 120;
/// Log lines kept for the selected app.
pub(crate) const LOG_LINES: usize = 200;
/// Rows a Page Up / Page Down moves.
const PAGE: usize = 10;

/// A key, as the dashboard understands keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Enter,
    Esc,
    Backspace,
    /// Ctrl-C: quits from anywhere.
    Interrupt,
    Char(char),
}

/// What can be done to the selected instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Restart,
    Reload,
    Stop,
    Delete,
}

impl Action {
    /// `restart`: the verb, as in the command.
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Action::Restart => "restart",
            Action::Reload => "reload",
            Action::Stop => "stop",
            Action::Delete => "delete",
        }
    }

    fn doing(self) -> &'static str {
        match self {
            Action::Restart => "restarting",
            Action::Reload => "reloading",
            Action::Stop => "stopping",
            Action::Delete => "deleting",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Action::Restart => "restarted",
            Action::Reload => "reloaded",
            Action::Stop => "stopped",
            Action::Delete => "deleted",
        }
    }
}

/// The instance an action is for, named as it was when chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Chosen {
    pub id: u32,
    pub name: String,
}

impl std::fmt::Display for Chosen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (id {})", self.name, self.id)
    }
}

/// What the loop must do after a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Effect {
    Nothing,
    Quit,
    Run(Action, Chosen),
}

/// What keys mean at the moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Moving through the apps; letters are actions.
    Browse,
    /// Typing the filter; letters are text.
    Filter,
    /// Asking whether to go on with an action (delete).
    Confirm(Action, Chosen),
}

/// An instance's recent samples, oldest first: CPU in tenths of a percent, memory in bytes.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct History {
    pub cpu: VecDeque<u64>,
    pub memory: VecDeque<u64>,
}

impl History {
    fn push(&mut self, row: &ProcessInfo) {
        let cpu = (row.cpu.max(0.0) * 10.0).round() as u64;
        for (series, value) in [(&mut self.cpu, cpu), (&mut self.memory, row.memory)] {
            if series.len() == HISTORY {
                series.pop_front();
            }
            series.push_back(value);
        }
    }
}

/// One line of the selected app's logs, made safe for the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogLine {
    /// From its error log.
    pub err: bool,
    pub text: String,
}

/// The sentence in the footer about the last action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Note {
    Info(String),
    Problem(String),
}

/// Everything the dashboard shows.
#[derive(Debug, Default)]
pub(crate) struct Model {
    rows: Vec<ProcessInfo>,
    /// Whether `list` has answered once.
    loaded: bool,
    history: BTreeMap<u32, History>,
    selected: Option<u32>,
    filter: String,
    mode: Option<Mode>,
    logs: VecDeque<LogLine>,
    logs_of: Option<u32>,
    note: Option<Note>,
    /// Why the last `list` failed, until one succeeds.
    unreachable: Option<String>,
}

impl Model {
    pub(crate) fn new() -> Model {
        Model::default()
    }

    /// New rows from `list`: history grows, vanished instances are forgotten, the
    /// selection stays on its instance (or moves to the first one shown).
    pub(crate) fn on_rows(&mut self, rows: Vec<ProcessInfo>) {
        self.loaded = true;
        self.unreachable = None;
        self.history
            .retain(|id, _| rows.iter().any(|r| r.id == *id));
        for row in &rows {
            self.history.entry(row.id).or_default().push(row);
        }
        self.rows = rows;
        self.keep_selection_visible();
    }

    /// `list` failed (the daemon went away): the last rows stay, marked stale.
    pub(crate) fn on_list_failed(&mut self, why: String) {
        self.unreachable = Some(why);
    }

    /// Log lines of instance `id`; `fresh` starts its log over (a newly followed app).
    pub(crate) fn on_log_lines(&mut self, id: u32, fresh: bool, lines: Vec<LogLine>) {
        if fresh {
            self.logs.clear();
            self.logs_of = Some(id);
        }
        if self.logs_of != Some(id) {
            return;
        }
        for line in lines {
            if self.logs.len() == LOG_LINES {
                self.logs.pop_front();
            }
            self.logs.push_back(line);
        }
    }

    /// An action the loop ran has finished.
    pub(crate) fn on_action_done(
        &mut self,
        action: Action,
        chosen: &Chosen,
        result: Result<(), String>,
    ) {
        self.note = Some(match result {
            Ok(()) => Note::Info(format!("{} {chosen}", action.done())),
            Err(why) => Note::Problem(format!("{} {chosen} failed: {why}", action.verb())),
        });
    }

    /// A key was pressed.
    pub(crate) fn on_key(&mut self, key: Key) -> Effect {
        if key == Key::Interrupt {
            return Effect::Quit;
        }
        match self.mode() {
            Mode::Browse => self.browse_key(key),
            Mode::Filter => {
                self.filter_key(key);
                Effect::Nothing
            }
            Mode::Confirm(action, chosen) => {
                self.mode = None;
                if matches!(key, Key::Char('y' | 'Y')) {
                    self.start(action, chosen)
                } else {
                    self.note = Some(Note::Info(format!(
                        "{} of {chosen} cancelled",
                        action.verb()
                    )));
                    Effect::Nothing
                }
            }
        }
    }

    fn browse_key(&mut self, key: Key) -> Effect {
        let action = match key {
            Key::Char('q') | Key::Esc => return Effect::Quit,
            Key::Up | Key::Char('k') => return self.move_by(-1),
            Key::Down | Key::Char('j') => return self.move_by(1),
            Key::PageUp => return self.move_by(-(PAGE as isize)),
            Key::PageDown => return self.move_by(PAGE as isize),
            Key::Home | Key::Char('g') => return self.move_by(isize::MIN),
            Key::End | Key::Char('G') => return self.move_by(isize::MAX),
            Key::Char('/') => {
                self.mode = Some(Mode::Filter);
                return Effect::Nothing;
            }
            Key::Char('r') => Action::Restart,
            Key::Char('l') => Action::Reload,
            Key::Char('s') => Action::Stop,
            Key::Char('d') => Action::Delete,
            _ => return Effect::Nothing,
        };
        let Some(chosen) = self.chosen() else {
            return Effect::Nothing;
        };
        if action == Action::Delete {
            self.mode = Some(Mode::Confirm(action, chosen));
            return Effect::Nothing;
        }
        self.start(action, chosen)
    }

    fn filter_key(&mut self, key: Key) {
        match key {
            Key::Esc => {
                self.filter.clear();
                self.mode = None;
            }
            Key::Enter => self.mode = None,
            Key::Backspace => {
                self.filter.pop();
            }
            Key::Char(c) if !c.is_control() => self.filter.push(c),
            _ => {}
        }
        self.keep_selection_visible();
    }

    fn start(&mut self, action: Action, chosen: Chosen) -> Effect {
        self.note = Some(Note::Info(format!("{} {chosen}…", action.doing())));
        Effect::Run(action, chosen)
    }

    fn move_by(&mut self, delta: isize) -> Effect {
        let visible = self.visible();
        if visible.is_empty() {
            return Effect::Nothing;
        }
        let at = self
            .selected
            .and_then(|id| visible.iter().position(|r| r.id == id))
            .unwrap_or(0);
        let last = isize::try_from(visible.len() - 1).unwrap_or(isize::MAX);
        let to = isize::try_from(at)
            .unwrap_or(isize::MAX)
            .saturating_add(delta)
            .clamp(0, last);
        let id = visible[usize::try_from(to).unwrap_or(0)].id;
        self.selected = Some(id);
        Effect::Nothing
    }

    fn keep_selection_visible(&mut self) {
        let visible: Vec<u32> = self.visible().iter().map(|r| r.id).collect();
        if !self.selected.is_some_and(|id| visible.contains(&id)) {
            self.selected = visible.first().copied();
        }
    }

    fn chosen(&self) -> Option<Chosen> {
        self.selected_row().map(|r| Chosen {
            id: r.id,
            name: r.name.clone(),
        })
    }

    /// The rows the filter lets through, in id order.
    pub(crate) fn visible(&self) -> Vec<&ProcessInfo> {
        let wanted = self.filter.to_lowercase();
        self.rows
            .iter()
            .filter(|r| {
                wanted.is_empty()
                    || r.name.to_lowercase().contains(&wanted)
                    || r.namespace.to_lowercase().contains(&wanted)
                    || r.status.as_str().contains(&wanted)
                    || r.id.to_string() == wanted
            })
            .collect()
    }

    /// The selected instance's row.
    pub(crate) fn selected_row(&self) -> Option<&ProcessInfo> {
        let id = self.selected?;
        self.rows.iter().find(|r| r.id == id)
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode.clone().unwrap_or(Mode::Browse)
    }

    pub(crate) fn filter(&self) -> &str {
        &self.filter
    }

    pub(crate) fn loaded(&self) -> bool {
        self.loaded
    }

    pub(crate) fn rows(&self) -> &[ProcessInfo] {
        &self.rows
    }

    pub(crate) fn history(&self, id: u32) -> Option<&History> {
        self.history.get(&id)
    }

    /// The selected app's log lines, oldest first, when they are that app's.
    pub(crate) fn logs(&self) -> impl DoubleEndedIterator<Item = &LogLine> + ExactSizeIterator {
        let shown = self.logs_of.is_some() && self.logs_of == self.selected;
        self.logs
            .iter()
            .take(if shown { self.logs.len() } else { 0 })
    }

    pub(crate) fn note(&self) -> Option<&Note> {
        self.note.as_ref()
    }

    pub(crate) fn unreachable(&self) -> Option<&str> {
        self.unreachable.as_deref()
    }
}

#[cfg(test)]
pub(crate) mod tests;
