//! The domain event catalog: every state change the service layer commits yields events.
//!
//! An [`Event`] serializes to the envelope of DESIGN.md §7:
//!
//! ```json
//! {"id":"division:u17-60:3:0","type":"bracket.locked","timestamp":"2026-11-23T09:00:00Z",
//!  "version":3,"data":{"division":"u17-60","version":2,"hash":"…"}}
//! ```
//!
//! - `id`: unique in the log; the service builds it from the aggregate, its new version and
//!   the event's index in the commit, so replays and retries give the same ids.
//! - `type`: a dotted lower-case name ([`EventType::as_str`]); names never change once shipped.
//! - `timestamp`: from the service's [`Clock`](crate::clock::Clock), RFC 3339 in UTC.
//! - `version`: the version of the aggregate after the change that emitted the event.
//! - `data`: the payload of that type ([`EventData`]).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::bracket::{BracketOptions, Format, MatchId, MatchResult, Placement};
use crate::id::{CompetitionId, DivisionId, DraftId, EventId, TagName, TournamentId};
use crate::lifecycle::states::TournamentState;
use crate::model::ParticipantId;
use crate::tournament::TournamentRules;
use crate::version::ContentHash;

/// A domain event: what happened, to which aggregate version, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique id in the log.
    pub id: EventId,
    /// When it happened, from the clock.
    pub timestamp: DateTime<Utc>,
    /// The aggregate's version after the change.
    pub version: u64,
    /// What happened.
    pub data: EventData,
}

impl Event {
    /// The dotted type name of this event.
    pub fn event_type(&self) -> EventType {
        self.data.event_type()
    }
}

/// The dotted event types of the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// `bracket.generated`: a division's bracket was (re)generated.
    BracketGenerated,
    /// `bracket.failed`: generating a bracket failed.
    BracketFailed,
    /// `bracket.edited`: a manual edit produced a new version.
    BracketEdited,
    /// `bracket.locked`: the bracket was locked for play.
    BracketLocked,
    /// `bracket.completed`: the final result of a bracket is in.
    BracketCompleted,
    /// `tag.moved`: a version tag moved (including undo and redo).
    TagMoved,
    /// `tournament.state_changed`: a tournament changed lifecycle state.
    TournamentStateChanged,
    /// `round.started`: a round of a tournament started.
    RoundStarted,
    /// `pairing.ready`: the pairings of a round are known.
    PairingReady,
    /// `match.result`: a result was recorded.
    MatchResult,
    /// `round.finished`: every match of a round is decided.
    RoundFinished,
    /// `tournament.finished`: the last round is complete.
    TournamentFinished,
    /// `draft.started`: a draft began.
    DraftStarted,
    /// `draft.pick_made`: a team picked.
    DraftPickMade,
    /// `draft.autopicked`: the clock ran out and a pick was made for a team.
    DraftAutopicked,
    /// `draft.paused`: the draft was paused.
    DraftPaused,
    /// `draft.resumed`: the draft was resumed.
    DraftResumed,
    /// `draft.completed`: the last pick was made.
    DraftCompleted,
    /// `draft.pick_undone`: the commissioner took back the last pick.
    DraftPickUndone,
    /// `draft.picks_traded`: two teams swapped picks not yet made.
    DraftPicksTraded,
    /// `draft.queue_set`: a team set its queue of wanted players.
    DraftQueueSet,
    /// `tournament.deleted`: a tournament that had not started was deleted.
    TournamentDeleted,
    /// `match.corrected`: a recorded result was replaced by an explicit correction.
    MatchCorrected,
    /// `event.updated`: an event (a competition) was renamed.
    EventUpdated,
    /// `division.updated`: a division's name, bracket rules or draw seed changed.
    DivisionUpdated,
    /// `tournament.edited`: a tournament in draft changed its name, rules or start time.
    TournamentEdited,
    /// `chat.posted`: a message was posted to a tournament's chat.
    ChatPosted,
    /// `chat.deleted`: a chat message was deleted (its text is gone from the chat).
    ChatDeleted,
    /// `tournament.followed`: a user follows a tournament (its notifications reach them).
    TournamentFollowed,
    /// `tournament.unfollowed`: a user stopped following a tournament.
    TournamentUnfollowed,
    /// `tournament.starting`: a tournament's start is near (its reminder fired, once).
    TournamentStarting,
    /// `board.game_created`: a tournament's game was created on the board service.
    BoardGameCreated,
}

