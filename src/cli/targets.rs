//! Matching targets against `jlist` rows on the CLI side, with `ipc::target`'s rule.

/// What a target is matched against, for a row of `rpm jlist` (the CLI matches targets
/// itself only where it picks among rows, as `rpm logs` does; the rule is `ipc::target`'s).
pub(crate) fn target_row(p: &crate::ipc::ProcessInfo) -> crate::ipc::target::Row<'_> {
    crate::ipc::target::Row {
        id: p.id,
        name: &p.name,
        namespace: &p.namespace,
    }
}
