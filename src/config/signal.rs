//! `kill_signal`: the signal that stops an app, as a type (`StopSignal`), and the signal
//! names accepted for it in ecosystem files. Pure; the type runs wherever a spec is
//! encoded or decoded (CLI, IPC, daemon), the parsing of users' spellings in the CLI.
//!
//! Two spellings, on purpose. Users write `"term"`, `"SIGTERM"` or `"sigterm"`
//! (`parse_signal`), and the CLI normalises them. On the wire and on disk a `StopSignal` is
//! always the canonical `SIGNAME`, and decoding it accepts only that, so a spec that
//! reaches the daemon holds a signal that exists: stopping never guesses. The state loader
//! is the one lenient reader (`StopSignal::from_saved`), for files of older daemons.

use std::fmt;
use std::str::FromStr;

use nix::sys::signal::Signal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The signal sent to an app's process (or process group) to stop it: `kill_signal`.
///
/// Serializes as its canonical name (`"SIGINT"`), exactly as the `String` it replaces
/// did, and deserializes from that name only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StopSignal(Signal);

/// A name that is not a canonical signal name (`SIGINT`, `SIGTERM`, …).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`kill_signal` must be a signal name like \"SIGINT\", found {found:?}")]
pub struct UnknownStopSignal {
    /// What was there instead.
    pub found: String,
}

impl StopSignal {
    /// `SIGINT`, PM2's default stop signal.
    pub const SIGINT: StopSignal = StopSignal(Signal::SIGINT);
    /// `SIGTERM`.
    pub const SIGTERM: StopSignal = StopSignal(Signal::SIGTERM);

    /// The signal to send.
    pub fn signal(self) -> Signal {
        self.0
    }

    /// The canonical name, e.g. `"SIGINT"`.
    pub fn as_str(self) -> &'static str {
        self.0.as_str()
    }

    /// Reads a `kill_signal` from a `state.json` of an older daemon, which stored any
    /// string it was given and, when stopping, sent what `signal_names::parse` made of it
    /// or else SIGINT. Returns that same signal, and `false` when the name was not a
    /// signal at all (the caller logs it), so an adopted app is stopped as it would have
    /// been and the other apps in the file are kept.
    pub fn from_saved(name: &str) -> (StopSignal, bool) {
        match crate::signal_names::parse(name) {
            Some(signal) => (StopSignal(signal), true),
            None => (StopSignal::SIGINT, false),
        }
    }
}

impl From<Signal> for StopSignal {
    fn from(signal: Signal) -> StopSignal {
        StopSignal(signal)
    }
}

impl fmt::Display for StopSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StopSignal {
    type Err = UnknownStopSignal;

    /// Only the canonical name (`"SIGTERM"`); users' spellings go through `parse_signal`.
    fn from_str(s: &str) -> Result<StopSignal, UnknownStopSignal> {
        s.parse::<Signal>()
            .map(StopSignal)
            .map_err(|_| UnknownStopSignal {
                found: s.to_string(),
            })
    }
}

impl Serialize for StopSignal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StopSignal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StopSignal, D::Error> {
        let name = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The signal a user named in a file (`"term"`, `"SIGTERM"` → `SIGTERM`).
pub fn parse_signal(s: &str) -> Result<StopSignal, String> {
    // Names only in files: a number means different signals on different systems.
    let named = s.trim().parse::<i32>().is_err();
    match crate::signal_names::parse(s).filter(|_| named) {
        Some(signal) => Ok(StopSignal(signal)),
        None => Err(format!(
            "{s:?} is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        let rows: &[(&str, Result<&str, &str>)] = &[
            ("SIGINT", Ok("SIGINT")),
            ("SIGTERM", Ok("SIGTERM")),
            ("term", Ok("SIGTERM")),
            ("sigusr2", Ok("SIGUSR2")),
            ("HUP", Ok("SIGHUP")),
            (
                "SIGFOO",
                Err("\"SIGFOO\" is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"),
            ),
            (
                "",
                Err("\"\" is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"),
            ),
            (
                "15",
                Err("\"15\" is not a signal name (e.g. \"SIGINT\", \"SIGTERM\")"),
            ),
        ];
        for (input, want) in rows {
            assert_eq!(
                parse_signal(input).map(StopSignal::as_str),
                want.map_err(str::to_string),
                "{input:?}"
            );
        }
    }

    #[test]
    fn every_signal_round_trips_through_its_name() {
        for signal in Signal::iterator() {
            let stop = StopSignal::from(signal);
            let json = serde_json::to_string(&stop).expect("encodes");
            assert_eq!(json, format!("\"{}\"", signal.as_str()));
            let back: StopSignal = serde_json::from_str(&json).expect("decodes");
            assert_eq!(back.signal(), signal);
            assert_eq!(stop.to_string(), signal.as_str());
        }
    }

    #[test]
    fn decoding_accepts_only_canonical_names() {
        let rows = [
            ("\"SIGTERM\"", Ok(StopSignal::SIGTERM)),
            ("\"SIGINT\"", Ok(StopSignal::SIGINT)),
            (
                "\"term\"",
                Err("`kill_signal` must be a signal name like \"SIGINT\", found \"term\""),
            ),
            (
                "\"SIGFOO\"",
                Err("`kill_signal` must be a signal name like \"SIGINT\", found \"SIGFOO\""),
            ),
            (
                "\"15\"",
                Err("`kill_signal` must be a signal name like \"SIGINT\", found \"15\""),
            ),
            (
                "15",
                Err("invalid type: integer `15`, expected a string at line 1 column 2"),
            ),
            (
                "null",
                Err("invalid type: null, expected a string at line 1 column 4"),
            ),
        ];
        for (json, want) in rows {
            let got = serde_json::from_str::<StopSignal>(json).map_err(|e| e.to_string());
            assert_eq!(got, want.map_err(str::to_string), "{json}");
        }
    }

    #[test]
    fn saved_names_read_as_older_daemons_sent_them() {
        let rows = [
            ("SIGTERM", (StopSignal::SIGTERM, true)),
            ("term", (StopSignal::SIGTERM, true)),
            ("9", (StopSignal::from(Signal::SIGKILL), true)),
            ("SIGFOO", (StopSignal::SIGINT, false)),
            ("", (StopSignal::SIGINT, false)),
        ];
        for (name, want) in rows {
            assert_eq!(StopSignal::from_saved(name), want, "{name:?}");
        }
    }
}
