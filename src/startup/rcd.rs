//! FreeBSD's rc.d script (`/usr/local/etc/rc.d/<name>`, enabled by `<name>_enable=YES`
//! in rc.conf), and the rc.conf edit `sysrc` would make, for `--root`.

use super::boot::Boot;
use super::shell::{environment, functions, Su};

pub fn render(boot: &Boot) -> String {
    format!(
        r#"#!/bin/sh
#
# PROVIDE: {name}
# REQUIRE: LOGIN
# KEYWORD: shutdown
#
# rpm process manager, written by `rpm startup rcd`. Enable with {name}_enable="YES".

. /etc/rc.subr

name="{name}"
rcvar="{name}_enable"
start_cmd="rpm_start"
stop_cmd="rpm_stop"
status_cmd="rpm_status"

{env}
{functions}
rpm_status() {{
	if rpm_running; then
		echo "rpm for $rpm_user is running as pid $pid."
	else
		echo "rpm for $rpm_user is not running."
		return 1
	fi
}}

load_rc_config $name
: ${{{name}_enable:="NO"}}
run_rc_command "$1"
"#,
        name = boot.service_name,
        env = environment(boot, ""),
        functions = functions(Su::FreeBsd),
    )
}

/// `text` (an rc.conf) with `name` set to `value`, or removed with `None`, as
/// `sysrc name=value` and `sysrc -x name` leave it.
pub fn set_rc_var(text: &str, name: &str, value: Option<&str>) -> String {
    let mut out: String = text
        .lines()
        .filter(|line| {
            let line = line.trim_start();
            !line
                .strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('='))
        })
        .map(|line| format!("{line}\n"))
        .collect();
    if let Some(value) = value {
        out.push_str(&format!("{name}=\"{value}\"\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::set_rc_var;

    #[test]
    fn rc_conf_edits() {
        let rows = [
            ("", Some("YES"), "rpm_a_enable=\"YES\"\n"),
            (
                "sshd_enable=\"YES\"\nrpm_a_enable=\"NO\"\n",
                Some("YES"),
                "sshd_enable=\"YES\"\nrpm_a_enable=\"YES\"\n",
            ),
            (
                "sshd_enable=\"YES\"\nrpm_a_enable=\"YES\"\nrpm_a_enabled=1\n",
                None,
                "sshd_enable=\"YES\"\nrpm_a_enabled=1\n",
            ),
            ("# comment", None, "# comment\n"),
        ];
        for (text, value, want) in rows {
            assert_eq!(set_rc_var(text, "rpm_a_enable", value), want, "{text:?}");
        }
    }
}
