//! Leaderboards across tournaments: final placements and points summed per entrant (a
//! player, a bot or a team: whatever the tournaments' entries are).
//!
//! A tournament counts once it is finished (completed or archived) with final standings. An
//! entrant placed `p` in a tournament of `n` entries earns `n - p + 1` points (the winner of
//! eight earns 8, the last 1; shared places earn alike), so a win over a larger field weighs
//! more. Entrants rank by points, then first places, then podiums (places 1 to 3), then fewer
//! tournaments played (the same points in fewer events), and share a rank when equal on all
//! four; among equals the participant id orders the rows.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::bracket::Format;
use crate::lifecycle::TournamentState;
use crate::model::ParticipantId;
use crate::service::table_of;
use crate::tournament::Tournament;

/// Which tournaments a leaderboard counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaderboardFilter {
    /// Only tournaments played in this format (`None`: every format).
    pub format: Option<PlayFormat>,
    /// Only tournaments finished at or after this instant (`None`: every one; a tournament
    /// finished before its finish time was recorded has none and counts only then).
    pub since: Option<DateTime<Utc>>,
}

/// How a tournament is played, as a leaderboard filters it: a Swiss, or a bracket format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlayFormat {
    /// A Swiss (FIDE Dutch).
    Swiss,
    /// A bracket of this format.
    Bracket(Format),
}

impl PlayFormat {
    /// The format of `name`: `swiss`, or a bracket format's name (`single_elimination`,
    /// `double_elimination`, `repechage`, `round_robin`, `groups`).
    ///
    /// # Errors
    /// A message naming the formats, for any other name (`auto` included: a tournament's
    /// format is always concrete once played).
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|format| format.name() == name)
            .ok_or_else(|| {
                format!(
                    "unknown format {name:?}: expected swiss, single_elimination, \
                     double_elimination, repechage, round_robin or groups"
                )
            })
    }

    /// Every format a tournament is played in, Swiss first.
    pub const ALL: [PlayFormat; 6] = [
        Self::Swiss,
        Self::Bracket(Format::SingleElimination),
        Self::Bracket(Format::DoubleElimination),
        Self::Bracket(Format::Repechage),
        Self::Bracket(Format::RoundRobin),
        Self::Bracket(Format::Groups),
    ];

    /// Its name: `swiss`, or the bracket format's.
    pub fn name(self) -> &'static str {
        match self {
            Self::Swiss => "swiss",
            Self::Bracket(format) => format.name(),
        }
    }

    /// How `tournament` is played: a Swiss, its bracket's format once drawn, else the format
    /// its rules ask for.
    pub fn of(tournament: &Tournament) -> Self {
        if tournament.rules.swiss.is_some() {
            return Self::Swiss;
        }
        Self::Bracket(
            tournament
                .bracket()
                .map_or(tournament.rules.options.format, |bracket| bracket.format()),
        )
    }
}

/// One entrant's line of a leaderboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaderboardRow {
    /// Rank from 1, shared by entrants equal on points, first places, podiums and
    /// tournaments played.
    pub rank: u32,
    /// The entrant.
    pub participant: ParticipantId,
    /// Its name in the last tournament it finished.
    pub name: String,
    /// Points summed over the tournaments counted.
    pub points: u64,
    /// Tournaments counted.
    pub tournaments: u32,
    /// First places.
    pub wins: u32,
    /// Places 1 to 3.
    pub podiums: u32,
    /// Its best place.
    pub best: u32,
}

/// The leaderboard of `tournaments` under `filter`: every entrant of a counted tournament,
/// best first (see the [module](self) for the points and the order). The order of
/// `tournaments` does not matter.
pub fn leaderboard<'a>(
    tournaments: impl IntoIterator<Item = &'a Tournament>,
    filter: &LeaderboardFilter,
) -> Vec<LeaderboardRow> {
    let mut counted: Vec<&Tournament> = tournaments
        .into_iter()
        .filter(|t| counts(t, filter))
        .collect();
    // Oldest first, so the last name written is the latest one.
    counted.sort_by(|a, b| (a.finished_at, &a.id).cmp(&(b.finished_at, &b.id)));
    let mut rows: BTreeMap<ParticipantId, LeaderboardRow> = BTreeMap::new();
    for tournament in counted {
        let table = table_of(tournament);
        if !table.is_final {
            continue;
        }
        let entries = u64::try_from(table.rows.len()).unwrap_or(u64::MAX);
        for placed in table.rows {
            let row = rows
                .entry(placed.participant.clone())
                .or_insert_with(|| LeaderboardRow {
                    rank: 0,
                    participant: placed.participant.clone(),
                    name: String::new(),
                    points: 0,
                    tournaments: 0,
                    wins: 0,
                    podiums: 0,
                    best: u32::MAX,
                });
            row.name = placed.name;
            row.points += (entries + 1).saturating_sub(u64::from(placed.rank));
            row.tournaments += 1;
            row.wins += u32::from(placed.rank == 1);
            row.podiums += u32::from(placed.rank <= 3);
            row.best = row.best.min(placed.rank);
        }
    }
    let mut rows: Vec<LeaderboardRow> = rows.into_values().collect();
    let key = |row: &LeaderboardRow| {
        (
            std::cmp::Reverse(row.points),
            std::cmp::Reverse(row.wins),
            std::cmp::Reverse(row.podiums),
            row.tournaments,
        )
    };
    rows.sort_by(|a, b| key(a).cmp(&key(b)).then(a.participant.cmp(&b.participant)));
    let mut rank = 0;
    for index in 0..rows.len() {
        if index == 0 || key(&rows[index - 1]) != key(&rows[index]) {
            rank = u32::try_from(index + 1).unwrap_or(u32::MAX);
        }
        rows[index].rank = rank;
    }
    rows
}

/// Whether `tournament` counts under `filter`: finished, of the format and finish time asked
/// for (and then only with final standings).
fn counts(tournament: &Tournament, filter: &LeaderboardFilter) -> bool {
    let finished = matches!(
        tournament.state,
        TournamentState::Completed | TournamentState::Archived
    );
    finished
        && filter
            .format
            .is_none_or(|format| PlayFormat::of(tournament) == format)
        && filter
            .since
            .is_none_or(|since| tournament.finished_at.is_some_and(|at| at >= since))
}
