//! FIDE tie-breaks (C.07, Play-Off and Tie-Break Regulations) and standings.
//!
//! Values are exact: every tie-break is kept in hundredths of a point (all FIDE values here are
//! multiples of a quarter point, or rounded ratings), never in floating point. Tie-breaks are
//! computed on standard points (win 1, draw ½, loss 0) whatever the event's point system, as
//! C.07 prescribes.
//!
//! Unplayed rounds (C.07 article 16): a player's own unplayed rounds count as games against a
//! dummy opponent holding the player's own final score; an opponent's score is taken with that
//! opponent's unplayed rounds counted as draws (their adjusted score); cuts remove unplayed-round
//! contributions first, then the least significant values.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use crate::swiss::{GameResult, RoundRecord, StartNumber, Tournament};

/// A tie-break could not be understood or computed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TiebreakError {
    /// An unknown tie-break code.
    #[error("unknown tie-break {code:?}; expected one of BH, SB, DE, PS, WIN, WON, BPG, BWG, ARO, REP, optionally with :C1, :C2, :M1, :M2")]
    UnknownCode {
        /// The code.
        code: String,
    },
}

/// A tie-break of C.07.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Buchholz (BH): sum of the opponents' scores.
    Buchholz,
    /// Sonneborn-Berger (SB): sum of the opponents' scores weighted by the result.
    SonnebornBerger,
    /// Direct encounter (DE) among the tied players.
    DirectEncounter,
    /// Progressive (cumulative) score (PS).
    Progressive,
    /// Number of wins, played or not (WIN).
    Wins,
    /// Number of games won over the board (WON).
    GamesWon,
    /// Number of games played with black (BPG).
    GamesWithBlack,
    /// Number of games won with black (BWG).
    WinsWithBlack,
    /// Average rating of the opponents (ARO), rounded to the nearest integer.
    AverageRatingOfOpponents,
    /// Rounds elected to play (REP): rounds not voluntarily missed.
    RoundsElectedToPlay,
}

/// A cut modifier (C.07 article 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Modifier {
    /// No cut.
    #[default]
    None,
    /// Cut the least significant `n` values.
    Cut(u8),
    /// Cut the `n` most and `n` least significant values (median).
    Median(u8),
}

/// A tie-break with its modifier, e.g. `BH:C1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tiebreak {
    /// Which tie-break.
    pub kind: Kind,
    /// Its cut.
    pub modifier: Modifier,
}

impl Tiebreak {
    /// Parses a code such as `BH`, `BH:C1`, `BH:M1`, `SB`, `DE`.
    ///
    /// # Errors
    /// [`TiebreakError::UnknownCode`] for anything else.
    pub fn parse(code: &str) -> Result<Self, TiebreakError> {
        let unknown = || TiebreakError::UnknownCode {
            code: code.to_string(),
        };
        let upper = code.trim().to_ascii_uppercase();
        let (name, modifier) = match upper.split_once(':') {
            Some((n, m)) => (n.to_string(), Some(m.to_string())),
            None => (upper.clone(), None),
        };
        let kind = match name.as_str() {
            "BH" => Kind::Buchholz,
            "SB" => Kind::SonnebornBerger,
            "DE" => Kind::DirectEncounter,
            "PS" => Kind::Progressive,
            "WIN" => Kind::Wins,
            "WON" => Kind::GamesWon,
            "BPG" => Kind::GamesWithBlack,
            "BWG" => Kind::WinsWithBlack,
            "ARO" => Kind::AverageRatingOfOpponents,
            "REP" => Kind::RoundsElectedToPlay,
            _ => return Err(unknown()),
        };
        let modifier = match modifier.as_deref() {
            None => Modifier::None,
            Some(m) => {
                let (letter, digits) = m.split_at(m.chars().next().map_or(0, char::len_utf8));
                let n: u8 = digits.parse().map_err(|_| unknown())?;
                if n == 0 || n > 9 {
                    return Err(unknown());
                }
                match letter {
                    "C" => Modifier::Cut(n),
                    "M" => Modifier::Median(n),
                    _ => return Err(unknown()),
                }
            }
        };
        let cuttable = matches!(
            kind,
            Kind::Buchholz
                | Kind::SonnebornBerger
                | Kind::Progressive
                | Kind::AverageRatingOfOpponents
        );
        if modifier != Modifier::None && !cuttable {
            return Err(unknown());
        }
        Ok(Self { kind, modifier })
    }

