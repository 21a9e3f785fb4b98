//! Table tests of the dashboard's model: keys, selection, filter, confirmation, history.

use super::*;
use crate::config::ExecMode;
use crate::ipc::Status;

/// A row as `list` gives it, with the fields the dashboard reads.
pub(crate) fn row(id: u32, name: &str, status: Status) -> ProcessInfo {
    ProcessInfo {
        id,
        name: name.into(),
        namespace: "default".into(),
        instance: 0,
        exec_mode: ExecMode::Fork,
        status,
        pid: (status == Status::Online).then_some(1000 + id as i32),
        restarts: 0,
        unstable_restarts: 0,
        uptime_ms: (status == Status::Online).then_some(61_000),
        exit_code: None,
        exit_signal: None,
        cpu: 1.5,
        memory: 3 * 1024 * 1024,
        script: format!("/srv/{name}.py").into(),
        args: Vec::new(),
        cwd: "/srv".into(),
        interpreter: Some("/usr/bin/python3".into()),
        out_file: format!("/home/u/.rpm/logs/{name}-out.log").into(),
        error_file: format!("/home/u/.rpm/logs/{name}-error.log").into(),
        watch: false,
        started_at: None,
        created_at: 0,
        user: None,
    }
}

fn three() -> Model {
    let mut model = Model::new();
    model.on_rows(vec![
        row(0, "api", Status::Online),
        row(1, "worker", Status::Online),
        row(2, "cron", Status::Stopped),
    ]);
    model
}

fn chosen(id: u32, name: &str) -> Chosen {
    Chosen {
        id,
        name: name.into(),
    }
}

fn selected(model: &Model) -> Option<u32> {
    model.selected_row().map(|r| r.id)
}

#[test]
fn moving_through_the_apps_stops_at_either_end() {
    let rows: &[(&[Key], u32)] = &[
        (&[], 0),
        (&[Key::Down], 1),
        (&[Key::Char('j'), Key::Char('j')], 2),
        (&[Key::Down, Key::Down, Key::Down, Key::Down], 2),
        (&[Key::Up], 0),
        (&[Key::Down, Key::Char('k')], 0),
        (&[Key::End], 2),
        (&[Key::Char('G'), Key::Home], 0),
        (&[Key::PageDown], 2),
        (&[Key::End, Key::PageUp], 0),
    ];
    for (keys, want) in rows {
        let mut model = three();
        for key in *keys {
            assert_eq!(model.on_key(*key), Effect::Nothing, "{keys:?}");
        }
        assert_eq!(selected(&model), Some(*want), "{keys:?}");
    }
}

#[test]
fn quit_keys_quit_and_ctrl_c_quits_from_anywhere() {
    for key in [Key::Char('q'), Key::Esc, Key::Interrupt] {
        assert_eq!(three().on_key(key), Effect::Quit, "{key:?}");
    }
    let mut filtering = three();
    filtering.on_key(Key::Char('/'));
    assert_eq!(filtering.on_key(Key::Char('q')), Effect::Nothing);
    assert_eq!(filtering.filter(), "q");
    assert_eq!(filtering.on_key(Key::Interrupt), Effect::Quit);
    let mut confirming = three();
    confirming.on_key(Key::Char('d'));
    assert_eq!(confirming.on_key(Key::Interrupt), Effect::Quit);
}

#[test]
fn action_keys_act_on_the_selected_instance_and_say_so() {
    let rows = [
        ('r', Action::Restart, "restarting worker (id 1)…"),
        ('l', Action::Reload, "reloading worker (id 1)…"),
        ('s', Action::Stop, "stopping worker (id 1)…"),
    ];
    for (key, action, note) in rows {
        let mut model = three();
        model.on_key(Key::Down);
        assert_eq!(
            model.on_key(Key::Char(key)),
            Effect::Run(action, chosen(1, "worker"))
        );
        assert_eq!(model.note(), Some(&Note::Info(note.into())));
    }
}

#[test]
fn delete_asks_first_and_only_y_goes_on() {
    let mut model = three();
    assert_eq!(model.on_key(Key::Char('d')), Effect::Nothing);
    assert_eq!(
        model.mode(),
        Mode::Confirm(Action::Delete, chosen(0, "api"))
    );
    assert_eq!(
        model.on_key(Key::Char('y')),
        Effect::Run(Action::Delete, chosen(0, "api"))
    );
    assert_eq!(model.mode(), Mode::Browse);
    for other in [Key::Char('n'), Key::Esc, Key::Enter, Key::Char('d')] {
        let mut model = three();
        model.on_key(Key::Char('d'));
        assert_eq!(model.on_key(other), Effect::Nothing, "{other:?}");
        assert_eq!(model.mode(), Mode::Browse, "{other:?}");
        assert_eq!(
            model.note(),
            Some(&Note::Info("delete of api (id 0) cancelled".into()))
        );
    }
}

