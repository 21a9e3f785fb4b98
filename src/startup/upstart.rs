//! The upstart job (`/etc/init/<name>.conf`): no main process; rpm is started in
//! `pre-start` and stopped in `post-stop`, as the user (`setuid`/`setgid`).

use super::boot::Boot;
use super::shell::environment;

pub fn render(boot: &Boot) -> String {
    let identity = if boot.as_root() {
        String::new()
    } else {
        // Both names are checked (`names::check_user_name`): one plain word each.
        format!("setuid {}\nsetgid {}\n", boot.user.name, boot.user.group)
    };
    let env = environment(boot, "\t");
    format!(
        r#"# {name}: rpm process manager, written by `rpm startup upstart`.
description "rpm process manager"

start on runlevel [2345]
stop on runlevel [016]

{identity}
pre-start script
{env}	"$RPM_BIN" ping
	if [ -f "$RPM_HOME/dump.json" ]; then
		"$RPM_BIN" resurrect
	fi
end script

post-stop script
{env}	"$RPM_BIN" kill
end script
"#,
        name = boot.service_name,
    )
}
