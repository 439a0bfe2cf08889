//! Lifecycle state machines as data.
//!
//! Each machine is a [`Lifecycle`]: a table of [`Rule`]s, one per (state, action) pair it
//! allows, each with an optional [`Guard`] over a context, the state it leads to and the
//! [`EventType`]s it emits. The same table answers "what may I do now?"
//! ([`Lifecycle::allowed`], [`Lifecycle::available`]) and decides a transition
//! ([`Lifecycle::apply`]). An action the table does not allow in a state is
//! [`LifecycleError::InvalidTransition`]; one whose guards all refuse is
//! [`LifecycleError::GuardFailed`]. Deciding is pure: the caller's state changes only when it
//! stores the returned [`Transition`].
//!
//! ```
//! use athlos_core::lifecycle::{BracketAction, BracketContext, BracketLifecycle, BracketState, Lifecycle};
//!
//! let context = BracketContext { complete: false };
//! assert_eq!(
//!     BracketLifecycle::allowed(BracketState::Locked),
//!     vec![BracketAction::RecordResult, BracketAction::Complete]
//! );
//! let step = BracketLifecycle::apply(BracketState::Ready, BracketAction::Lock, &context)?;
//! assert_eq!(step.to, BracketState::Locked);
//! assert!(BracketLifecycle::apply(BracketState::Locked, BracketAction::Generate, &context).is_err());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The four machines:
//! - [`BracketLifecycle`]: `draft → ready → locked → completed`.
//! - [`TournamentLifecycle`]: `draft → registration → active → completed → archived`, plus
//!   `cancelled`.
//! - [`MatchLifecycle`]: `pending → ready → in_progress → completed`, or walkover / double
//!   forfeit.
//! - [`DraftLifecycle`]: `scheduled → in_progress ⇄ paused → completed`, with the pick order
//!   and pick clock in [`draft`].

pub mod draft;
pub(crate) mod error;
mod machines;
pub(crate) mod states;

use std::fmt::{Debug, Display};

use crate::event::EventType;

pub use error::LifecycleError;
pub use machines::{
    BracketContext, BracketLifecycle, DraftContext, DraftLifecycle, MatchLifecycle,
    TournamentContext, TournamentLifecycle,
};
pub use states::{
    BracketAction, BracketState, DraftAction, DraftState, MatchAction, MatchState,
    TournamentAction, TournamentState,
};

/// A named predicate a rule needs to hold.
#[derive(Debug)]
pub struct Guard<C: 'static> {
    /// Short snake_case name, reported when it refuses.
    pub name: &'static str,
    /// The check.
    pub check: fn(&C) -> bool,
}

/// One row of a machine's table.
#[derive(Debug)]
pub struct Rule<S: 'static, A: 'static, C: 'static> {
    /// The state the rule applies in.
    pub from: S,
    /// The action.
    pub action: A,
    /// A condition on the context, if any. Several rules may share `from` and `action` with
    /// different guards: the first whose guard holds decides.
    pub guard: Option<Guard<C>>,
    /// The state after the action.
    pub to: S,
    /// The events the transition emits, in order.
    pub emits: &'static [EventType],
}

/// A decided transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition<S, A> {
    /// The state before.
    pub from: S,
    /// The action taken.
    pub action: A,
    /// The state after.
    pub to: S,
    /// The events to emit, in order.
    pub emits: &'static [EventType],
}

/// A state machine described by a table.
pub trait Lifecycle {
    /// The states.
    type State: Copy + Eq + Debug + Display + 'static;
    /// The actions.
    type Action: Copy + Eq + Debug + Display + 'static;
    /// What guards look at.
    type Context: 'static;

    /// The machine's name in errors (`bracket`, `tournament`, `match`, `draft`).
    const NAME: &'static str;

    /// Every state.
    fn states() -> &'static [Self::State];

    /// Every action.
    fn actions() -> &'static [Self::Action];

    /// The table.
    fn rules() -> &'static [Rule<Self::State, Self::Action, Self::Context>];

    /// The actions the table allows in `state`, whatever the context, in table order.
    fn allowed(state: Self::State) -> Vec<Self::Action> {
        let mut actions: Vec<Self::Action> = Vec::new();
        for rule in Self::rules().iter().filter(|rule| rule.from == state) {
            if !actions.contains(&rule.action) {
                actions.push(rule.action);
            }
        }
        actions
    }

    /// The actions that would succeed now: allowed in `state` with a guard that holds.
    fn available(state: Self::State, context: &Self::Context) -> Vec<Self::Action> {
        Self::allowed(state)
            .into_iter()
            .filter(|&action| Self::apply(state, action, context).is_ok())
            .collect()
    }

    /// Decides `action` in `state`.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidTransition`] when the table has no rule for the pair;
    /// [`LifecycleError::GuardFailed`] naming the first refusing guard when every rule for
    /// the pair is guarded and none holds.
    fn apply(
        state: Self::State,
        action: Self::Action,
        context: &Self::Context,
    ) -> Result<Transition<Self::State, Self::Action>, LifecycleError> {
        let mut refused: Option<&'static str> = None;
        for rule in Self::rules()
            .iter()
            .filter(|rule| rule.from == state && rule.action == action)
        {
            match &rule.guard {
                Some(guard) if !(guard.check)(context) => {
                    refused.get_or_insert(guard.name);
                }
                _ => {
                    return Ok(Transition {
                        from: state,
                        action,
                        to: rule.to,
                        emits: rule.emits,
                    })
                }
            }
        }
        Err(match refused {
            Some(guard) => LifecycleError::GuardFailed {
                machine: Self::NAME,
                state: state.to_string(),
                action: action.to_string(),
                guard,
            },
            None => LifecycleError::InvalidTransition {
                machine: Self::NAME,
                state: state.to_string(),
                action: action.to_string(),
            },
        })
    }
}
