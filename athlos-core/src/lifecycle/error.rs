//! The error of the lifecycle machines.

use thiserror::Error;

/// An action a lifecycle refuses. Deciding is pure: nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The table has no rule for this action in this state.
    #[error("{machine} in state {state} does not allow {action}")]
    InvalidTransition {
        /// The machine (`bracket`, `tournament`, `match`, `draft`).
        machine: &'static str,
        /// The current state.
        state: String,
        /// The refused action.
        action: String,
    },
    /// The action is allowed in this state but its guard does not hold.
    #[error("{machine} in state {state} cannot {action} now: {guard} does not hold")]
    GuardFailed {
        /// The machine.
        machine: &'static str,
        /// The current state.
        state: String,
        /// The refused action.
        action: String,
        /// The guard that refused.
        guard: &'static str,
    },
}

crate::codes::error_codes! {
LifecycleError {
    InvalidTransition => "invalid_transition", Conflict;
    GuardFailed => "guard_failed", Conflict;
}
}
