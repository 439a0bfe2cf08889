//! Naming profiles: the same domain events under the names and shapes another platform's
//! clients read.
//!
//! The **platform** profile (`?names=platform` on the HTTP streams) gives the tournament
//! events of the platform of seed 001 their shapes there, each with the log sequence (to
//! resume from) and the event's time:
//!
//! | domain event | platform event | fields |
//! |---|---|---|
//! | `tournament.state_changed` | `state_changed` | `from_state`, `to_state` (upper case: `REGISTRATION`, `ACTIVE` …) |
//! | `match.result`, `match.corrected` | `match_result` | `match_id`, `winner` (`null`: a draw or a double forfeit), `round` |
//! | `pairing.ready` | `round_advanced` | `new_round`, `matches_count` (the round's games with two sides; byes are not matches) |
//! | `chat.posted` | `chat_message` | `message_id`, `author`, `text` (plain text) |
//! | `chat.deleted` | `chat_message_deleted` | `message_id`, `deleted_by` |
//!
//! Every one also carries `type`, `tournament_id`, `sequence` and `timestamp`. Other events
//! have no platform name and are left out. A round's pairings are ready when it opens, so the
//! first round is announced by a `round_advanced` too (`new_round: 1`), right after the
//! `state_changed` to `ACTIVE`. A `match.result` logged before results recorded their round
//! takes the round named in its match id.
//!
//! ```
//! use athlos_core::event::{Event, EventData};
//! use athlos_core::id::{EventId, TournamentId};
//! use athlos_core::lifecycle::TournamentState;
//! use athlos_core::profile::PlatformEvent;
//!
//! let event = Event {
//!     id: EventId::new("tournament:open:3:0")?,
//!     timestamp: "2025-12-29T19:00:00Z".parse()?,
//!     version: 3,
//!     data: EventData::TournamentStateChanged {
//!         tournament: TournamentId::new("open")?,
//!         from: TournamentState::Registration,
//!         to: TournamentState::Active,
//!     },
//! };
//! let shaped = PlatformEvent::of(&event, 42).expect("a state change has a platform name");
//! assert_eq!(
//!     serde_json::to_value(&shaped)?,
//!     serde_json::json!({"type": "state_changed", "tournament_id": "open", "sequence": 42,
//!         "timestamp": "2025-12-29T19:00:00Z", "from_state": "REGISTRATION", "to_state": "ACTIVE"})
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::bracket::MatchId;
use crate::event::{Event, EventData, MatchOwner};
use crate::id::TournamentId;
use crate::model::ParticipantId;

/// A domain event in the platform profile: the common fields and the shape of its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlatformEvent<'a> {
    /// The tournament.
    pub tournament_id: &'a TournamentId,
    /// The log sequence of the event (resume after it).
    pub sequence: u64,
    /// When it happened.
    pub timestamp: DateTime<Utc>,
    /// The kind, with its own fields (`type` names it).
    #[serde(flatten)]
    pub shape: PlatformShape<'a>,
}

/// The platform event kinds and their own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PlatformShape<'a> {
    /// The tournament's lifecycle state changed.
    StateChanged {
        /// The state before, upper case.
        from_state: String,
        /// The state after, upper case.
        to_state: String,
    },
    /// A match's result was recorded (or corrected).
    MatchResult {
        /// The match.
        match_id: &'a MatchId,
        /// The winner; `None` for a draw or a double forfeit.
        winner: Option<&'a ParticipantId>,
        /// The tournament round it was played in.
        round: u32,
    },
    /// A round opened with its pairings.
    RoundAdvanced {
        /// The round, from 1.
        new_round: u32,
        /// Its games with two sides (byes are not counted).
        matches_count: usize,
    },
    /// A chat message was posted.
    ChatMessage {
        /// The message's number in the chat.
        message_id: u64,
        /// Who posted it.
        author: &'a str,
        /// The text, plain (escape it to show it in a page).
        text: &'a str,
    },
    /// A chat message was deleted.
    ChatMessageDeleted {
        /// The message's number in the chat.
        message_id: u64,
        /// Who deleted it.
        deleted_by: &'a str,
    },
}

impl PlatformShape<'_> {
    /// The platform name of the kind (its `type`).
    pub fn name(&self) -> &'static str {
        match self {
            PlatformShape::StateChanged { .. } => "state_changed",
            PlatformShape::MatchResult { .. } => "match_result",
            PlatformShape::RoundAdvanced { .. } => "round_advanced",
            PlatformShape::ChatMessage { .. } => "chat_message",
            PlatformShape::ChatMessageDeleted { .. } => "chat_message_deleted",
        }
    }
}

impl<'a> PlatformEvent<'a> {
    /// `event`, logged at `sequence`, in the platform profile; `None` when it has no
    /// platform name (a division's result among them: the profile speaks of tournaments).
    pub fn of(event: &'a Event, sequence: u64) -> Option<Self> {
        let (tournament_id, shape) = match &event.data {
            EventData::TournamentStateChanged {
                tournament,
                from,
                to,
            } => (
                tournament,
                PlatformShape::StateChanged {
                    from_state: from.to_string().to_uppercase(),
                    to_state: to.to_string().to_uppercase(),
                },
            ),
            EventData::MatchResult {
                owner: MatchOwner::Tournament(tournament),
                match_id,
                result,
                round,
            } => (
                tournament,
                PlatformShape::MatchResult {
                    match_id,
                    winner: result.winner(),
                    round: round.unwrap_or_else(|| match_id.round()),
                },
            ),
            EventData::MatchCorrected {
                owner: MatchOwner::Tournament(tournament),
                match_id,
                result,
                ..
            } => (
                tournament,
                PlatformShape::MatchResult {
                    match_id,
                    winner: result.winner(),
                    round: match_id.round(),
                },
            ),
            EventData::PairingReady {
                tournament,
                round,
                pairings,
            } => (
                tournament,
                PlatformShape::RoundAdvanced {
                    new_round: *round,
                    matches_count: pairings
                        .iter()
                        .filter(|p| p.sides.iter().all(Option::is_some))
                        .count(),
                },
            ),
            EventData::ChatPosted {
                tournament,
                message,
                author,
                text,
            } => (
                tournament,
                PlatformShape::ChatMessage {
                    message_id: *message,
                    author,
                    text,
                },
            ),
            EventData::ChatDeleted {
                tournament,
                message,
                by,
            } => (
                tournament,
                PlatformShape::ChatMessageDeleted {
                    message_id: *message,
                    deleted_by: by,
                },
            ),
            _ => return None,
        };
        Some(PlatformEvent {
            tournament_id,
            sequence,
            timestamp: event.timestamp,
            shape,
        })
    }

    /// The platform name of the event (its `type`).
    pub fn name(&self) -> &'static str {
        self.shape.name()
    }
}
