//! One standings table for every tournament, bracket or Swiss: what the HTTP standings, the
//! NDJSON export and the results feed all show.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::bracket::Bracket;
use crate::browse::TournamentFilter;
use crate::clock::Clock;
use crate::error::Error;
use crate::id::TournamentId;
use crate::leaderboard::{leaderboard, LeaderboardFilter, LeaderboardRow};
use crate::lifecycle::TournamentState;
use crate::model::ParticipantId;
use crate::store::{Store, Stored};
use crate::swiss::play::SwissStanding;
use crate::swiss::StartNumber;
use crate::tiebreak::{TiebreakValues, Value};
use crate::tournament::Tournament;

use super::Service;

/// A tournament's standings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Standings {
    /// Whether they are final: a bracket once every match is decided, a Swiss once
    /// completed.
    #[serde(rename = "final")]
    pub is_final: bool,
    /// The rows, best first.
    pub rows: Vec<TableRow>,
}

/// One row of the standings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TableRow {
    /// Rank from 1; shared by rows equal on everything that ranks them.
    pub rank: u32,
    /// The participant.
    pub participant: ParticipantId,
    /// Display name.
    pub name: String,
    /// Starting number (Swiss only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<StartNumber>,
    /// Points: a Swiss's by its point system; in a bracket 1 a win, ½ a draw.
    pub points: Value,
    /// Wins.
    pub wins: u32,
    /// Draws.
    pub draws: u32,
    /// Losses.
    pub losses: u32,
    /// Tie-break values by code (a Swiss's rules; none in a bracket).
    pub tiebreaks: TiebreakValues,
}

impl From<SwissStanding> for TableRow {
    fn from(row: SwissStanding) -> Self {
        Self {
            rank: row.rank,
            participant: row.participant,
            name: row.name,
            number: Some(row.number),
            points: row.points,
            wins: row.wins,
            draws: row.draws,
            losses: row.losses,
            tiebreaks: row.tiebreaks,
        }
    }
}

impl<S: Store, C: Clock> Service<S, C> {
    /// The leaderboard across every finished (completed or archived) tournament that `filter`
    /// counts: see [`crate::leaderboard`].
    ///
    /// # Errors
    /// [`StoreError::Backend`](crate::error::StoreError::Backend).
    pub async fn leaderboard(
        &self,
        filter: &LeaderboardFilter,
    ) -> Result<Vec<LeaderboardRow>, Error> {
        const PAGE: usize = 500;
        let mut finished = Vec::new();
        for state in [TournamentState::Completed, TournamentState::Archived] {
            let mut offset = 0;
            loop {
                let page = self.store().tournaments(Some(state), PAGE, offset).await?;
                let read = page.len();
                finished.extend(page.into_iter().map(|stored| stored.value));
                if read < PAGE {
                    break;
                }
                offset += read;
            }
        }
        Ok(leaderboard(&finished, filter))
    }

    /// One page of the tournaments `filter` passes, by id, and how many pass in all (the
    /// state filter is the store's; the others are applied to every tournament in that
    /// state).
    ///
    /// # Errors
    /// [`StoreError::Backend`](crate::error::StoreError::Backend).
    pub async fn browse_tournaments(
        &self,
        filter: &TournamentFilter,
        limit: usize,
        offset: usize,
    ) -> Result<(Vec<Stored<Tournament>>, usize), Error> {
        const PAGE: usize = 500;
        let mut passed = Vec::new();
        let mut total = 0;
        let mut read_from = 0;
        loop {
            let page = self
                .store()
                .tournaments(filter.state, PAGE, read_from)
                .await?;
            let read = page.len();
            for stored in page {
                if filter.matches(&stored.value) {
                    if total >= offset && passed.len() < limit {
                        passed.push(stored);
                    }
                    total += 1;
                }
            }
            if read < PAGE {
                return Ok((passed, total));
            }
            read_from += read;
        }
    }

