//! Carries out a plan from `plan_install`/`plan_uninstall`: writes files with their
//! modes, makes links, edits rc.conf, runs the live init system's commands. Under
//! `--root DIR` every path is taken inside DIR (and the plan holds no command).

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::{rcd, StartupError, Step};

/// `path` as seen from `root`.
pub fn under(root: Option<&Path>, path: &Path) -> PathBuf {
    match root {
        Some(root) => root.join(path.strip_prefix("/").unwrap_or(path)),
        None => path.to_path_buf(),
    }
}

/// Does each step in order, saying what it did on `out`; stops at the first failure.
pub fn apply(steps: &[Step], root: Option<&Path>, out: &mut dyn Write) -> Result<(), StartupError> {
    for step in steps {
        apply_one(step, root, out)?;
    }
    Ok(())
}

fn io_error<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> StartupError + 'a {
    move |source| StartupError::Io {
        what,
        path: path.to_path_buf(),
        source,
    }
}

fn say(out: &mut dyn Write, line: String) {
    // What was done is also visible on disk; a closed stdout must not stop the steps.
    let _ = writeln!(out, "{line}");
}

fn make_parent(path: &Path) -> Result<(), StartupError> {
    if let Some(dir) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)
            .map_err(io_error("create the folder", dir))?;
    }
    Ok(())
}

fn apply_one(step: &Step, root: Option<&Path>, out: &mut dyn Write) -> Result<(), StartupError> {
    match step {
        Step::Write {
            path,
            contents,
            mode,
            owner,
        } => {
            let real = under(root, path);
            make_parent(&real)?;
            crate::atomic_write::write_atomic(&real, contents.as_bytes(), *mode)
                .map_err(io_error("write", &real))?;
            // The umask may have narrowed the mode the file was created with.
            fs::set_permissions(&real, fs::Permissions::from_mode(*mode))
                .map_err(io_error("set the mode of", &real))?;
            if let Some((uid, gid)) = owner {
                if nix::unistd::geteuid().is_root() {
                    nix::unistd::chown(
                        &real,
                        Some(nix::unistd::Uid::from_raw(*uid)),
                        Some(nix::unistd::Gid::from_raw(*gid)),
                    )
                    .map_err(|e| StartupError::Io {
                        what: "give the file to its user:",
                        path: real.clone(),
                        source: e.into(),
                    })?;
                }
            }
            say(out, format!("wrote {} (mode {mode:o})", real.display()));
        }
        Step::Link { path, target } => {
            let real = under(root, path);
            make_parent(&real)?;
            if real.symlink_metadata().is_ok() {
                fs::remove_file(&real).map_err(io_error("replace", &real))?;
            }
            std::os::unix::fs::symlink(target, &real).map_err(io_error("link", &real))?;
            say(
                out,
                format!("linked {} -> {}", real.display(), target.display()),
            );
        }
        Step::Remove { path } => {
            let real = under(root, path);
            match fs::remove_file(&real) {
                Ok(()) => say(out, format!("removed {}", real.display())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &real)(e)),
            }
        }
        Step::RcVar { file, name, value } => {
            let real = under(root, file);
            let text = match fs::read_to_string(&real) {
                Ok(text) => text,
                Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(io_error("read", &real)(e)),
            };
            make_parent(&real)?;
            let edited = rcd::set_rc_var(&text, name, value.as_deref());
            crate::atomic_write::write_atomic(&real, edited.as_bytes(), 0o644)
                .map_err(io_error("write", &real))?;
            match value {
                Some(v) => say(out, format!("set {name}=\"{v}\" in {}", real.display())),
                None => say(out, format!("removed {name} from {}", real.display())),
            }
        }
        Step::Run { argv } => {
            let command = argv.join(" ");
            let (program, args) =
                argv.split_first()
                    .ok_or_else(|| StartupError::CommandFailed {
                        command: command.clone(),
                        status: "empty command".to_string(),
                    })?;
            say(out, format!("running {command}"));
            let status = Command::new(program).args(args).status().map_err(|e| {
                StartupError::CommandFailed {
                    command: command.clone(),
                    status: e.to_string(),
                }
            })?;
            if !status.success() {
                return Err(StartupError::CommandFailed {
                    command,
                    status: status.to_string(),
                });
            }
        }
        Step::Note(text) => say(out, text.clone()),
    }
    Ok(())
}
