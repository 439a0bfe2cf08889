//! What a viewer may do with an event's divisions now: the buttons and forms of the event
//! and division pages come from here, never from a second reading of the lifecycle.

use std::fmt;

use crate::access::Principal;
use crate::competition::{Competition, Division};
use crate::lifecycle::{BracketAction, BracketContext, BracketLifecycle, Lifecycle};

/// Something a viewer may do with one division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DivisionAction {
    /// Generate (or regenerate) the bracket from the division's rules.
    Generate,
    /// Preview a regeneration with overrides (quality report and diff), then save it: needs
    /// a current bracket to compare with, and a bracket that may still be regenerated.
    Preview,
    /// Apply a manual edit to the current bracket.
    Edit,
    /// Lock the current bracket for play.
    Lock,
    /// Record a match result in the locked bracket.
    RecordResult,
}

impl DivisionAction {
    /// The snake_case name pages and forms use.
    pub fn name(self) -> &'static str {
        match self {
            DivisionAction::Generate => "generate",
            DivisionAction::Preview => "preview",
            DivisionAction::Edit => "edit",
            DivisionAction::Lock => "lock",
            DivisionAction::RecordResult => "record_result",
        }
    }
}

impl fmt::Display for DivisionAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What `principal` may do with `division` of `competition` now (`None`: nobody signed in,
/// who may do nothing): the bracket actions the lifecycle allows in the division's state
/// whose guards hold, for the competition's director (or an administrator) only, plus
/// [`DivisionAction::Preview`] when a regeneration is allowed and there is a current bracket
/// to compare with. Everyone else may only look.
///
/// The service still decides every action when it is taken.
pub fn division_actions_for(
    competition: &Competition,
    division: &Division,
    principal: Option<&Principal>,
) -> Vec<DivisionAction> {
    let Some(principal) = principal else {
        return Vec::new();
    };
    if competition.may_direct(principal).is_err() || division.competition != competition.id {
        return Vec::new();
    }
    let context = BracketContext {
        complete: division.bracket.as_ref().is_some_and(|b| b.is_complete()),
    };
    let mut actions = Vec::new();
    for action in BracketLifecycle::available(division.state, &context) {
        match action {
            BracketAction::Generate => {
                actions.push(DivisionAction::Generate);
                if division.bracket.is_some() {
                    actions.push(DivisionAction::Preview);
                }
            }
            BracketAction::Edit => actions.push(DivisionAction::Edit),
            BracketAction::Lock => actions.push(DivisionAction::Lock),
            BracketAction::RecordResult => actions.push(DivisionAction::RecordResult),
            _ => {}
        }
    }
    actions
}

/// Whether `principal` may start generating every bracket of `competition` at once: its
/// director (or an administrator), when at least one of its `divisions` may still be
/// generated.
pub fn may_generate_all(
    competition: &Competition,
    divisions: &[Division],
    principal: Option<&Principal>,
) -> bool {
    divisions.iter().any(|division| {
        division_actions_for(competition, division, principal).contains(&DivisionAction::Generate)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bracket::{BracketOptions, Format};
    use crate::competition::DivisionRules;
    use crate::id::{CompetitionId, DivisionId};
    use crate::lifecycle::BracketState;
    use crate::model::Participant;
    use crate::version::History;

    fn event() -> Competition {
        Competition {
            id: CompetitionId::new("open").unwrap(),
            name: "Open".to_owned(),
            divisions: vec![DivisionId::new("u73").unwrap()],
            director: Some("dora".to_owned()),
        }
    }

    fn division(state: BracketState, drawn: bool) -> Division {
        let options = BracketOptions::new(Format::SingleElimination);
        let field: Vec<Participant> = (1..=4)
            .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).unwrap())
            .collect();
        let bracket = drawn.then(|| crate::draw(&field, &options, 1).unwrap());
        Division {
            id: DivisionId::new("u73").unwrap(),
            competition: CompetitionId::new("open").unwrap(),
            name: "-73 kg".to_owned(),
            participants: field,
            rules: DivisionRules { options, seed: 1 },
            state,
            bracket,
            history: History::default(),
        }
    }

    #[test]
    fn the_director_gets_what_the_state_allows() {
        let dora = Principal::new("dora", false);
        let actions = |d: &Division| division_actions_for(&event(), d, Some(&dora));
        assert_eq!(
            actions(&division(BracketState::Draft, false)),
            [DivisionAction::Generate]
        );
        assert_eq!(
            actions(&division(BracketState::Ready, true)),
            [
                DivisionAction::Generate,
                DivisionAction::Preview,
                DivisionAction::Edit,
                DivisionAction::Lock
            ]
        );
        assert_eq!(
            actions(&division(BracketState::Locked, true)),
            [DivisionAction::RecordResult]
        );
        assert!(may_generate_all(
            &event(),
            &[division(BracketState::Ready, true)],
            Some(&dora)
        ));
        assert!(!may_generate_all(
            &event(),
            &[division(BracketState::Locked, true)],
            Some(&dora)
        ));
    }

    #[test]
    fn others_may_only_look_and_administrators_direct() {
        let ready = division(BracketState::Ready, true);
        let sam = Principal::new("sam", false);
        assert!(division_actions_for(&event(), &ready, Some(&sam)).is_empty());
        assert!(division_actions_for(&event(), &ready, None).is_empty());
        assert!(!may_generate_all(
            &event(),
            std::slice::from_ref(&ready),
            Some(&sam)
        ));
        let admin = Principal::new("root", true);
        assert!(
            division_actions_for(&event(), &ready, Some(&admin)).contains(&DivisionAction::Lock)
        );
        // A division of another event is nobody's to direct through this one.
        let mut elsewhere = ready;
        elsewhere.competition = CompetitionId::new("other").unwrap();
        let dora = Principal::new("dora", false);
        assert!(division_actions_for(&event(), &elsewhere, Some(&dora)).is_empty());
    }
}
