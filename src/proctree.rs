//! Reading `/proc`: a process's identity (start time), its descendants, its resource use.
//!
//! PIDs get reused, so a pid alone never identifies an app: the daemon records the start
//! time (clock ticks since boot, field 22 of `/proc/<pid>/stat`) with each pid and
//! compares both before adopting or signalling. Descendants are found through
//! `/proc/<pid>/task/<tid>/children`, which costs one small read per process instead of a
//! scan of every process on the machine.

use std::fs;
use std::path::PathBuf;

/// What `/proc/<pid>/stat` says about a process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub ppid: i32,
    pub pgid: i32,
    pub state: char,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time in clock ticks since boot.
    pub start_ticks: u64,
    /// Resident set size in pages.
    pub rss_pages: u64,
}

/// Parses `/proc/<pid>/stat`; `None` when the process is gone.
pub fn stat(pid: i32) -> Option<Stat> {
    use std::io::Read;
    // One open, one read, one close: `jlist` reads this for every instance.
    let mut buf = [0u8; 1024];
    let mut file = fs::File::open(format!("/proc/{pid}/stat")).ok()?;
    let n = file.read(&mut buf).ok()?;
    parse_stat(std::str::from_utf8(&buf[..n]).ok()?)
}

fn parse_stat(text: &str) -> Option<Stat> {
    // The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `fields[0]` is field 3 (state); field N is fields[N - 3].
    let get = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    Some(Stat {
        state: fields.first()?.chars().next()?,
        ppid: get(4)? as i32,
        pgid: get(5)? as i32,
        cpu_ticks: get(14)? + get(15)?,
        start_ticks: get(22)?,
        rss_pages: get(24)?,
    })
}

/// Whether `pid` is alive (not a zombie) and started at `start_ticks`.
pub fn is_same_process(pid: i32, start_ticks: u64) -> bool {
    match stat(pid) {
        Some(s) => s.start_ticks == start_ticks && s.state != 'Z' && s.state != 'X',
        None => false,
    }
}

/// The direct children of `pid` (all its threads' children).
pub fn children(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(tasks) = fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        let mut path: PathBuf = task.path();
        path.push("children");
        if let Ok(text) = fs::read_to_string(&path) {
            out.extend(
                text.split_whitespace()
                    .filter_map(|p| p.parse::<i32>().ok()),
            );
        }
    }
    out
}

/// Every descendant of `pid`, depth first, not including `pid`.
pub fn descendants(pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut stack = children(pid);
    while let Some(p) = stack.pop() {
        if out.contains(&p) {
            continue;
        }
        out.push(p);
        stack.extend(children(p));
    }
    out
}

/// The value of `name` in the initial environment of `pid`, if readable.
pub fn environ_var(pid: i32, name: &str) -> Option<String> {
    let data = fs::read(format!("/proc/{pid}/environ")).ok()?;
    let prefix = format!("{name}=");
    data.split(|b| *b == 0)
        .find(|entry| entry.starts_with(prefix.as_bytes()))
        .map(|entry| String::from_utf8_lossy(&entry[prefix.len()..]).into_owned())
}

/// Main processes (process-group leaders) that a daemon of `rpm_home` started, by
/// instance id: their environment carries `RPM_HOME=<rpm_home>` and `RPM_ID=<id>`.
pub fn instance_leaders(rpm_home: &str) -> std::collections::HashMap<u32, Vec<i32>> {
    let mut found: std::collections::HashMap<u32, Vec<i32>> = std::collections::HashMap::new();
    let Ok(dir) = fs::read_dir("/proc") else {
        return found;
    };
    let me = nix::unistd::geteuid().as_raw();
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        if uid(pid) != Some(me) {
            continue;
        }
        let Some(st) = stat(pid) else { continue };
        if st.pgid != pid || st.state == 'Z' {
            continue;
        }
        if environ_var(pid, "RPM_HOME").as_deref() != Some(rpm_home) {
            continue;
        }
        if let Some(id) = environ_var(pid, "RPM_ID").and_then(|v| v.parse::<u32>().ok()) {
            found.entry(id).or_default().push(pid);
        }
    }
    found
}

/// Unix time in ms when a process started, from its start ticks.
pub fn started_unix_ms(start_ticks: u64, now_unix_ms: u64) -> u64 {
    let Some(up) = uptime_seconds() else {
        return now_unix_ms;
    };
    let age_ms = (up - start_ticks as f64 / ticks_per_second() as f64).max(0.0) * 1000.0;
    now_unix_ms.saturating_sub(age_ms as u64)
}

/// The owner uid of a process.
pub fn uid(pid: i32) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(format!("/proc/{pid}")).ok().map(|m| m.uid())
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`).
pub fn ticks_per_second() -> u64 {
    static TICKS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        if ticks > 0 {
            ticks as u64
        } else {
            100
        }
    })
}

/// Bytes per memory page.
pub fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if size > 0 {
        size as u64
    } else {
        4096
    }
}

/// Seconds since boot, from `/proc/uptime`.
pub fn uptime_seconds() -> Option<f64> {
    let text = fs::read_to_string("/proc/uptime").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_and_parens_in_the_name() {
        let line = "1234 (my (odd) app) S 1 1234 1234 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 5555 1000000 250 18446744073709551615";
        let s = parse_stat(line).expect("parses");
        assert_eq!(
            s,
            Stat {
                ppid: 1,
                pgid: 1234,
                state: 'S',
                cpu_ticks: 10,
                start_ticks: 5555,
                rss_pages: 250
            }
        );
    }

    #[test]
    fn reads_our_own_process() {
        let me = std::process::id() as i32;
        let s = stat(me).expect("own stat");
        assert!(is_same_process(me, s.start_ticks));
        assert!(!is_same_process(me, s.start_ticks + 1));
        assert_eq!(uid(me), Some(nix::unistd::geteuid().as_raw()));
    }
}
