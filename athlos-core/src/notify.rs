//! Notifications: what one user hears of the tournaments they play in or follow, read off
//! the event log.
//!
//! Nothing is stored per notification. A user's notifications are *derived* from the log in
//! order, one at most per logged event, so a notification's id is the sequence of the event
//! it comes from: ids only grow, a reader that resumes after the last id it saw misses none
//! and sees none twice, and the same log always gives the same notifications. What is kept
//! per user is a read cursor (the account's `notifications_read`): every notification with an
//! id up to it is read.
//!
//! Whom an event concerns ([`Feed::observe`]):
//!
//! - `match_ready` (from `pairing.ready`): each user of both entries of a match with two
//!   sides, with the opponent; a team's users are its members, another entry's user is the
//!   subject whose id the entry has (who registers themselves enters under their user id);
//! - `result_recorded` (from `match.result` and `match.corrected` of a tournament): the users
//!   of the match's entries, and the tournament's followers;
//! - `tournament_finished` (from `tournament.finished`): every entrant's users with their
//!   place, and the followers (without one);
//! - `tournament_starting` (from `tournament.starting`, logged once per start time by the
//!   reminder deadline, see [`TOURNAMENT_STARTING`]): entrants and followers;
//! - `state_changed` (from `tournament.state_changed`): the followers.
//!
//! Following is itself in the log (`tournament.followed`, `tournament.unfollowed`), so a
//! follower hears of what happened while they followed, not before or after.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bracket::{MatchId, MatchResult};
use crate::event::{EventData, MatchOwner};
use crate::id::TournamentId;
use crate::lifecycle::TournamentState;
use crate::model::ParticipantId;
use crate::store::LoggedEvent;
use crate::tournament::Tournament;

/// The purpose of a tournament's start-reminder deadline
/// ([`DeadlineKey::purpose`](crate::store::DeadlineKey::purpose)), next to `pick_clock`.
pub const TOURNAMENT_STARTING: &str = "tournament_starting";

/// Minutes before `starts_at` that the start reminder fires, unless configured otherwise.
pub const DEFAULT_REMINDER_MINUTES: i64 = 15;

/// The most notifications one page holds.
pub const MAX_PAGE: usize = 500;

/// What a notification says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A match of the user's entry can be played.
    MatchReady,
    /// A tournament's announced start is near.
    TournamentStarting,
    /// A result was recorded (or corrected).
    ResultRecorded,
    /// A tournament finished.
    TournamentFinished,
    /// A followed tournament changed lifecycle state.
    StateChanged,
}

impl NotificationKind {
    /// Every kind.
    pub const ALL: [NotificationKind; 5] = [
        NotificationKind::MatchReady,
        NotificationKind::TournamentStarting,
        NotificationKind::ResultRecorded,
        NotificationKind::TournamentFinished,
        NotificationKind::StateChanged,
    ];

    /// The snake-case name (`match_ready` …).
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::MatchReady => "match_ready",
            NotificationKind::TournamentStarting => "tournament_starting",
            NotificationKind::ResultRecorded => "result_recorded",
            NotificationKind::TournamentFinished => "tournament_finished",
            NotificationKind::StateChanged => "state_changed",
        }
    }
}

/// The payload of each kind; its serde tag is the kind's name, its content the `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "data", rename_all = "snake_case")]
#[non_exhaustive]
pub enum NotificationBody {
    /// `match_ready`.
    MatchReady {
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
        /// Its round.
        round: u32,
        /// The user's entry (their own, or their team's).
        entry: ParticipantId,
        /// The opposing entry.
        opponent: ParticipantId,
        /// Its display name (its id when the tournament is gone).
        opponent_name: String,
    },
    /// `tournament_starting`.
    TournamentStarting {
        /// The tournament's display name.
        name: String,
        /// When play is announced to begin.
        starts_at: DateTime<Utc>,
        /// Whole minutes from the reminder to the start.
        starts_in_minutes: i64,
    },
    /// `result_recorded`.
    ResultRecorded {
        /// The match.
        #[serde(rename = "match")]
        match_id: MatchId,
        /// The result now recorded.
        result: MatchResult,
        /// The user's entry when they play in the match (`None`: they follow the tournament).
        entry: Option<ParticipantId>,
        /// Whether it replaced an earlier result.
        corrected: bool,
    },
    /// `tournament_finished`.
    TournamentFinished {
        /// The user's entry (`None`: they follow the tournament).
        entry: Option<ParticipantId>,
        /// Its final place.
        place: Option<u32>,
        /// The entries placed first.
        winners: Vec<ParticipantId>,
    },
    /// `state_changed`.
    StateChanged {
        /// State before.
        from: TournamentState,
        /// State after.
        to: TournamentState,
    },
}

