//! Loading an ecosystem file: read it (by extension: lenient JSON, YAML, TOML, or
//! JavaScript through `node`), find the apps in whichever top-level shape PM2 accepts,
//! check every app, check names, profiles, `--only` and `depends_on` across apps, then
//! resolve the selected apps. Every problem in the file is collected before failing.
//! Runs in the CLI, where the user stands.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Problem, ProblemKind};
use super::interpreter::normalize;
use super::node::{Node, Pos, Value};
use super::order::{order, OrderError};
use super::report::Report;
use super::resolve::{resolve_app, Context};
use super::spec::AppSpec;
use super::suggest::nearest;
use super::validate::{validate_app, RawApp};
use super::{js, lenient_json, toml_format, yaml};

/// How the CLI asks for a file to be loaded.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--env <profile>`: overlay `env_<profile>` on `env`.
    pub env_profile: Option<String>,
    /// `--only a,b`: load only these apps (an unknown name is an error).
    pub only: Vec<String>,
    /// Unknown attributes are errors instead of warnings.
    pub strict: bool,
    /// The caller's environment, the lowest layer of every app's environment.
    pub caller_env: BTreeMap<String, String>,
    /// The caller's working directory (relative file paths are taken from here).
    pub caller_cwd: PathBuf,
    /// `rpm validate`: the file may be meant for another machine, so a `cwd` or
    /// `env_file` missing here (and a script in a missing `cwd`) is a warning.
    pub paths_elsewhere: bool,
}

/// What a file declares, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded {
    /// The selected apps, in file order.
    pub apps: Vec<AppSpec>,
    /// Warnings to print (each once), already formatted as `warning: …` lines.
    pub warnings: Vec<String>,
    /// PM2's `deploy` section, kept as written.
    pub deploy: Option<serde_json::Value>,
}

/// Whether a command-line argument names an ecosystem file rather than a script, by
/// PM2's rule: `.json`, `.yaml`, `.yml` (and rpm's `.toml`) files, and JavaScript files
/// named `*.config.js`, `*.config.cjs` or `*.config.mjs`. `server.js` is a script.
pub fn is_ecosystem_file(arg: &str) -> bool {
    [
        ".json",
        ".yaml",
        ".yml",
        ".toml",
        ".config.js",
        ".config.cjs",
        ".config.mjs",
    ]
    .iter()
    .any(|ext| arg.len() > ext.len() && arg.ends_with(ext))
}

/// Loads, checks and resolves the ecosystem file at `path` (as the user gave it).
pub fn load_file(path: &Path, opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    let shown = path.display().to_string();
    let absolute = normalize(&opts.caller_cwd.join(path));
    let root = read_tree(path, &absolute, opts).map_err(|(pos, kind)| {
        ConfigError::from_problems(vec![Problem::at(&shown, pos, None, kind)])
    })?;
    let file_dir = absolute
        .parent()
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
    load_tree(&root, &shown, &file_dir, &absolute, opts)
}

/// Loads, checks and resolves apps sent as JSON text in the ecosystem format (as
/// leniently as a `.json` file is read), for `POST /api/processes`: `shown` names the
/// text in messages, and relative paths are taken from `opts.caller_cwd`.
pub fn load_json_text(text: &str, shown: &str, opts: &LoadOptions) -> Result<Loaded, ConfigError> {
    let root = lenient_json::parse(text).map_err(|e| {
        let kind = ProblemKind::Syntax { message: e.message };
        ConfigError::from_problems(vec![Problem::at(shown, e.pos, None, kind)])
    })?;
    let source = opts.caller_cwd.join(shown);
    load_tree(&root, shown, &opts.caller_cwd, &source, opts)
}

/// Checks and resolves the apps of a parsed tree; relative paths in it are taken from
/// `file_dir`.
fn load_tree(
    root: &Node,
    shown: &str,
    file_dir: &Path,
    source_file: &Path,
    opts: &LoadOptions,
) -> Result<Loaded, ConfigError> {
    let mut report = Report::new(shown);
    let (app_nodes, deploy) = find_apps(root, &mut report);
    let raws: Vec<RawApp> = app_nodes
        .iter()
        .enumerate()
        .filter_map(|(i, node)| validate_app(node, i + 1, opts.strict, &mut report))
        .collect();
    let deploy_env = deploy_env(deploy.as_ref(), opts.env_profile.as_deref());
    check_across_apps(&raws, opts, deploy_env.is_some(), &mut report);
    let selected: Vec<&RawApp> = if opts.only.is_empty() {
        raws.iter().collect()
    } else {
        raws.iter()
            .filter(|r| opts.only.contains(&r.name))
            .collect()
    };
    let ctx = Context {
        file_dir,
        source_file,
        caller_env: &opts.caller_env,
        caller_cwd: &opts.caller_cwd,
        profile: opts.env_profile.as_deref(),
        deploy_env: deploy_env.as_ref(),
        paths_elsewhere: opts.paths_elsewhere,
        cpus: super::values::cpu_count(),
    };
    let apps: Vec<AppSpec> = selected
        .into_iter()
        .filter_map(|raw| resolve_app(raw, &ctx, &mut report))
        .collect();
    if !report.problems.is_empty() {
        return Err(ConfigError::from_problems(report.problems));
    }
    Ok(Loaded {
        apps,
        warnings: report.warnings,
        deploy,
    })
}

