//! The four tables.

use super::states::{
    BracketAction, BracketState, DraftAction, DraftState, MatchAction, MatchState,
    TournamentAction, TournamentState,
};
use super::{Guard, Lifecycle, Rule};
use crate::event::EventType;

/// What the bracket guards look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BracketContext {
    /// Every match of the bracket is decided.
    pub complete: bool,
}

/// `draft → ready → locked → completed`; generate and edit only before `locked`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BracketLifecycle;

const BRACKET_RULES: &[Rule<BracketState, BracketAction, BracketContext>] = &[
    Rule {
        from: BracketState::Draft,
        action: BracketAction::Generate,
        guard: None,
        to: BracketState::Ready,
        emits: &[EventType::BracketGenerated, EventType::TagMoved],
    },
    Rule {
        from: BracketState::Draft,
        action: BracketAction::Fail,
        guard: None,
        to: BracketState::Draft,
        emits: &[EventType::BracketFailed],
    },
    Rule {
        from: BracketState::Ready,
        action: BracketAction::Generate,
        guard: None,
        to: BracketState::Ready,
        emits: &[EventType::BracketGenerated, EventType::TagMoved],
    },
    Rule {
        from: BracketState::Ready,
        action: BracketAction::Fail,
        guard: None,
        to: BracketState::Ready,
        emits: &[EventType::BracketFailed],
    },
    Rule {
        from: BracketState::Ready,
        action: BracketAction::Edit,
        guard: None,
        to: BracketState::Ready,
        emits: &[EventType::BracketEdited, EventType::TagMoved],
    },
    Rule {
        from: BracketState::Ready,
        action: BracketAction::Lock,
        guard: None,
        to: BracketState::Locked,
        emits: &[EventType::BracketLocked],
    },
    Rule {
        from: BracketState::Locked,
        action: BracketAction::RecordResult,
        guard: Some(Guard {
            name: "bracket_not_complete",
            check: |c: &BracketContext| !c.complete,
        }),
        to: BracketState::Locked,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: BracketState::Locked,
        action: BracketAction::Complete,
        guard: Some(Guard {
            name: "every_match_decided",
            check: |c: &BracketContext| c.complete,
        }),
        to: BracketState::Completed,
        emits: &[EventType::BracketCompleted],
    },
];

impl Lifecycle for BracketLifecycle {
    type State = BracketState;
    type Action = BracketAction;
    type Context = BracketContext;
    const NAME: &'static str = "bracket";

    fn states() -> &'static [BracketState] {
        BracketState::ALL
    }
    fn actions() -> &'static [BracketAction] {
        BracketAction::ALL
    }
    fn rules() -> &'static [Rule<BracketState, BracketAction, BracketContext>] {
        BRACKET_RULES
    }
}

/// What the tournament guards look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TournamentContext {
    /// Entries registered.
    pub entries: usize,
    /// Entries needed to start.
    pub min_entries: usize,
    /// Entries allowed at most (`None`: no limit).
    pub max_entries: Option<usize>,
    /// Every match of the current round is decided.
    pub round_complete: bool,
    /// The current round is the last.
    pub last_round: bool,
    /// Entries may withdraw only before the start.
    pub withdrawals_close_at_start: bool,
}

/// `draft → registration → active → completed → archived`, plus `cancel` and `delete` before
/// the start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TournamentLifecycle;

const ROUND_IN_PROGRESS: Guard<TournamentContext> = Guard {
    name: "round_in_progress",
    check: |c| !c.round_complete,
};

const ENTRIES_BELOW_MAXIMUM: Guard<TournamentContext> = Guard {
    name: "entries_below_maximum",
    check: |c| c.max_entries.is_none_or(|max| c.entries < max),
};

