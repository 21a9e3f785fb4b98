//! The rolling-reload planner: which instance to replace next, as a pure function.
//!
//! A reload replaces instances one at a time, in order, so the app never has fewer
//! than all-but-one of them serving, and stops at the first failure (the failed
//! instance's old process keeps serving; those after it are not touched). The
//! supervisor says where each instance stands; `next` says what to do.

/// Where one instance of a rolling reload stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// Not begun yet.
    Pending,
    /// Its new process is starting, or its old one stopping.
    InProgress,
    /// Replaced (or gone).
    Done,
    /// Its reload failed, for this reason.
    Failed(String),
}

/// What the reload does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Begin replacing this instance.
    Begin(u32),
    /// Wait for the instance in progress.
    Wait,
    /// Every instance is replaced.
    Finished,
    /// Instance `id` failed: the reload stops here.
    Failed { id: u32, message: String },
}

/// The next step of a reload of `order`, given each instance's phase.
pub fn next(order: &[u32], phase: impl Fn(u32) -> Phase) -> Next {
    for &id in order {
        match phase(id) {
            Phase::Done => continue,
            Phase::Failed(message) => return Next::Failed { id, message },
            Phase::InProgress => return Next::Wait,
            Phase::Pending => return Next::Begin(id),
        }
    }
    Next::Finished
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(phases: &[(u32, Phase)]) -> Next {
        let order: Vec<u32> = phases.iter().map(|(id, _)| *id).collect();
        next(&order, |id| {
            phases
                .iter()
                .find(|(i, _)| *i == id)
                .map(|(_, p)| p.clone())
                .unwrap_or(Phase::Done)
        })
    }

    #[test]
    fn instances_are_replaced_one_at_a_time_in_order_until_the_first_failure() {
        use Phase::*;
        let failed = |m: &str| Failed(m.to_string());
        type Row = (&'static str, Vec<(u32, Phase)>, Next);
        let rows: Vec<Row> = vec![
            ("nothing to do", vec![], Next::Finished),
            (
                "first begins",
                vec![(3, Pending), (4, Pending)],
                Next::Begin(3),
            ),
            (
                "one at a time",
                vec![(3, InProgress), (4, Pending)],
                Next::Wait,
            ),
            (
                "then the next",
                vec![(3, Done), (4, Pending)],
                Next::Begin(4),
            ),
            ("all done", vec![(3, Done), (4, Done)], Next::Finished),
            (
                "a failure stops it",
                vec![(3, Done), (4, failed("not ready")), (5, Pending)],
                Next::Failed {
                    id: 4,
                    message: "not ready".into(),
                },
            ),
            (
                "order is the caller's, not the ids'",
                vec![(9, Pending), (2, Pending)],
                Next::Begin(9),
            ),
        ];
        for (what, phases, want) in rows {
            assert_eq!(plan(&phases), want, "{what}");
        }
    }
}