    /// The code, e.g. `BH:C1`.
    pub fn code(&self) -> String {
        let base = match self.kind {
            Kind::Buchholz => "BH",
            Kind::SonnebornBerger => "SB",
            Kind::DirectEncounter => "DE",
            Kind::Progressive => "PS",
            Kind::Wins => "WIN",
            Kind::GamesWon => "WON",
            Kind::GamesWithBlack => "BPG",
            Kind::WinsWithBlack => "BWG",
            Kind::AverageRatingOfOpponents => "ARO",
            Kind::RoundsElectedToPlay => "REP",
        };
        match self.modifier {
            Modifier::None => base.to_string(),
            Modifier::Cut(n) => format!("{base}:C{n}"),
            Modifier::Median(n) => format!("{base}:M{n}"),
        }
    }
}

/// Parses a comma-separated tie-break list such as `BH:C1,BH,SB,DE`.
///
/// # Errors
/// [`TiebreakError::UnknownCode`] for the first unknown code.
pub fn parse_list(list: &str) -> Result<Vec<Tiebreak>, TiebreakError> {
    list.split(',')
        .filter(|c| !c.trim().is_empty())
        .map(Tiebreak::parse)
        .collect()
}

/// Points of a result under a point system, in half points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PointSystem {
    /// A win (over the board or by forfeit) and a full-point or pairing-allocated bye.
    pub win: u32,
    /// A draw or half-point bye.
    pub draw: u32,
    /// A loss or zero-point bye.
    pub loss: u32,
}

impl Default for PointSystem {
    fn default() -> Self {
        Self {
            win: 2,
            draw: 1,
            loss: 0,
        }
    }
}

/// One row of the standings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandingRow {
    /// 1-based rank; tied players (all tie-breaks equal) share a rank.
    pub rank: u32,
    /// Starting number.
    pub number: StartNumber,
    /// Name.
    pub name: String,
    /// Points in half points under the event's point system.
    pub half_points: u32,
    /// Wins (played or not).
    pub wins: u32,
    /// Draws (including half-point byes).
    pub draws: u32,
    /// Losses (including zero-point byes and forfeit losses).
    pub losses: u32,
    /// Tie-break values in hundredths, in the order asked, keyed by code.
    pub tiebreaks: BTreeMap<String, i64>,
    /// Tie-break values in hundredths, in the order asked.
    pub tiebreak_values: Vec<i64>,
}

/// Computes the standings after all recorded rounds.
pub fn standings(
    tournament: &Tournament,
    order: &[Tiebreak],
    points: PointSystem,
) -> Vec<StandingRow> {
    let rounds = crate::swiss::rounds_paired(tournament) as usize;
    let facts = Facts::new(tournament, rounds);
    let mut rows: Vec<StandingRow> = tournament
        .players
        .iter()
        .map(|p| {
            let (mut wins, mut draws, mut losses, mut half) = (0, 0, 0, 0);
            for r in 0..rounds {
                match standard(p.rounds.get(r)) {
                    2 => {
                        wins += 1;
                        half += points.win;
                    }
                    1 => {
                        draws += 1;
                        half += points.draw;
                    }
                    _ => {
                        losses += 1;
                        half += points.loss;
                    }
                }
            }
            StandingRow {
                rank: 0,
                number: p.number,
                name: p.name.clone(),
                half_points: half,
                wins,
                draws,
                losses,
                tiebreaks: BTreeMap::new(),
                tiebreak_values: Vec::new(),
            }
        })
        .collect();
    // Tie-breaks other than DE do not depend on the order; DE is computed within tied groups.
    for row in &mut rows {
        for tb in order {
            let value = if tb.kind == Kind::DirectEncounter {
                0
            } else {
                facts.value(row.number, *tb)
            };
            row.tiebreak_values.push(value);
        }
    }
    for (index, tb) in order.iter().enumerate() {
        if tb.kind != Kind::DirectEncounter {
            continue;
        }
        // Players tied on points and all earlier tie-breaks.
        let mut groups: BTreeMap<(u32, Vec<i64>), Vec<StartNumber>> = BTreeMap::new();
        for row in &rows {
            groups
                .entry((row.half_points, row.tiebreak_values[..index].to_vec()))
                .or_default()
                .push(row.number);
        }
        for group in groups.values().filter(|g| g.len() > 1) {
            for row in rows.iter_mut().filter(|r| group.contains(&r.number)) {
                row.tiebreak_values[index] = facts.direct_encounter(row.number, group);
            }
        }
    }
    rows.sort_by(|a, b| {
        b.half_points
            .cmp(&a.half_points)
            .then_with(|| b.tiebreak_values.cmp(&a.tiebreak_values))
            .then(a.number.cmp(&b.number))
    });
    // Tied rows (equal points and tie-breaks) share the rank of the first of them.
    for i in 0..rows.len() {
        let tied = i > 0
            && rows[i].half_points == rows[i - 1].half_points
            && rows[i].tiebreak_values == rows[i - 1].tiebreak_values;
        rows[i].rank = if tied { rows[i - 1].rank } else { i as u32 + 1 };
        let codes: Vec<(String, i64)> = order
            .iter()
            .zip(rows[i].tiebreak_values.iter())
            .map(|(tb, v)| (tb.code(), *v))
            .collect();
        rows[i].tiebreaks.extend(codes);
    }
    rows
}

