//! Interpreters behind wrapper scripts (pyenv's shims, nvm, asdf, rbenv): the program
//! that really runs, for apps whose process must be the one the daemon started.
//!
//! A wrapper may fork the real interpreter instead of exec'ing it, and then the
//! socket-activation protocol breaks: `LISTEN_PID` names the wrapper, not the process
//! that reads it. For apps that share a socket, the CLI asks such a wrapper which program
//! it runs (`sys.executable`, `process.execPath`, `RbConfig.ruby`) and starts that
//! instead, with the caller's environment.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The real program behind `interpreter` when it is a script (starts with `#!`) of a
/// language that can say; `None` when it is a program already, or cannot say.
pub fn real_interpreter(interpreter: &Path) -> Option<PathBuf> {
    let head = std::fs::read(interpreter).ok()?;
    if !head.starts_with(b"#!") {
        return None;
    }
    let name = interpreter.file_name()?.to_str()?;
    let args: &[&str] = if name.starts_with("python") {
        &["-c", "import sys; print(sys.executable)"]
    } else if name.starts_with("node") {
        &["-e", "console.log(process.execPath)"]
    } else if name.starts_with("ruby") {
        &["-e", "puts RbConfig.ruby"]
    } else {
        return None;
    };
    let out = Command::new(interpreter)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let real = PathBuf::from(text.trim());
    (out.status.success() && real.is_absolute() && real.is_file() && real != interpreter)
        .then_some(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_wrapper_script_is_asked_and_a_program_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        // A wrapper that forks python3 rather than exec'ing it, as pyenv's shims do.
        let wrapper = dir.path().join("python3");
        std::fs::write(&wrapper, "#!/bin/sh\npython3 \"$@\"\n").expect("write wrapper");
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let real = real_interpreter(&wrapper).expect("the wrapper says what it runs");
        assert!(real.is_absolute() && real != wrapper, "{}", real.display());
        assert_eq!(real_interpreter(&real), None, "a program is left as it is");
        assert_eq!(real_interpreter(Path::new("/bin/sh")), None);
        let other = dir.path().join("perl");
        std::fs::write(&other, "#!/bin/sh\nexec perl \"$@\"\n").expect("write");
        assert_eq!(real_interpreter(&other), None, "languages it cannot ask");
    }
}
