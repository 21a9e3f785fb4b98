//! Which changed paths an app's `ignore_watch` list leaves out: a small glob matcher.
//!
//! Three kinds of entry, as PM2 and chokidar users write them:
//! - absolute (`/srv/app/logs`, `/srv/app/**/*.tmp`): matched against the whole path;
//! - with a slash inside or a leading `./` (`logs/*.log`, `**/tmp/**`, `./cache`): matched
//!   against the path relative to the watched folder it lies in;
//! - without a slash (`node_modules`, `*.log`, `.git`, `cache/`): matched against every
//!   component of that relative path.
//!
//! A match on a folder covers everything below it, so `node_modules` and `/srv/app/logs`
//! also leave out their contents. Globs: `*` and `?` within one component (a leading dot
//! included), `**` as a whole component for any depth, `[a-z]`/`[!a-z]` classes, `{a,b}`
//! alternatives and `\` escapes; a pattern that does not parse as a glob (an unclosed `[`)
//! is taken literally. Pure code, run by the watcher thread (`watch::files`).

use std::path::{Component, Path};

/// The compiled ignore list of one app.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    /// Patterns matched against the absolute path.
    absolute: Vec<Vec<Segment>>,
    /// Patterns matched against the path relative to its watched folder.
    relative: Vec<Vec<Segment>>,
    /// Patterns matched against each component of the relative path.
    component: Vec<Glob>,
}

impl IgnoreList {
    /// Compiles `patterns` (the app's `ignore_watch` entries).
    pub fn new(patterns: &[String]) -> IgnoreList {
        let mut list = IgnoreList::default();
        for pattern in patterns {
            for alternative in expand_braces(pattern) {
                list.add(&alternative);
            }
        }
        list
    }

    fn add(&mut self, pattern: &str) {
        let absolute = pattern.starts_with('/');
        // `./cache` names the watched folder's own `cache`; `cache` and `cache/` any.
        let anchored = absolute || pattern.starts_with("./");
        let trimmed = pattern.trim_start_matches("./").trim_matches('/');
        if trimmed.is_empty() {
            // `/` or `./` would ignore everything watched; take them as nothing.
            return;
        }
        if !anchored && !trimmed.contains('/') {
            self.component.push(Glob::new(trimmed));
            return;
        }
        let segments = trimmed
            .split('/')
            .filter(|s| !s.is_empty() && *s != ".")
            .map(|s| match s {
                "**" => Segment::AnyDepth,
                _ => Segment::One(Glob::new(s)),
            })
            .collect();
        if absolute {
            self.absolute.push(segments);
        } else {
            self.relative.push(segments);
        }
    }

    /// True when `path`, which lies at or under the watched folder `base`, is left out.
    pub fn is_ignored(&self, path: &Path, base: &Path) -> bool {
        if !self.absolute.is_empty() {
            let whole = components(path);
            if self.absolute.iter().any(|p| matches_prefix(p, &whole)) {
                return true;
            }
        }
        let Ok(rel) = path.strip_prefix(base) else {
            return false;
        };
        let rel = components(rel);
        self.component
            .iter()
            .any(|glob| rel.iter().any(|c| glob.matches(c)))
            || self.relative.iter().any(|p| matches_prefix(p, &rel))
    }
}