    /// The standings of a tournament, bracket or Swiss, as they stand (every entry, also
    /// before the start).
    ///
    /// # Errors
    /// [`ServiceError::UnknownTournament`](crate::error::ServiceError::UnknownTournament).
    pub async fn table(&self, id: &TournamentId) -> Result<Standings, Error> {
        let Stored { value, .. } = self.tournament(id).await?;
        Ok(table_of(&value))
    }
}

/// The standings of `t` (see [`Service::table`]).
pub fn table_of(t: &Tournament) -> Standings {
    if let (Some(play), Some(rules)) = (t.swiss(), &t.rules.swiss) {
        return Standings {
            is_final: matches!(
                t.state,
                TournamentState::Completed | TournamentState::Archived
            ),
            rows: play
                .standings(&t.entries, rules)
                .into_iter()
                .map(TableRow::from)
                .collect(),
        };
    }
    Standings {
        is_final: t.bracket().is_some_and(Bracket::is_complete),
        rows: bracket_rows(t),
    }
}

#[derive(Default)]
struct Record {
    wins: u32,
    draws: u32,
    losses: u32,
}

impl Record {
    fn half_points(&self) -> u32 {
        2 * self.wins + self.draws
    }
}

/// A bracket tournament's rows: by final place where the bracket gives one, then points,
/// then joining order; rows equal on place and points share a rank.
fn bracket_rows(t: &Tournament) -> Vec<TableRow> {
    let mut records: BTreeMap<&ParticipantId, Record> = t
        .entries
        .iter()
        .map(|p| (&p.id, Record::default()))
        .collect();
    let mut places: BTreeMap<&ParticipantId, u32> = BTreeMap::new();
    if let Some(bracket) = t.bracket() {
        for m in bracket.matches() {
            let Some(result) = &m.result else { continue };
            let winner = result.winner();
            for side in [m.participant(0), m.participant(1)].into_iter().flatten() {
                if let Some(record) = records.get_mut(side) {
                    match winner {
                        Some(w) if w == side => record.wins += 1,
                        Some(_) => record.losses += 1,
                        None => record.draws += 1,
                    }
                }
            }
        }
        if let Ok(placements) = bracket.placements() {
            for p in &placements {
                if let Some((id, _)) = records.get_key_value(&p.participant) {
                    places.insert(id, p.place);
                }
            }
        }
    }
    let place = |id: &ParticipantId| places.get(id).copied().unwrap_or(u32::MAX);
    let mut rows: Vec<(usize, &crate::model::Participant, &Record)> = t
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, p)| records.get(&p.id).map(|r| (i, p, r)))
        .collect();
    rows.sort_by(|a, b| {
        place(&a.1.id)
            .cmp(&place(&b.1.id))
            .then(b.2.half_points().cmp(&a.2.half_points()))
            .then(a.0.cmp(&b.0))
    });
    let mut out = Vec::with_capacity(rows.len());
    let mut rank = 0u32;
    let mut previous: Option<(u32, u32)> = None;
    for (position, (_, p, record)) in rows.iter().enumerate() {
        let key = (place(&p.id), record.half_points());
        if previous != Some(key) {
            rank = u32::try_from(position)
                .unwrap_or(u32::MAX)
                .saturating_add(1);
        }
        previous = Some(key);
        out.push(TableRow {
            rank: places.get(&p.id).copied().unwrap_or(rank),
            participant: p.id.clone(),
            name: p.name.clone(),
            number: None,
            points: Value(i64::from(record.half_points()) * 50),
            wins: record.wins,
            draws: record.draws,
            losses: record.losses,
            tiebreaks: TiebreakValues::default(),
        });
    }
    out
}

/// A Swiss tournament's crosstable after its decided rounds; `None` for a bracket or a
/// Swiss not yet started.
pub fn crosstable_of(t: &Tournament) -> Option<crate::swiss::crosstable::Crosstable> {
    Some(t.swiss()?.crosstable(&t.entries, t.rules.swiss.as_ref()?))
}
