//! Announcements: what the whole platform hears of its tournaments, read off the event log.
//!
//! Three moments of a tournament are announced to everyone, whoever follows it or not: it is
//! published (registration opens), it starts, and it finishes (with its winners). Each is one
//! event of the log, so an announcement has that event's sequence, and a reader that resumes
//! from the last sequence it saw misses none and sees none twice.
//!
//! ```
//! use athlos_core::announcement::{Announcement, AnnouncementKind};
//! use athlos_core::event::{Event, EventData};
//! use athlos_core::id::{EventId, TournamentId};
//! use athlos_core::lifecycle::TournamentState;
//!
//! let event = Event {
//!     id: EventId::new("tournament:open:2:0")?,
//!     timestamp: "2026-12-06T19:00:00Z".parse()?,
//!     version: 2,
//!     data: EventData::TournamentStateChanged {
//!         tournament: TournamentId::new("open")?,
//!         from: TournamentState::Draft,
//!         to: TournamentState::Registration,
//!     },
//! };
//! let announced = Announcement::of(&event).expect("publishing is announced");
//! assert_eq!(announced.kind, AnnouncementKind::Published);
//! assert!(announced.winners.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::event::{Event, EventData};
use crate::id::TournamentId;
use crate::lifecycle::TournamentState;
use crate::model::ParticipantId;

/// Which moment of a tournament is announced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum AnnouncementKind {
    /// Published: registration opened (draft to registration).
    #[serde(rename = "tournament_published")]
    Published,
    /// Started: play began (registration to active).
    #[serde(rename = "tournament_started")]
    Started,
    /// Finished: the last round is complete; the announcement names the winners.
    #[serde(rename = "tournament_finished")]
    Finished,
}

impl AnnouncementKind {
    /// The name announcements of this kind carry as their `type`:
    /// `tournament_published`, `tournament_started` or `tournament_finished`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "tournament_published",
            Self::Started => "tournament_started",
            Self::Finished => "tournament_finished",
        }
    }
}

/// An announcement: a tournament published, started or finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement<'a> {
    /// What happened.
    pub kind: AnnouncementKind,
    /// To which tournament.
    pub tournament: &'a TournamentId,
    /// When (the event's time).
    pub timestamp: DateTime<Utc>,
    /// The participants placed first, in the order of the final placements (empty unless
    /// [`AnnouncementKind::Finished`]; more than one when the format shares first place).
    pub winners: Vec<&'a ParticipantId>,
}

impl<'a> Announcement<'a> {
    /// The announcement `event` makes, if it makes one.
    pub fn of(event: &'a Event) -> Option<Self> {
        let announce = |kind, tournament| Announcement {
            kind,
            tournament,
            timestamp: event.timestamp,
            winners: Vec::new(),
        };
        match &event.data {
            EventData::TournamentStateChanged {
                tournament,
                from: TournamentState::Draft,
                to: TournamentState::Registration,
            } => Some(announce(AnnouncementKind::Published, tournament)),
            EventData::TournamentStateChanged {
                tournament,
                from: TournamentState::Registration,
                to: TournamentState::Active,
            } => Some(announce(AnnouncementKind::Started, tournament)),
            EventData::TournamentFinished {
                tournament,
                placements,
            } => Some(Announcement {
                winners: placements
                    .iter()
                    .filter(|placement| placement.place == 1)
                    .map(|placement| &placement.participant)
                    .collect(),
                ..announce(AnnouncementKind::Finished, tournament)
            }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::bracket::Placement;
    use crate::id::EventId;

    fn event(data: EventData) -> Event {
        Event {
            id: EventId::new("tournament:t:1:0").unwrap(),
            timestamp: "2026-12-06T19:00:00Z".parse().unwrap(),
            version: 1,
            data,
        }
    }

    fn changed(from: TournamentState, to: TournamentState) -> Event {
        event(EventData::TournamentStateChanged {
            tournament: TournamentId::new("t").unwrap(),
            from,
            to,
        })
    }

    #[test]
    fn publishing_and_starting_are_announced_other_moves_are_not() {
        use TournamentState::*;
        let kind = |from, to| Announcement::of(&changed(from, to)).map(|a| a.kind);
        assert_eq!(kind(Draft, Registration), Some(AnnouncementKind::Published));
        assert_eq!(kind(Registration, Active), Some(AnnouncementKind::Started));
        // Finishing is announced by `tournament.finished`, which names the winners.
        assert_eq!(kind(Active, Completed), None);
        assert_eq!(kind(Completed, Archived), None);
        assert_eq!(kind(Registration, Cancelled), None);
    }

    #[test]
    fn finishing_names_every_participant_placed_first() {
        let placed = |place, id: &str| Placement {
            place,
            participant: ParticipantId::new(id).unwrap(),
        };
        let finished = event(EventData::TournamentFinished {
            tournament: TournamentId::new("t").unwrap(),
            placements: vec![placed(1, "b"), placed(1, "a"), placed(3, "c")],
        });
        let announced = Announcement::of(&finished).unwrap();
        assert_eq!(announced.kind, AnnouncementKind::Finished);
        assert_eq!(announced.kind.as_str(), "tournament_finished");
        // Its JSON name is the same.
        let json = serde_json::to_string(&announced.kind).unwrap();
        assert_eq!(json, "\"tournament_finished\"");
        let winners: Vec<&str> = announced.winners.iter().map(|p| p.as_str()).collect();
        assert_eq!(winners, ["b", "a"]);
    }

    #[test]
    fn other_events_are_not_announced() {
        let round = event(EventData::RoundStarted {
            tournament: TournamentId::new("t").unwrap(),
            round: 2,
        });
        assert_eq!(Announcement::of(&round), None);
    }
}