const TOURNAMENT_RULES: &[Rule<TournamentState, TournamentAction, TournamentContext>] = &[
    Rule {
        from: TournamentState::Draft,
        action: TournamentAction::Edit,
        guard: None,
        to: TournamentState::Draft,
        emits: &[EventType::TournamentEdited],
    },
    Rule {
        from: TournamentState::Draft,
        action: TournamentAction::Publish,
        guard: None,
        to: TournamentState::Registration,
        emits: &[EventType::TournamentStateChanged],
    },
    Rule {
        from: TournamentState::Draft,
        action: TournamentAction::Cancel,
        guard: None,
        to: TournamentState::Cancelled,
        emits: &[EventType::TournamentStateChanged],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::Join,
        guard: Some(ENTRIES_BELOW_MAXIMUM),
        to: TournamentState::Registration,
        emits: &[],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::Withdraw,
        guard: None,
        to: TournamentState::Registration,
        emits: &[],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::RegisterTeam,
        guard: Some(ENTRIES_BELOW_MAXIMUM),
        to: TournamentState::Registration,
        emits: &[],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::UnregisterTeam,
        guard: None,
        to: TournamentState::Registration,
        emits: &[],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::Start,
        guard: Some(Guard {
            name: "minimum_entries",
            check: |c| c.entries >= c.min_entries.max(2),
        }),
        to: TournamentState::Active,
        emits: &[
            EventType::TournamentStateChanged,
            EventType::RoundStarted,
            EventType::PairingReady,
        ],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::Cancel,
        guard: None,
        to: TournamentState::Cancelled,
        emits: &[EventType::TournamentStateChanged],
    },
    Rule {
        from: TournamentState::Active,
        action: TournamentAction::RecordResult,
        guard: Some(ROUND_IN_PROGRESS),
        to: TournamentState::Active,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: TournamentState::Active,
        action: TournamentAction::AbandonMatch,
        guard: Some(ROUND_IN_PROGRESS),
        to: TournamentState::Active,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: TournamentState::Active,
        action: TournamentAction::Withdraw,
        guard: Some(Guard {
            name: "withdrawals_open_during_play",
            check: |c| !c.withdrawals_close_at_start,
        }),
        to: TournamentState::Active,
        emits: &[],
    },
    Rule {
        from: TournamentState::Active,
        action: TournamentAction::Advance,
        guard: Some(Guard {
            name: "round_complete_and_more_rounds",
            check: |c| c.round_complete && !c.last_round,
        }),
        to: TournamentState::Active,
        emits: &[
            EventType::RoundFinished,
            EventType::RoundStarted,
            EventType::PairingReady,
        ],
    },
    Rule {
        from: TournamentState::Active,
        action: TournamentAction::Advance,
        guard: Some(Guard {
            name: "last_round_complete",
            check: |c| c.round_complete && c.last_round,
        }),
        to: TournamentState::Completed,
        emits: &[
            EventType::RoundFinished,
            EventType::TournamentFinished,
            EventType::TournamentStateChanged,
        ],
    },
    Rule {
        from: TournamentState::Completed,
        action: TournamentAction::Archive,
        guard: None,
        to: TournamentState::Archived,
        emits: &[EventType::TournamentStateChanged],
    },
    Rule {
        from: TournamentState::Cancelled,
        action: TournamentAction::Archive,
        guard: None,
        to: TournamentState::Archived,
        emits: &[EventType::TournamentStateChanged],
    },
    Rule {
        from: TournamentState::Draft,
        action: TournamentAction::Delete,
        guard: None,
        to: TournamentState::Draft,
        emits: &[EventType::TournamentDeleted],
    },
    Rule {
        from: TournamentState::Registration,
        action: TournamentAction::Delete,
        guard: None,
        to: TournamentState::Registration,
        emits: &[EventType::TournamentDeleted],
    },
];

impl Lifecycle for TournamentLifecycle {
    type State = TournamentState;
    type Action = TournamentAction;
    type Context = TournamentContext;
    const NAME: &'static str = "tournament";

    fn states() -> &'static [TournamentState] {
        TournamentState::ALL
    }
    fn actions() -> &'static [TournamentAction] {
        TournamentAction::ALL
    }
    fn rules() -> &'static [Rule<TournamentState, TournamentAction, TournamentContext>] {
        TOURNAMENT_RULES
    }
}

/// `pending → ready → in_progress → completed`, or walkover / double forfeit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MatchLifecycle;

const MATCH_RULES: &[Rule<MatchState, MatchAction, ()>] = &[
    Rule {
        from: MatchState::Pending,
        action: MatchAction::Fill,
        guard: None,
        to: MatchState::Ready,
        emits: &[],
    },
    Rule {
        from: MatchState::Ready,
        action: MatchAction::Begin,
        guard: None,
        to: MatchState::InProgress,
        emits: &[],
    },
    Rule {
        from: MatchState::Ready,
        action: MatchAction::Walkover,
        guard: None,
        to: MatchState::Walkover,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: MatchState::Ready,
        action: MatchAction::DoubleForfeit,
        guard: None,
        to: MatchState::DoubleForfeit,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: MatchState::InProgress,
        action: MatchAction::Finish,
        guard: None,
        to: MatchState::Completed,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: MatchState::InProgress,
        action: MatchAction::Walkover,
        guard: None,
        to: MatchState::Walkover,
        emits: &[EventType::MatchResult],
    },
    Rule {
        from: MatchState::InProgress,
        action: MatchAction::DoubleForfeit,
        guard: None,
        to: MatchState::DoubleForfeit,
        emits: &[EventType::MatchResult],
    },
];

impl Lifecycle for MatchLifecycle {
    type State = MatchState;
    type Action = MatchAction;
    type Context = ();
    const NAME: &'static str = "match";

    fn states() -> &'static [MatchState] {
        MatchState::ALL
    }
    fn actions() -> &'static [MatchAction] {
        MatchAction::ALL
    }
    fn rules() -> &'static [Rule<MatchState, MatchAction, ()>] {
        MATCH_RULES
    }
}