/// The app objects of a PM2-style file as written (a `.js` file evaluated), in file
/// order, without checking or resolving them: what `rpm convert` rewrites in another
/// format. `load_file` is the check.
pub fn read_app_objects(
    path: &Path,
    opts: &LoadOptions,
) -> Result<Vec<serde_json::Value>, ConfigError> {
    let shown = path.display().to_string();
    let absolute = normalize(&opts.caller_cwd.join(path));
    let root = read_tree(path, &absolute, opts).map_err(|(pos, kind)| {
        ConfigError::from_problems(vec![Problem::at(&shown, pos, None, kind)])
    })?;
    let mut report = Report::new(&shown);
    let (apps, _) = find_apps(&root, &mut report);
    Ok(apps.into_iter().map(Node::to_json).collect())
}

/// Finds and checks the apps of an already parsed tree (no resolution), for tests that
/// feed arbitrary trees through validation.
#[cfg(test)]
pub(crate) fn check_tree(root: &Node, file: &str) {
    let mut report = Report::new(file);
    let (apps, _) = find_apps(root, &mut report);
    let raws: Vec<RawApp> = apps
        .iter()
        .enumerate()
        .filter_map(|(i, n)| validate_app(n, i + 1, true, &mut report))
        .collect();
    check_across_apps(&raws, &LoadOptions::default(), false, &mut report);
}

/// Parses the file into the spanned tree, by extension.
fn read_tree(path: &Path, absolute: &Path, opts: &LoadOptions) -> Result<Node, (Pos, ProblemKind)> {
    let name = path.to_string_lossy();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if matches!(ext, "js" | "cjs" | "mjs") {
        if !absolute.is_file() {
            let message = "no such file".to_string();
            return Err((Pos::default(), ProblemKind::Unreadable { message }));
        }
        return js::evaluate(absolute, &opts.caller_env, &opts.caller_cwd)
            .map_err(|k| (Pos::default(), k));
    }
    if !matches!(ext, "json" | "yaml" | "yml" | "toml") && !name.is_empty() {
        return Err((Pos::default(), ProblemKind::UnsupportedFormat));
    }
    let bytes = std::fs::read(absolute).map_err(|e| {
        let message = e.kind().to_string();
        (Pos::default(), ProblemKind::Unreadable { message })
    })?;
    let text = utf8(&bytes)?;
    let parsed = match ext {
        "json" => lenient_json::parse(text),
        "toml" => toml_format::parse(text),
        _ => yaml::parse(text),
    };
    parsed.map_err(|e| (e.pos, ProblemKind::Syntax { message: e.message }))
}

/// The text, or where the first byte that is not UTF-8 sits.
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, (Pos, ProblemKind)> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        let valid = String::from_utf8_lossy(&bytes[..offset]);
        let line = 1 + valid.matches('\n').count();
        let col = 1 + valid.rsplit('\n').next().map_or(0, |l| l.chars().count());
        (Pos::new(line, col), ProblemKind::InvalidUtf8 { offset })
    })
}

