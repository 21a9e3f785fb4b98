//! `SavedSpec`: an `AppSpec` read back from `state.json`, the one place a spec is read
//! leniently. Daemons up to 0.1.0 kept `kill_signal` as any string a client sent and, when
//! stopping, sent what `signal_names::parse` made of it, or SIGINT. The typed spec refuses
//! such names, which would set the whole file aside and lose every app, so the state
//! loader reads specs through this type: the signal that daemon would have sent is kept,
//! and a name that was no signal at all is reported (by the caller, in `daemon.log`) and
//! becomes SIGINT. Everywhere else (IPC, `dump.json`, ecosystem files) decoding is strict.
//! Runs on the daemon's main thread, once, at start.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::signal::StopSignal;
use super::spec::AppSpec;

/// A spec from `state.json`, and what had to be changed to read it.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSpec {
    /// The spec, with a canonical `kill_signal`.
    pub spec: AppSpec,
    /// The `kill_signal` as written, when it named no signal (`spec` then holds SIGINT).
    pub unknown_kill_signal: Option<String>,
}

impl SavedSpec {
    /// One sentence for `daemon.log` when the spec was changed, naming the app and the
    /// attribute (the caller adds the file).
    pub fn warning(&self) -> Option<String> {
        self.unknown_kill_signal.as_ref().map(|name| {
            format!(
                "app {:?}: `kill_signal` {name:?} is not a signal name; it is stopped with SIGINT, as the daemon that wrote this file did (start it again with a valid `kill_signal` to change that)",
                self.spec.name
            )
        })
    }
}

impl<'de> Deserialize<'de> for SavedSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SavedSpec, D::Error> {
        let mut value = Value::deserialize(deserializer)?;
        let mut unknown_kill_signal = None;
        if let Some(slot) = value.get_mut("kill_signal") {
            if let Some(name) = slot.as_str().filter(|n| n.parse::<StopSignal>().is_err()) {
                let (signal, known) = StopSignal::from_saved(name);
                if !known {
                    unknown_kill_signal = Some(name.to_string());
                }
                *slot = Value::String(signal.as_str().to_string());
            }
        }
        let spec = AppSpec::deserialize(value).map_err(serde::de::Error::custom)?;
        Ok(SavedSpec {
            spec,
            unknown_kill_signal,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saved(kill_signal: Value) -> Result<SavedSpec, String> {
        let mut value = serde_json::to_value(AppSpec::new("api", "/bin/true".into(), "/".into()))
            .expect("spec encodes");
        value["kill_signal"] = kill_signal;
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    #[test]
    fn kill_signals_as_older_daemons_kept_them() {
        let rows = [
            (json!("SIGTERM"), StopSignal::SIGTERM, None),
            (json!("term"), StopSignal::SIGTERM, None),
            (json!("SIGFOO"), StopSignal::SIGINT, Some("SIGFOO")),
            (json!(""), StopSignal::SIGINT, Some("")),
        ];
        for (written, signal, unknown) in rows {
            let got = saved(written.clone()).expect("reads");
            assert_eq!(got.spec.kill_signal, signal, "{written}");
            assert_eq!(got.unknown_kill_signal.as_deref(), unknown, "{written}");
        }
    }

    #[test]
    fn an_unknown_name_is_one_sentence_naming_app_and_attribute() {
        let got = saved(json!("SIGFOO")).expect("reads");
        assert_eq!(
            got.warning().as_deref(),
            Some("app \"api\": `kill_signal` \"SIGFOO\" is not a signal name; it is stopped with SIGINT, as the daemon that wrote this file did (start it again with a valid `kill_signal` to change that)")
        );
        assert_eq!(saved(json!("SIGTERM")).expect("reads").warning(), None);
    }

    #[test]
    fn other_damage_is_still_an_error() {
        assert!(saved(json!(15)).is_err());
        let mut value = serde_json::to_value(AppSpec::new("api", "/bin/true".into(), "/".into()))
            .expect("spec encodes");
        value["kill_timeout"] = json!("soon");
        assert!(serde_json::from_value::<SavedSpec>(value).is_err());
    }
}
