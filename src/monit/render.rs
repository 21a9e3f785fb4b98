//! Drawing the dashboard from the model: a pure function of the model, the terminal's size
//! and whether colour is wanted.
//!
//! Top to bottom: the apps (id, name, status, pid, uptime, restarts, CPU, memory), the
//! selected app's details beside its CPU and memory sparklines, its last log lines, and
//! one footer line (keys, the filter being typed, a confirmation, or what the last action
//! did). Everything fits 80x24; a smaller terminal gets fewer rows and log lines. Without
//! colour (`NO_COLOR`) the selection is in reverse video with a `>` marker, and statuses
//! are words as always.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::model::{History, Mode, Model, Note};
use crate::human::{human_bytes, human_duration};
use crate::ipc::{ProcessInfo, Status};

/// How the dashboard looks on this terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Look {
    pub color: bool,
}

impl Look {
    fn paint(self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    fn status(self, status: Status) -> Style {
        self.paint(match status {
            Status::Online => Color::Green,
            Status::Stopped => Color::DarkGray,
            Status::Errored => Color::Red,
            _ => Color::Yellow,
        })
    }
}

/// Lines of the details panel and the sparklines beside it, borders included.
const DETAILS_HEIGHT: u16 = 8;
/// Log lines shown at the least, borders included.
const LOGS_MIN_HEIGHT: u16 = 4;

const KEYS: &str = "↑↓ select  r restart  l reload  s stop  d delete  / filter  q quit";

/// Draws the whole dashboard.
pub(crate) fn draw(frame: &mut Frame, model: &Model, look: Look) {
    let area = frame.area();
    let visible = model.visible();
    let room = area
        .height
        .saturating_sub(DETAILS_HEIGHT + LOGS_MIN_HEIGHT + 1)
        .max(4);
    let table_height = (visible.len().max(1) as u16 + 3).min(room);
    let [table, details, logs, footer] = Layout::vertical([
        Constraint::Length(table_height),
        Constraint::Length(DETAILS_HEIGHT),
        Constraint::Min(LOGS_MIN_HEIGHT),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_table(frame, table, model, &visible, look);
    let [facts, history] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(details);
    let selected = model.selected_row();
    draw_details(frame, facts, selected);
    draw_history(
        frame,
        history,
        selected.and_then(|r| model.history(r.id)),
        selected,
        look,
    );
    draw_logs(frame, logs, model, selected, look);
    draw_footer(frame, footer, model, look);
}

fn draw_table(frame: &mut Frame, area: Rect, model: &Model, visible: &[&ProcessInfo], look: Look) {
    let mut title = format!(" rpm monit · {} of {} ", visible.len(), model.rows().len());
    if !model.filter().is_empty() {
        title = format!(
            " rpm monit · {} of {} · filter \"{}\" ",
            visible.len(),
            model.rows().len(),
            model.filter()
        );
    }
    let mut block = Block::bordered().title(title);
    if let Some(why) = model.unreachable() {
        block = block.title_bottom(Line::styled(
            format!(" not updated: {why} "),
            look.paint(Color::Red),
        ));
    }
    let inner_rows = usize::from(area.height.saturating_sub(3));
    let selected_at = model
        .selected_row()
        .and_then(|s| visible.iter().position(|r| r.id == s.id));
    let first = window_start(selected_at, visible.len(), inner_rows);
    let mut rows: Vec<Row> = visible
        .iter()
        .enumerate()
        .skip(first)
        .take(inner_rows)
        .map(|(i, r)| app_row(r, Some(i) == selected_at, look))
        .collect();
    if visible.is_empty() {
        let why = if !model.loaded() {
            "waiting for the daemon…"
        } else if model.rows().is_empty() {
            "no apps yet: start one with `rpm start`"
        } else {
            "no app matches the filter"
        };
        rows.push(Row::new([Cell::from(""), Cell::from(why)]));
    }
    let header = Row::new([
        "id", "name", "status", "pid", "uptime", "↺", "cpu", "memory",
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    let widths = [
        Constraint::Length(5),
        Constraint::Min(8),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Length(6),
        Constraint::Length(8),
    ];
    frame.render_widget(Table::new(rows, widths).header(header).block(block), area);
}

fn app_row<'a>(r: &'a ProcessInfo, selected: bool, look: Look) -> Row<'a> {
    let marker = if selected { ">" } else { " " };
    let cells = vec![
        Cell::from(format!("{marker}{}", r.id)),
        Cell::from(r.name.as_str()),
        Cell::from(Span::styled(r.status.as_str(), look.status(r.status))),
        Cell::from(r.pid.map(|p| p.to_string()).unwrap_or_else(|| "-".into())),
        Cell::from(
            r.uptime_ms
                .map(human_duration)
                .unwrap_or_else(|| "-".into()),
        ),
        Cell::from(r.restarts.to_string()),
        Cell::from(format!("{:.1}%", r.cpu)),
        Cell::from(human_bytes(r.memory)),
    ];
    let row = Row::new(cells);
    if selected {
        row.style(Style::new().add_modifier(Modifier::REVERSED))
    } else {
        row
    }
}

/// The first of `total` rows to show in `height` lines so that the selected row is in
/// view: the top while it fits, then the selection on the last line.
pub(crate) fn window_start(selected: Option<usize>, total: usize, height: usize) -> usize {
    let Some(at) = selected else { return 0 };
    if height == 0 || total <= height {
        return 0;
    }
    (at + 1).saturating_sub(height).min(total - height)
}

fn draw_details(frame: &mut Frame, area: Rect, selected: Option<&ProcessInfo>) {
    let block = Block::bordered().title(match selected {
        Some(r) => format!(" {} ", r.name),
        None => " details ".into(),
    });
    // What is left of a line after its label: long paths keep their ends.
    let room = usize::from(area.width.saturating_sub(2)).saturating_sub(LABEL_WIDTH);
    let fact = |label: &str, value: String| fact(label, fit_end(&value, room));
    let lines: Vec<Line> = match selected {
        None => Vec::new(),
        Some(r) => {
            let mut command = r.script.display().to_string();
            for arg in &r.args {
                command.push(' ');
                command.push_str(arg);
            }
            let last_exit = match (r.exit_code, &r.exit_signal) {
                (_, Some(signal)) => format!("signal {signal}"),
                (Some(code), None) => format!("code {code}"),
                (None, None) => "-".into(),
            };
            vec![
                fact(
                    "id",
                    format!("{} · {} · {}", r.id, r.namespace, r.exec_mode.as_str()),
                ),
                fact("script", command),
                fact("cwd", r.cwd.display().to_string()),
                fact(
                    "last exit",
                    format!("{last_exit} · unstable restarts {}", r.unstable_restarts),
                ),
                fact("out log", r.out_file.display().to_string()),
                fact("err log", r.error_file.display().to_string()),
            ]
        }
    };
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// The width of the labels in the details panel.
const LABEL_WIDTH: usize = 10;

fn fact(label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(
            format!("{label:<LABEL_WIDTH$}"),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw(value),
    ])
}

fn draw_history(
    frame: &mut Frame,
    area: Rect,
    history: Option<&History>,
    selected: Option<&ProcessInfo>,
    look: Look,
) {
    let block = Block::bordered().title(" cpu · memory ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [cpu_label, cpu_bars, memory_label, memory_bars] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(1),
    ])
    .areas(inner);
    let (cpu, memory) = match selected {
        Some(r) => (
            format!("cpu {:.1}%", r.cpu),
            format!("memory {}", human_bytes(r.memory)),
        ),
        None => ("cpu".into(), "memory".into()),
    };
    frame.render_widget(Paragraph::new(cpu), cpu_label);
    frame.render_widget(Paragraph::new(memory), memory_label);
    let Some(history) = history else { return };
    let width = usize::from(inner.width);
    let cpu_data = last(&history.cpu, width);
    // CPU is drawn against 5 % of a core at the least, so an idle app stays flat.
    let cpu_max = cpu_data.iter().copied().max().unwrap_or(0).max(50);
    frame.render_widget(
        Sparkline::default()
            .data(&cpu_data)
            .max(cpu_max)
            .style(look.paint(Color::Cyan)),
        cpu_bars,
    );
    let memory_data = last(&history.memory, width);
    let memory_max = memory_data.iter().copied().max().unwrap_or(0).max(1);
    frame.render_widget(
        Sparkline::default()
            .data(&memory_data)
            .max(memory_max)
            .style(look.paint(Color::Magenta)),
        memory_bars,
    );
}

/// `text` in at most `width` characters: its end, after a `…`, when it is longer.
pub(crate) fn fit_end(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(count - (width - 1)));
    out
}

/// The last `n` values of a series, oldest first.
fn last(series: &std::collections::VecDeque<u64>, n: usize) -> Vec<u64> {
    series
        .iter()
        .skip(series.len().saturating_sub(n))
        .copied()
        .collect()
}

fn draw_logs(
    frame: &mut Frame,
    area: Rect,
    model: &Model,
    selected: Option<&ProcessInfo>,
    look: Look,
) {
    let title = match selected {
        Some(r) => format!(" logs · {} ", r.name),
        None => " logs ".into(),
    };
    let block = Block::bordered().title(title);
    let height = usize::from(block.inner(area).height);
    let logs = model.logs();
    let skip = logs.len().saturating_sub(height);
    let lines: Vec<Line> = logs
        .skip(skip)
        .map(|l| {
            if l.err {
                Line::styled(l.text.as_str(), look.paint(Color::Red))
            } else {
                Line::raw(l.text.as_str())
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn draw_footer(frame: &mut Frame, area: Rect, model: &Model, look: Look) {
    let line = match model.mode() {
        Mode::Confirm(action, chosen) => Line::styled(
            format!("{} {chosen}? y: yes, any other key: no", action.verb()),
            look.paint(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
        Mode::Filter => Line::raw(format!(
            "filter: {}▏ (Enter: keep, Esc: clear)",
            model.filter()
        )),
        Mode::Browse => match model.note() {
            Some(Note::Info(text)) => Line::raw(format!("{text} · q quit")),
            Some(Note::Problem(text)) => Line::styled(
                text.clone(),
                look.paint(Color::Red).add_modifier(Modifier::BOLD),
            ),
            None => Line::raw(KEYS),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

#[cfg(test)]
mod tests;
