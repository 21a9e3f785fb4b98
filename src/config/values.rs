//! Reading one attribute's value by its `Kind`: type checks and conversions (sizes,
//! durations, signals, cron, shell-split args, env scalars to strings). Pure; runs in
//! the CLI. A bad value yields `Bad`, which validation turns into a `WrongType` problem.

use std::collections::BTreeMap;
use std::time::Duration;

use super::attributes::Kind;
use super::cron::validate_cron;
use super::node::{format_float, Node, Pos, Value};
use super::shell_words;
use super::signal::{parse_signal, StopSignal};
use super::units::{parse_duration_ms, parse_size};

/// A value read and checked by its kind.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Parsed {
    Str(String),
    Bool(bool),
    Num(u64),
    Duration(Duration),
    Signal(StopSignal),
    Instances(Instances),
    List(Vec<String>),
    Env(BTreeMap<String, String>),
    Watch(WatchSpec),
    Codes(Vec<i32>),
    /// A path, or `None` for `false`.
    Path(Option<String>),
    FilterEnv(FilterEnv),
    Port(super::listen::Listen),
    /// Accepted and unused.
    Ignored,
}

/// `instances` before the CPU count is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Instances {
    Count(u32),
    /// `"max"` or 0: one per CPU.
    Max,
    /// -1: one per CPU but one (at least one).
    AllButOne,
}

impl Instances {
    /// The number of instances on a machine with `cpus` cores (PM2's rule).
    pub(crate) fn resolve(self, cpus: u32) -> u32 {
        match self {
            Instances::Count(n) => n,
            Instances::Max => cpus,
            Instances::AllButOne => cpus.saturating_sub(1).max(1),
        }
    }
}

/// This machine's core count, for `instances: max` and -1.
pub(crate) fn cpu_count() -> u32 {
    std::thread::available_parallelism().map_or(1, |n| u32::try_from(n.get()).unwrap_or(1))
}

/// `instances` as written on a command line (`4`, `max`, `0`, `-1`), resolved for this
/// machine; `None` for anything else.
pub fn parse_instances(text: &str) -> Option<u32> {
    instances(&Value::Str(text.to_string())).map(|i| i.resolve(cpu_count()))
}

/// `watch` before paths are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WatchSpec {
    Off,
    /// `true`: the app's cwd.
    Cwd,
    Paths(Vec<String>),
}

/// `filter_env`: which of the caller's variables to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FilterEnv {
    Keep,
    DropAll,
    Prefixes(Vec<String>),
}

/// A value that does not fit its kind: where, which part (`env.PORT`), and what was there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    pub pos: Pos,
    /// A sub-attribute such as `PORT` in `env`, when the bad value is nested.
    pub part: Option<String>,
    pub expected: String,
    pub found: String,
}