impl EventType {
    /// Every type, in catalog order.
    pub const ALL: [EventType; 32] = [
        EventType::BracketGenerated,
        EventType::BracketFailed,
        EventType::BracketEdited,
        EventType::BracketLocked,
        EventType::BracketCompleted,
        EventType::TagMoved,
        EventType::TournamentStateChanged,
        EventType::RoundStarted,
        EventType::PairingReady,
        EventType::MatchResult,
        EventType::RoundFinished,
        EventType::TournamentFinished,
        EventType::DraftStarted,
        EventType::DraftPickMade,
        EventType::DraftAutopicked,
        EventType::DraftPaused,
        EventType::DraftResumed,
        EventType::DraftCompleted,
        EventType::DraftPickUndone,
        EventType::DraftPicksTraded,
        EventType::DraftQueueSet,
        EventType::TournamentDeleted,
        EventType::MatchCorrected,
        EventType::EventUpdated,
        EventType::DivisionUpdated,
        EventType::TournamentEdited,
        EventType::ChatPosted,
        EventType::ChatDeleted,
        EventType::TournamentFollowed,
        EventType::TournamentUnfollowed,
        EventType::TournamentStarting,
        EventType::BoardGameCreated,
    ];

    /// The dotted lower-case name written in the envelope's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::BracketGenerated => "bracket.generated",
            EventType::BracketFailed => "bracket.failed",
            EventType::BracketEdited => "bracket.edited",
            EventType::BracketLocked => "bracket.locked",
            EventType::BracketCompleted => "bracket.completed",
            EventType::TagMoved => "tag.moved",
            EventType::TournamentStateChanged => "tournament.state_changed",
            EventType::RoundStarted => "round.started",
            EventType::PairingReady => "pairing.ready",
            EventType::MatchResult => "match.result",
            EventType::RoundFinished => "round.finished",
            EventType::TournamentFinished => "tournament.finished",
            EventType::DraftStarted => "draft.started",
            EventType::DraftPickMade => "draft.pick_made",
            EventType::DraftAutopicked => "draft.autopicked",
            EventType::DraftPaused => "draft.paused",
            EventType::DraftResumed => "draft.resumed",
            EventType::DraftCompleted => "draft.completed",
            EventType::DraftPickUndone => "draft.pick_undone",
            EventType::DraftPicksTraded => "draft.picks_traded",
            EventType::DraftQueueSet => "draft.queue_set",
            EventType::TournamentDeleted => "tournament.deleted",
            EventType::MatchCorrected => "match.corrected",
            EventType::EventUpdated => "event.updated",
            EventType::DivisionUpdated => "division.updated",
            EventType::TournamentEdited => "tournament.edited",
            EventType::ChatPosted => "chat.posted",
            EventType::ChatDeleted => "chat.deleted",
            EventType::TournamentFollowed => "tournament.followed",
            EventType::TournamentUnfollowed => "tournament.unfollowed",
            EventType::TournamentStarting => "tournament.starting",
            EventType::BoardGameCreated => "board.game_created",
        }
    }

    /// Whether anyone who may read the aggregate may see events of this type (its public
    /// streams show them). `draft.queue_set` is not: a team's queue of wanted players is its
    /// own; it goes to the draft's commissioner (webhooks) and to no public stream. Nor are
    /// `tournament.followed` and `tournament.unfollowed`: who follows a tournament is theirs
    /// (and the director's) to know.
    pub fn is_public(self) -> bool {
        !matches!(
            self,
            EventType::DraftQueueSet
                | EventType::TournamentFollowed
                | EventType::TournamentUnfollowed
        )
    }

    /// The type with this dotted name, if any.
    pub fn parse(name: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == name)
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which aggregate a match belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MatchOwner {
    /// A division's bracket.
    Division(DivisionId),
    /// A tournament.
    Tournament(TournamentId),
}

/// One pairing of a round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pairing {
    /// The match.
    #[serde(rename = "match")]
    pub match_id: MatchId,
    /// The two sides in slot order; `None` is a bye.
    pub sides: [Option<ParticipantId>; 2],
}

