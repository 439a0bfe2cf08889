//! A Swiss's crosstable: every player's decided rounds (opponent, colour, result) in
//! standings order, as pages and exports show it.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::model::{Participant, ParticipantId};
use crate::tiebreak::{TiebreakValues, Value};

use super::play::{SwissPlay, SwissRules};
use super::{Colour, GameResult, RoundRecord, StartNumber};

/// The crosstable of a Swiss after its decided rounds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Crosstable {
    /// The rounds shown: every round whose games are all decided.
    pub rounds: u32,
    /// The tie-break codes of the rules, in order (the columns after the rounds).
    pub tiebreaks: Vec<String>,
    /// The players, best first.
    pub rows: Vec<CrosstableRow>,
}

/// One player's line of the crosstable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrosstableRow {
    /// Rank in the standings.
    pub rank: u32,
    /// Starting number.
    pub number: StartNumber,
    /// The participant.
    pub participant: ParticipantId,
    /// Display name.
    pub name: String,
    /// Points under the rules' point system.
    pub points: Value,
    /// One cell a decided round, round 1 first.
    pub cells: Vec<CrossCell>,
    /// Tie-break values, in the rules' order.
    pub tiebreaks: TiebreakValues,
}

/// What one player had in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CrossCell {
    /// The round's record from this player's side.
    pub record: RoundRecord,
    /// The opponent's rank in the standings, for a paired game.
    pub opponent_rank: Option<u32>,
}

impl CrossCell {
    /// The cell as crosstables print it: the opponent's rank, the colour this player had
    /// (`w`/`b`) and this player's result (`1`, `½`, `0`, `+` and `-` for forfeits), e.g.
    /// `12w1`; byes and absences as
    /// `bye` (pairing-allocated), `½ bye`, `1 bye`, and `–` (absent, no points).
    pub fn text(&self) -> String {
        match &self.record {
            RoundRecord::Game { colour, result, .. } => {
                let colour = match colour {
                    Colour::White => 'w',
                    Colour::Black => 'b',
                };
                let result = match result {
                    GameResult::Win => "1",
                    GameResult::Draw => "½",
                    GameResult::Loss => "0",
                    GameResult::ForfeitWin => "+",
                    GameResult::ForfeitLoss => "-",
                };
                let opponent = self
                    .opponent_rank
                    .map_or_else(|| "?".to_owned(), |rank| rank.to_string());
                format!("{opponent}{colour}{result}")
            }
            RoundRecord::PairingBye => "bye".to_owned(),
            RoundRecord::HalfBye => "½ bye".to_owned(),
            RoundRecord::FullBye => "1 bye".to_owned(),
            RoundRecord::ZeroBye => "–".to_owned(),
        }
    }
}

impl SwissPlay {
    /// The crosstable after the decided rounds (those whose every game has a result), rows
    /// in standings order and opponents named by their rank.
    pub fn crosstable(&self, entries: &[Participant], rules: &SwissRules) -> Crosstable {
        let standings = self.standings(entries, rules);
        let field = self.decided_field(entries, rules);
        let rank_of: BTreeMap<StartNumber, u32> =
            standings.iter().map(|s| (s.number, s.rank)).collect();
        let rounds_of: BTreeMap<StartNumber, &Vec<RoundRecord>> = field
            .players
            .iter()
            .map(|p| (p.number, &p.rounds))
            .collect();
        let rows = standings
            .into_iter()
            .map(|s| CrosstableRow {
                cells: rounds_of
                    .get(&s.number)
                    .map(|rounds| {
                        rounds
                            .iter()
                            .map(|record| CrossCell {
                                opponent_rank: match record {
                                    RoundRecord::Game { opponent, .. } => {
                                        rank_of.get(opponent).copied()
                                    }
                                    _ => None,
                                },
                                record: *record,
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                rank: s.rank,
                number: s.number,
                participant: s.participant,
                name: s.name,
                points: s.points,
                tiebreaks: s.tiebreaks,
            })
            .collect();
        Crosstable {
            rounds: u32::try_from(field.players.first().map_or(0, |p| p.rounds.len()))
                .unwrap_or(u32::MAX),
            tiebreaks: rules.tiebreaks.iter().map(ToString::to_string).collect(),
            rows,
        }
    }
}
