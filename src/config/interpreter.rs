//! Choosing how to run a script: which interpreter, or the file itself, or a binary on PATH.
//!
//! Runs in the CLI, where the user stands. PM2 picks the interpreter from the extension;
//! rpm does the same for the common scripting languages and otherwise executes the file
//! directly when it is executable, or looks the name up on `PATH`
//! (`rpm start redis-server -- --port 7000`). A `script` with a space that names no file
//! is a command line (`"npm run start"`), run by `bash -c` (`sh -c` without bash), as PM2
//! runs it.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Why a script cannot be run.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum ScriptError {
    #[error("script `{script}` not found (looked in {cwd} and on PATH)")]
    NotFound { script: String, cwd: PathBuf },
    #[error("script `{}` is a directory, not a file", path.display())]
    IsDirectory { path: PathBuf },
    #[error("script `{}` is not executable and rpm knows no interpreter for it: pass --interpreter or run `chmod +x {}`", path.display(), path.display())]
    NotExecutable { path: PathBuf },
    #[error("interpreter `{interpreter}` for `{}` not found on PATH: install it or pass --interpreter", script.display())]
    InterpreterNotFound {
        interpreter: String,
        script: PathBuf,
    },
}

/// A script resolved to what the daemon executes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Absolute path of the script or executable (the shell, for a command line).
    pub script: PathBuf,
    /// Absolute path of the interpreter, `None` to execute `script` itself.
    pub interpreter: Option<PathBuf>,
    /// The command line the shell runs, when `script` was one.
    pub command_line: Option<String>,
}

impl Resolved {
    /// The arguments `script` gets: the user's, after `-c <line>` for a command line
    /// (where they reach the command as `"$@"`).
    pub fn args(&self, user_args: Vec<String>) -> Vec<String> {
        match &self.command_line {
            None => user_args,
            Some(line) if user_args.is_empty() => vec!["-c".to_string(), line.clone()],
            Some(line) => {
                let shell = self
                    .script
                    .file_name()
                    .map_or_else(|| "sh".to_string(), |n| n.to_string_lossy().into_owned());
                let mut args = vec!["-c".to_string(), format!("{line} \"$@\""), shell];
                args.extend(user_args);
                args
            }
        }
    }
}

/// Whether `script` is a command line rather than a file: it has a space and names no
/// file in `cwd`.
pub fn is_command_line(script: &str, cwd: &Path) -> bool {
    script.trim().contains(char::is_whitespace) && !cwd.join(script).exists()
}

/// The interpreter PM2 (and rpm) use for a file extension, by command name.
pub fn interpreter_for_extension(ext: &str) -> Option<&'static str> {
    match ext {
        "js" | "cjs" | "mjs" => Some("node"),
        "py" => Some("python3"),
        "sh" => Some("bash"),
        "rb" => Some("ruby"),
        "php" => Some("php"),
        "pl" => Some("perl"),
        _ => None,
    }
}

/// Resolves `script` as given by the user, relative to `cwd`, with an optional explicit
/// `interpreter` (a name on PATH or a path; `none` forces direct execution, as in PM2).
pub fn resolve_script(
    script: &str,
    interpreter: Option<&str>,
    cwd: &Path,
    path_var: Option<&OsStr>,
) -> Result<Resolved, ScriptError> {
    if is_command_line(script, cwd) {
        let shell = find_on_path("bash", path_var)
            .or_else(|| find_on_path("sh", path_var))
            .or_else(|| Some(PathBuf::from("/bin/sh")).filter(|p| is_executable(p)))
            .ok_or_else(|| ScriptError::InterpreterNotFound {
                interpreter: "bash".to_string(),
                script: PathBuf::from(script),
            })?;
        return Ok(Resolved {
            script: normalize(&shell),
            interpreter: None,
            command_line: Some(script.trim().to_string()),
        });
    }
    let candidate = cwd.join(script);
    let script_path = if candidate.exists() {
        candidate
    } else if !script.contains('/') {
        match find_on_path(script, path_var) {
            Some(found) => found,
            None => {
                return Err(ScriptError::NotFound {
                    script: script.to_string(),
                    cwd: cwd.to_path_buf(),
                })
            }
        }
    } else {
        return Err(ScriptError::NotFound {
            script: script.to_string(),
            cwd: cwd.to_path_buf(),
        });
    };
    let script_path = normalize(&script_path);
    let explicit = interpreter.filter(|i| !i.is_empty() && *i != "none");
    let folder_runner = if script_path.is_dir() {
        // A folder is run as its interpreter runs one: node loads its package.json's
        // `main` or index.js, python3 its __main__.py.
        match (explicit, folder_interpreter(&script_path)) {
            (Some(_), _) => None,
            (None, Some(runner)) if interpreter != Some("none") => Some(runner),
            _ => return Err(ScriptError::IsDirectory { path: script_path }),
        }
    } else {
        None
    };
    let chosen = match explicit {
        Some(name) => Some(name.to_string()),
        None if folder_runner.is_some() => folder_runner.map(str::to_string),
        None if interpreter == Some("none") => None,
        None => script_path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(interpreter_for_extension)
            .map(|name| {
                // `.sh` prefers bash but falls back to sh, as a fresh machine may lack bash.
                if name == "bash" && find_on_path("bash", path_var).is_none() {
                    "sh".to_string()
                } else {
                    name.to_string()
                }
            }),
    };
    match chosen {
        Some(name) => {
            let found = if name.contains('/') {
                Some(cwd.join(&name)).filter(|p| is_executable(p))
            } else {
                find_on_path(&name, path_var)
            };
            match found {
                Some(path) => Ok(Resolved {
                    script: script_path,
                    interpreter: Some(normalize(&path)),
                    command_line: None,
                }),
                None => Err(ScriptError::InterpreterNotFound {
                    interpreter: name,
                    script: script_path,
                }),
            }
        }
        None if is_executable(&script_path) => Ok(Resolved {
            script: script_path,
            interpreter: None,
            command_line: None,
        }),
        None => Err(ScriptError::NotExecutable { path: script_path }),
    }
}

