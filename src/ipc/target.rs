//! What a target on the command line names: `all`, an instance id, an app or a namespace.
//!
//! One matcher for both sides of the socket: the daemon resolves a request's targets to
//! instance ids with it, and the CLI (and `rpm::Client` users) filter rows and notices with
//! the same rule, so `rpm logs api` and `rpm stop api` can never disagree about `api`.

/// One target, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every instance.
    All,
    /// One instance, by its id.
    Id(u32),
    /// Every instance of the app of this name or, when no app has it, of this namespace.
    Name(String),
}

impl Target {
    /// Reads a target as the user wrote it.
    pub fn parse(text: &str) -> Target {
        if text == "all" {
            Target::All
        } else if let Ok(id) = text.parse::<u32>() {
            Target::Id(id)
        } else {
            Target::Name(text.to_string())
        }
    }

    /// Ids of the instances this target names among `rows` (id, app name, namespace), in
    /// the order of `rows`. An app name wins over a namespace of the same name, as in PM2.
    /// Empty when nothing matches; the caller words the error.
    pub fn select<'a>(&self, rows: impl IntoIterator<Item = Row<'a>> + Clone) -> Vec<u32> {
        match self {
            Target::All => rows.into_iter().map(|r| r.id).collect(),
            Target::Id(id) => rows
                .into_iter()
                .filter(|r| r.id == *id)
                .map(|r| r.id)
                .collect(),
            Target::Name(name) => {
                let by_app: Vec<u32> = rows
                    .clone()
                    .into_iter()
                    .filter(|r| r.name == name)
                    .map(|r| r.id)
                    .collect();
                if !by_app.is_empty() {
                    return by_app;
                }
                rows.into_iter()
                    .filter(|r| r.namespace == name)
                    .map(|r| r.id)
                    .collect()
            }
        }
    }

    /// What the user should hear when this target names nothing.
    pub fn not_found(&self) -> String {
        match self {
            Target::All => "no app is known: `rpm start` one first".to_string(),
            Target::Id(id) => format!("no instance with id {id}: `rpm list` shows the ids"),
            Target::Name(name) => {
                format!("no app or namespace named `{name}`: `rpm list` shows what rpm knows")
            }
        }
    }
}

/// What a target is matched against: one instance's id, app name and namespace.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub id: u32,
    pub name: &'a str,
    pub namespace: &'a str,
}

/// Resolves several targets: every instance any of them names, each once, in id order.
/// `Err` carries the sentence for the first target that names nothing (`all` with no
/// instance is not an error: it names an empty set).
pub fn resolve<'a>(
    targets: &[String],
    rows: impl IntoIterator<Item = Row<'a>> + Clone,
) -> Result<Vec<u32>, String> {
    let mut ids = Vec::new();
    for text in targets {
        let target = Target::parse(text);
        let found = target.select(rows.clone());
        if found.is_empty() && target != Target::All {
            return Err(target.not_found());
        }
        ids.extend(found);
    }
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Row<'static>> {
        vec![
            Row {
                id: 0,
                name: "api",
                namespace: "web",
            },
            Row {
                id: 1,
                name: "api",
                namespace: "web",
            },
            Row {
                id: 2,
                name: "worker",
                namespace: "jobs",
            },
            Row {
                id: 5,
                name: "jobs",
                namespace: "default",
            },
        ]
    }

    /// Targets as typed, and the ids or the error sentence they resolve to.
    type Case<'t> = (&'t [&'t str], Result<Vec<u32>, &'t str>);

    #[test]
    fn targets_resolve_to_ids_in_order_each_once() {
        let table: &[Case] = &[
            (&["all"], Ok(vec![0, 1, 2, 5])),
            (&["1"], Ok(vec![1])),
            (&["api"], Ok(vec![0, 1])),
            (&["web"], Ok(vec![0, 1])),
            // An app name wins over a namespace of the same name.
            (&["jobs"], Ok(vec![5])),
            (&["worker", "api", "0"], Ok(vec![0, 1, 2])),
            (
                &["7"],
                Err("no instance with id 7: `rpm list` shows the ids"),
            ),
            (
                &["nope"],
                Err("no app or namespace named `nope`: `rpm list` shows what rpm knows"),
            ),
        ];
        for (targets, want) in table {
            let targets: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
            let got = resolve(&targets, rows());
            assert_eq!(got, want.clone().map_err(String::from), "{targets:?}");
        }
    }

    #[test]
    fn all_of_nothing_is_empty_not_an_error() {
        assert_eq!(resolve(&["all".to_string()], Vec::<Row>::new()), Ok(vec![]));
    }
}
