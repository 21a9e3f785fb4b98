//! The OpenRC service script (`/etc/init.d/<name>`, run by openrc-run).

use super::boot::Boot;
use super::shell::{environment, functions, Su};

pub fn render(boot: &Boot) -> String {
    format!(
        r#"#!/sbin/openrc-run
# {name}: rpm process manager, written by `rpm startup openrc`.

description="rpm process manager"

{env}
{functions}
depend() {{
	need net localmount
	after bootmisc
}}

start() {{
	ebegin "Starting rpm for $rpm_user"
	rpm_start
	eend $?
}}

stop() {{
	ebegin "Stopping rpm for $rpm_user"
	rpm_stop
	eend $?
}}
"#,
        name = boot.service_name,
        env = environment(boot, ""),
        functions = functions(Su::Linux),
    )
}