/// The interpreter that runs folder `dir` as a program: node for a Node package or an
/// `index.js`, python3 for a `__main__.py`.
fn folder_interpreter(dir: &Path) -> Option<&'static str> {
    let has = |name: &str| dir.join(name).is_file();
    if has("package.json") || has("index.js") || has("index.cjs") || has("index.mjs") {
        Some("node")
    } else if has("__main__.py") {
        Some("python3")
    } else {
        None
    }
}

/// The first executable file called `name` in the directories of `path_var`.
pub fn find_on_path(name: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let path_var = path_var?;
    std::env::split_paths(path_var)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// Whether `path` is a regular file with an execute bit.
pub fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Makes a path absolute and removes `.` and `..` components lexically, without resolving
/// symlinks (the user's layout stays as they wrote it).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for comp in path.components() {
        match comp {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_line_runs_through_the_shell_with_the_users_args_as_its_own() {
        let path = std::env::var_os("PATH");
        let cwd = Path::new("/tmp");
        let got = resolve_script("python3 -m http.server 8000", None, cwd, path.as_deref())
            .expect("resolves");
        let shell = got
            .script
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        assert!(shell == "bash" || shell == "sh", "{got:?}");
        assert_eq!(got.interpreter, None);
        assert_eq!(got.args(vec![]), ["-c", "python3 -m http.server 8000"]);
        assert_eq!(
            got.args(vec!["--x".into(), "a b".into()]),
            [
                "-c",
                "python3 -m http.server 8000 \"$@\"",
                shell.as_str(),
                "--x",
                "a b"
            ]
        );
        // A file whose name has a space is still a file.
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("my app.sh");
        std::fs::write(&file, "echo hi\n").expect("write");
        assert!(!is_command_line("my app.sh", dir.path()));
        assert!(is_command_line(" npm run start ", dir.path()));
        assert!(!is_command_line("server.js", dir.path()));
    }

    #[test]
    fn a_folder_runs_with_the_interpreter_that_runs_folders() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).expect("bin");
        for name in ["node", "python3"] {
            let path = bin.join(name);
            std::fs::write(&path, "#!/bin/sh\n").expect("write");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let path_var = Some(bin.as_os_str());
        let rows = [
            ("dist", "index.js", Some("node")),
            ("pkg", "package.json", Some("node")),
            ("tool", "__main__.py", Some("python3")),
            ("empty", "README", None),
        ];
        for (folder, file, want) in rows {
            let sub = dir.path().join(folder);
            std::fs::create_dir(&sub).expect("mkdir");
            std::fs::write(sub.join(file), "").expect("write");
            let got = resolve_script(&format!("{folder}/"), None, dir.path(), path_var);
            match want {
                Some(interpreter) => {
                    let got = got.expect("resolves");
                    assert_eq!(got.script, sub, "{folder}");
                    assert_eq!(got.interpreter, Some(bin.join(interpreter)), "{folder}");
                }
                None => assert_eq!(got, Err(ScriptError::IsDirectory { path: sub })),
            }
        }
    }

    #[test]
    fn extensions_map_to_pm2_interpreters() {
        let rows = [
            ("js", Some("node")),
            ("mjs", Some("node")),
            ("cjs", Some("node")),
            ("py", Some("python3")),
            ("sh", Some("bash")),
            ("rb", Some("ruby")),
            ("php", Some("php")),
            ("pl", Some("perl")),
            ("txt", None),
            ("", None),
        ];
        for (ext, want) in rows {
            assert_eq!(interpreter_for_extension(ext), want, "extension {ext:?}");
        }
    }

    #[test]
    fn normalize_removes_dots() {
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }

    #[test]
    fn missing_script_is_reported_with_where_we_looked() {
        let err = resolve_script("nope-not-here.py", None, Path::new("/tmp"), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "script `nope-not-here.py` not found (looked in /tmp and on PATH)"
        );
    }

    #[test]
    fn binaries_on_path_run_directly() {
        let path = std::env::var_os("PATH");
        let got = resolve_script("sh", None, Path::new("/nonexistent-dir"), path.as_deref())
            .expect("sh is on PATH");
        assert!(got.script.ends_with("sh"));
        assert_eq!(got.interpreter, None);
    }
}
