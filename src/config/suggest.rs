//! "Did you mean …?": the nearest known name to a misspelt one, by edit distance.
//! Pure; runs in the CLI.

/// The candidate closest to `name`, if it is close enough to be a likely typo
/// (at most a third of the name's length, and at least 1 or 2 edits allowed).
pub(crate) fn nearest<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&name.to_ascii_lowercase(), c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance with transpositions counted as one edit (Damerau, restricted).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        let known = [
            "instances",
            "instance_var",
            "interpreter",
            "script",
            "env",
            "watch",
            "cwd",
        ];
        let rows = [
            ("instanses", Some("instances")),
            ("scirpt", Some("script")),
            ("Script", Some("script")),
            ("interpeter", Some("interpreter")),
            ("wacth", Some("watch")),
            ("evn", Some("env")),
            ("cdw", Some("cwd")),
            ("completely_different", None),
            ("xyz", None),
        ];
        for (input, want) in rows {
            assert_eq!(nearest(input, known), want, "{input:?}");
        }
    }

    #[test]
    fn edit_distances() {
        let rows = [
            ("", "", 0),
            ("a", "", 1),
            ("abc", "acb", 1),
            ("kitten", "sitting", 3),
        ];
        for (a, b, want) in rows {
            assert_eq!(edit_distance(a, b), want, "{a:?} {b:?}");
        }
    }
}
