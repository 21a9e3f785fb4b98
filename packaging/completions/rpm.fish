# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_rpm_global_optspecs
    string join \n s/silent no-color h/help V/version
end

function __fish_rpm_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_rpm_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_rpm_using_subcommand
    set -l cmd (__fish_rpm_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c rpm -n "__fish_rpm_needs_command" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_needs_command" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_needs_command" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_needs_command" -s V -l version -d 'Print version'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "start" -d 'Start a script, the apps of an ecosystem file, or stopped apps by id/name/namespace'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "startOrRestart" -d 'PM2\'s `startOrRestart`: start a file\'s apps, restarting those already running'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "startOrReload" -d 'PM2\'s `startOrReload`: start a file\'s apps, reloading those already running'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "apply" -d 'Make what runs match an ecosystem file: start new apps, restart changed ones'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "run" -d 'Run a file\'s apps in the foreground, for containers and init systems (PM2\'s pm2-runtime): their output on stdout/stderr, SIGTERM/SIGINT stop them all'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "validate" -d 'Check an ecosystem file and print its apps as rpm resolves them (a `cwd` or `env_file` missing on this machine is a warning here, an error for `start`)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "export" -d 'Render a file\'s apps for systemd, Kubernetes, Nomad or compose (no daemon needed)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "convert" -d 'Turn a supervisord .conf, a Procfile or a process-compose YAML into an rpm ecosystem file'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "init" -d 'Write a commented sample ecosystem file (JSON unless --yaml or --toml)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "stop" -d 'Stop apps (id, name, namespace, `all`, or an ecosystem file)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "restart" -d 'Restart apps (an ecosystem file: with its settings, `--env` choosing the profile)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "reload" -d 'Reload apps with zero downtime: instances sharing a socket are replaced one at a time once the new process is ready; others are restarted. A file: start its missing apps, reload the rest with its settings'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "scale" -d 'Change an app\'s number of instances: N, +N or -N'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "delete" -d 'Stop and forget apps'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "list" -d 'Show the process table'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "ls" -d 'Show the process table'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "status" -d 'Show the process table'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "l" -d 'Show the process table'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "ps" -d 'Show the process table'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "jlist" -d 'Print the process list as JSON'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "prettylist" -d 'Print the process list as indented JSON'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "describe" -d 'Show every detail of an app'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "show" -d 'Show every detail of an app'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "info" -d 'Show every detail of an app'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "desc" -d 'Show every detail of an app'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "env" -d 'Show the environment an instance receives (an id, or an app\'s name)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "pid" -d 'Print the pids of an app\'s instances, or of every instance, one per line'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "id" -d 'Print the ids of an app\'s instances as a JSON array (as `pm2 id`)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "reset" -d 'Zero the restart counters'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "signal" -d 'Send a signal to apps'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "ping" -d 'Check that the daemon answers (starting it if needed)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "kill" -d 'Stop every app, then the daemon'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "update" -d 'Replace the running daemon with this binary; apps keep running'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "save" -d 'Save the process list to RPM_HOME/dump.json'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "logs" -d 'Print the last lines of apps\' logs, then follow new ones'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "events" -d 'Print the supervisor\'s notices as they happen (exits, restarts, status changes), one line each, until Ctrl-C'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "web" -d 'Serve the HTTP API, live events, Prometheus metrics and a dashboard (/ui) until `rpm web --stop` or `rpm kill`'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "monit" -d 'A terminal dashboard: apps with CPU and memory history, the selected app\'s logs, and keys to restart, reload, stop and delete'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "resurrect" -d 'Start the apps saved by `rpm save` that are not running'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "flush" -d 'Empty log files'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "reload-logs" -d 'Reopen log files (after an external logrotate)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "startup" -d 'Install the boot script that starts rpm and the saved apps at boot (`rpm save` first): as root, or print the sudo command to run. The init system is detected unless named'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "unstartup" -d 'Remove the boot script `rpm startup` installed (the running daemon is left alone)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "man-pages" -d 'Write the man pages, one for the command and one per subcommand, into a folder; they are named for the command as invoked'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "daemon" -d 'Run the supervisor daemon (the CLI starts it on demand)'
complete -c rpm -n "__fish_rpm_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c rpm -n "__fish_rpm_using_subcommand start" -s n -l name -d 'App name (default: the script\'s file name without extension)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l namespace -d 'Namespace' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l interpreter -d 'Interpreter (default: chosen from the extension; `none` runs the file directly)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l interpreter-args -d 'Arguments for the interpreter' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l cwd -d 'Working directory of the app' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand start" -s i -l instances -d 'Instances to run in cluster mode (unless -x): a number, `max` or 0 (one per core), -1 (one less). They share the `--port` socket (a Node app\'s own port too)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l port -d 'The port (or `host:port`, or a Unix socket path) whose listening socket the daemon holds and shares between instances (fd 3, LISTEN_FDS, PORT)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l listen-timeout -d 'How long to wait for readiness (ms or 5s; default 3000 ms)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l max-restarts -d 'Unstable restarts (exits before min_uptime) before the app is errored' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l min-uptime -d 'Time an app must stay up to count as started (ms or 5s, 1m)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l restart-delay -d 'Delay before restarting a crashed app (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l exp-backoff-restart-delay -d 'Exponential backoff restart delay, initial value (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l stop-exit-codes -d 'Exit codes that leave the app stopped (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l kill-timeout -d 'Time between the stop signal and SIGKILL (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l kill-signal -d 'Signal that asks the app to stop (default SIGINT)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l max-memory-restart -d 'Restart the app when its memory (with its children\'s) passes this size (300M, 1G, bytes)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -s w -l watch -d 'Restart the app when files change: its cwd, or these paths (relative to here)' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand start" -l ignore-watch -d 'Paths or glob patterns not watched (comma-separated or repeated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l watch-delay -d 'Quiet time after the last change before the restart (ms or 1s; default 100ms)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -s c -l cron -l cron-restart -d 'Restart the app on this cron schedule (5 fields, or 6 with seconds first), local time' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -s o -l output -d 'Stdout log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand start" -s e -l error -d 'Stderr log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand start" -s l -l log -d 'Combined log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand start" -l log-date-format -d 'Prefix log lines with a timestamp in this format' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l env -d 'Ecosystem file: overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l only -d 'Ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l node-args -d 'Arguments for node (PM2\'s `--node-args`; for apps run with node)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -l instance-var -d 'Name of the variable holding the instance number (default NODE_APP_INSTANCE)' -r
complete -c rpm -n "__fish_rpm_using_subcommand start" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand start" -s x -l execute-command -d 'Fork mode, even with -i'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l wait-ready -d 'Online only once the app says it is ready (sd_notify READY=1, process.send(\'ready\'))'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l no-autorestart -d 'Do not restart the app when it exits'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l no-watch -d 'Do not watch, whatever the ecosystem file says'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l merge-logs -d 'One log file for all instances'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l time -d 'Prefix log lines with a timestamp'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l strict -d 'Ecosystem file: unknown attributes are errors, not warnings'
complete -c rpm -n "__fish_rpm_using_subcommand start" -s f -l force -d 'Start another instance of a script that already runs under this name'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l no-treekill -d 'Stop only the main process, not its whole process tree'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l disable-logs -d 'Discard the app\'s output (logs go to /dev/null)'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l shutdown-with-message -d 'Ask the app to stop with a "shutdown" message on its Node IPC channel'
complete -c rpm -n "__fish_rpm_using_subcommand start" -l update-env -d 'startOrReload/startOrRestart: running apps take this shell\'s environment anew'
complete -c rpm -n "__fish_rpm_using_subcommand start" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s n -l name -d 'App name (default: the script\'s file name without extension)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l namespace -d 'Namespace' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l interpreter -d 'Interpreter (default: chosen from the extension; `none` runs the file directly)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l interpreter-args -d 'Arguments for the interpreter' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l cwd -d 'Working directory of the app' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s i -l instances -d 'Instances to run in cluster mode (unless -x): a number, `max` or 0 (one per core), -1 (one less). They share the `--port` socket (a Node app\'s own port too)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l port -d 'The port (or `host:port`, or a Unix socket path) whose listening socket the daemon holds and shares between instances (fd 3, LISTEN_FDS, PORT)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l listen-timeout -d 'How long to wait for readiness (ms or 5s; default 3000 ms)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l max-restarts -d 'Unstable restarts (exits before min_uptime) before the app is errored' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l min-uptime -d 'Time an app must stay up to count as started (ms or 5s, 1m)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l restart-delay -d 'Delay before restarting a crashed app (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l exp-backoff-restart-delay -d 'Exponential backoff restart delay, initial value (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l stop-exit-codes -d 'Exit codes that leave the app stopped (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l kill-timeout -d 'Time between the stop signal and SIGKILL (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l kill-signal -d 'Signal that asks the app to stop (default SIGINT)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l max-memory-restart -d 'Restart the app when its memory (with its children\'s) passes this size (300M, 1G, bytes)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s w -l watch -d 'Restart the app when files change: its cwd, or these paths (relative to here)' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l ignore-watch -d 'Paths or glob patterns not watched (comma-separated or repeated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l watch-delay -d 'Quiet time after the last change before the restart (ms or 1s; default 100ms)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s c -l cron -l cron-restart -d 'Restart the app on this cron schedule (5 fields, or 6 with seconds first), local time' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s o -l output -d 'Stdout log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s e -l error -d 'Stderr log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s l -l log -d 'Combined log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l log-date-format -d 'Prefix log lines with a timestamp in this format' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l env -d 'Ecosystem file: overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l only -d 'Ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l node-args -d 'Arguments for node (PM2\'s `--node-args`; for apps run with node)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l instance-var -d 'Name of the variable holding the instance number (default NODE_APP_INSTANCE)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s x -l execute-command -d 'Fork mode, even with -i'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l wait-ready -d 'Online only once the app says it is ready (sd_notify READY=1, process.send(\'ready\'))'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l no-autorestart -d 'Do not restart the app when it exits'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l no-watch -d 'Do not watch, whatever the ecosystem file says'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l merge-logs -d 'One log file for all instances'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l time -d 'Prefix log lines with a timestamp'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l strict -d 'Ecosystem file: unknown attributes are errors, not warnings'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s f -l force -d 'Start another instance of a script that already runs under this name'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l no-treekill -d 'Stop only the main process, not its whole process tree'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l disable-logs -d 'Discard the app\'s output (logs go to /dev/null)'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l shutdown-with-message -d 'Ask the app to stop with a "shutdown" message on its Node IPC channel'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -l update-env -d 'startOrReload/startOrRestart: running apps take this shell\'s environment anew'
complete -c rpm -n "__fish_rpm_using_subcommand startOrRestart" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s n -l name -d 'App name (default: the script\'s file name without extension)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l namespace -d 'Namespace' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l interpreter -d 'Interpreter (default: chosen from the extension; `none` runs the file directly)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l interpreter-args -d 'Arguments for the interpreter' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l cwd -d 'Working directory of the app' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s i -l instances -d 'Instances to run in cluster mode (unless -x): a number, `max` or 0 (one per core), -1 (one less). They share the `--port` socket (a Node app\'s own port too)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l port -d 'The port (or `host:port`, or a Unix socket path) whose listening socket the daemon holds and shares between instances (fd 3, LISTEN_FDS, PORT)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l listen-timeout -d 'How long to wait for readiness (ms or 5s; default 3000 ms)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l max-restarts -d 'Unstable restarts (exits before min_uptime) before the app is errored' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l min-uptime -d 'Time an app must stay up to count as started (ms or 5s, 1m)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l restart-delay -d 'Delay before restarting a crashed app (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l exp-backoff-restart-delay -d 'Exponential backoff restart delay, initial value (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l stop-exit-codes -d 'Exit codes that leave the app stopped (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l kill-timeout -d 'Time between the stop signal and SIGKILL (ms or 5s)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l kill-signal -d 'Signal that asks the app to stop (default SIGINT)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l max-memory-restart -d 'Restart the app when its memory (with its children\'s) passes this size (300M, 1G, bytes)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s w -l watch -d 'Restart the app when files change: its cwd, or these paths (relative to here)' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l ignore-watch -d 'Paths or glob patterns not watched (comma-separated or repeated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l watch-delay -d 'Quiet time after the last change before the restart (ms or 1s; default 100ms)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s c -l cron -l cron-restart -d 'Restart the app on this cron schedule (5 fields, or 6 with seconds first), local time' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s o -l output -d 'Stdout log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s e -l error -d 'Stderr log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s l -l log -d 'Combined log file' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l log-date-format -d 'Prefix log lines with a timestamp in this format' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l env -d 'Ecosystem file: overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l only -d 'Ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l node-args -d 'Arguments for node (PM2\'s `--node-args`; for apps run with node)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l instance-var -d 'Name of the variable holding the instance number (default NODE_APP_INSTANCE)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s x -l execute-command -d 'Fork mode, even with -i'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l wait-ready -d 'Online only once the app says it is ready (sd_notify READY=1, process.send(\'ready\'))'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l no-autorestart -d 'Do not restart the app when it exits'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l no-watch -d 'Do not watch, whatever the ecosystem file says'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l merge-logs -d 'One log file for all instances'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l time -d 'Prefix log lines with a timestamp'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l strict -d 'Ecosystem file: unknown attributes are errors, not warnings'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s f -l force -d 'Start another instance of a script that already runs under this name'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l no-treekill -d 'Stop only the main process, not its whole process tree'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l disable-logs -d 'Discard the app\'s output (logs go to /dev/null)'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l shutdown-with-message -d 'Ask the app to stop with a "shutdown" message on its Node IPC channel'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -l update-env -d 'startOrReload/startOrRestart: running apps take this shell\'s environment anew'
complete -c rpm -n "__fish_rpm_using_subcommand startOrReload" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand apply" -l env -d 'Overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand apply" -l only -d 'Only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand apply" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand apply" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand apply" -l prune -d 'Delete apps that came from this file and are no longer in it'
complete -c rpm -n "__fish_rpm_using_subcommand apply" -l dry-run -d 'Print the plan without doing it'
complete -c rpm -n "__fish_rpm_using_subcommand apply" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand run" -l env -d 'Overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand run" -l only -d 'Only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand run" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand run" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand run" -l strict -d 'Unknown attributes are errors, not warnings'
complete -c rpm -n "__fish_rpm_using_subcommand run" -l raw -d 'Lines as the apps wrote them, without the `id|name |` prefix'
complete -c rpm -n "__fish_rpm_using_subcommand run" -l json -d 'One JSON object per line'
complete -c rpm -n "__fish_rpm_using_subcommand run" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand validate" -l env -d 'Overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand validate" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand validate" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand validate" -l strict -d 'Unknown attributes are errors, not warnings'
complete -c rpm -n "__fish_rpm_using_subcommand validate" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand export" -l env -d 'Overlay env_<profile> on env' -r
complete -c rpm -n "__fish_rpm_using_subcommand export" -l only -d 'Only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand export" -l out -d 'Write the files into this directory instead of stdout' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand export" -l image -d 'Container image holding the apps (kubernetes, nomad, compose)' -r
complete -c rpm -n "__fish_rpm_using_subcommand export" -l workdir -d 'Directory of the apps inside the image (default /app)' -r
complete -c rpm -n "__fish_rpm_using_subcommand export" -l job -d 'Nomad job name (default rpm)' -r
complete -c rpm -n "__fish_rpm_using_subcommand export" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand export" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand export" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c rpm -n "__fish_rpm_using_subcommand convert" -l from -d 'Its format (default: told by its name: Procfile, *.conf/*.ini, *.yaml with `processes:`)' -r -f -a "supervisord\t''
procfile\t''
process-compose\t''"
complete -c rpm -n "__fish_rpm_using_subcommand convert" -l to -d 'The ecosystem file\'s format' -r -f -a "yaml\t''
json\t''
toml\t''"
complete -c rpm -n "__fish_rpm_using_subcommand convert" -l out -d 'Write to this new file instead of stdout (never over an existing one)' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand convert" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand convert" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand convert" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand init" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand init" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand init" -l yaml
complete -c rpm -n "__fish_rpm_using_subcommand init" -l toml
complete -c rpm -n "__fish_rpm_using_subcommand init" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand stop" -l only -d 'With an ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand stop" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand stop" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand stop" -l watch -d 'stop: stop watching the apps\' files too; restart: turn watching on or off'
complete -c rpm -n "__fish_rpm_using_subcommand stop" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand restart" -l only -d 'With an ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand restart" -l env -d 'Ecosystem file targets: overlay env_<profile> on env (the apps switch to it)' -r
complete -c rpm -n "__fish_rpm_using_subcommand restart" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand restart" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand restart" -l watch -d 'stop: stop watching the apps\' files too; restart: turn watching on or off'
complete -c rpm -n "__fish_rpm_using_subcommand restart" -l update-env -d 'Refresh the apps\' environment from this shell, keeping what their file or flags set (without it an app keeps the environment it was started with)'
complete -c rpm -n "__fish_rpm_using_subcommand restart" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand reload" -l only -d 'With an ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand reload" -l env -d 'Ecosystem file targets: overlay env_<profile> on env (the apps switch to it)' -r
complete -c rpm -n "__fish_rpm_using_subcommand reload" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand reload" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand reload" -l update-env -d 'Refresh the apps\' environment from this shell, keeping what their file or flags set (without it an app keeps the environment it was started with)'
complete -c rpm -n "__fish_rpm_using_subcommand reload" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand scale" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand scale" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand scale" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand delete" -l only -d 'With an ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand delete" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand delete" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand delete" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand list" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand list" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand list" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand ls" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand ls" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand ls" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand status" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand status" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand status" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand l" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand l" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand l" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand ps" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand ps" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand ps" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand jlist" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand jlist" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand jlist" -l pm2 -d 'In PM2\'s shape (`pm_id`, `pm2_env`, `monit`), for `pm2 jlist | jq` scripts'
complete -c rpm -n "__fish_rpm_using_subcommand jlist" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand prettylist" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand prettylist" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand prettylist" -l pm2 -d 'In PM2\'s shape (`pm_id`, `pm2_env`, `monit`)'
complete -c rpm -n "__fish_rpm_using_subcommand prettylist" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand describe" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand describe" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand describe" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand show" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand show" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand show" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand info" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand info" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand info" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand desc" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand desc" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand desc" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand env" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand env" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand env" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand pid" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand pid" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand pid" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand id" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand id" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand id" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand reset" -l only -d 'With an ecosystem file: only these apps (comma-separated)' -r
complete -c rpm -n "__fish_rpm_using_subcommand reset" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand reset" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand reset" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand signal" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand signal" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand signal" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand ping" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand ping" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand ping" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand kill" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand kill" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand kill" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand update" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand update" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand update" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand save" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand save" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand save" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l lines -d 'Lines to show from the end of each file' -r
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l timestamp -d 'Prefix each line with the time it is printed (optionally in this format)' -r
complete -c rpm -n "__fish_rpm_using_subcommand logs" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l nostream -d 'Print the last lines and exit instead of following'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l raw -d 'Lines as written, without the `id|name |` prefix'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l err -d 'Only the error stream'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l out -d 'Only the output stream'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -l json -d 'One JSON object per line'
complete -c rpm -n "__fish_rpm_using_subcommand logs" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand events" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand events" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand events" -l json -d 'One JSON object per notice and line, for scripts'
complete -c rpm -n "__fish_rpm_using_subcommand events" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand web" -l port -d 'The TCP port to listen on (0: any free port, shown once it answers)' -r
complete -c rpm -n "__fish_rpm_using_subcommand web" -l host -d 'The address to listen on; anything but a loopback address needs the token for every request' -r
complete -c rpm -n "__fish_rpm_using_subcommand web" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand web" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand web" -l stop -d 'Stop the running server'
complete -c rpm -n "__fish_rpm_using_subcommand web" -l serve -d 'Serve in this process (what `rpm web` runs in the background)'
complete -c rpm -n "__fish_rpm_using_subcommand web" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand monit" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand monit" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand monit" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand resurrect" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand resurrect" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand resurrect" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand flush" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand flush" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand flush" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand reload-logs" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand reload-logs" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand reload-logs" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand startup" -s u -l user -d 'The user rpm runs as (default: you)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startup" -l hp -d 'The user\'s home directory (default: from the user database); RPM_HOME is `<hp>/.rpm` unless RPM_HOME is set' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startup" -l service-name -d 'The service\'s name (default: rpm-<user>; launchd rpm.<user>; rc.d rpm_<user>)' -r
complete -c rpm -n "__fish_rpm_using_subcommand startup" -l root -d 'Install into this folder instead of / (nothing of the live init system is run)' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand startup" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand startup" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand startup" -l print -d 'Write the script to stdout and change nothing'
complete -c rpm -n "__fish_rpm_using_subcommand startup" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -s u -l user -d 'The user rpm runs as (default: you)' -r
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -l hp -d 'The user\'s home directory (default: from the user database); RPM_HOME is `<hp>/.rpm` unless RPM_HOME is set' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -l service-name -d 'The service\'s name (default: rpm-<user>; launchd rpm.<user>; rc.d rpm_<user>)' -r
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -l root -d 'Install into this folder instead of / (nothing of the live init system is run)' -r -F
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand unstartup" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand completions" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand completions" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand completions" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand man-pages" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand man-pages" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand man-pages" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand daemon" -s s -l silent -d 'Print nothing after a change (PM2\'s `-s`); errors still go to stderr'
complete -c rpm -n "__fish_rpm_using_subcommand daemon" -l no-color -d 'No colours (as NO_COLOR does)'
complete -c rpm -n "__fish_rpm_using_subcommand daemon" -l foreground -d 'Stay in the foreground, logging to stderr (for systemd, launchd and other init systems: `rpm daemon --foreground --resurrect`)'
complete -c rpm -n "__fish_rpm_using_subcommand daemon" -l reexec
complete -c rpm -n "__fish_rpm_using_subcommand daemon" -l resurrect -d 'Once listening (and adopting what still runs), start the apps of RPM_HOME/dump.json that are not running; no dump is not an error'
complete -c rpm -n "__fish_rpm_using_subcommand daemon" -s h -l help -d 'Print help'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "start" -d 'Start a script, the apps of an ecosystem file, or stopped apps by id/name/namespace'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "startOrRestart" -d 'PM2\'s `startOrRestart`: start a file\'s apps, restarting those already running'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "startOrReload" -d 'PM2\'s `startOrReload`: start a file\'s apps, reloading those already running'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "apply" -d 'Make what runs match an ecosystem file: start new apps, restart changed ones'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "run" -d 'Run a file\'s apps in the foreground, for containers and init systems (PM2\'s pm2-runtime): their output on stdout/stderr, SIGTERM/SIGINT stop them all'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "validate" -d 'Check an ecosystem file and print its apps as rpm resolves them (a `cwd` or `env_file` missing on this machine is a warning here, an error for `start`)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "export" -d 'Render a file\'s apps for systemd, Kubernetes, Nomad or compose (no daemon needed)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "convert" -d 'Turn a supervisord .conf, a Procfile or a process-compose YAML into an rpm ecosystem file'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "init" -d 'Write a commented sample ecosystem file (JSON unless --yaml or --toml)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "stop" -d 'Stop apps (id, name, namespace, `all`, or an ecosystem file)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "restart" -d 'Restart apps (an ecosystem file: with its settings, `--env` choosing the profile)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "reload" -d 'Reload apps with zero downtime: instances sharing a socket are replaced one at a time once the new process is ready; others are restarted. A file: start its missing apps, reload the rest with its settings'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "scale" -d 'Change an app\'s number of instances: N, +N or -N'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "delete" -d 'Stop and forget apps'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "list" -d 'Show the process table'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "jlist" -d 'Print the process list as JSON'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "prettylist" -d 'Print the process list as indented JSON'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "describe" -d 'Show every detail of an app'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "env" -d 'Show the environment an instance receives (an id, or an app\'s name)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "pid" -d 'Print the pids of an app\'s instances, or of every instance, one per line'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "id" -d 'Print the ids of an app\'s instances as a JSON array (as `pm2 id`)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "reset" -d 'Zero the restart counters'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "signal" -d 'Send a signal to apps'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "ping" -d 'Check that the daemon answers (starting it if needed)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "kill" -d 'Stop every app, then the daemon'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "update" -d 'Replace the running daemon with this binary; apps keep running'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "save" -d 'Save the process list to RPM_HOME/dump.json'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "logs" -d 'Print the last lines of apps\' logs, then follow new ones'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "events" -d 'Print the supervisor\'s notices as they happen (exits, restarts, status changes), one line each, until Ctrl-C'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "web" -d 'Serve the HTTP API, live events, Prometheus metrics and a dashboard (/ui) until `rpm web --stop` or `rpm kill`'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "monit" -d 'A terminal dashboard: apps with CPU and memory history, the selected app\'s logs, and keys to restart, reload, stop and delete'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "resurrect" -d 'Start the apps saved by `rpm save` that are not running'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "flush" -d 'Empty log files'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "reload-logs" -d 'Reopen log files (after an external logrotate)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "startup" -d 'Install the boot script that starts rpm and the saved apps at boot (`rpm save` first): as root, or print the sudo command to run. The init system is detected unless named'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "unstartup" -d 'Remove the boot script `rpm startup` installed (the running daemon is left alone)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "man-pages" -d 'Write the man pages, one for the command and one per subcommand, into a folder; they are named for the command as invoked'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "daemon" -d 'Run the supervisor daemon (the CLI starts it on demand)'
complete -c rpm -n "__fish_rpm_using_subcommand help; and not __fish_seen_subcommand_from start startOrRestart startOrReload apply run validate export convert init stop restart reload scale delete list jlist prettylist describe env pid id reset signal ping kill update save logs events web monit resurrect flush reload-logs startup unstartup completions man-pages daemon help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