/// Reads `node` as a value of `kind`.
pub(crate) fn read(kind: Kind, node: &Node) -> Result<Parsed, Bad> {
    let bad = || Bad {
        pos: node.pos,
        part: None,
        expected: kind.expected().to_string(),
        found: node.found(),
    };
    let v = &node.value;
    Ok(match kind {
        Kind::Any => Parsed::Ignored,
        Kind::Str | Kind::Name => Parsed::Str(scalar_string(v).ok_or_else(bad)?),
        Kind::Bool => match v {
            Value::Bool(b) => Parsed::Bool(*b),
            _ => return Err(bad()),
        },
        Kind::Count => Parsed::Num(whole(v).ok_or_else(bad)?),
        Kind::Duration => Parsed::Duration(Duration::from_millis(match v {
            Value::Str(s) => parse_duration_ms(s).map_err(|_| bad())?,
            _ => whole(v).ok_or_else(bad)?,
        })),
        Kind::Size => Parsed::Num(match v {
            Value::Str(s) => parse_size(s).map_err(|_| bad())?,
            _ => whole(v).ok_or_else(bad)?,
        }),
        Kind::Instances => Parsed::Instances(instances(v).ok_or_else(bad)?),
        Kind::ExecMode => match v {
            Value::Str(s) if s == "fork" || s == "fork_mode" => Parsed::Str("fork".into()),
            Value::Str(s) if s == "cluster" || s == "cluster_mode" => Parsed::Str("cluster".into()),
            _ => return Err(bad()),
        },
        Kind::Args => match v {
            Value::Str(s) => Parsed::List(shell_words::split(s).map_err(|_| bad())?),
            Value::List(_) => Parsed::List(list_of(kind, node, scalar_string)?),
            _ => return Err(bad()),
        },
        Kind::StrList | Kind::EnvFile => match v {
            Value::Str(s) => Parsed::List(vec![s.clone()]),
            Value::List(_) => Parsed::List(list_of(kind, node, strict_string)?),
            _ => return Err(bad()),
        },
        Kind::Env => Parsed::Env(env(node).ok_or_else(bad)??),
        Kind::Watch => Parsed::Watch(match v {
            Value::Bool(true) => WatchSpec::Cwd,
            Value::Bool(false) => WatchSpec::Off,
            Value::Str(s) => WatchSpec::Paths(vec![s.clone()]),
            Value::List(_) => WatchSpec::Paths(list_of(kind, node, strict_string)?),
            _ => return Err(bad()),
        }),
        Kind::ExitCodes => Parsed::Codes(match v {
            Value::List(_) => list_of(kind, node, exit_code)?,
            _ => vec![exit_code(v).ok_or_else(bad)?],
        }),
        Kind::Signal => match v {
            Value::Str(s) => Parsed::Signal(parse_signal(s).map_err(|_| bad())?),
            _ => return Err(bad()),
        },
        Kind::Cron => match v {
            Value::Str(s) => match validate_cron(s) {
                Ok(()) => Parsed::Str(s.trim().to_string()),
                // Name the cron field that is wrong: "a cron expression (hour field "25"
                // is out of range 0-23)".
                Err(why) => {
                    let field = why.split_once(": ").map_or(why.as_str(), |(_, f)| f);
                    return Err(Bad {
                        expected: format!("{} ({field})", kind.expected()),
                        ..bad()
                    });
                }
            },
            _ => return Err(bad()),
        },
        Kind::DateFormat => match v {
            Value::Str(s) if super::date_format::DateFormat::parse(s).is_ok() => {
                Parsed::Str(s.clone())
            }
            _ => return Err(bad()),
        },
        Kind::LogType => match v {
            // PM2 writes anything but `json` raw (validate warns about the value).
            Value::Str(s) if s == "json" => Parsed::Str(s.clone()),
            Value::Str(_) => Parsed::Str("raw".to_string()),
            _ => return Err(bad()),
        },
        Kind::LogPath => match v {
            Value::Str(s) if !s.is_empty() => Parsed::Path(Some(s.clone())),
            Value::Bool(false) => Parsed::Path(None),
            _ => return Err(bad()),
        },
        Kind::Port => match v {
            Value::Str(s) => Parsed::Port(super::listen::Listen::parse(s).map_err(|_| bad())?),
            _ => match whole(v) {
                Some(n @ 1..=65535) => Parsed::Port(super::listen::Listen::Port(n as u16)),
                _ => return Err(bad()),
            },
        },
        Kind::Id => match v {
            Value::Str(s) if !s.is_empty() => Parsed::Str(s.clone()),
            _ => Parsed::Str(whole(v).ok_or_else(bad)?.to_string()),
        },
        Kind::FilterEnv => Parsed::FilterEnv(match v {
            Value::Bool(true) => FilterEnv::DropAll,
            Value::Bool(false) => FilterEnv::Keep,
            Value::Str(s) => FilterEnv::Prefixes(vec![s.clone()]),
            Value::List(_) => FilterEnv::Prefixes(list_of(kind, node, strict_string)?),
            _ => return Err(bad()),
        }),
    })
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(format_float(*f)),
        _ => None,
    }
}

