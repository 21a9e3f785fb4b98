//! `rpm monit` in a real terminal: tmux (a private server on its own socket, 80x24) runs
//! it against a test home; the test reads the screen with capture-pane, presses keys with
//! send-keys, and checks the daemon with `rpm jlist`. After `q` (or SIGTERM) the pane must
//! be back on the normal screen with the terminal in its usual mode (`stty` prints
//! `icanon` and `echo`, not `-icanon` / `-echo`).

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::harness::{rpm_bin, wait_until, RpmHome};

/// The first screen of a debug build on a loaded machine can take a while.
const SCREEN_DEADLINE: Duration = Duration::from_secs(20);

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

/// A tmux server of this test's own, with one 80x24 session running `rpm monit`, then a
/// report of how it exited and of the terminal's mode. Dropping it kills that server
/// (its socket's name is this test's own), and with it the session and `rpm monit`.
struct Tmux {
    socket: String,
    /// The server's socket file, removed after the server is killed.
    socket_path: Option<std::path::PathBuf>,
}

impl Tmux {
    fn start(home: &RpmHome) -> Tmux {
        let socket = format!(
            "rpm-monit-test-{}-{}",
            std::process::id(),
            SESSIONS.fetch_add(1, Ordering::SeqCst)
        );
        let mut tmux = Tmux {
            socket,
            socket_path: None,
        };
        let script = "\"$0\" monit; echo \"monit exited $?\"; \
                      stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo; \
                      exec cat";
        let home_path = home.path().to_str().expect("a UTF-8 temp path");
        let bin = rpm_bin();
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "monit",
            "-x",
            "80",
            "-y",
            "24",
            "env",
            &format!("RPM_HOME={home_path}"),
            &format!("HOME={home_path}"),
            "NO_COLOR=1",
            "sh",
            "-c",
            script,
            bin.to_str().expect("a UTF-8 binary path"),
        ]);
        let path = tmux.run(&["display-message", "-p", "#{socket_path}"]);
        tmux.socket_path = Some(path.trim().into());
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("run tmux (is it installed?)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "monit"])
    }

    fn press(&self, key: &str) {
        self.run(&["send-keys", "-t", "monit", key]);
    }

    fn wait_screen(&self, what: &str, shows: impl Fn(&str) -> bool) -> String {
        wait_until(SCREEN_DEADLINE, what, || {
            let screen = self.screen();
            if shows(&screen) {
                Ok(screen)
            } else {
                Err(format!("\n{screen}"))
            }
        })
    }

    /// `rpm monit`'s pid: the child of the pane's shell.
    fn monit_pid(&self) -> i32 {
        let shell = self.run(&["display-message", "-p", "-t", "monit", "#{pane_pid}"]);
        let shell = shell.trim();
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .expect("the pane's shell has a children list");
        children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the pane's shell {shell} has no child: {children:?}"))
    }

    /// After `rpm monit` ended: its exit status shown, the alternate screen left, the
    /// terminal in canonical mode with echo.
    fn wait_restored(&self) {
        let screen = self.wait_screen("the shell's report after monit", |s| {
            s.contains("monit exited") && s.lines().any(|l| matches!(l.trim(), "echo" | "-echo"))
        });
        assert!(screen.contains("monit exited 0"), "{screen}");
        let lines: Vec<&str> = screen.lines().map(str::trim).collect();
        assert!(
            lines.contains(&"icanon") && lines.contains(&"echo"),
            "{screen}"
        );
        assert!(
            !screen.contains("rpm monit ·"),
            "the dashboard is gone: {screen}"
        );
        let alternate = self.run(&["display-message", "-p", "-t", "monit", "#{alternate_on}"]);
        assert_eq!(alternate.trim(), "0", "the alternate screen was left");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
        if let Some(path) = &self.socket_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn start_sleepers(home: &RpmHome) {
    for name in ["alpha", "beta"] {
        home.ok(&["start", "/bin/sleep", "--name", name, "--", "1000"]);
    }
}

#[test]
fn monit_shows_the_apps_restarts_one_on_r_and_gives_the_terminal_back_on_q() {
    let home = RpmHome::new();
    start_sleepers(&home);
    let before = home.app("alpha");
    let tmux = Tmux::start(&home);
    let screen = tmux.wait_screen("both apps online on the dashboard", |s| {
        s.contains("alpha") && s.contains("beta") && s.matches("online").count() >= 2
    });
    assert!(
        screen.contains(">0"),
        "alpha (id 0) is selected first:\n{screen}"
    );
    assert!(screen.lines().count() <= 24, "{screen}");
    tmux.press("r");
    let after = home.wait_app("alpha", "restarted by monit's r key", |p| {
        p["restarts"] == 1 && p["pid"] != before["pid"] && p["status"] == "online"
    });
    assert_eq!(
        home.app("beta")["restarts"],
        0,
        "only the selected app restarts"
    );
    let pid = after["pid"].to_string();
    tmux.wait_screen("the restart and alpha's new pid on screen", |s| {
        s.contains("restarted alpha (id 0)") && s.contains(&pid)
    });
    tmux.press("q");
    tmux.wait_restored();
}

#[test]
fn monit_deletes_only_after_y_and_a_sigterm_gives_the_terminal_back() {
    let home = RpmHome::new();
    start_sleepers(&home);
    let tmux = Tmux::start(&home);
    tmux.wait_screen("both apps on the dashboard", |s| {
        s.contains("alpha") && s.contains("beta")
    });
    // Down to beta, ask to delete it, refuse, then accept.
    tmux.press("j");
    tmux.wait_screen("beta selected", |s| s.contains(">1"));
    tmux.press("d");
    tmux.wait_screen("the confirmation", |s| {
        s.contains("delete beta (id 1)? y: yes")
    });
    tmux.press("n");
    tmux.wait_screen("the refusal", |s| {
        s.contains("delete of beta (id 1) cancelled")
    });
    assert_eq!(home.jlist().len(), 2, "nothing deleted on n");
    tmux.press("d");
    tmux.wait_screen("the confirmation again", |s| {
        s.contains("delete beta (id 1)?")
    });
    tmux.press("y");
    wait_until(SCREEN_DEADLINE, "beta deleted", || {
        let names: Vec<String> = home
            .jlist()
            .iter()
            .map(|p| p["name"].as_str().unwrap_or_default().to_string())
            .collect();
        if names == ["alpha"] {
            Ok(())
        } else {
            Err(format!("{names:?}"))
        }
    });
    tmux.wait_screen("beta gone from the dashboard", |s| {
        s.contains("1 of 1") && !s.contains("beta  ")
    });
    let monit = tmux.monit_pid();
    // SAFETY: kill(2) on the rpm monit this test started in its own tmux server.
    assert_eq!(unsafe { libc::kill(monit, libc::SIGTERM) }, 0);
    tmux.wait_restored();
}

#[test]
fn monit_refuses_to_run_without_a_terminal() {
    let home = RpmHome::new();
    let stderr = home.fails(&["monit"], 2);
    assert_eq!(
        stderr,
        "error: `rpm monit` needs a terminal: its output is redirected; use `rpm list` or `rpm jlist` in scripts\n"
    );
}