/// The normal components of `path` as text (lossy for names that are not UTF-8).
fn components(path: &Path) -> Vec<String> {
    path.components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// True when the pattern matches the components, or a leading part of them (a folder that
/// matches covers its contents).
fn matches_prefix(pattern: &[Segment], comps: &[String]) -> bool {
    (1..=comps.len()).any(|n| matches_all(pattern, &comps[..n]))
}

fn matches_all(pattern: &[Segment], comps: &[String]) -> bool {
    match pattern.split_first() {
        None => comps.is_empty(),
        Some((Segment::AnyDepth, rest)) => {
            (0..=comps.len()).any(|i| matches_all(rest, &comps[i..]))
        }
        Some((Segment::One(glob), rest)) => match comps.split_first() {
            Some((first, tail)) => glob.matches(first) && matches_all(rest, tail),
            None => false,
        },
    }
}

/// `{a,b}` alternatives spelled out: `*.{js,ts}` becomes `*.js` and `*.ts`. Unbalanced
/// braces stay as they are.
fn expand_braces(pattern: &str) -> Vec<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut depth = 0usize;
    let mut open = None;
    let mut commas = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => {
                if depth == 0 {
                    open = Some(i);
                    commas.clear();
                }
                depth += 1;
            }
            ',' if depth == 1 => commas.push(i),
            '}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let Some(start) = open else { break };
                    if commas.is_empty() {
                        // `{x}` is no alternative; look for a later group.
                        open = None;
                    } else {
                        let head: String = chars[..start].iter().collect();
                        let tail: String = chars[i + 1..].iter().collect();
                        let mut bounds = vec![start];
                        bounds.extend(&commas);
                        bounds.push(i);
                        let mut out = Vec::new();
                        for w in bounds.windows(2) {
                            let middle: String = chars[w[0] + 1..w[1]].iter().collect();
                            out.extend(expand_braces(&format!("{head}{middle}{tail}")));
                        }
                        return out;
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    vec![pattern.to_string()]
}

/// One `/`-separated piece of a pattern.
#[derive(Debug, Clone)]
enum Segment {
    /// `**`: any number of components, none included.
    AnyDepth,
    /// A glob for exactly one component.
    One(Glob),
}

/// A glob for one path component.
#[derive(Debug, Clone)]
struct Glob(Vec<Token>);

#[derive(Debug, Clone)]
enum Token {
    Char(char),
    AnyChar,
    AnyRun,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl Glob {
    fn new(text: &str) -> Glob {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => {
                    if !matches!(tokens.last(), Some(Token::AnyRun)) {
                        tokens.push(Token::AnyRun);
                    }
                }
                '?' => tokens.push(Token::AnyChar),
                '\\' if i + 1 < chars.len() => {
                    i += 1;
                    tokens.push(Token::Char(chars[i]));
                }
                '[' => match parse_class(&chars[i + 1..]) {
                    Some((token, used)) => {
                        tokens.push(token);
                        i += used;
                    }
                    None => tokens.push(Token::Char('[')),
                },
                c => tokens.push(Token::Char(c)),
            }
            i += 1;
        }
        Glob(tokens)
    }

    /// Classic wildcard matching with one backtrack point for the last `*`.
    fn matches(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        let tokens = &self.0;
        let (mut t, mut s) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while s < text.len() {
            match tokens.get(t) {
                Some(Token::AnyRun) => {
                    star = Some((t, s));
                    t += 1;
                }
                Some(token) if token.matches_char(text[s]) => {
                    t += 1;
                    s += 1;
                }
                _ => match star {
                    Some((star_t, star_s)) => {
                        t = star_t + 1;
                        s = star_s + 1;
                        star = Some((star_t, star_s + 1));
                    }
                    None => return false,
                },
            }
        }
        tokens[t.min(tokens.len())..]
            .iter()
            .all(|token| matches!(token, Token::AnyRun))
    }
}

impl Token {
    fn matches_char(&self, c: char) -> bool {
        match self {
            Token::Char(want) => *want == c,
            Token::AnyChar => true,
            Token::AnyRun => false,
            Token::Class { negated, ranges } => {
                ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&c)) != *negated
            }
        }
    }
}

