//! Action sequences for the lifecycle machines, and the check that a step obeys the table.

use proptest::prelude::*;

use super::{broken, Invariant, InvariantViolation};
use crate::lifecycle::{
    BracketAction, BracketContext, DraftAction, DraftContext, Lifecycle, LifecycleError,
    MatchAction, TournamentAction, TournamentContext, Transition,
};

/// Checks one step of machine `L`: `outcome` is what deciding `action` in `state` under
/// `context` gave (from [`Lifecycle::apply`], or from your own code that wraps it), compared
/// with the machine's table read rule by rule:
/// - [`Invariant::TransitionEcho`]: a transition names the state and action asked;
/// - [`Invariant::TableAgrees`]: the action succeeds exactly when a rule for the pair has no
///   guard or a guard that holds, and then leads to that first rule's state with its events;
/// - [`Invariant::TypedRefusal`]: a refusal is `InvalidTransition` when the table has no rule
///   for the pair, otherwise `GuardFailed` naming one of the pair's guards; either names the
///   machine, state and action, in its message too;
/// - [`Invariant::AvailableAgrees`]: [`Lifecycle::allowed`] lists the action exactly when the
///   table has a rule for the pair, and [`Lifecycle::available`] exactly when it succeeds.
///
/// ```
/// use athlos_core::lifecycle::{DraftAction, DraftContext, DraftLifecycle, DraftState, Lifecycle};
/// use athlos_core::testing::{check_lifecycle, draft_actions};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::default();
/// runner.run(&draft_actions(0..40), |steps| {
///     let mut state = DraftState::Scheduled;
///     for (action, context) in steps {
///         let outcome = DraftLifecycle::apply(state, action, &context);
///         check_lifecycle::<DraftLifecycle>(state, action, &context, &outcome).unwrap();
///         if let Ok(step) = outcome {
///             state = step.to;
///         }
///     }
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// The first invariant found broken.
pub fn check_lifecycle<L: Lifecycle>(
    state: L::State,
    action: L::Action,
    context: &L::Context,
    outcome: &Result<Transition<L::State, L::Action>, LifecycleError>,
) -> Result<(), InvariantViolation> {
    let rules: Vec<_> = L::rules()
        .iter()
        .filter(|r| r.from == state && r.action == action)
        .collect();
    let decided = rules
        .iter()
        .find(|r| r.guard.as_ref().is_none_or(|g| (g.check)(context)));
    if L::allowed(state).contains(&action) == rules.is_empty() {
        return Err(broken(
            Invariant::AvailableAgrees,
            format!(
                "{} {state}: allowed() disagrees with the table on {action}",
                L::NAME
            ),
        ));
    }
    if L::available(state, context).contains(&action) != decided.is_some() {
        return Err(broken(
            Invariant::AvailableAgrees,
            format!("{} {state}: available() disagrees on {action}", L::NAME),
        ));
    }
    match (outcome, decided) {
        (Ok(step), Some(rule)) => {
            if step.from != state || step.action != action {
                return Err(broken(
                    Invariant::TransitionEcho,
                    format!("asked {state} {action}, got {} {}", step.from, step.action),
                ));
            }
            if step.to != rule.to || step.emits != rule.emits {
                return Err(broken(
                    Invariant::TableAgrees,
                    format!(
                        "{} {state} {action}: went to {} emitting {:?}, the table says {} emitting {:?}",
                        L::NAME,
                        step.to,
                        step.emits,
                        rule.to,
                        rule.emits
                    ),
                ));
            }
            Ok(())
        }
        (Ok(step), None) => Err(broken(
            Invariant::TableAgrees,
            format!(
                "{} {state} {action} went to {}, the table refuses it",
                L::NAME,
                step.to
            ),
        )),
        (Err(error), Some(rule)) => Err(broken(
            Invariant::TableAgrees,
            format!(
                "{} {state} {action} refused ({error}), the table leads to {}",
                L::NAME,
                rule.to
            ),
        )),
        (Err(error), None) => {
            let (machine, s, a, guard) = match error {
                LifecycleError::InvalidTransition {
                    machine,
                    state,
                    action,
                } => (*machine, state, action, None),
                LifecycleError::GuardFailed {
                    machine,
                    state,
                    action,
                    guard,
                } => (*machine, state, action, Some(*guard)),
            };
            let kind_ok = match guard {
                None => rules.is_empty(),
                Some(name) => rules
                    .iter()
                    .any(|r| r.guard.as_ref().is_some_and(|g| g.name == name)),
            };
            let text = error.to_string();
            if !kind_ok
                || machine != L::NAME
                || *s != state.to_string()
                || *a != action.to_string()
                || !text.contains(s.as_str())
                || !text.contains(a.as_str())
            {
                return Err(broken(
                    Invariant::TypedRefusal,
                    format!("{} {state} {action} refused as {error:?}", L::NAME),
                ));
            }
            Ok(())
        }
    }
}