/// The payload of each event type; its serde tag is the dotted type name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
#[non_exhaustive]
pub enum EventData {
    /// `bracket.generated`.
    #[serde(rename = "bracket.generated")]
    BracketGenerated {
        /// The division.
        division: DivisionId,
        /// The new version number in the division's history.
        version: u32,
        /// Content hash of the bracket.
        hash: ContentHash,
        /// The concrete format.
        format: Format,
        /// Number of entries.
        entries: usize,
        /// The draw seed.
        seed: u64,
    },
    /// `bracket.failed`.
    #[serde(rename = "bracket.failed")]
    BracketFailed {
        /// The division.
        division: DivisionId,
        /// Why generation failed.
        reason: String,
    },
    /// `bracket.edited`.
    #[serde(rename = "bracket.edited")]
    BracketEdited {
        /// The division.
        division: DivisionId,
        /// The new version number.
        version: u32,
        /// Content hash of the edited bracket.
        hash: ContentHash,
        /// The edit applied.
        patch: crate::version::Patch,
    },
    /// `bracket.locked`.
    #[serde(rename = "bracket.locked")]
    BracketLocked {
        /// The division.
        division: DivisionId,
        /// The locked version number.
        version: u32,
        /// Its content hash.
        hash: ContentHash,
    },
    /// `bracket.completed`.
    #[serde(rename = "bracket.completed")]
    BracketCompleted {
        /// The division.
        division: DivisionId,
        /// Final placements.
        placements: Vec<Placement>,
    },
    /// `tag.moved`.
    #[serde(rename = "tag.moved")]
    TagMoved {
        /// The division.
        division: DivisionId,
        /// The tag.
        tag: TagName,
        /// The version it pointed at before, if any.
        from: Option<u32>,
        /// The version it points at now, if any.
        to: Option<u32>,
    },
    /// `tournament.state_changed`.
    #[serde(rename = "tournament.state_changed")]
    TournamentStateChanged {
        /// The tournament.
        tournament: TournamentId,
        /// State before.
        from: TournamentState,
        /// State after.
        to: TournamentState,
    },
    /// `round.started`.
    #[serde(rename = "round.started")]
    RoundStarted {
        /// The tournament.
        tournament: TournamentId,
        /// The round, from 1.
        round: u32,
    },
    /// `pairing.ready`.
    #[serde(rename = "pairing.ready")]
    PairingReady {
        /// The tournament.
        tournament: TournamentId,
        /// The round.
        round: u32,
        /// The pairings in match order.
        pairings: Vec<Pairing>,
    },
    /// `match.result`.
    #[serde(rename = "match.result")]
    MatchResult {
        /// The division or tournament.
        owner: MatchOwner,
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
        /// The result.
        result: MatchResult,
        /// The tournament round the match was played in (events logged before rounds were
        /// recorded, and division results, have none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        round: Option<u32>,
    },
    /// `round.finished`.
    #[serde(rename = "round.finished")]
    RoundFinished {
        /// The tournament.
        tournament: TournamentId,
        /// The round.
        round: u32,
    },
    /// `tournament.finished`.
    #[serde(rename = "tournament.finished")]
    TournamentFinished {
        /// The tournament.
        tournament: TournamentId,
        /// Final placements.
        placements: Vec<Placement>,
    },
    /// `draft.started`.
    #[serde(rename = "draft.started")]
    DraftStarted {
        /// The draft.
        draft: DraftId,
    },
    /// `draft.pick_made`.
    #[serde(rename = "draft.pick_made")]
    DraftPickMade {
        /// The draft.
        draft: DraftId,
        /// Overall pick number, from 1.
        pick: u32,
        /// The picking team's index, from 0.
        team: u32,
        /// Who was picked.
        player: ParticipantId,
    },
    /// `draft.autopicked`.
    #[serde(rename = "draft.autopicked")]
    DraftAutopicked {
        /// The draft.
        draft: DraftId,
        /// Overall pick number, from 1.
        pick: u32,
        /// The team picked for.
        team: u32,
        /// Who was picked.
        player: ParticipantId,
    },
    /// `draft.paused`.
    #[serde(rename = "draft.paused")]
    DraftPaused {
        /// The draft.
        draft: DraftId,
    },
    /// `draft.resumed`.
    #[serde(rename = "draft.resumed")]
    DraftResumed {
        /// The draft.
        draft: DraftId,
    },
    /// `draft.completed`.
    #[serde(rename = "draft.completed")]
    DraftCompleted {
        /// The draft.
        draft: DraftId,
    },
    /// `draft.pick_undone`.
    #[serde(rename = "draft.pick_undone")]
    DraftPickUndone {
        /// The draft.
        draft: DraftId,
        /// Overall pick number taken back, from 1; it is on the clock again.
        pick: u32,
        /// The team that had made it.
        team: u32,
        /// The player returned to the pool.
        player: ParticipantId,
    },
    /// `draft.picks_traded`.
    #[serde(rename = "draft.picks_traded")]
    DraftPicksTraded {
        /// The draft.
        draft: DraftId,
        /// The two overall pick numbers swapped, from 1.
        picks: [u32; 2],
        /// Their owners after the trade, in the same order.
        teams: [u32; 2],
    },
    /// `draft.queue_set`: a team's queue is private to it; streams to other teams should
    /// leave it out.
    #[serde(rename = "draft.queue_set")]
    DraftQueueSet {
        /// The draft.
        draft: DraftId,
        /// The team, from 0.
        team: u32,
        /// The queue, most wanted first.
        players: Vec<ParticipantId>,
    },
    /// `tournament.deleted`: the last event of a tournament; its document is gone.
    #[serde(rename = "tournament.deleted")]
    TournamentDeleted {
        /// The tournament.
        tournament: TournamentId,
        /// The state it was in (`draft` or `registration`).
        state: TournamentState,
    },
    /// `match.corrected`: the result recorded before and the one that replaced it.
    #[serde(rename = "match.corrected")]
    MatchCorrected {
        /// The division or tournament.
        owner: MatchOwner,
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
        /// The result recorded before the correction.
        previous: MatchResult,
        /// The result now recorded.
        result: MatchResult,
    },
    /// `event.updated`: the event's settings after the change.
    #[serde(rename = "event.updated")]
    EventUpdated {
        /// The event.
        event: CompetitionId,
        /// Its display name.
        name: String,
    },
    /// `division.updated`: the division's settings after the change (the rules and the seed
    /// apply to its next generated bracket).
    #[serde(rename = "division.updated")]
    DivisionUpdated {
        /// The division.
        division: DivisionId,
        /// Its display name.
        name: String,
        /// Its bracket rules.
        rules: BracketOptions,
        /// Its draw seed.
        seed: u64,
    },
    /// `tournament.edited`: the tournament's settings after an edit in draft.
    #[serde(rename = "tournament.edited")]
    TournamentEdited {
        /// The tournament.
        tournament: TournamentId,
        /// Its display name.
        name: String,
        /// Its rules.
        rules: TournamentRules,
        /// When play is announced to begin, if set.
        starts_at: Option<DateTime<Utc>>,
    },
    /// `chat.posted`: a message of a tournament's chat (logged for the chat, whose events
    /// concern its tournament). The text is plain text, as posted (trimmed): never markup.
    #[serde(rename = "chat.posted")]
    ChatPosted {
        /// The tournament.
        tournament: TournamentId,
        /// The message's number in the chat, from 1.
        message: u64,
        /// Who posted it (a principal subject).
        author: String,
        /// The text.
        text: String,
    },
    /// `chat.deleted`: the director (or an administrator) deleted a chat message; the chat
    /// keeps a tombstone without its text.
    #[serde(rename = "chat.deleted")]
    ChatDeleted {
        /// The tournament.
        tournament: TournamentId,
        /// The message's number in the chat.
        message: u64,
        /// Who deleted it.
        by: String,
    },
    /// `tournament.followed`: `user` (a principal's subject) follows the tournament.
    #[serde(rename = "tournament.followed")]
    TournamentFollowed {
        /// The tournament.
        tournament: TournamentId,
        /// Who follows it.
        user: String,
    },
    /// `tournament.unfollowed`: `user` no longer follows the tournament.
    #[serde(rename = "tournament.unfollowed")]
    TournamentUnfollowed {
        /// The tournament.
        tournament: TournamentId,
        /// Who stopped following it.
        user: String,
    },
    /// `tournament.starting`: the reminder before a tournament's announced start fired (at
    /// most once per start time).
    #[serde(rename = "tournament.starting")]
    TournamentStarting {
        /// The tournament.
        tournament: TournamentId,
        /// Its display name.
        name: String,
        /// When play is announced to begin.
        starts_at: DateTime<Utc>,
        /// Whole minutes from the reminder to the start (rounded up).
        starts_in_minutes: i64,
    },
    /// `board.game_created`: the game of a match exists on the board service under
    /// `game_id`, White the match's first side and Black its second (recorded once a match).
    #[serde(rename = "board.game_created")]
    BoardGameCreated {
        /// The tournament.
        tournament: TournamentId,
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
        /// The round it is played in.
        round: u32,
        /// The board service's id of the game.
        game_id: String,
        /// White, then Black.
        players: [ParticipantId; 2],
    },
}

