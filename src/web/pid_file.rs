//! `RPM_HOME/web.pid`: the serving process's pid and the URL it serves, written once it
//! is bound (atomically, mode 0600), read by `rpm web` and `rpm web --stop`.
//!
//! A pid alone is not trusted: `running` also checks that the process is an
//! `rpm web --serve`, so a stale file whose pid was reused never gets a signal.

use std::io;
use std::path::Path;

/// What `web.pid` holds: `<pid>\n<url>\n`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebPid {
    pub pid: u32,
    pub url: String,
}

/// Parses the file's text.
pub fn parse(text: &str) -> Option<WebPid> {
    let mut lines = text.lines();
    let pid = lines.next()?.trim().parse().ok()?;
    let url = lines.next()?.trim().to_string();
    url.starts_with("http://").then_some(WebPid { pid, url })
}

pub fn write(path: &Path, web: &WebPid) -> io::Result<()> {
    let text = format!("{}\n{}\n", web.pid, web.url);
    crate::atomic_write::write_atomic(path, text.as_bytes(), 0o600)
}

/// The server the file names, if that process is alive and is an `rpm web --serve`.
pub fn running(path: &Path) -> Option<WebPid> {
    let web = parse(&std::fs::read_to_string(path).ok()?)?;
    is_web_server(web.pid).then_some(web)
}

/// Whether `pid` runs `rpm web --serve` (from its command line).
pub fn is_web_server(pid: u32) -> bool {
    let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
        return false;
    };
    let args: Vec<&[u8]> = raw.split(|&b| b == 0).collect();
    let alive = crate::proctree::stat(pid as i32).is_some_and(|s| s.state != 'Z' && s.state != 'X');
    alive
        && args
            .windows(2)
            .any(|w| w[0] == b"web" && w[1] == b"--serve")
}

/// Removes the file if it still names this process (a newer server may have replaced it).
pub fn remove_if_ours(path: &Path) {
    let ours = std::fs::read_to_string(path)
        .ok()
        .and_then(|t| parse(&t))
        .is_some_and(|w| w.pid == std::process::id());
    if ours {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_and_damaged_ones_name_nothing() {
        let rows = [
            (
                "12\nhttp://127.0.0.1:9615\n",
                Some((12, "http://127.0.0.1:9615")),
            ),
            ("12\n", None),
            ("x\nhttp://a:1\n", None),
            ("12\nftp://a\n", None),
            ("", None),
        ];
        for (text, want) in rows {
            let got = parse(text);
            assert_eq!(
                got.as_ref().map(|w| (w.pid, w.url.as_str())),
                want,
                "{text:?}"
            );
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("web.pid");
        let me = WebPid {
            pid: std::process::id(),
            url: "http://127.0.0.1:1".into(),
        };
        write(&path, &me).expect("written");
        // This test process is no `rpm web --serve`: the file names no running server.
        assert_eq!(running(&path), None);
        remove_if_ours(&path);
        assert!(!path.exists());
    }
}
