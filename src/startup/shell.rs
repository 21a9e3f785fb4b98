//! The part every sh boot script shares (OpenRC, SysV, rc.d, upstart's script blocks):
//! the environment rpm runs with, and how it runs `rpm <verb>` as the service's user.
//!
//! Each value is one single-quoted word, exported; the command `su` runs is a constant
//! (`exec "$RPM_BIN" <verb>`, read from the environment `su -m` keeps), so no value is
//! ever parsed by a second shell, which may be csh on FreeBSD.

use super::boot::Boot;
use super::quote::sh;

/// `RPM_BIN=… RPM_HOME=… HOME=… PATH=…`, exported, and `rpm_user`; each line prefixed
/// by `indent`.
pub fn environment(boot: &Boot, indent: &str) -> String {
    let lines = [
        format!("RPM_BIN={}", sh(&boot.rpm_bin)),
        format!("RPM_HOME={}", sh(&boot.rpm_home)),
        format!("HOME={}", sh(&boot.user_home)),
        format!("PATH={}", sh(&boot.path)),
        "export RPM_BIN RPM_HOME HOME PATH".to_string(),
        format!("rpm_user={}", sh(&boot.user.name)),
    ];
    lines
        .iter()
        .map(|l| format!("{indent}{l}\n"))
        .collect::<String>()
}

/// How `su` is asked for a shell: util-linux and busybox take `-s`; FreeBSD's `-s` is a
/// MAC label, and `su -m` runs the caller's own shell there.
#[derive(Clone, Copy)]
pub enum Su {
    Linux,
    FreeBsd,
}

/// `rpm_as_user VERB` and the start, stop and status functions built on it.
pub fn functions(su: Su) -> String {
    let su_line = match su {
        Su::Linux => r#"su -m -s /bin/sh "$rpm_user" -c "exec \"\$RPM_BIN\" $1""#,
        Su::FreeBsd => r#"su -m "$rpm_user" -c "exec \"\$RPM_BIN\" $1""#,
    };
    format!(
        r#"# Runs `rpm VERB` as the service's user with the environment above (su -m keeps
# it); VERB is always a word written in this file.
rpm_as_user() {{
	{su_line}
}}

# The CLI starts the daemon on demand; then the saved apps come back.
rpm_start() {{
	rpm_as_user ping || return 1
	if [ -f "$RPM_HOME/dump.json" ]; then
		rpm_as_user resurrect || return 1
	fi
}}

# Every app stops gracefully (kill_signal, then kill_timeout), then the daemon.
rpm_stop() {{
	rpm_as_user kill
}}

rpm_running() {{
	pid=$(cat "$RPM_HOME/daemon.pid" 2>/dev/null) && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}}
"#
    )
}