/// Runs `steps` through machine `L` from `initial`, checking every step with
/// [`check_lifecycle`] and that a refusal leaves the state as it was; returns the final state.
///
/// # Errors
/// The first invariant found broken.
pub fn run_lifecycle<L: Lifecycle>(
    initial: L::State,
    steps: &[(L::Action, L::Context)],
) -> Result<L::State, InvariantViolation> {
    let mut state = initial;
    for (action, context) in steps {
        let outcome = L::apply(state, *action, context);
        check_lifecycle::<L>(state, *action, context, &outcome)?;
        if let Ok(step) = outcome {
            if !L::states().contains(&step.to) {
                return Err(broken(
                    Invariant::TableAgrees,
                    format!("{} reached unknown state {}", L::NAME, step.to),
                ));
            }
            state = step.to;
        }
    }
    Ok(state)
}

/// Sequences of bracket actions, each with a context (the bracket complete or not).
pub fn bracket_actions(
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<(BracketAction, BracketContext)>> {
    proptest::collection::vec(
        (
            proptest::sample::select(BracketAction::ALL.to_vec()),
            any::<bool>(),
        )
            .prop_map(|(action, complete)| (action, BracketContext { complete })),
        len,
    )
}

/// Sequences of tournament actions, each with a context: entries around the minimum and the
/// maximum, the round complete or not, last or not.
pub fn tournament_actions(
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<(TournamentAction, TournamentContext)>> {
    let context = (
        0usize..10,
        0usize..6,
        proptest::option::of(0usize..10),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(entries, min_entries, max_entries, round_complete, last_round, closed)| {
                TournamentContext {
                    entries,
                    min_entries,
                    max_entries,
                    round_complete,
                    last_round,
                    withdrawals_close_at_start: closed,
                }
            },
        );
    proptest::collection::vec(
        (
            proptest::sample::select(TournamentAction::ALL.to_vec()),
            context,
        ),
        len,
    )
}

/// Sequences of match actions (the match machine has no context).
pub fn match_actions(
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<(MatchAction, ())>> {
    proptest::collection::vec(
        proptest::sample::select(MatchAction::ALL.to_vec()).prop_map(|a| (a, ())),
        len,
    )
}

/// Sequences of draft actions, each with a context: picks made and picks in the draft,
/// including the edges (no picks, the last pick, past the end).
pub fn draft_actions(
    len: impl Into<proptest::collection::SizeRange>,
) -> impl Strategy<Value = Vec<(DraftAction, DraftContext)>> {
    proptest::collection::vec(
        (
            proptest::sample::select(DraftAction::ALL.to_vec()),
            0u32..12,
            prop_oneof![0u32..12, Just(u32::MAX)],
        )
            .prop_map(|(action, picks_made, total_picks)| {
                (
                    action,
                    DraftContext {
                        picks_made,
                        total_picks,
                    },
                )
            }),
        len,
    )
}