impl EventData {
    /// The dotted type of this payload.
    pub fn event_type(&self) -> EventType {
        match self {
            EventData::BracketGenerated { .. } => EventType::BracketGenerated,
            EventData::BracketFailed { .. } => EventType::BracketFailed,
            EventData::BracketEdited { .. } => EventType::BracketEdited,
            EventData::BracketLocked { .. } => EventType::BracketLocked,
            EventData::BracketCompleted { .. } => EventType::BracketCompleted,
            EventData::TagMoved { .. } => EventType::TagMoved,
            EventData::TournamentStateChanged { .. } => EventType::TournamentStateChanged,
            EventData::RoundStarted { .. } => EventType::RoundStarted,
            EventData::PairingReady { .. } => EventType::PairingReady,
            EventData::MatchResult { .. } => EventType::MatchResult,
            EventData::RoundFinished { .. } => EventType::RoundFinished,
            EventData::TournamentFinished { .. } => EventType::TournamentFinished,
            EventData::DraftStarted { .. } => EventType::DraftStarted,
            EventData::DraftPickMade { .. } => EventType::DraftPickMade,
            EventData::DraftAutopicked { .. } => EventType::DraftAutopicked,
            EventData::DraftPaused { .. } => EventType::DraftPaused,
            EventData::DraftResumed { .. } => EventType::DraftResumed,
            EventData::DraftCompleted { .. } => EventType::DraftCompleted,
            EventData::DraftPickUndone { .. } => EventType::DraftPickUndone,
            EventData::DraftPicksTraded { .. } => EventType::DraftPicksTraded,
            EventData::DraftQueueSet { .. } => EventType::DraftQueueSet,
            EventData::TournamentDeleted { .. } => EventType::TournamentDeleted,
            EventData::MatchCorrected { .. } => EventType::MatchCorrected,
            EventData::EventUpdated { .. } => EventType::EventUpdated,
            EventData::DivisionUpdated { .. } => EventType::DivisionUpdated,
            EventData::TournamentEdited { .. } => EventType::TournamentEdited,
            EventData::ChatPosted { .. } => EventType::ChatPosted,
            EventData::ChatDeleted { .. } => EventType::ChatDeleted,
            EventData::TournamentFollowed { .. } => EventType::TournamentFollowed,
            EventData::TournamentUnfollowed { .. } => EventType::TournamentUnfollowed,
            EventData::TournamentStarting { .. } => EventType::TournamentStarting,
            EventData::BoardGameCreated { .. } => EventType::BoardGameCreated,
        }
    }
}

