//! The SysV init script (`/etc/init.d/<name>`), with LSB headers for `update-rc.d` and
//! a `chkconfig:` line for Red Hat's tools.

use super::boot::Boot;
use super::shell::{environment, functions, Su};

pub fn render(boot: &Boot) -> String {
    format!(
        r#"#!/bin/sh
### BEGIN INIT INFO
# Provides:          {name}
# Required-Start:    $local_fs $remote_fs $network
# Required-Stop:     $local_fs $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: rpm process manager
# Description:       Starts the rpm daemon and the apps saved by `rpm save`.
### END INIT INFO
# chkconfig: 2345 90 10
# description: rpm process manager
# Written by `rpm startup systemv`.

{env}
{functions}
case "$1" in
	start)
		echo "Starting rpm for $rpm_user"
		rpm_start
		;;
	stop)
		echo "Stopping rpm for $rpm_user"
		rpm_stop
		;;
	restart|force-reload)
		rpm_stop
		rpm_start
		;;
	status)
		if rpm_running; then
			echo "rpm for $rpm_user is running (pid $pid)"
		else
			echo "rpm for $rpm_user is not running"
			exit 3
		fi
		;;
	*)
		echo "Usage: $0 {{start|stop|restart|force-reload|status}}" >&2
		exit 2
		;;
esac
"#,
        name = boot.service_name,
        env = environment(boot, ""),
        functions = functions(Su::Linux),
    )
}