fn strict_string(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// A whole number ≥ 0 (JavaScript numbers like `3.0` count).
fn whole(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::Float(f) if *f >= 0.0 && f.fract() == 0.0 && *f < 9.0e15 => Some(*f as u64),
        _ => None,
    }
}

fn exit_code(v: &Value) -> Option<i32> {
    match v {
        Value::Int(i) => i32::try_from(*i).ok(),
        _ => None,
    }
}

fn instances(v: &Value) -> Option<Instances> {
    let n: i64 = match v {
        Value::Int(i) => *i,
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e9 => *f as i64,
        Value::Str(s) if s == "max" => return Some(Instances::Max),
        Value::Str(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    match n {
        -1 => Some(Instances::AllButOne),
        0 => Some(Instances::Max),
        n => u32::try_from(n).ok().map(Instances::Count),
    }
}

/// Every item of a list through `item`; the first bad item is reported where it is.
fn list_of<T>(kind: Kind, node: &Node, item: fn(&Value) -> Option<T>) -> Result<Vec<T>, Bad> {
    let Value::List(items) = &node.value else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .map(|n| {
            item(&n.value).ok_or_else(|| Bad {
                pos: n.pos,
                part: None,
                expected: kind.expected().to_string(),
                found: n.found(),
            })
        })
        .collect()
}

/// `env`: `None` when not an object; a nested bad value is reported at its own place.
fn env(node: &Node) -> Option<Result<BTreeMap<String, String>, Bad>> {
    let entries = node.as_map()?;
    let mut vars = BTreeMap::new();
    for (key, value) in entries {
        let text = match &value.value {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            other => match scalar_string(other) {
                Some(s) => s,
                None => {
                    return Some(Err(Bad {
                        pos: value.pos,
                        part: Some(key.name.clone()),
                        expected: "a string, number or boolean".to_string(),
                        found: value.found(),
                    }))
                }
            },
        };
        vars.insert(key.name.clone(), text);
    }
    Some(Ok(vars))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lenient_json;

    fn read_text(kind: Kind, text: &str) -> Result<Parsed, (String, String)> {
        let node = lenient_json::parse(text).expect("test value parses");
        read(kind, &node).map_err(|b| (b.expected, b.found))
    }

    #[test]
    fn values_by_kind() {
        let s = |v: &str| v.to_string();
        let rows: Vec<(Kind, &str, Parsed)> = vec![
            (Kind::Str, "'x'", Parsed::Str(s("x"))),
            (Kind::Name, "2048", Parsed::Str(s("2048"))),
            (
                Kind::Duration,
                "1500",
                Parsed::Duration(Duration::from_millis(1500)),
            ),
            (
                Kind::Duration,
                "'5s'",
                Parsed::Duration(Duration::from_millis(5000)),
            ),
            (Kind::Size, "'300M'", Parsed::Num(300 << 20)),
            (Kind::Size, "1024", Parsed::Num(1024)),
            (Kind::Instances, "4", Parsed::Instances(Instances::Count(4))),
            (Kind::Instances, "'max'", Parsed::Instances(Instances::Max)),
            (Kind::Instances, "0", Parsed::Instances(Instances::Max)),
            (
                Kind::Instances,
                "-1",
                Parsed::Instances(Instances::AllButOne),
            ),
            (
                Kind::Instances,
                "'3'",
                Parsed::Instances(Instances::Count(3)),
            ),
            (Kind::ExecMode, "'cluster_mode'", Parsed::Str(s("cluster"))),
            (Kind::ExecMode, "'fork'", Parsed::Str(s("fork"))),
            (
                Kind::Args,
                "\"--a 'b c'\"",
                Parsed::List(vec![s("--a"), s("b c")]),
            ),
            (
                Kind::Args,
                "['--a', 3]",
                Parsed::List(vec![s("--a"), s("3")]),
            ),
            (Kind::Watch, "true", Parsed::Watch(WatchSpec::Cwd)),
            (
                Kind::Watch,
                "['src', 'lib']",
                Parsed::Watch(WatchSpec::Paths(vec![s("src"), s("lib")])),
            ),
            (Kind::ExitCodes, "0", Parsed::Codes(vec![0])),
            (Kind::ExitCodes, "[0, 143]", Parsed::Codes(vec![0, 143])),
            (
                Kind::Signal,
                "'sigterm'",
                Parsed::Signal(StopSignal::SIGTERM),
            ),
            (Kind::Cron, "'0 3 * * *'", Parsed::Str(s("0 3 * * *"))),
            (Kind::LogPath, "false", Parsed::Path(None)),
            (
                Kind::Port,
                "8080",
                Parsed::Port(crate::config::Listen::Port(8080)),
            ),
            (Kind::Id, "1000", Parsed::Str(s("1000"))),
            (
                Kind::FilterEnv,
                "['NODE_']",
                Parsed::FilterEnv(FilterEnv::Prefixes(vec![s("NODE_")])),
            ),
            (
                Kind::Env,
                "{A: 1, B: true, C: 'x', D: null, E: 1.5}",
                Parsed::Env(
                    [
                        ("A", "1"),
                        ("B", "true"),
                        ("C", "x"),
                        ("D", ""),
                        ("E", "1.5"),
                    ]
                    .into_iter()
                    .map(|(k, v)| (s(k), s(v)))
                    .collect(),
                ),
            ),
        ];
        for (kind, text, want) in rows {
            assert_eq!(read_text(kind, text), Ok(want), "{kind:?} {text}");
        }
    }

    #[test]
    fn bad_values_say_what_was_expected_and_found() {
        let rows = [
            (
                Kind::Instances,
                "'many'",
                "a number, \"max\" or -1",
                "\"many\"",
            ),
            (Kind::Instances, "-2", "a number, \"max\" or -1", "-2"),
            (Kind::Bool, "'yes'", "true or false", "\"yes\""),
            (
                Kind::Size,
                "'12X'",
                "bytes or a size like \"300M\"",
                "\"12X\"",
            ),
            (
                Kind::Duration,
                "-5",
                "milliseconds or a duration like \"5s\"",
                "-5",
            ),
            (
                Kind::Signal,
                "'SIGFOO'",
                "a signal name like \"SIGINT\"",
                "\"SIGFOO\"",
            ),
            (
                Kind::Cron,
                "'0 0 * *'",
                "a cron expression (it has 4 fields, expected 5 or 6)",
                "\"0 0 * *\"",
            ),
            (
                Kind::Port,
                "70000",
                "a port number from 1 to 65535, an address with a port (\"127.0.0.1:8000\") or a socket path",
                "70000",
            ),
            (
                Kind::Watch,
                "['src', 1]",
                "true, false, a path or a list of paths",
                "1",
            ),
            (
                Kind::Env,
                "{A: {B: 1}}",
                "a string, number or boolean",
                "an object",
            ),
            (
                Kind::Env,
                "[1]",
                "an object of variables with string, number or boolean values",
                "a list",
            ),
            (
                Kind::Args,
                "\"'open\"",
                "a string or a list of strings",
                "\"'open\"",
            ),
            (
                Kind::ExecMode,
                "'both'",
                "\"fork\" or \"cluster\"",
                "\"both\"",
            ),
            (Kind::Count, "1.5", "a whole number of 0 or more", "1.5"),
        ];
        for (kind, text, expected, found) in rows {
            assert_eq!(
                read_text(kind, text),
                Err((expected.to_string(), found.to_string())),
                "{kind:?} {text}"
            );
        }
    }
}