#[test]
fn no_apps_no_action() {
    let mut model = Model::new();
    model.on_rows(Vec::new());
    for key in ['r', 'l', 's', 'd'] {
        assert_eq!(model.on_key(Key::Char(key)), Effect::Nothing);
        assert_eq!(model.mode(), Mode::Browse);
    }
}

#[test]
fn the_filter_narrows_the_rows_and_moves_the_selection_into_them() {
    let mut model = three();
    for key in [Key::Char('/'), Key::Char('W'), Key::Char('o')] {
        model.on_key(key);
    }
    let names: Vec<&str> = model.visible().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["worker"]);
    assert_eq!(selected(&model), Some(1));
    // Enter keeps the filter; letters are actions again.
    model.on_key(Key::Enter);
    assert_eq!(model.mode(), Mode::Browse);
    assert_eq!(
        model.on_key(Key::Char('r')),
        Effect::Run(Action::Restart, chosen(1, "worker"))
    );
    // Status and exact id match too; Backspace and Esc widen again.
    let rows: &[(&str, &[&str])] = &[
        ("stopped", &["cron"]),
        ("2", &["cron"]),
        ("default", &["api", "worker", "cron"]),
        ("nothing", &[]),
    ];
    for (text, want) in rows {
        let mut model = three();
        model.on_key(Key::Char('/'));
        for c in text.chars() {
            model.on_key(Key::Char(c));
        }
        let names: Vec<&str> = model.visible().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, *want, "{text}");
        model.on_key(Key::Backspace);
        assert_eq!(model.filter(), &text[..text.len() - 1]);
        model.on_key(Key::Esc);
        assert_eq!(model.filter(), "");
        assert_eq!(model.visible().len(), 3);
    }
    let mut model = three();
    for key in [Key::Char('/'), Key::Char('x'), Key::Char('y')] {
        model.on_key(key);
    }
    assert_eq!(selected(&model), None);
    assert_eq!(model.on_key(Key::Enter), Effect::Nothing);
    assert_eq!(model.on_key(Key::Char('r')), Effect::Nothing);
}

#[test]
fn the_selection_follows_its_instance_and_moves_when_it_goes() {
    let mut model = three();
    model.on_key(Key::End);
    model.on_rows(vec![
        row(2, "cron", Status::Online),
        row(0, "api", Status::Online),
    ]);
    assert_eq!(selected(&model), Some(2));
    model.on_rows(vec![row(0, "api", Status::Online)]);
    assert_eq!(selected(&model), Some(0));
}

#[test]
fn history_keeps_the_last_samples_of_live_instances() {
    let mut model = Model::new();
    for i in 0..HISTORY as u64 + 5 {
        let mut api = row(0, "api", Status::Online);
        api.cpu = i as f64 / 10.0;
        api.memory = i;
        model.on_rows(vec![api, row(1, "worker", Status::Online)]);
    }
    let api = model.history(0).expect("api's history");
    assert_eq!(api.memory.len(), HISTORY);
    assert_eq!(api.memory.front(), Some(&5));
    assert_eq!(api.memory.back(), Some(&(HISTORY as u64 + 4)));
    assert_eq!(api.cpu.back(), Some(&(HISTORY as u64 + 4)));
    model.on_rows(vec![row(0, "api", Status::Online)]);
    assert!(model.history(1).is_none());
}

#[test]
fn log_lines_belong_to_the_app_followed_and_are_capped() {
    let line = |text: &str| LogLine {
        err: false,
        text: text.into(),
    };
    let mut model = three();
    model.on_log_lines(0, true, vec![line("a"), line("b")]);
    model.on_log_lines(1, false, vec![line("not mine")]);
    let texts: Vec<&str> = model.logs().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, ["a", "b"]);
    model.on_key(Key::Down);
    assert_eq!(model.logs().len(), 0, "api's lines are not worker's");
    model.on_log_lines(
        1,
        true,
        (0..LOG_LINES + 3).map(|i| line(&i.to_string())).collect(),
    );
    assert_eq!(model.logs().len(), LOG_LINES);
    assert_eq!(model.logs().next().map(|l| l.text.as_str()), Some("3"));
}

#[test]
fn results_and_lost_daemons_are_told() {
    let mut model = three();
    model.on_action_done(Action::Restart, &chosen(0, "api"), Ok(()));
    assert_eq!(
        model.note(),
        Some(&Note::Info("restarted api (id 0)".into()))
    );
    model.on_action_done(Action::Stop, &chosen(0, "api"), Err("no app 0".into()));
    assert_eq!(
        model.note(),
        Some(&Note::Problem("stop api (id 0) failed: no app 0".into()))
    );
    model.on_list_failed("the daemon is not running".into());
    assert_eq!(model.unreachable(), Some("the daemon is not running"));
    assert_eq!(model.rows().len(), 3, "the last rows stay");
    model.on_rows(Vec::new());
    assert_eq!(model.unreachable(), None);
}
