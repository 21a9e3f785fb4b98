//! The rules that keep rpm easy to change (`../shared/ROOMS.md`), checked on the source:
//! imports point down between rooms, no file imports another that imports it back (no
//! cycles between files), and no source file is over 600 lines of code (tests excluded).
//!
//! A file's imports are the paths it names (`crate::…`, `super::…`, `self::…`, or a
//! child module's name) resolved to the file that defines the longest matching module.
//! Test code (`#[cfg(test)]` blocks, and files only compiled for tests) is left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Rooms and the rooms they must never import.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "config",
        &[
            "daemon", "cli", "ipc", "logs", "client", "cluster", "watch", "monit", "web",
        ],
    ),
    (
        "cluster",
        &["daemon", "cli", "ipc", "logs", "client", "monit", "web"],
    ),
    ("watch", &["daemon", "cli", "client", "monit", "web"]),
    ("ipc", &["daemon", "cli", "logs", "client", "monit", "web"]),
    ("logs", &["daemon", "cli", "ipc", "client", "monit", "web"]),
    ("client", &["daemon", "cli", "monit", "web"]),
    (
        "startup",
        &[
            "daemon", "cli", "ipc", "logs", "client", "cluster", "watch", "monit", "web",
        ],
    ),
    ("cli", &["daemon"]),
    // A surface over rpm::Client: never the supervisor, the CLI, or the other surface.
    ("web", &["daemon", "cli", "monit"]),
    ("monit", &["daemon", "cli", "web"]),
    (
        "export",
        &[
            "daemon", "cli", "ipc", "logs", "client", "cluster", "watch", "monit", "web", "convert",
        ],
    ),
    (
        "convert",
        &[
            "daemon", "cli", "ipc", "logs", "client", "cluster", "watch", "monit", "web", "export",
        ],
    ),
];

const MAX_CODE_LINES: usize = 600;

struct Source {
    /// Module path: `["daemon", "supervisor", "tables"]`.
    module: Vec<String>,
    /// The text without comments and test code.
    code: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(path: &Path) -> Vec<String> {
    let rel = path
        .strip_prefix(src_dir())
        .expect("under src/")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// Removes `// …` comments and every `#[cfg(test)]` item (a block or a `mod x;`).
fn strip(text: &str) -> String {
    let no_comments: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = String::new();
    let mut rest = no_comments.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let semi = after.find(';').unwrap_or(after.len());
        let brace = after.find('{').unwrap_or(after.len());
        if semi < brace {
            rest = &after[semi + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after.char_indices().skip(brace) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Files that `path` declares under `#[cfg(test)]` (`mod x;`, or `#[path = "f.rs"]`):
/// files only tests compile.
fn test_only_files(path: &Path, text: &str) -> Vec<PathBuf> {
    let dir = path.parent().expect("a file has a folder");
    let own = match path.file_stem().and_then(|s| s.to_str()) {
        Some("mod" | "lib" | "main") => dir.to_path_buf(),
        Some(stem) => dir.join(stem),
        None => dir.to_path_buf(),
    };
    let mut found = Vec::new();
    let mut lines = text.lines().map(str::trim).peekable();
    while let Some(line) = lines.next() {
        if line != "#[cfg(test)]" {
            continue;
        }
        let mut at = None;
        while let Some(attr) = lines.peek().filter(|l| l.starts_with("#[")) {
            if let Some(file) = attr
                .strip_prefix("#[path = \"")
                .and_then(|a| a.strip_suffix("\"]"))
            {
                at = Some(dir.join(file));
            }
            lines.next();
        }
        if let Some(decl) = lines.next() {
            let decl = decl
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ");
            if let Some(name) = decl.strip_prefix("mod ").and_then(|d| d.strip_suffix(';')) {
                let name = name.trim();
                found.push(at.unwrap_or_else(|| own.join(format!("{name}.rs"))));
                found.push(own.join(name));
            }
        }
    }
    found
}

fn sources() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&src_dir(), &mut files);
    let texts: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("read a source file");
            (f, text)
        })
        .collect();
    let test_only: Vec<PathBuf> = texts
        .iter()
        .flat_map(|(f, text)| test_only_files(f, text))
        .collect();
    texts
        .into_iter()
        .filter(|(f, _)| !test_only.iter().any(|t| f.starts_with(t)))
        .map(|(f, text)| Source {
            module: module_of(&f),
            code: strip(&text),
        })
        .collect()
}

/// The paths a file names: `crate::a::b`, `super::x::{y, z}`, `child::item`.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let bytes = code.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let starts = word(bytes[i]) && (i == 0 || !(word(bytes[i - 1]) || bytes[i - 1] == b':'));
        if !starts {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len() && (word(bytes[j]) || code[j..].starts_with("::")) {
            j += if code[j..].starts_with("::") { 2 } else { 1 };
        }
        let path = code[i..j].trim_end_matches("::");
        if path.contains("::") {
            if code[j..].starts_with('{') || code[..j].ends_with("::") && code[j..].starts_with('{')
            {
                let close = code[j..].find('}').map_or(code.len(), |k| j + k);
                for item in code[j + 1..close].split(',') {
                    let item = item.trim().split(" as ").next().unwrap_or("").trim();
                    if !item.is_empty() && item != "self" {
                        paths.push(format!("{path}::{item}"));
                    }
                }
            }
            paths.push(path.to_string());
        }
        i = j.max(i + 1);
    }
    paths
}

