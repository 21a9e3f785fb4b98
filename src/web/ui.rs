//! The dashboard's files (`GET /ui`), embedded in the binary: no CDN, nothing to install.
//!
//! `ui/index.html` lays out the process table, the log pane and the notices;
//! `ui/app.js` fills them from `/api/processes`, `/api/processes/{id}/logs?follow=1` and
//! `/api/events`, and asks for the token once (kept in the browser's localStorage) when
//! an action is refused.

/// One embedded file.
#[derive(Debug, PartialEq, Eq)]
pub struct Asset {
    pub content_type: &'static str,
    pub body: &'static str,
}

static INDEX: Asset = Asset {
    content_type: "text/html; charset=utf-8",
    body: include_str!("ui/index.html"),
};
static SCRIPT: Asset = Asset {
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("ui/app.js"),
};
static STYLE: Asset = Asset {
    content_type: "text/css; charset=utf-8",
    body: include_str!("ui/style.css"),
};

/// The file at `/ui/<name>` (`""` is the page itself).
pub fn asset(name: &str) -> Option<&'static Asset> {
    match name {
        "" | "index.html" => Some(&INDEX),
        "app.js" => Some(&SCRIPT),
        "style.css" => Some(&STYLE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_only_files_that_are_served() {
        assert_eq!(asset(""), Some(&INDEX));
        assert_eq!(asset("index.html"), Some(&INDEX));
        assert!(asset("../Cargo.toml").is_none());
        for link in ["/ui/app.js", "/ui/style.css"] {
            assert!(INDEX.body.contains(link), "{link}");
            assert!(asset(link.trim_start_matches("/ui/")).is_some(), "{link}");
        }
        assert!(
            !INDEX.body.contains("http://") && !INDEX.body.contains("https://"),
            "no CDN"
        );
    }
}
