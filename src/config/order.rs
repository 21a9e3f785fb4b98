//! Start order from `depends_on`: dependencies first, otherwise file order; a cycle is
//! reported as the path that loops (`a -> b -> a`). Pure; runs in the CLI (and wherever
//! a set of `AppSpec`s is started).

use super::error::ConfigError;
use super::spec::AppSpec;

/// Why no order exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrderError {
    /// App `app` (index) depends on `name`, which is not among the apps.
    Unknown { app: usize, name: String },
    /// The names along the loop, first one repeated at the end.
    Cycle(Vec<String>),
}

/// Indices of `names` so that every app comes after the apps it depends on.
pub(crate) fn order(names: &[&str], deps: &[Vec<String>]) -> Result<Vec<usize>, OrderError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit(
        i: usize,
        names: &[&str],
        deps: &[Vec<String>],
        marks: &mut [Mark],
        stack: &mut Vec<usize>,
        out: &mut Vec<usize>,
    ) -> Result<(), OrderError> {
        match marks[i] {
            Mark::Done => return Ok(()),
            Mark::Active => {
                let start = stack.iter().position(|&s| s == i).unwrap_or(0);
                let mut cycle: Vec<String> = stack[start..]
                    .iter()
                    .map(|&s| names[s].to_string())
                    .collect();
                cycle.push(names[i].to_string());
                return Err(OrderError::Cycle(cycle));
            }
            Mark::New => {}
        }
        marks[i] = Mark::Active;
        stack.push(i);
        for dep in deps.get(i).into_iter().flatten() {
            let j = names
                .iter()
                .position(|n| n == dep)
                .ok_or_else(|| OrderError::Unknown {
                    app: i,
                    name: dep.clone(),
                })?;
            visit(j, names, deps, marks, stack, out)?;
        }
        stack.pop();
        marks[i] = Mark::Done;
        out.push(i);
        Ok(())
    }
    let mut marks = vec![Mark::New; names.len()];
    let mut out = Vec::with_capacity(names.len());
    for i in 0..names.len() {
        visit(i, names, deps, &mut marks, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

/// The order in which to start `apps`: each after those in its `depends_on`.
pub fn start_order(apps: &[AppSpec]) -> Result<Vec<usize>, ConfigError> {
    let names: Vec<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let deps: Vec<Vec<String>> = apps.iter().map(|a| a.depends_on.clone()).collect();
    order(&names, &deps).map_err(|e| match e {
        OrderError::Unknown { app, name } => ConfigError::UnknownDependency {
            app: names[app].to_string(),
            name,
        },
        OrderError::Cycle(cycle) => ConfigError::DependencyCycle { cycle },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(name: &str, deps: &[&str]) -> AppSpec {
        let mut a = AppSpec::new(name, "/bin/true".into(), "/".into());
        a.depends_on = deps.iter().map(|d| d.to_string()).collect();
        a
    }

    #[test]
    fn start_orders() {
        type Row<'a> = (&'a [(&'a str, &'a [&'a str])], Result<Vec<usize>, &'a str>);
        let rows: &[Row] = &[
            (&[], Ok(vec![])),
            (&[("a", &[]), ("b", &[])], Ok(vec![0, 1])),
            (&[("web", &["db"]), ("db", &[])], Ok(vec![1, 0])),
            (
                &[("a", &["c"]), ("b", &["c"]), ("c", &[])],
                Ok(vec![2, 0, 1]),
            ),
            (
                &[("a", &["b"]), ("b", &["a"])],
                Err("error: `depends_on` forms a cycle: a -> b -> a"),
            ),
            (
                &[("a", &["a"])],
                Err("error: `depends_on` forms a cycle: a -> a"),
            ),
            (
                &[("x", &[]), ("a", &["b"]), ("b", &["c"]), ("c", &["a"])],
                Err("error: `depends_on` forms a cycle: a -> b -> c -> a"),
            ),
            (
                &[("a", &["zz"])],
                Err("error: app \"a\": `depends_on` names unknown app \"zz\""),
            ),
        ];
        for (apps, want) in rows {
            let specs: Vec<AppSpec> = apps.iter().map(|(n, d)| app(n, d)).collect();
            let got = start_order(&specs).map_err(|e| e.to_string());
            assert_eq!(got, want.clone().map_err(str::to_string), "{apps:?}");
        }
    }
}
