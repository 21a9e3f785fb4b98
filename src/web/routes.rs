//! Which request is which (`route`, a pure function, table-tested) and what each complete
//! answer is (`answer`); streamed answers (events, a followed log) are left to `server`.
//!
//! Runs on each connection's thread. Reads go through the `ListCache`, so a burst of
//! requests costs the daemon one `list` per half second; actions and ids that must exist
//! ask the daemon afresh. Every error is JSON with a fitting status.

use std::path::PathBuf;

use serde_json::json;

use super::http::{Request, Response};
use super::state::{Rendering, State};
use super::{metrics, pm2, ui};
use crate::client::ClientError;
use crate::config::{self, LoadOptions};
use crate::ipc::{ErrorKind, ProcessInfo, StartMode};
use crate::logs::{LogSource, Stream, TailOptions};
use crate::paths::Home;

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /`: PM2's `pm2 web` document.
    Pm2,
    /// `GET /api/processes`.
    List,
    /// `GET /api/processes/{id}`.
    One(u32),
    /// `POST /api/processes/{id}/{action}`.
    Act(u32, Action),
    /// `POST /api/processes`: start the apps of an ecosystem spec.
    Start,
    /// `GET /api/events`.
    Events,
    /// `GET /api/processes/{id}/logs`.
    Logs(u32),
    /// `GET /metrics`.
    Metrics,
    /// `GET /ui…`: a dashboard file.
    Ui(&'static ui::Asset),
}

/// An action on one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Stop,
    Restart,
    Reload,
    Delete,
}

impl Route {
    /// Whether the route changes something (and so always needs the token).
    pub fn is_action(self) -> bool {
        matches!(self, Route::Act(..) | Route::Start)
    }

    /// Whether anyone may fetch it: the dashboard's own files, which ask for the token.
    pub fn is_public(self) -> bool {
        matches!(self, Route::Ui(_))
    }
}

/// The route of `method path`, or the status and sentence of a refusal.
pub fn route(method: &str, path: &str) -> Result<Route, (u16, String)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let get = method == "GET" || method == "HEAD";
    let post = method == "POST";
    let wrong_method =
        |allowed: &str| Err((405, format!("{method} {path} is not served: use {allowed}")));
    let id = |text: &str| {
        text.parse::<u32>().map_err(|_| {
            (
                404,
                format!("no process with id `{text}`: ids are numbers, see GET /api/processes"),
            )
        })
    };
    let found = match segments.as_slice() {
        [] => Route::Pm2,
        ["metrics"] => Route::Metrics,
        ["api", "events"] => Route::Events,
        ["api", "processes"] if post => return Ok(Route::Start),
        ["api", "processes"] => Route::List,
        ["api", "processes", n] => Route::One(id(n)?),
        ["api", "processes", n, "logs"] => Route::Logs(id(n)?),
        ["api", "processes", n, verb] => {
            let action = match *verb {
                "stop" => Action::Stop,
                "restart" => Action::Restart,
                "reload" => Action::Reload,
                "delete" => Action::Delete,
                _ => {
                    return Err((
                        404,
                        format!("no such action `{verb}`: use stop, restart, reload or delete"),
                    ))
                }
            };
            let n = id(n)?;
            return if post {
                Ok(Route::Act(n, action))
            } else {
                wrong_method("POST")
            };
        }
        ["ui", rest @ ..] => match ui::asset(&rest.join("/")) {
            Some(asset) => Route::Ui(asset),
            None => return Err((404, format!("no dashboard file {path}"))),
        },
        _ => {
            return Err((
                404,
                format!(
                "nothing is served at {path}: see GET /api/processes, /api/events, /metrics, /ui"
            ),
            ))
        }
    };
    if get {
        Ok(found)
    } else {
        wrong_method("GET")
    }
}

/// The complete answer to a request that is not streamed.
pub fn answer(state: &State, route: Route, request: &Request) -> Response {
    match answer_or_error(state, route, request) {
        Ok(response) => response,
        Err(response) => response,
    }
}

fn answer_or_error(state: &State, route: Route, request: &Request) -> Result<Response, Response> {
    match route {
        Route::Pm2 => {
            let listed = state.rows().map_err(client_error)?;
            Ok(Response::json(200, &pm2::document(&listed.rows))
                .with_header("Access-Control-Allow-Origin: *")
                .with_header(listed.age_header()))
        }
        Route::List => {
            let listed = state.rows().map_err(client_error)?;
            let body = state.rendered(Rendering::List, &listed.rows, to_json);
            Ok(Response::new(200, "application/json", body.to_vec())
                .with_header(listed.age_header()))
        }
        Route::One(id) => {
            let details = state
                .client()
                .describe(&[id.to_string()])
                .map_err(|e| not_found_or(state, id, e))?;
            match details.into_iter().find(|d| d.process.id == id) {
                Some(d) => Ok(Response::new(200, "application/json", to_json(&d))),
                None => Err(unknown(id)),
            }
        }
        Route::Act(id, action) => {
            existing(state, id)?;
            let targets = [id.to_string()];
            let client = state.client();
            let done = match action {
                Action::Stop => client.stop(&targets),
                Action::Restart => client.restart(&targets),
                Action::Reload => client.reload(&targets),
                Action::Delete => client.delete(&targets),
            };
            state.invalidate();
            let processes = done.map_err(|e| not_found_or(state, id, e))?;
            Ok(Response::json(200, &json!({ "processes": processes })))
        }
        Route::Start => {
            let apps = specs(state, &request.body)?;
            let started = state.client().start(apps, StartMode::File);
            state.invalidate();
            let processes = started.map_err(client_error)?;
            Ok(Response::json(201, &json!({ "processes": processes })))
        }
        Route::Logs(id) => {
            let row = existing(state, id)?;
            let sources = log_sources(&row);
            let mut out = Vec::new();
            let opts = tail_options(state.client().home(), request, false);
            crate::logs::tail(&sources, &opts, &mut out)
                .map_err(|e| Response::error(500, e.to_string()))?;
            let lines: Vec<serde_json::Value> = out
                .split(|&b| b == b'\n')
                .filter(|l| !l.is_empty())
                .filter_map(|l| serde_json::from_slice(l).ok())
                .collect();
            Ok(Response::json(200, &serde_json::Value::Array(lines)))
        }
        Route::Metrics => {
            let listed = state.rows().map_err(client_error)?;
            // The daemon's figures are read with the list, so they are as fresh as it.
            let body = state.rendered(Rendering::Metrics, &listed.rows, |rows| {
                metrics::render(rows, state.daemon_figures()).into_bytes()
            });
            Ok(Response::new(200, metrics::CONTENT_TYPE, body.to_vec())
                .with_header(listed.age_header()))
        }
        Route::Ui(asset) => Ok(Response::new(200, asset.content_type, asset.body)),
        Route::Events => Err(Response::error(500, "events are streamed, not answered")),
    }
}

/// The row of instance `id`, asked afresh, or a 404.
pub fn existing(state: &State, id: u32) -> Result<ProcessInfo, Response> {
    let rows = state.fresh_rows().map_err(client_error)?;
    rows.iter()
        .find(|p| p.id == id)
        .cloned()
        .ok_or_else(|| unknown(id))
}

/// The log files of one instance (its out and error files, `/dev/null` left out).
pub fn log_sources(row: &ProcessInfo) -> Vec<LogSource> {
    let mut sources: Vec<LogSource> = Vec::new();
    for (stream, path) in [(Stream::Out, &row.out_file), (Stream::Err, &row.error_file)] {
        if path.as_os_str() != "/dev/null" && !sources.iter().any(|s| &s.path == path) {
            sources.push(LogSource {
                id: row.id,
                name: row.name.clone(),
                stream,
                path: path.clone(),
            });
        }
    }
    sources
}

/// Lines shown before following: `?lines=N`, 50 by default, at most 10,000. Lines of a
/// file instances share carry the instance that wrote them (the writer indexes in
/// `home`).
pub fn tail_options(home: &Home, request: &Request, follow: bool) -> TailOptions {
    let lines = request
        .query_value("lines")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(50)
        .min(10_000);
    TailOptions {
        lines,
        follow,
        raw: false,
        timestamp: None,
        json: true,
        color: false,
        writers: Some(home.writers_dir()),
    }
}

/// The apps of a `POST /api/processes` body, resolved as `rpm start` resolves a file
/// (relative paths from the folder `rpm web` was started in).
fn specs(state: &State, body: &[u8]) -> Result<Vec<config::AppSpec>, Response> {
    let text = std::str::from_utf8(body).map_err(|_| {
        Response::error(
            400,
            "the request body is not UTF-8 text: send the apps as JSON in the ecosystem format",
        )
    })?;
    if text.trim().is_empty() {
        return Err(Response::error(400, "the request body is empty: send the apps as JSON in the ecosystem format, e.g. {\"apps\": [{\"name\": \"api\", \"script\": \"/srv/api.py\"}]}"));
    }
    let opts = LoadOptions {
        env_profile: None,
        only: Vec::new(),
        strict: false,
        caller_env: state.caller_env().clone(),
        caller_cwd: state.caller_cwd().to_path_buf(),
        paths_elsewhere: false,
    };
    let loaded = config::load_json_text(text, "request body", &opts)
        .map_err(|e| Response::error(400, without_error_prefix(&e.to_string())))?;
    let mut apps = loaded.apps;
    if apps.is_empty() {
        return Err(Response::error(400, "the request body declares no app"));
    }
    for app in &mut apps {
        app.unwrap_interpreter();
        app.source_file = None::<PathBuf>;
    }
    let order = config::start_order(&apps).map_err(|e| Response::error(400, e.to_string()))?;
    let mut slots: Vec<Option<config::AppSpec>> = apps.into_iter().map(Some).collect();
    Ok(order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect())
}

/// A config error's lines without the `error: ` each starts with on a terminal.
fn without_error_prefix(text: &str) -> String {
    text.trim_end()
        .lines()
        .map(|l| l.strip_prefix("error: ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec())
}

fn unknown(id: u32) -> Response {
    Response::error(
        404,
        format!("no process with id {id}: see GET /api/processes"),
    )
}

/// A daemon refusal about an id that has gone meanwhile is a 404; others as they are.
fn not_found_or(state: &State, id: u32, e: ClientError) -> Response {
    if matches!(e, ClientError::Daemon { .. }) {
        if let Ok(rows) = state.fresh_rows() {
            if !rows.iter().any(|p| p.id == id) {
                return unknown(id);
            }
        }
    }
    client_error(e)
}

/// The status of a failed call to the daemon.
pub fn client_error(e: ClientError) -> Response {
    let status = match &e {
        ClientError::NotRunning { .. } | ClientError::Connect { .. } => 503,
        ClientError::Daemon {
            kind: ErrorKind::Usage,
            ..
        } => 400,
        ClientError::Daemon { .. } => 409,
        _ => 502,
    };
    Response::error(status, e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_methods_find_their_route() {
        let rows: &[(&str, &str, Route)] = &[
            ("GET", "/", Route::Pm2),
            ("GET", "/metrics", Route::Metrics),
            ("GET", "/api/events", Route::Events),
            ("GET", "/api/processes", Route::List),
            ("GET", "/api/processes/", Route::List),
            ("POST", "/api/processes", Route::Start),
            ("GET", "/api/processes/12", Route::One(12)),
            ("GET", "/api/processes/3/logs", Route::Logs(3)),
            ("POST", "/api/processes/3/stop", Route::Act(3, Action::Stop)),
            (
                "POST",
                "/api/processes/3/restart",
                Route::Act(3, Action::Restart),
            ),
            (
                "POST",
                "/api/processes/3/reload",
                Route::Act(3, Action::Reload),
            ),
            (
                "POST",
                "/api/processes/0/delete",
                Route::Act(0, Action::Delete),
            ),
            ("HEAD", "/metrics", Route::Metrics),
        ];
        for (method, path, want) in rows {
            assert_eq!(route(method, path), Ok(*want), "{method} {path}");
        }
        assert!(matches!(route("GET", "/ui"), Ok(Route::Ui(_))));
        assert!(matches!(route("GET", "/ui/app.js"), Ok(Route::Ui(_))));
        assert!(Route::Act(1, Action::Stop).is_action() && Route::Start.is_action());
        assert!(!Route::List.is_action() && !Route::Events.is_action());
    }

    #[test]
    fn unknown_paths_ids_and_methods_are_refused() {
        let rows: &[(&str, &str, u16)] = &[
            ("GET", "/nope", 404),
            ("GET", "/api/processes/api", 404),
            ("GET", "/api/processes/-1", 404),
            ("POST", "/api/processes/3/explode", 404),
            ("GET", "/api/processes/3/stop", 405),
            ("DELETE", "/api/processes/3", 405),
            ("POST", "/metrics", 405),
            ("GET", "/ui/missing.js", 404),
        ];
        for (method, path, want) in rows {
            let got = route(method, path).map_err(|(status, _)| status);
            assert_eq!(got, Err(*want), "{method} {path}");
        }
    }
}