/// Standard points of a round, in half points (win 2, draw 1, loss 0).
fn standard(record: Option<&RoundRecord>) -> u32 {
    record.map_or(0, RoundRecord::half_points)
}

fn is_unplayed(record: Option<&RoundRecord>) -> bool {
    !matches!(record, Some(RoundRecord::Game { result, .. }) if result.is_played())
}

struct Facts<'a> {
    tournament: &'a Tournament,
    rounds: usize,
    by_number: BTreeMap<StartNumber, usize>,
}

impl<'a> Facts<'a> {
    fn new(tournament: &'a Tournament, rounds: usize) -> Self {
        let by_number = tournament
            .players
            .iter()
            .enumerate()
            .map(|(i, p)| (p.number, i))
            .collect();
        Self {
            tournament,
            rounds,
            by_number,
        }
    }

    fn records(&self, number: StartNumber) -> Vec<Option<&'a RoundRecord>> {
        let player = self
            .by_number
            .get(&number)
            .map(|&i| &self.tournament.players[i]);
        (0..self.rounds)
            .map(|r| player.and_then(|p| p.rounds.get(r)))
            .collect()
    }

    fn score(&self, number: StartNumber) -> u32 {
        self.records(number).into_iter().map(standard).sum()
    }

    /// The score with unplayed rounds counted as draws (C.07 article 16).
    fn adjusted_score(&self, number: StartNumber) -> u32 {
        self.records(number)
            .into_iter()
            .map(|r| if is_unplayed(r) { 1 } else { standard(r) })
            .sum()
    }

    fn rating(&self, number: StartNumber) -> u32 {
        self.by_number
            .get(&number)
            .map_or(0, |&i| u32::from(self.tournament.players[i].rating))
    }

    /// `(value in hundredths, unplayed)` contributions, one per round.
    fn contributions(&self, number: StartNumber, kind: Kind) -> Vec<(i64, bool)> {
        let own = i64::from(self.score(number));
        let mut out = Vec::new();
        let mut running = 0i64;
        for record in self.records(number) {
            let result = i64::from(standard(record));
            let opponent = match record {
                Some(RoundRecord::Game {
                    opponent,
                    result: r,
                    ..
                }) if r.is_played() => Some(*opponent),
                _ => None,
            };
            match kind {
                Kind::Buchholz => match opponent {
                    Some(o) => out.push((i64::from(self.adjusted_score(o)) * 50, false)),
                    None => out.push((own * 50, true)),
                },
                Kind::SonnebornBerger => match opponent {
                    Some(o) => out.push((i64::from(self.adjusted_score(o)) * result * 25, false)),
                    None => out.push((own * result * 25, true)),
                },
                Kind::Progressive => {
                    running += result;
                    out.push((running * 50, false));
                }
                Kind::AverageRatingOfOpponents => {
                    if let Some(o) = opponent {
                        out.push((i64::from(self.rating(o)) * 100, false));
                    }
                }
                _ => {}
            }
        }
        out
    }

    fn value(&self, number: StartNumber, tb: Tiebreak) -> i64 {
        let records = self.records(number);
        let count = |f: &dyn Fn(&RoundRecord) -> bool| -> i64 {
            records.iter().flatten().filter(|r| f(r)).count() as i64 * 100
        };
        match tb.kind {
            Kind::Wins => count(&|r| r.half_points() == 2),
            Kind::GamesWon => count(&|r| {
                matches!(
                    r,
                    RoundRecord::Game {
                        result: GameResult::Win,
                        ..
                    }
                )
            }),
            Kind::GamesWithBlack => {
                count(&|r| matches!(r.played(), Some((_, crate::swiss::Colour::Black))))
            }
            Kind::WinsWithBlack => count(&|r| {
                matches!(
                    r,
                    RoundRecord::Game {
                        result: GameResult::Win,
                        colour: crate::swiss::Colour::Black,
                        ..
                    }
                )
            }),
            Kind::RoundsElectedToPlay => count(&|r| {
                !matches!(
                    r,
                    RoundRecord::HalfBye
                        | RoundRecord::ZeroBye
                        | RoundRecord::FullBye
                        | RoundRecord::Game {
                            result: GameResult::ForfeitLoss,
                            ..
                        }
                )
            }),
            Kind::DirectEncounter => 0,
            Kind::AverageRatingOfOpponents => {
                let values = cut(self.contributions(number, tb.kind), tb.modifier);
                if values.is_empty() {
                    return 0;
                }
                let sum: i64 = values.iter().sum();
                let n = values.len() as i64;
                // Rounded to the nearest rating point, halves up.
                ((sum / 100) * 2 + n) / (2 * n) * 100
            }
            _ => cut(self.contributions(number, tb.kind), tb.modifier)
                .iter()
                .sum(),
        }
    }

    /// Points scored against the other members of `group` (hundredths); a group whose members
    /// have not all met each other gives 0 to everyone (C.07 article 6).
    fn direct_encounter(&self, number: StartNumber, group: &[StartNumber]) -> i64 {
        let mut all_met = true;
        for &a in group {
            for &b in group {
                if a < b
                    && !self
                        .records(a)
                        .iter()
                        .flatten()
                        .any(|r| matches!(r, RoundRecord::Game { opponent, .. } if *opponent == b))
                {
                    all_met = false;
                }
            }
        }
        if !all_met {
            return 0;
        }
        self.records(number)
            .into_iter()
            .flatten()
            .filter_map(|r| match r {
                RoundRecord::Game { opponent, .. } if group.contains(opponent) => {
                    Some(i64::from(r.half_points()) * 50)
                }
                _ => None,
            })
            .sum()
    }
}