/// The wire order of the envelope: id, type, timestamp, version, data.
#[derive(Serialize)]
struct EnvelopeOut<'a> {
    id: &'a EventId,
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: &'a DateTime<Utc>,
    version: u64,
    data: &'a serde_json::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvelopeIn {
    id: EventId,
    #[serde(rename = "type")]
    kind: String,
    timestamp: DateTime<Utc>,
    version: u64,
    data: serde_json::Value,
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // The adjacently tagged payload serializes to {"type": ..., "data": ...}; the envelope
        // interleaves the id, timestamp and version between the two.
        let tagged = serde_json::to_value(&self.data).map_err(S::Error::custom)?;
        let data = tagged
            .get("data")
            .ok_or_else(|| S::Error::custom("event payload without data"))?;
        EnvelopeOut {
            id: &self.id,
            kind: self.data.event_type().as_str(),
            timestamp: &self.timestamp,
            version: self.version,
            data,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let envelope = EnvelopeIn::deserialize(deserializer)?;
        if EventType::parse(&envelope.kind).is_none() {
            return Err(D::Error::custom(format!(
                "unknown event type {:?}",
                envelope.kind
            )));
        }
        let tagged = serde_json::json!({ "type": envelope.kind, "data": envelope.data });
        let data = serde_json::from_value(tagged).map_err(D::Error::custom)?;
        Ok(Event {
            id: envelope.id,
            timestamp: envelope.timestamp,
            version: envelope.version,
            data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_name_is_dotted_lower_case_and_parses_back() {
        for kind in EventType::ALL {
            let name = kind.as_str();
            assert!(name.contains('.'), "{name}");
            assert_eq!(name, name.to_lowercase());
            assert_eq!(EventType::parse(name), Some(kind));
        }
        assert_eq!(EventType::parse("bracket.exploded"), None);
    }

    #[test]
    fn only_a_teams_queue_and_follows_are_private() {
        let private: Vec<EventType> = EventType::ALL
            .into_iter()
            .filter(|t| !t.is_public())
            .collect();
        assert_eq!(
            private,
            [
                EventType::DraftQueueSet,
                EventType::TournamentFollowed,
                EventType::TournamentUnfollowed
            ]
        );
    }

    #[test]
    fn unknown_type_is_refused() {
        let text = r#"{"id":"e","type":"bracket.exploded","timestamp":"2026-01-01T00:00:00Z","version":1,"data":{}}"#;
        let error = serde_json::from_str::<Event>(text).unwrap_err();
        assert!(error.to_string().contains("unknown event type"), "{error}");
    }
}
