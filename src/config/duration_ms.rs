//! `#[serde(with = "duration_ms")]` and `#[serde(with = "duration_ms::option")]`: a
//! `Duration` (or `Option<Duration>`) of `AppSpec` encoded as a whole number of
//! milliseconds, and `None` as `null`. That is how PM2 writes durations and how rpm 0.1.0
//! wrote these fields when they were `u64`, so `state.json`, `dump.json` and IPC
//! messages of either release read the same. Pure; runs wherever a spec is encoded or
//! decoded.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// `d` in whole milliseconds: finer parts are dropped and a duration past `u64::MAX` ms
/// (half a billion years) saturates. Specs only hold durations read as whole ms, so for
/// them this is exact.
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Writes `d` as whole milliseconds.
pub fn serialize<S: Serializer>(d: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(millis(*d))
}

/// Reads whole milliseconds (a non-negative integer) as a `Duration`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    u64::deserialize(deserializer).map(Duration::from_millis)
}

/// The same for `Option<Duration>`: `None` is `null`. Pair with `#[serde(default)]` so an
/// absent attribute is `None`, as it was for `Option<u64>`.
pub mod option {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `Some(d)` as whole milliseconds and `None` as `null`.
    pub fn serialize<S: Serializer>(
        d: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => serializer.serialize_some(&crate::config::duration_ms::millis(*d)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads whole milliseconds, or `null` as `None`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(deserializer).map(|ms| ms.map(Duration::from_millis))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde::{Deserialize, Serialize};
    use serde_json::json;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Both {
        #[serde(with = "super")]
        plain: Duration,
        #[serde(default, with = "crate::config::duration_ms::option")]
        maybe: Option<Duration>,
    }

    fn both(plain: u64, maybe: Option<u64>) -> Both {
        Both {
            plain: Duration::from_millis(plain),
            maybe: maybe.map(Duration::from_millis),
        }
    }

    #[test]
    fn integer_milliseconds_in_and_out() {
        let rows = [
            (both(0, None), json!({"plain": 0, "maybe": null})),
            (both(1600, Some(100)), json!({"plain": 1600, "maybe": 100})),
            (both(2000, Some(0)), json!({"plain": 2000, "maybe": 0})),
            (
                both(u64::MAX, Some(u64::MAX)),
                json!({"plain": u64::MAX, "maybe": u64::MAX}),
            ),
        ];
        for (value, encoded) in rows {
            assert_eq!(serde_json::to_value(&value).expect("encodes"), encoded);
            let back: Both = serde_json::from_value(encoded.clone()).expect("decodes");
            assert_eq!(back, value, "{encoded}");
        }
    }

    #[test]
    fn the_text_is_what_u64_fields_wrote() {
        let text = serde_json::to_string(&both(250, Some(3000))).expect("encodes");
        assert_eq!(text, r#"{"plain":250,"maybe":3000}"#);
        let text = serde_json::to_string(&both(250, None)).expect("encodes");
        assert_eq!(text, r#"{"plain":250,"maybe":null}"#);
    }

    #[test]
    fn an_absent_option_is_none() {
        let back: Both = serde_json::from_str(r#"{"plain":5}"#).expect("decodes");
        assert_eq!(back, both(5, None));
    }

    #[test]
    fn sub_millisecond_parts_are_dropped() {
        let value = Both {
            plain: Duration::from_micros(1500),
            maybe: Some(Duration::from_nanos(999_999)),
        };
        assert_eq!(
            serde_json::to_value(&value).expect("encodes"),
            json!({"plain": 1, "maybe": 0})
        );
    }

    #[test]
    fn anything_but_whole_milliseconds_is_refused() {
        for bad in [
            r#"{"plain":-1}"#,
            r#"{"plain":1.5}"#,
            r#"{"plain":"5s"}"#,
            r#"{"plain":null}"#,
            r#"{"plain":1,"maybe":-1}"#,
            r#"{"plain":1,"maybe":"5s"}"#,
        ] {
            assert!(serde_json::from_str::<Both>(bad).is_err(), "{bad}");
        }
    }
}
