//! The launchd agent (`~/Library/LaunchAgents/<label>.plist`): the daemon in the
//! foreground, started at load and started again if it dies (not after `rpm kill`,
//! which exits cleanly).

use super::boot::Boot;
use super::quote::xml;

pub fn render(boot: &Boot) -> String {
    let string = |s: &str| format!("<string>{}</string>", xml(s));
    let log = format!("{}/Library/Logs/{}.log", boot.user_home, boot.service_name);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	{label}
	<key>UserName</key>
	{user}
	<key>ProgramArguments</key>
	<array>
		{bin}
		<string>daemon</string>
		<string>--foreground</string>
		<string>--resurrect</string>
	</array>
	<key>EnvironmentVariables</key>
	<dict>
		<key>RPM_HOME</key>
		{rpm_home}
		<key>PATH</key>
		{path}
		<key>HOME</key>
		{home}
	</dict>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ExitTimeOut</key>
	<integer>120</integer>
	<key>StandardOutPath</key>
	{log}
	<key>StandardErrorPath</key>
	{log}
</dict>
</plist>
"#,
        label = string(&boot.service_name),
        user = string(&boot.user.name),
        bin = string(&boot.rpm_bin),
        rpm_home = string(&boot.rpm_home),
        path = string(&boot.path),
        home = string(&boot.user_home),
        log = string(&log),
    )
}