impl NotificationBody {
    /// Its kind.
    pub fn kind(&self) -> NotificationKind {
        match self {
            NotificationBody::MatchReady { .. } => NotificationKind::MatchReady,
            NotificationBody::TournamentStarting { .. } => NotificationKind::TournamentStarting,
            NotificationBody::ResultRecorded { .. } => NotificationKind::ResultRecorded,
            NotificationBody::TournamentFinished { .. } => NotificationKind::TournamentFinished,
            NotificationBody::StateChanged { .. } => NotificationKind::StateChanged,
        }
    }

    /// The payload alone, as JSON (the `data` of the tagged form).
    pub fn data(&self) -> serde_json::Value {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(mut map)) => {
                map.remove("data").unwrap_or(serde_json::Value::Null)
            }
            _ => serde_json::Value::Null,
        }
    }
}

/// One notification of one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Its id: the log sequence of the event it comes from.
    pub id: u64,
    /// The tournament it is about.
    pub tournament: TournamentId,
    /// When (the event's time).
    pub created_at: DateTime<Utc>,
    /// Whether the user marked it read (its id is at most their read cursor).
    pub read: bool,
    /// What it says.
    pub body: NotificationBody,
}

/// A page of a user's notifications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationPage {
    /// The notifications after the position asked for, oldest first.
    pub notifications: Vec<Notification>,
    /// The user's read cursor.
    pub read_up_to: u64,
    /// The log position the page reaches: resume after it (it may be past the last
    /// notification, when later events gave this user none).
    pub position: u64,
}

/// The tournament an event of the log is about, when it may give notifications.
pub fn tournament_of(data: &EventData) -> Option<&TournamentId> {
    match data {
        EventData::TournamentStateChanged { tournament, .. }
        | EventData::PairingReady { tournament, .. }
        | EventData::TournamentFinished { tournament, .. }
        | EventData::TournamentFollowed { tournament, .. }
        | EventData::TournamentUnfollowed { tournament, .. }
        | EventData::TournamentStarting { tournament, .. } => Some(tournament),
        EventData::MatchResult {
            owner: MatchOwner::Tournament(tournament),
            ..
        }
        | EventData::MatchCorrected {
            owner: MatchOwner::Tournament(tournament),
            ..
        } => Some(tournament),
        _ => None,
    }
}

/// One user's notifications, read off the log in order: [`Feed::observe`] each event from
/// the start of the log (what the user follows is itself in the log).
#[derive(Debug, Clone)]
pub struct Feed {
    user: String,
    following: BTreeSet<TournamentId>,
}