/// The file (module) a path from `module` resolves to.
fn resolve(module: &[String], path: &str, modules: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<String> = match parts[0] {
        "crate" => {
            parts.remove(0);
            Vec::new()
        }
        "self" => {
            parts.remove(0);
            module.to_vec()
        }
        "super" => {
            let mut base = module.to_vec();
            while parts.first() == Some(&"super") {
                base.pop();
                parts.remove(0);
            }
            base
        }
        first => {
            let mut child = module.to_vec();
            child.push(first.to_string());
            if !modules.contains(&child) {
                return None;
            }
            module.to_vec()
        }
    };
    let start = base.len();
    base.extend(parts.iter().map(|p| p.to_string()));
    (start..=base.len())
        .rev()
        .map(|n| base[..n].to_vec())
        .find(|m| modules.contains(m))
}

fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let sources = sources();
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    sources
        .iter()
        .map(|s| {
            let deps = named_paths(&s.code)
                .iter()
                .filter_map(|p| resolve(&s.module, p, &modules))
                .filter(|d| d != &s.module)
                .collect();
            (s.module.clone(), deps)
        })
        .collect()
}

fn file_name(module: &[String]) -> String {
    if module.is_empty() {
        "src/lib.rs".into()
    } else {
        format!("src/{}", module.join("/"))
    }
}

#[test]
fn imports_point_down_between_rooms() {
    let mut wrong = Vec::new();
    for (module, deps) in graph() {
        let Some(room) = module.first() else { continue };
        let Some((_, forbidden)) = FORBIDDEN.iter().find(|(r, _)| r == room) else {
            continue;
        };
        for dep in deps {
            if dep.first().is_some_and(|d| forbidden.contains(&d.as_str())) {
                wrong.push(format!(
                    "{} imports {}",
                    file_name(&module),
                    file_name(&dep)
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports that point up:\n{}",
        wrong.join("\n")
    );
}

/// Every file that can reach itself through imports, with one such circle.
fn cycles(graph: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>) -> Vec<String> {
    let mut found = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(&Vec<String>, Vec<&Vec<String>>)> = vec![(start, vec![start])];
        'search: while let Some((at, trail)) = stack.pop() {
            for next in graph.get(at).into_iter().flatten() {
                if next == start {
                    let names: Vec<String> = trail.iter().map(|m| file_name(m)).collect();
                    found.push(format!("{} -> {}", names.join(" -> "), file_name(start)));
                    break 'search;
                }
                if seen.insert(next) {
                    let mut longer = trail.clone();
                    longer.push(next);
                    stack.push((next, longer));
                }
            }
        }
    }
    found
}

#[test]
fn no_file_imports_in_a_circle() {
    let cycles = cycles(&graph());
    assert!(
        cycles.is_empty(),
        "files importing in a circle:\n{}",
        cycles.join("\n")
    );
}

#[test]
fn no_source_file_is_over_600_lines_of_code() {
    let long: Vec<String> = sources()
        .iter()
        .map(|s| {
            let lines = s.code.lines().filter(|l| !l.trim().is_empty()).count();
            (file_name(&s.module), lines)
        })
        .filter(|(_, lines)| *lines > MAX_CODE_LINES)
        .map(|(f, lines)| format!("{f}: {lines} lines of code"))
        .collect();
    assert!(long.is_empty(), "files to split:\n{}", long.join("\n"));
}

#[test]
fn the_checker_sees_a_cycle_and_an_upward_import() {
    // The rules above pass only if the checker can fail: two files that import each
    // other, one of them from config into the daemon; comments and tests do not count.
    let modules: BTreeSet<Vec<String>> = [vec!["config".to_string()], vec!["daemon".to_string()]]
        .into_iter()
        .collect();
    let deps = |m: &str, code: &str| -> BTreeSet<Vec<String>> {
        named_paths(&strip(code))
            .iter()
            .filter_map(|p| resolve(&[m.to_string()], p, &modules))
            .collect()
    };
    let config = deps(
        "config",
        "use crate::daemon::{Thing, Other}; // crate::cli::Not\n",
    );
    let daemon = deps(
        "daemon",
        "fn f() { super::config::parse(); }\n#[cfg(test)]\nmod tests { use crate::cli::X; }\n",
    );
    assert_eq!(config, [vec!["daemon".to_string()]].into_iter().collect());
    assert_eq!(daemon, [vec!["config".to_string()]].into_iter().collect());
    let graph: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = [
        (vec!["config".to_string()], config),
        (vec!["daemon".to_string()], daemon),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        cycles(&graph),
        vec![
            "src/config -> src/daemon -> src/config",
            "src/daemon -> src/config -> src/daemon"
        ]
    );
}
