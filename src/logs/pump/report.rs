//! What the pump tells its owner, and the closure it tells it through.

/// What the pump tells its owner (the supervisor, through a closure given to
/// [`Pump::spawn`]).
#[derive(Debug, Clone, PartialEq)]
pub enum PumpReport {
    /// Instance `id`'s log cannot be written (`message` says why), or can again (`None`).
    /// Sent only when this changes, not for every failed retry.
    LogError { id: u32, message: Option<String> },
}

/// Where the pump thread sends its reports.
pub(super) type Reporter = Box<dyn Fn(PumpReport) + Send>;