/// The app objects and the `deploy` section, from any top-level shape PM2 accepts:
/// `{apps: [...]}`, `{apps: {...}}`, a bare list of apps, or a single app object.
fn find_apps<'n>(
    root: &'n Node,
    report: &mut Report<'_>,
) -> (Vec<&'n Node>, Option<serde_json::Value>) {
    match &root.value {
        Value::List(items) => (items.iter().collect(), None),
        Value::Map(entries) => {
            let get = |k: &str| {
                entries
                    .iter()
                    .rev()
                    .find(|(key, _)| key.name == k)
                    .map(|(_, v)| v)
            };
            let deploy = get("deploy").map(Node::to_json);
            if get("apps").is_some() {
                for (key, _) in entries
                    .iter()
                    .filter(|(k, _)| k.name != "apps" && k.name != "deploy")
                {
                    let suggestion = nearest(&key.name, ["apps", "deploy"]).map(str::to_string);
                    let text = ProblemKind::UnknownAttribute {
                        attribute: key.name.clone(),
                        suggestion,
                    };
                    let message =
                        format!("top level: {text} (ignored; only `apps` and `deploy` are read)");
                    report.warn(&format!("top {}", key.name), key.pos, None, &message);
                }
            }
            match get("apps") {
                Some(Node {
                    value: Value::List(items),
                    ..
                }) => (items.iter().collect(), deploy),
                Some(
                    apps @ Node {
                        value: Value::Map(_),
                        ..
                    },
                ) => (vec![apps], deploy),
                Some(other) => {
                    let found = other.found();
                    let expected = "`apps` to be a list of apps or one app object".to_string();
                    report.error(other.pos, None, ProblemKind::WrongShape { expected, found });
                    (Vec::new(), deploy)
                }
                None if get("script").is_some() || get("exec").is_some() => (vec![root], None),
                None => {
                    let expected =
                        "an `apps` list (or a list of apps, or one app with `script`)".to_string();
                    let found = "an object without `apps`".to_string();
                    report.error(root.pos, None, ProblemKind::WrongShape { expected, found });
                    (Vec::new(), deploy)
                }
            }
        }
        _ => {
            let expected = "an object with `apps` or a list of apps".to_string();
            report.error(
                root.pos,
                None,
                ProblemKind::WrongShape {
                    expected,
                    found: root.found(),
                },
            );
            (Vec::new(), None)
        }
    }
}

/// Duplicate names, `--env` profile, `--only` names and `depends_on` across the apps.
/// PM2's `deploy.<profile>.env`, as strings, when `--env <profile>` names a deploy
/// target: it goes under the apps' `env` (`deploy.P.env` < `env` < `env_P`).
fn deploy_env(
    deploy: Option<&serde_json::Value>,
    profile: Option<&str>,
) -> Option<BTreeMap<String, String>> {
    let target = deploy?.get(profile?)?;
    let vars = match target.get("env") {
        Some(serde_json::Value::Object(vars)) => vars
            .iter()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect(),
        _ => BTreeMap::new(),
    };
    Some(vars)
}

fn check_across_apps(
    raws: &[RawApp],
    opts: &LoadOptions,
    deploy_target: bool,
    report: &mut Report<'_>,
) {
    let mut first: BTreeMap<&str, Pos> = BTreeMap::new();
    for raw in raws {
        match first.get(raw.name.as_str()) {
            Some(pos) => {
                let kind = ProblemKind::DuplicateName {
                    name: raw.name.clone(),
                    first_line: pos.line,
                };
                report.error(raw.name_pos, None, kind);
            }
            None => {
                first.insert(&raw.name, raw.name_pos);
            }
        }
    }
    if let Some(profile) = &opts.env_profile {
        let declared = raws.iter().any(|r| r.profiles.contains_key(profile));
        if !declared && deploy_target {
            let message = format!(
                "--env {profile}: no app declares `env_{profile}`; using `env` with `deploy.{profile}.env` under it, as PM2 does"
            );
            report.warn("deploy profile", Pos::default(), None, &message);
        } else if !declared {
            let available: BTreeSet<String> = raws
                .iter()
                .flat_map(|r| r.profiles.keys().cloned())
                .collect();
            let kind = ProblemKind::UnknownProfile {
                profile: profile.clone(),
                available: available.into_iter().collect(),
            };
            report.error(Pos::default(), None, kind);
        }
    }
    let names: Vec<&str> = raws.iter().map(|r| r.name.as_str()).collect();
    for name in &opts.only {
        if !names.contains(&name.as_str()) {
            let available = names.iter().map(|n| n.to_string()).collect();
            report.error(
                Pos::default(),
                None,
                ProblemKind::UnknownOnly {
                    name: name.clone(),
                    available,
                },
            );
        }
    }
    let deps: Vec<Vec<String>> = raws.iter().map(|r| r.list("depends_on")).collect();
    let mut unknown = false;
    for (raw, deps) in raws.iter().zip(&deps) {
        for dep in deps.iter().filter(|d| !names.contains(&d.as_str())) {
            let suggestion = nearest(dep, names.iter().copied()).map(str::to_string);
            let kind = ProblemKind::UnknownDependency {
                name: dep.clone(),
                suggestion,
            };
            report.error(raw.pos_of("depends_on"), Some(&raw.name), kind);
            unknown = true;
        }
    }
    if !unknown {
        if let Err(OrderError::Cycle(cycle)) = order(&names, &deps) {
            let raw = raws.iter().find(|r| cycle.first() == Some(&r.name));
            let (pos, app) = raw.map_or((Pos::default(), None), |r| {
                (r.pos_of("depends_on"), Some(r.name.as_str()))
            });
            report.error(pos, app, ProblemKind::DependencyCycle { cycle });
        }
    }
}