/// Parses a class after its `[`; returns the token and how many characters it used,
/// including the closing `]`, or `None` when there is no closing `]`.
fn parse_class(chars: &[char]) -> Option<(Token, usize)> {
    let mut i = 0;
    let negated = matches!(chars.first(), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let c = chars[i];
        if c == ']' && !first {
            return Some((Token::Class { negated, ranges }, i + 1));
        }
        first = false;
        if i + 2 < chars.len() && chars[i + 1] == '-' && chars[i + 2] != ']' {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_table() {
        let rows: &[(&str, &str, bool)] = &[
            ("*.log", "app.log", true),
            ("*.log", "app.log.1", false),
            ("*.log", ".log", true),
            ("*.log", "applog", false),
            ("a*b*c", "abc", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("?.js", "a.js", true),
            ("?.js", "ab.js", false),
            ("[abc].txt", "b.txt", true),
            ("[abc].txt", "d.txt", false),
            ("[!abc].txt", "d.txt", true),
            ("[a-c]x", "bx", true),
            ("[a-c]x", "dx", false),
            ("[]]", "]", true),
            ("[unclosed", "[unclosed", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("node_modules", "node_modules", true),
            ("node_modules", "node_modules2", false),
            ("*", "", true),
            ("", "", true),
            ("", "x", false),
        ];
        for (glob, text, want) in rows {
            assert_eq!(Glob::new(glob).matches(text), *want, "{glob:?} vs {text:?}");
        }
    }

    #[test]
    fn brace_table() {
        let rows: &[(&str, &[&str])] = &[
            ("plain", &["plain"]),
            ("*.{js,ts}", &["*.js", "*.ts"]),
            ("{a,b}/{c,d}", &["a/c", "a/d", "b/c", "b/d"]),
            ("{a,{b,c}}x", &["ax", "bx", "cx"]),
            ("{x}", &["{x}"]),
            ("{unclosed,", &["{unclosed,"]),
            ("\\{a,b}", &["\\{a,b}"]),
        ];
        for (pattern, want) in rows {
            assert_eq!(expand_braces(pattern), *want, "{pattern:?}");
        }
    }

    #[test]
    fn ignore_table() {
        let base = Path::new("/srv/app");
        let list = IgnoreList::new(&[
            "node_modules".to_string(),
            "*.log".to_string(),
            "/srv/app/secret".to_string(),
            "**/tmp/**".to_string(),
            "./build/*.map".to_string(),
            "/srv/app/**/*.{bak,swp}".to_string(),
            "cache/".to_string(),
            "./dist".to_string(),
        ]);
        let rows: &[(&str, bool)] = &[
            ("/srv/app/index.js", false),
            ("/srv/app/node_modules", true),
            ("/srv/app/node_modules/x/index.js", true),
            ("/srv/app/lib/node_modules/y.js", true),
            ("/srv/app/out.log", true),
            ("/srv/app/logs/out.log", true),
            ("/srv/app/out.log.1", false),
            ("/srv/app/secret", true),
            ("/srv/app/secret/key", true),
            ("/srv/app/secrets", false),
            ("/srv/app/tmp", true),
            ("/srv/app/a/tmp/b", true),
            ("/srv/app/tmpfile", false),
            ("/srv/app/build/app.js.map", true),
            ("/srv/app/build/app.js", false),
            ("/srv/app/src/build/app.js.map", false),
            ("/srv/app/x/y.bak", true),
            ("/srv/app/y.swp", true),
            ("/srv/app/cache", true),
            ("/srv/app/cache/z", true),
            ("/srv/app/src/cache", true),
            ("/srv/app/dist/x.js", true),
            ("/srv/app/src/dist/x.js", false),
        ];
        for (path, want) in rows {
            assert_eq!(list.is_ignored(Path::new(path), base), *want, "{path}");
        }
    }

    #[test]
    fn component_patterns_do_not_match_above_the_watched_folder() {
        let list = IgnoreList::new(&["srv".to_string(), "tmp".to_string()]);
        let base = Path::new("/tmp/srv/app");
        assert!(!list.is_ignored(Path::new("/tmp/srv/app/index.js"), base));
        assert!(list.is_ignored(Path::new("/tmp/srv/app/tmp/x"), base));
    }

    #[test]
    fn root_only_patterns_ignore_nothing() {
        let list = IgnoreList::new(&["/".to_string(), "./".to_string()]);
        let base = Path::new("/srv/app");
        assert!(!list.is_ignored(Path::new("/srv/app/index.js"), base));
    }
}
