//! Default log file paths under `RPM_HOME/logs`, named as PM2 names them.
//!
//! Used by the CLI when it resolves an app without `out_file`/`error_file`, and by the
//! daemon when it opens an instance's files. Pure: touches no file system.

use std::path::{Path, PathBuf};

/// `(<name>-out.log, <name>-error.log)` in `logs_dir`, or `<name>-out-<id>.log` /
/// `<name>-error-<id>.log` when the app runs several instances without `merge_logs`.
pub fn default_log_paths(
    logs_dir: &Path,
    name: &str,
    id: u32,
    multi_instance: bool,
    merge: bool,
) -> (PathBuf, PathBuf) {
    // A name is one path component: a `/` in it must not escape the logs directory.
    // PM2 writes `backend/api`'s output to `backend-api-out.log`.
    let safe: String = name
        .chars()
        .map(|c| if c == '/' || c == '\0' { '-' } else { c })
        .collect();
    if multi_instance && !merge {
        (
            logs_dir.join(format!("{safe}-out-{id}.log")),
            logs_dir.join(format!("{safe}-error-{id}.log")),
        )
    } else {
        (
            logs_dir.join(format!("{safe}-out.log")),
            logs_dir.join(format!("{safe}-error.log")),
        )
    }
}

/// An explicit log path of one of several instances, as PM2 names it: `-<id>` before
/// the extension (`logs/out.log` → `logs/out-3.log`). Device files such as `/dev/null`
/// are shared as they are.
pub fn per_instance(path: &Path, id: u32) -> PathBuf {
    if path.starts_with("/dev") {
        return path.to_path_buf();
    }
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let name = match (stem, path.extension()) {
        (Some(stem), Some(ext)) => format!("{stem}-{id}.{}", ext.to_string_lossy()),
        (Some(stem), None) => format!("{stem}-{id}"),
        (None, _) => return path.to_path_buf(),
    };
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_paths_of_several_instances_follow_pm2() {
        let rows = [
            ("/srv/app/logs/out.log", 3, "/srv/app/logs/out-3.log"),
            ("/srv/app/out", 0, "/srv/app/out-0"),
            ("/srv/app/app.out.log", 1, "/srv/app/app.out-1.log"),
            ("/dev/null", 2, "/dev/null"),
            ("/dev/stdout", 2, "/dev/stdout"),
        ];
        for (path, id, want) in rows {
            assert_eq!(per_instance(Path::new(path), id), Path::new(want), "{path}");
        }
    }

    #[test]
    fn pm2_naming_table() {
        let dir = Path::new("/home/u/.rpm/logs");
        let rows: &[(&str, u32, bool, bool, &str, &str)] = &[
            ("api", 0, false, false, "api-out.log", "api-error.log"),
            ("api", 3, true, false, "api-out-3.log", "api-error-3.log"),
            ("api", 3, true, true, "api-out.log", "api-error.log"),
            ("api", 3, false, true, "api-out.log", "api-error.log"),
            ("a/b", 0, false, false, "a-b-out.log", "a-b-error.log"),
            (
                "backend/api",
                0,
                false,
                false,
                "backend-api-out.log",
                "backend-api-error.log",
            ),
            ("..", 1, true, false, "..-out-1.log", "..-error-1.log"),
        ];
        for (name, id, multi, merge, out, err) in rows {
            let got = default_log_paths(dir, name, *id, *multi, *merge);
            assert_eq!(
                got,
                (dir.join(out), dir.join(err)),
                "{name} {id} {multi} {merge}"
            );
        }
    }
}
