//! The states and actions of the four machines: the words their tables are written in.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::bracket::MatchStatus;

macro_rules! named_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The snake_case name used in JSON and errors.
            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum!(
    /// Where a division's bracket stands.
    BracketState {
        /// No bracket yet.
        Draft => "draft",
        /// Generated; may be edited or regenerated.
        Ready => "ready",
        /// Frozen for play: results only.
        Locked => "locked",
        /// The final result is in.
        Completed => "completed",
    }
);

named_enum!(
    /// What may be done to a division's bracket.
    BracketAction {
        /// Generate (or regenerate) the bracket.
        Generate => "generate",
        /// Record that generation failed.
        Fail => "fail",
        /// Apply a manual edit.
        Edit => "edit",
        /// Lock for play.
        Lock => "lock",
        /// Record a match result.
        RecordResult => "record_result",
        /// Close the bracket once every match is decided.
        Complete => "complete",
    }
);

named_enum!(
    /// Where a tournament stands.
    TournamentState {
        /// Being set up; not visible.
        Draft => "draft",
        /// Published: entries may join and withdraw.
        Registration => "registration",
        /// Started: rounds are played.
        Active => "active",
        /// The last round is complete.
        Completed => "completed",
        /// Kept for the record; read-only.
        Archived => "archived",
        /// Called off before the start.
        Cancelled => "cancelled",
    }
);

named_enum!(
    /// What may be done to a tournament.
    TournamentAction {
        /// Open registration.
        Publish => "publish",
        /// An entry joins.
        Join => "join",
        /// An entry withdraws.
        Withdraw => "withdraw",
        /// Start round 1.
        Start => "start",
        /// Record a result of the current round.
        RecordResult => "record_result",
        /// Finish the current round and start the next, or finish the tournament.
        Advance => "advance",
        /// Call the tournament off (before the start).
        Cancel => "cancel",
        /// Archive.
        Archive => "archive",
        /// Delete the tournament (before the start). It leaves no state behind: the rule's
        /// `to` is the state it was in, and the service removes the document.
        Delete => "delete",
        /// Change the name, the rules or the start time (in draft).
        Edit => "edit",
        /// Abandon a match of the current round: a double forfeit, both sides lose.
        AbandonMatch => "abandon_match",
        /// A team registers (its members are kept with it).
        RegisterTeam => "register_team",
        /// A team leaves before the start.
        UnregisterTeam => "unregister_team",
    }
);

named_enum!(
    /// Where a match stands in play.
    MatchState {
        /// An opponent is not known yet.
        Pending => "pending",
        /// Both opponents known.
        Ready => "ready",
        /// Being played.
        InProgress => "in_progress",
        /// Played to a result.
        Completed => "completed",
        /// Decided without play: one side did not compete.
        Walkover => "walkover",
        /// Neither side competed.
        DoubleForfeit => "double_forfeit",
    }
);

named_enum!(
    /// What may happen to a match.
    MatchAction {
        /// Both opponents became known.
        Fill => "fill",
        /// Play begins.
        Begin => "begin",
        /// A played result.
        Finish => "finish",
        /// One side does not compete.
        Walkover => "walkover",
        /// Neither side competes.
        DoubleForfeit => "double_forfeit",
    }
);

named_enum!(
    /// Where a fantasy draft stands.
    DraftState {
        /// Not started.
        Scheduled => "scheduled",
        /// Picks are being made.
        InProgress => "in_progress",
        /// Stopped; the pick clock is frozen.
        Paused => "paused",
        /// Every pick made.
        Completed => "completed",
    }
);

named_enum!(
    /// What may happen to a draft.
    DraftAction {
        /// Begin picking.
        Start => "start",
        /// The team on the clock picks.
        Pick => "pick",
        /// The clock ran out: pick for the team.
        Autopick => "autopick",
        /// Freeze the clock.
        Pause => "pause",
        /// Restart the clock.
        Resume => "resume",
        /// The commissioner takes back the last pick.
        Undo => "undo",
        /// Two teams swap picks not yet made.
        Trade => "trade",
        /// A team sets its queue of wanted players.
        SetQueue => "set_queue",
    }
);

impl MatchState {
    /// The lifecycle state of a bracket match: `None` for matches the lifecycle does not
    /// govern (byes and matches not needed). A match the bracket knows only as ready may
    /// also be `in_progress` for a scoreboard that tracks play.
    pub fn of(status: MatchStatus) -> Option<MatchState> {
        match status {
            MatchStatus::Pending => Some(MatchState::Pending),
            MatchStatus::Ready => Some(MatchState::Ready),
            MatchStatus::Completed => Some(MatchState::Completed),
            MatchStatus::Walkover => Some(MatchState::Walkover),
            _ => None,
        }
    }
}