impl Feed {
    /// The feed of `user` (a principal's subject), before the first event of the log.
    pub fn new(user: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            following: BTreeSet::new(),
        }
    }

    /// Whether the user follows `tournament` at this point of the log.
    pub fn follows(&self, tournament: &TournamentId) -> bool {
        self.following.contains(tournament)
    }

    /// The notification `logged` gives this user, if any (unread; the caller applies the
    /// read cursor). `tournament` is the tournament the event is about as stored now
    /// ([`tournament_of`]), for who plays in which entry and the entries' names; `None` when
    /// it is gone, and each entry then stands for the subject with its id.
    pub fn observe(
        &mut self,
        logged: &LoggedEvent,
        tournament: Option<&Tournament>,
    ) -> Option<Notification> {
        let data = &logged.event.data;
        let id = tournament_of(data)?;
        let body = self.body(data, id, tournament)?;
        Some(Notification {
            id: logged.sequence,
            tournament: id.clone(),
            created_at: logged.event.timestamp,
            read: false,
            body,
        })
    }

    fn body(
        &mut self,
        data: &EventData,
        id: &TournamentId,
        tournament: Option<&Tournament>,
    ) -> Option<NotificationBody> {
        let follows = self.following.contains(id);
        match data {
            EventData::TournamentFollowed { user, .. } => {
                if *user == self.user {
                    self.following.insert(id.clone());
                }
                None
            }
            EventData::TournamentUnfollowed { user, .. } => {
                if *user == self.user {
                    self.following.remove(id);
                }
                None
            }
            EventData::TournamentStateChanged { from, to, .. } => {
                follows.then_some(NotificationBody::StateChanged {
                    from: *from,
                    to: *to,
                })
            }
            EventData::PairingReady {
                round, pairings, ..
            } => pairings.iter().find_map(|pairing| {
                let [Some(a), Some(b)] = &pairing.sides else {
                    return None;
                };
                let (entry, opponent) = if self.plays_in(tournament, a) {
                    (a, b)
                } else if self.plays_in(tournament, b) {
                    (b, a)
                } else {
                    return None;
                };
                let opponent_name = tournament
                    .and_then(|t| t.entries.iter().find(|p| p.id == *opponent))
                    .map_or_else(|| opponent.to_string(), |p| p.name.clone());
                Some(NotificationBody::MatchReady {
                    match_id: pairing.match_id,
                    round: *round,
                    entry: entry.clone(),
                    opponent: opponent.clone(),
                    opponent_name,
                })
            }),
            EventData::MatchResult {
                match_id, result, ..
            } => self.result(tournament, follows, match_id, result, false),
            EventData::MatchCorrected {
                match_id, result, ..
            } => self.result(tournament, follows, match_id, result, true),
            EventData::TournamentFinished { placements, .. } => {
                let mine = placements
                    .iter()
                    .find(|p| self.plays_in(tournament, &p.participant));
                if mine.is_none() && !follows {
                    return None;
                }
                Some(NotificationBody::TournamentFinished {
                    entry: mine.map(|p| p.participant.clone()),
                    place: mine.map(|p| p.place),
                    winners: placements
                        .iter()
                        .filter(|p| p.place == 1)
                        .map(|p| p.participant.clone())
                        .collect(),
                })
            }
            EventData::TournamentStarting {
                name,
                starts_at,
                starts_in_minutes,
                ..
            } => {
                let entered = tournament.is_some_and(|t| t.entry_of(&self.user).is_some());
                (entered || follows).then(|| NotificationBody::TournamentStarting {
                    name: name.clone(),
                    starts_at: *starts_at,
                    starts_in_minutes: *starts_in_minutes,
                })
            }
            _ => None,
        }
    }

    fn result(
        &self,
        tournament: Option<&Tournament>,
        follows: bool,
        match_id: &MatchId,
        result: &MatchResult,
        corrected: bool,
    ) -> Option<NotificationBody> {
        let entry = tournament.and_then(|t| {
            t.sides(match_id)
                .into_iter()
                .flatten()
                .find(|side| self.plays_in(Some(t), side))
        });
        if entry.is_none() && !follows {
            return None;
        }
        Some(NotificationBody::ResultRecorded {
            match_id: *match_id,
            result: result.clone(),
            entry,
            corrected,
        })
    }

    /// Whether the user is among the subjects `entry` stands for.
    fn plays_in(&self, tournament: Option<&Tournament>, entry: &ParticipantId) -> bool {
        match tournament {
            Some(t) => t.subjects_of(entry).contains(&self.user.as_str()),
            None => entry.as_str() == self.user,
        }
    }
}

/// The whole minutes from `now` to `starts_at`, rounded up (0 when past).
pub fn minutes_until(now: DateTime<Utc>, starts_at: DateTime<Utc>) -> i64 {
    let seconds = (starts_at - now).num_seconds().max(0);
    (seconds + 59) / 60
}
