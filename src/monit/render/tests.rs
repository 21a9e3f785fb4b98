//! The dashboard as drawn on an 80x24 test terminal: what is on screen, and how it looks
//! with and without colour.

use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::Terminal;

use super::*;
use crate::monit::model::tests::row;
use crate::monit::model::{Key, LogLine};

fn screen(model: &Model, look: Look, width: u16, height: u16) -> Buffer {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test terminal");
    terminal
        .draw(|frame| draw(frame, model, look))
        .expect("drawing succeeds");
    terminal.backend().buffer().clone()
}

fn lines(buffer: &Buffer) -> Vec<String> {
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

fn line_with<'a>(lines: &'a [String], text: &str) -> (usize, &'a String) {
    lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains(text))
        .unwrap_or_else(|| panic!("no line shows {text:?}:\n{}", lines.join("\n")))
}

const PLAIN: Look = Look { color: false };
const COLOUR: Look = Look { color: true };

fn three() -> Model {
    let mut model = Model::new();
    let mut api = row(0, "api", Status::Online);
    api.error_file = "/home/someone/projects/.rpm/logs/api-error.log".into();
    let mut worker = row(1, "worker", Status::Online);
    worker.restarts = 4;
    worker.cpu = 12.5;
    worker.memory = 1536 * 1024;
    model.on_rows(vec![api, worker, row(2, "cron", Status::Stopped)]);
    model.on_log_lines(
        0,
        true,
        vec![
            LogLine {
                err: false,
                text: "listening on 8000".into(),
            },
            LogLine {
                err: true,
                text: "warning: slow request".into(),
            },
        ],
    );
    model
}

#[test]
fn window_start_keeps_the_selection_in_view() {
    let rows = [
        // (selected, total, height, first)
        (None, 30, 5, 0),
        (Some(0), 3, 5, 0),
        (Some(4), 30, 5, 0),
        (Some(5), 30, 5, 1),
        (Some(29), 30, 5, 25),
        (Some(3), 30, 0, 0),
    ];
    for (selected, total, height, want) in rows {
        assert_eq!(
            window_start(selected, total, height),
            want,
            "{selected:?} of {total} in {height}"
        );
    }
}

#[test]
fn long_values_keep_their_end() {
    let rows = [
        ("/srv/api.py", 20, "/srv/api.py"),
        ("/home/u/.rpm/logs/api-out.log", 12, "…api-out.log"),
        ("abc", 3, "abc"),
        ("abcd", 1, "…"),
        ("abcd", 0, ""),
    ];
    for (text, width, want) in rows {
        assert_eq!(fit_end(text, width), want, "{text} in {width}");
    }
}

#[test]
fn an_80x24_screen_shows_apps_details_history_logs_and_keys() {
    let shown = lines(&screen(&three(), PLAIN, 80, 24));
    let text = shown.join("\n");
    let (_, header) = line_with(&shown, "status");
    for column in ["id", "name", "pid", "uptime", "↺", "cpu", "memory"] {
        assert!(header.contains(column), "header {header:?} lacks {column}");
    }
    let (_, api) = line_with(&shown, ">0");
    for cell in ["api", "online", "1000", "1m", "1.5%", "3.0mb"] {
        assert!(api.contains(cell), "api's row {api:?} lacks {cell}");
    }
    let (_, worker) = line_with(&shown, "worker");
    for cell in ["4", "12.5%", "1.5mb"] {
        assert!(
            worker.contains(cell),
            "worker's row {worker:?} lacks {cell}"
        );
    }
    let (_, cron) = line_with(&shown, "cron");
    assert!(cron.contains("stopped") && cron.contains('-'), "{cron:?}");
    for fact in [
        "/srv/api.py",
        "cpu 1.5%",
        "memory 3.0mb",
        "logs · api",
        "listening on 8000",
        "warning: slow request",
    ] {
        assert!(text.contains(fact), "the screen lacks {fact:?}:\n{text}");
    }
    let (_, err_log) = line_with(&shown, "err log");
    assert!(
        err_log.contains("…") && err_log.contains("/.rpm/logs/api-error.log│"),
        "a long path keeps its end: {err_log:?}"
    );
    assert_eq!(shown[23].trim_end(), KEYS);
    assert_eq!(shown.len(), 24);
}