/// Applies a cut: unplayed-round contributions go first, then the least significant values.
fn cut(mut values: Vec<(i64, bool)>, modifier: Modifier) -> Vec<i64> {
    // Unplayed first, then ascending value: the front is the least significant.
    values.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (low, high) = match modifier {
        Modifier::None => (0, 0),
        Modifier::Cut(n) => (usize::from(n), 0),
        Modifier::Median(n) => (usize::from(n), usize::from(n)),
    };
    let mut kept: Vec<i64> = values.into_iter().skip(low).map(|v| v.0).collect();
    if high > 0 {
        kept.sort_unstable();
        let keep = kept.len().saturating_sub(high);
        kept.truncate(keep);
    }
    kept
}

/// Formats a value in hundredths as a decimal, e.g. `1250` as `12.50`.
pub fn format_hundredths(value: i64) -> String {
    let sign = if value < 0 { "-" } else { "" };
    let v = value.abs();
    format!("{sign}{}.{:02}", v / 100, v % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_and_rejects_others() {
        assert_eq!(Tiebreak::parse("bh:c1").unwrap().code(), "BH:C1");
        assert_eq!(
            Tiebreak::parse("BH:M1").unwrap().modifier,
            Modifier::Median(1)
        );
        assert!(Tiebreak::parse("XX").is_err());
        assert!(Tiebreak::parse("DE:C1").is_err());
        assert!(Tiebreak::parse("BH:C0").is_err());
    }

    #[test]
    fn cut_removes_unplayed_first() {
        let values = vec![(300, false), (100, false), (500, true)];
        assert_eq!(cut(values.clone(), Modifier::Cut(1)), vec![100, 300]);
        assert_eq!(cut(values, Modifier::Median(1)), vec![100]);
        assert_eq!(format_hundredths(1250), "12.50");
    }
}
