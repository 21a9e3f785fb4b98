//! Where each variable of an app's environment came from, so `describe` can say it and
//! `--update-env` can refresh what came from the caller's shell and keep the rest.
//!
//! A spec records an origin for every variable its file or flags set; a variable with no
//! recorded origin came from the caller's environment when the app was started. Pure
//! functions over those maps; `AppSpec` wraps them.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The layer that set a variable (later layers win, in this order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvOrigin {
    /// PM2's `deploy.<profile>.env`, under `env` when `--env` names a deploy target.
    Deploy(String),
    /// An `env_file`.
    EnvFile,
    /// The app's `env`.
    Env,
    /// `env_<profile>`.
    Profile(String),
    /// `port` (PORT).
    Port,
}

impl fmt::Display for EnvOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EnvOrigin::Deploy(p) => write!(f, "deploy.{p}.env"),
            EnvOrigin::EnvFile => f.write_str("env_file"),
            EnvOrigin::Env => f.write_str("env"),
            EnvOrigin::Profile(p) => write!(f, "env_{p}"),
            EnvOrigin::Port => f.write_str("port"),
        }
    }
}

/// Variables with an origin: what the file or flags set.
type Origins = BTreeMap<String, EnvOrigin>;

/// `--update-env`: the caller's environment now, with every variable that has an origin
/// in `origin` kept on top, as when the app was started.
pub fn refreshed(
    env: &BTreeMap<String, String>,
    origin: &Origins,
    caller: BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut out = caller;
    for key in origin.keys() {
        if let Some(value) = env.get(key) {
            out.insert(key.clone(), value.clone());
        }
    }
    out
}

/// A restart or reload without `--update-env`: the freshly resolved `env` keeps the
/// shell layer the app was started with (`before`'s variables without an origin), with
/// its own file layers on top.
pub fn with_shell_of(
    env: &BTreeMap<String, String>,
    origin: &Origins,
    before: (&BTreeMap<String, String>, &Origins),
) -> BTreeMap<String, String> {
    let (before_env, before_origin) = before;
    let shell: BTreeMap<String, String> = before_env
        .iter()
        .filter(|(k, _)| !before_origin.contains_key(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    refreshed(env, origin, shell)
}

/// Where `key` came from, for people: a layer, or the caller's shell.
pub fn source(origin: &Origins, key: &str) -> String {
    origin.get(key).map_or_else(
        || "the caller's environment".to_string(),
        ToString::to_string,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn update_env_refreshes_the_shell_and_keeps_what_the_file_set() {
        let env = map(&[("HOME", "/old"), ("NODE_ENV", "production")]);
        let origin = Origins::from([("NODE_ENV".into(), EnvOrigin::Profile("production".into()))]);
        let now = map(&[("HOME", "/new"), ("NODE_ENV", "other"), ("ADDED", "1")]);
        assert_eq!(
            refreshed(&env, &origin, now),
            map(&[("HOME", "/new"), ("NODE_ENV", "production"), ("ADDED", "1")])
        );
        assert_eq!(source(&origin, "NODE_ENV"), "env_production");
        assert_eq!(source(&origin, "HOME"), "the caller's environment");
    }

    #[test]
    fn without_update_env_a_new_env_keeps_the_old_shell_layer() {
        let before_env = map(&[("SHELL_VAR", "old"), ("MODE", "dev")]);
        let before_origin = Origins::from([("MODE".into(), EnvOrigin::Env)]);
        let env = map(&[("SHELL_VAR", "new"), ("NEW", "x"), ("MODE", "prod")]);
        let origin = Origins::from([("MODE".into(), EnvOrigin::Profile("production".into()))]);
        assert_eq!(
            with_shell_of(&env, &origin, (&before_env, &before_origin)),
            map(&[("SHELL_VAR", "old"), ("MODE", "prod")])
        );
    }

    #[test]
    fn origins_read_as_their_attributes() {
        let rows = [
            (
                EnvOrigin::Deploy("production".into()),
                "deploy.production.env",
            ),
            (EnvOrigin::EnvFile, "env_file"),
            (EnvOrigin::Env, "env"),
            (EnvOrigin::Profile("staging".into()), "env_staging"),
            (EnvOrigin::Port, "port"),
        ];
        for (origin, want) in rows {
            assert_eq!(origin.to_string(), want);
        }
    }
}