#[test]
fn without_colour_nothing_is_coloured_and_the_selection_is_reversed() {
    let buffer = screen(&three(), PLAIN, 80, 24);
    for cell in buffer.content() {
        assert_eq!(cell.fg, Color::Reset, "{cell:?}");
        assert_eq!(cell.bg, Color::Reset, "{cell:?}");
    }
    let shown = lines(&buffer);
    let (y, _) = line_with(&shown, ">0");
    let at = shown[y].find("api").expect("api on its row");
    let name_x = shown[y][..at].chars().count() as u16;
    let cell = &buffer[(name_x, y as u16)];
    assert!(cell.modifier.contains(Modifier::REVERSED), "{cell:?}");
    let (other, _) = line_with(&shown, "worker");
    assert!(!buffer[(2, other as u16)]
        .modifier
        .contains(Modifier::REVERSED));
}

#[test]
fn with_colour_statuses_and_errors_are_coloured() {
    let buffer = screen(&three(), COLOUR, 80, 24);
    let shown = lines(&buffer);
    let (y, row) = line_with(&shown, ">0");
    let x = row.find("online").expect("online on api's row");
    // Counted in cells: everything before `online` on this row is one cell per char.
    let x = row[..x].chars().count() as u16;
    assert_eq!(buffer[(x, y as u16)].fg, Color::Green);
    let (y, row) = line_with(&shown, "warning: slow request");
    let x = row[..row.find("warning").expect("warning")].chars().count() as u16;
    assert_eq!(buffer[(x, y as u16)].fg, Color::Red);
}

#[test]
fn the_footer_shows_the_filter_and_the_confirmation() {
    let mut model = three();
    for key in [Key::Char('/'), Key::Char('w')] {
        model.on_key(key);
    }
    let shown = lines(&screen(&model, PLAIN, 80, 24));
    assert!(shown[23].starts_with("filter: w▏"), "{:?}", shown[23]);
    assert!(shown[0].contains("1 of 3 · filter \"w\""), "{:?}", shown[0]);
    assert!(!shown.join("\n").contains(" cron "), "cron is filtered out");
    model.on_key(Key::Enter);
    model.on_key(Key::Char('d'));
    let shown = lines(&screen(&model, PLAIN, 80, 24));
    assert_eq!(
        shown[23].trim_end(),
        "delete worker (id 1)? y: yes, any other key: no"
    );
}

#[test]
fn many_apps_scroll_with_the_selection_and_small_screens_still_draw() {
    let mut model = Model::new();
    model.on_rows(
        (0..30)
            .map(|i| row(i, &format!("app{i:02}"), Status::Online))
            .collect(),
    );
    model.on_key(Key::End);
    let shown = lines(&screen(&model, PLAIN, 80, 24));
    line_with(&shown, ">29");
    assert!(!shown.join("\n").contains("app00"), "the top scrolled away");
    for (width, height) in [(40, 10), (20, 5), (1, 1), (0, 0)] {
        screen(&model, PLAIN, width, height);
    }
}

#[test]
fn before_the_first_answer_and_with_no_apps_the_table_says_so() {
    let shown = lines(&screen(&Model::new(), PLAIN, 80, 24)).join("\n");
    assert!(shown.contains("waiting for the daemon"), "{shown}");
    let mut model = Model::new();
    model.on_rows(Vec::new());
    let shown = lines(&screen(&model, PLAIN, 80, 24)).join("\n");
    assert!(shown.contains("no apps yet"), "{shown}");
    model.on_list_failed("the daemon is not running".into());
    let shown = lines(&screen(&model, PLAIN, 80, 24)).join("\n");
    assert!(
        shown.contains("not updated: the daemon is not running"),
        "{shown}"
    );
}
