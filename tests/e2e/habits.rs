//! PM2 users' habits: command lines as scripts, names with `/`, and what PM2's verbs do.

use crate::harness::{alive, wait_until, RpmHome, DEADLINE};

#[test]
fn a_command_line_script_runs_through_the_shell_and_stops_as_a_whole() {
    let home = RpmHome::new();
    // A pipeline: two processes under the shell, stopped together.
    home.ok(&["start", "sleep 1000 | cat"]);
    let row = home.wait_app("sleep 1000 | cat", "online", |p| p["status"] == "online");
    assert!(
        row["script"]
            .as_str()
            .is_some_and(|s| s.ends_with("/bash") || s.ends_with("/sh")),
        "{row}"
    );
    assert_eq!(row["args"], serde_json::json!(["-c", "sleep 1000 | cat"]));
    let pid = row["pid"].as_i64().expect("pid") as i32;
    let children = wait_until(DEADLINE, "the pipeline's processes", || {
        let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .map_err(|e| e.to_string())?;
        let kids: Vec<i32> = kids
            .split_whitespace()
            .filter_map(|k| k.parse().ok())
            .collect();
        if kids.len() == 2 {
            Ok(kids)
        } else {
            Err(format!("{kids:?}"))
        }
    });
    home.ok(&["stop", "sleep 1000 | cat"]);
    wait_until(DEADLINE, "the whole pipeline to end", || {
        let left: Vec<i32> = children.iter().copied().filter(|p| alive(*p)).collect();
        if left.is_empty() && !alive(pid) {
            Ok(())
        } else {
            Err(format!("alive: {left:?}"))
        }
    });

    // In an ecosystem file too, with the app's args reaching the command as "$@".
    let file = home.join("eco.json");
    std::fs::write(
        &file,
        r#"{"apps": [{"name": "echoer", "script": "printf '%s\\n' hello", "args": ["a b", "c"], "autorestart": false}]}"#,
    )
    .expect("write");
    home.ok(&["start", file.to_str().expect("path")]);
    let out = home.join("logs/echoer-out.log");
    wait_until(DEADLINE, "the command's output", || {
        let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
        if text == "hello\na b\nc\n" {
            Ok(())
        } else {
            Err(format!("{text:?}"))
        }
    });
}

#[test]
fn a_name_with_a_slash_is_kept_and_its_log_files_use_a_dash() {
    let home = RpmHome::new();
    home.ok(&[
        "start",
        "sh",
        "--name",
        "backend/api",
        "--",
        "-c",
        "echo up; exec sleep 1000",
    ]);
    let row = home.wait_app("backend/api", "online", |p| p["status"] == "online");
    assert_eq!(row["name"], "backend/api");
    assert!(
        row["out_file"]
            .as_str()
            .is_some_and(|f| f.ends_with("/logs/backend-api-out.log")),
        "{row}"
    );
    let out = home.join("logs/backend-api-out.log");
    wait_until(DEADLINE, "the app's output", || {
        let text = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
        if text.contains("up") {
            Ok(())
        } else {
            Err(text)
        }
    });
    // The name works as a target, and `start` of it (stopped) starts it again.
    home.ok(&["stop", "backend/api"]);
    home.wait_app("backend/api", "stopped", |p| p["status"] == "stopped");
    home.ok(&["start", "backend/api"]);
    home.wait_app("backend/api", "online again", |p| p["status"] == "online");
}
