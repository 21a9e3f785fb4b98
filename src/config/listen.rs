//! The `port` attribute: where the listening socket the daemon owns is bound.
//!
//! A number is a TCP port on every address, IPv4 and IPv6 (`8000`); `host:port` one
//! address (`127.0.0.1:8000`, `[::1]:8000`); anything with a `/` a Unix socket path
//! (made absolute against the app's cwd by the CLI). On the wire and in `state.json` it
//! is written as the user wrote it: a number, or a string.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Where an app's shared listening socket is bound.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listen {
    /// A TCP port on every address, IPv4 and IPv6.
    Port(u16),
    /// A TCP port on one address.
    Addr(SocketAddr),
    /// A Unix stream socket at this path.
    Path(PathBuf),
}

impl Listen {
    /// Reads `8000`, `127.0.0.1:8000`, `[::1]:8000` or a path containing `/`; the
    /// error says what was expected.
    pub fn parse(text: &str) -> Result<Listen, String> {
        let text = text.trim();
        if text.contains('/') {
            return Ok(Listen::Path(PathBuf::from(text)));
        }
        if let Ok(port) = text.parse::<u32>() {
            return match u16::try_from(port) {
                Ok(port) if port > 0 => Ok(Listen::Port(port)),
                _ => Err(format!("port {port} is out of range: use 1 to 65535")),
            };
        }
        match text.parse::<SocketAddr>() {
            Ok(addr) if addr.port() == 0 => Err(format!(
                "`{text}` has port 0: name the port the apps share"
            )),
            Ok(addr) => Ok(Listen::Addr(addr)),
            Err(_) => Err(format!(
                "`{text}` is not a port (8000), an address with a port (127.0.0.1:8000, [::1]:8000) or a socket path (./app.sock)"
            )),
        }
    }

    /// A relative socket path made absolute against `cwd`; other forms unchanged.
    pub fn absolute(self, cwd: &Path) -> Listen {
        match self {
            Listen::Path(p) if p.is_relative() => {
                Listen::Path(super::interpreter::normalize(&cwd.join(p)))
            }
            other => other,
        }
    }

    /// The value of `PORT` an instance receives: the port, or the socket path.
    pub fn port_var(&self) -> String {
        match self {
            Listen::Port(p) => p.to_string(),
            Listen::Addr(a) => a.port().to_string(),
            Listen::Path(p) => p.to_string_lossy().into_owned(),
        }
    }
}

impl std::fmt::Display for Listen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Listen::Port(p) => write!(f, "{p}"),
            Listen::Addr(a) => write!(f, "{a}"),
            Listen::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

impl Serialize for Listen {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Listen::Port(p) => s.serialize_u16(*p),
            other => s.serialize_str(&other.to_string()),
        }
    }
}

impl<'de> Deserialize<'de> for Listen {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Listen, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Wire {
            Number(u64),
            Text(String),
        }
        match Wire::deserialize(d)? {
            Wire::Number(n) => Listen::parse(&n.to_string()),
            Wire::Text(t) => Listen::parse(&t),
        }
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_addresses_and_paths_are_told_apart() {
        let rows: &[(&str, Result<Listen, &str>)] = &[
            ("8000", Ok(Listen::Port(8000))),
            (
                "127.0.0.1:8000",
                Ok(Listen::Addr("127.0.0.1:8000".parse().unwrap())),
            ),
            (
                "[::1]:9000",
                Ok(Listen::Addr("[::1]:9000".parse().unwrap())),
            ),
            ("./app.sock", Ok(Listen::Path("./app.sock".into()))),
            ("/run/app.sock", Ok(Listen::Path("/run/app.sock".into()))),
            ("0", Err("port 0 is out of range: use 1 to 65535")),
            ("70000", Err("port 70000 is out of range: use 1 to 65535")),
            (
                "127.0.0.1:0",
                Err("`127.0.0.1:0` has port 0: name the port the apps share"),
            ),
        ];
        for (text, want) in rows {
            let got = Listen::parse(text);
            match want {
                Ok(l) => assert_eq!(got.as_ref(), Ok(l), "{text}"),
                Err(e) => assert_eq!(got.as_ref().map_err(String::as_str), Err(*e), "{text}"),
            }
        }
        assert!(Listen::parse("http").unwrap_err().contains("is not a port"));
    }

    #[test]
    fn it_travels_as_written() {
        for (value, text) in [
            (Listen::Port(3000), "3000"),
            (Listen::Addr("[::1]:80".parse().unwrap()), "\"[::1]:80\""),
            (Listen::Path("/s/a.sock".into()), "\"/s/a.sock\""),
        ] {
            assert_eq!(serde_json::to_string(&value).unwrap(), text);
            assert_eq!(serde_json::from_str::<Listen>(text).unwrap(), value);
        }
        assert!(serde_json::from_str::<Listen>("0").is_err());
    }

    #[test]
    fn relative_paths_are_made_absolute_and_port_is_what_listen_takes() {
        let l = Listen::parse("run/a.sock")
            .unwrap()
            .absolute(Path::new("/srv/app"));
        assert_eq!(l, Listen::Path("/srv/app/run/a.sock".into()));
        assert_eq!(l.port_var(), "/srv/app/run/a.sock");
        assert_eq!(Listen::parse("[::]:81").unwrap().port_var(), "81");
    }
}