/// What the draft guards look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DraftContext {
    /// Picks made so far.
    pub picks_made: u32,
    /// Picks in the whole draft.
    pub total_picks: u32,
}

/// `scheduled → in_progress ⇄ paused → completed`; the commissioner may undo the last pick
/// while picking or paused, and picks not yet made may be traded and queues set until the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DraftLifecycle;

const MORE_PICKS: Guard<DraftContext> = Guard {
    name: "more_picks_after_this",
    check: |c| c.picks_made.saturating_add(1) < c.total_picks,
};
const LAST_PICK: Guard<DraftContext> = Guard {
    name: "last_pick",
    check: |c| c.picks_made.saturating_add(1) == c.total_picks,
};

const PICKS_MADE: Guard<DraftContext> = Guard {
    name: "a_pick_made",
    check: |c| c.picks_made > 0,
};

const DRAFT_RULES: &[Rule<DraftState, DraftAction, DraftContext>] = &[
    Rule {
        from: DraftState::Scheduled,
        action: DraftAction::Start,
        guard: Some(Guard {
            name: "has_picks",
            check: |c| c.total_picks > 0,
        }),
        to: DraftState::InProgress,
        emits: &[EventType::DraftStarted],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Pick,
        guard: Some(MORE_PICKS),
        to: DraftState::InProgress,
        emits: &[EventType::DraftPickMade],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Pick,
        guard: Some(LAST_PICK),
        to: DraftState::Completed,
        emits: &[EventType::DraftPickMade, EventType::DraftCompleted],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Autopick,
        guard: Some(MORE_PICKS),
        to: DraftState::InProgress,
        emits: &[EventType::DraftAutopicked],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Autopick,
        guard: Some(LAST_PICK),
        to: DraftState::Completed,
        emits: &[EventType::DraftAutopicked, EventType::DraftCompleted],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Pause,
        guard: None,
        to: DraftState::Paused,
        emits: &[EventType::DraftPaused],
    },
    Rule {
        from: DraftState::Paused,
        action: DraftAction::Resume,
        guard: None,
        to: DraftState::InProgress,
        emits: &[EventType::DraftResumed],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Undo,
        guard: Some(PICKS_MADE),
        to: DraftState::InProgress,
        emits: &[EventType::DraftPickUndone],
    },
    Rule {
        from: DraftState::Paused,
        action: DraftAction::Undo,
        guard: Some(PICKS_MADE),
        to: DraftState::Paused,
        emits: &[EventType::DraftPickUndone],
    },
    Rule {
        from: DraftState::Scheduled,
        action: DraftAction::Trade,
        guard: None,
        to: DraftState::Scheduled,
        emits: &[EventType::DraftPicksTraded],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::Trade,
        guard: None,
        to: DraftState::InProgress,
        emits: &[EventType::DraftPicksTraded],
    },
    Rule {
        from: DraftState::Paused,
        action: DraftAction::Trade,
        guard: None,
        to: DraftState::Paused,
        emits: &[EventType::DraftPicksTraded],
    },
    Rule {
        from: DraftState::Scheduled,
        action: DraftAction::SetQueue,
        guard: None,
        to: DraftState::Scheduled,
        emits: &[EventType::DraftQueueSet],
    },
    Rule {
        from: DraftState::InProgress,
        action: DraftAction::SetQueue,
        guard: None,
        to: DraftState::InProgress,
        emits: &[EventType::DraftQueueSet],
    },
    Rule {
        from: DraftState::Paused,
        action: DraftAction::SetQueue,
        guard: None,
        to: DraftState::Paused,
        emits: &[EventType::DraftQueueSet],
    },
];

impl Lifecycle for DraftLifecycle {
    type State = DraftState;
    type Action = DraftAction;
    type Context = DraftContext;
    const NAME: &'static str = "draft";

    fn states() -> &'static [DraftState] {
        DraftState::ALL
    }
    fn actions() -> &'static [DraftAction] {
        DraftAction::ALL
    }
    fn rules() -> &'static [Rule<DraftState, DraftAction, DraftContext>] {
        DRAFT_RULES
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bracket::MatchStatus;

    #[test]
    fn bracket_statuses_map_to_match_states() {
        assert_eq!(MatchState::of(MatchStatus::Ready), Some(MatchState::Ready));
        assert_eq!(
            MatchState::of(MatchStatus::Walkover),
            Some(MatchState::Walkover)
        );
        assert_eq!(MatchState::of(MatchStatus::Bye), None);
        assert_eq!(
            MatchLifecycle::allowed(MatchState::Ready),
            vec![
                MatchAction::Begin,
                MatchAction::Walkover,
                MatchAction::DoubleForfeit
            ]
        );
    }
}
