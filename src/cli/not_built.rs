//! PM2's verbs that rpm has not built: said so, rather than looking like a typo.

/// PM2 commands rpm does not have, with what to use instead where something fits.
const PM2_ONLY: &[(&str, &str)] = &[
    ("deploy", ""),
    ("trigger", ""),
    ("inspect", ""),
    ("profile:cpu", ""),
    ("profile:mem", ""),
    ("install", ""),
    ("uninstall", ""),
    ("module:update", ""),
    ("module:generate", ""),
    ("package", ""),
    ("publish", ""),
    ("set", ""),
    ("multiset", ""),
    ("get", ""),
    ("conf", ""),
    ("config", ""),
    ("unset", ""),
    ("report", ""),
    ("link", ""),
    ("unlink", ""),
    ("monitor", ""),
    ("unmonitor", ""),
    ("open", ""),
    ("plus", ""),
    ("login", ""),
    ("logout", ""),
    ("cleardump", ""),
    ("send", ""),
    ("attach", ""),
    (
        "logrotate",
        "rpm rotates logs itself: set `log_max_size` and `log_retain`",
    ),
    ("slist", "use `rpm prettylist`"),
    ("pull", ""),
    ("forward", ""),
    ("backward", ""),
    ("deepUpdate", ""),
    ("updatePM2", "use `rpm update`"),
    ("serve", ""),
    ("autoinstall", ""),
    ("examples", "use `rpm init`"),
    ("install-otel", ""),
    ("create", "use `rpm init`"),
];

/// The sentence for `verb` when it is a PM2 command rpm has not built.
pub(super) fn pm2_verb(verb: &str) -> Option<String> {
    let (name, instead) = PM2_ONLY.iter().find(|(name, _)| *name == verb)?;
    Some(if instead.is_empty() {
        format!("`{name}` is a PM2 command rpm has not built yet")
    } else {
        format!("`{name}` is a PM2 command rpm has not built yet: {instead}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pm2_only_verbs_are_named_and_others_are_not() {
        assert_eq!(
            pm2_verb("deploy").as_deref(),
            Some("`deploy` is a PM2 command rpm has not built yet")
        );
        assert!(pm2_verb("logrotate").is_some_and(|m| m.contains("log_max_size")));
        assert_eq!(pm2_verb("strat"), None);
    }

    #[test]
    fn no_pm2_only_verb_is_an_rpm_command() {
        use clap::CommandFactory;
        let cli = super::super::args::Cli::command();
        for (name, _) in PM2_ONLY {
            assert!(
                cli.find_subcommand(name).is_none(),
                "`{name}` is built now: remove it from PM2_ONLY"
            );
        }
    }
}
