//! The state of a tournament before a round, as the Dutch rules see it.

use std::collections::{BTreeMap, BTreeSet};

use super::colour::{colour_difference, preference, ColourHistory, Preference};
use super::{
    Acceleration, Colour, GameResult, RoundPairing, RoundRecord, StartNumber, SwissError,
    SwissField,
};

/// A float received in a round (C.04.3 article 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Float {
    Down,
    Up,
}

/// One present player before the round to pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlayerState {
    /// Starting number.
    pub number: StartNumber,
    /// The pairing number the initial-colour rule (C.04.3 article 5.2.6) reads, 1-based: the
    /// rank by starting number among the players who have entered the tournament, that is,
    /// who are present for this round or were paired in an earlier one (a game, forfeited or
    /// not, or the pairing-allocated bye). A player who has only been absent so far and is
    /// absent again has not entered yet and takes no number, as a late entry would not
    /// (article 1.2.2); bbpPairings numbers the players the same way.
    pub effective_number: u32,
    /// Score in half points including virtual (acceleration) points.
    pub pairing_score: u32,
    /// Colours of the games played over the board, oldest first.
    pub colours: Vec<Colour>,
    /// Whites minus blacks over played games.
    pub colour_difference: i32,
    pub(crate) preference: Preference,
    /// Opponents met over the board.
    pub opponents: BTreeSet<StartNumber>,
    /// Whether the player may not get the pairing-allocated bye (C.04.3 criterion C2).
    pub bye_ineligible: bool,
    /// Whether the player is a topscorer (final round, more than half the maximum score).
    pub topscorer: bool,
    /// Rounds without a game played over the board (absences, byes, forfeits); the
    /// pairing-allocated bye goes preferably to a player with fewer of them.
    pub unplayed_games: u32,
    pub(crate) float_last: Option<Float>,
    pub(crate) float_before_last: Option<Float>,
}

impl PlayerState {
    /// What colour allocation reads of the player.
    pub(crate) fn colour_history(&self) -> ColourHistory<'_> {
        ColourHistory {
            colours: &self.colours,
            preference: self.preference,
            colour_difference: self.colour_difference,
        }
    }
}

/// The state before the next round: present players in ranking order (score, then number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundState {
    /// The round to pair, 1-based.
    pub round: u32,
    /// Present players, ranked.
    pub players: Vec<PlayerState>,
    /// The initial colour.
    pub initial_colour: Colour,
    /// Pairs that must not meet.
    pub forbidden: BTreeSet<(StartNumber, StartNumber)>,
}

impl RoundState {
    /// Builds the state before the next round.
    ///
    /// # Errors
    /// A [`SwissError`] for an inconsistent history.
    pub fn build(tournament: &SwissField) -> Result<Self, SwissError> {
        Self::build_round(tournament, rounds_paired(tournament).saturating_add(1))
    }

    /// Builds the state before `round` (1-based): the rounds before it are the history, and
    /// the `H`, `F` and `Z` records of `round` itself are absences announced for it.
    ///
    /// # Errors
    /// A [`SwissError`] for an inconsistent history or a round beyond the planned ones.
    pub(crate) fn build_round(tournament: &SwissField, round: u32) -> Result<Self, SwissError> {
        validate(tournament)?;
        let round = round.max(1);
        let played = round - 1;
        if played >= tournament.total_rounds && tournament.total_rounds > 0 {
            return Err(SwissError::TournamentOver {
                total_rounds: tournament.total_rounds,
            });
        }
        let played_usize = played as usize;
        let count = tournament.players.len();
        let mut by_number: Vec<&super::SwissPlayer> = tournament.players.iter().collect();
        by_number.sort_by_key(|p| p.number);
        let ranks: BTreeMap<StartNumber, usize> = by_number
            .iter()
            .enumerate()
            .map(|(i, p)| (p.number, i))
            .collect();
        let accelerated = count.div_ceil(2);
        let virtual_points = |rank: usize, round: u32| -> u32 {
            if tournament.acceleration != Acceleration::Baku || rank >= accelerated {
                return 0;
            }
            let rounds = tournament.total_rounds.max(1);
            if round <= (rounds - 1) / 4 + 1 {
                2
            } else if round <= (rounds - 1) / 2 + 1 {
                1
            } else {
                0
            }
        };
        // Scores before each round, for floats.
        let mut scores_before: BTreeMap<StartNumber, Vec<u32>> = BTreeMap::new();
        for p in &by_number {
            let mut acc = 0;
            let mut list = Vec::with_capacity(played_usize + 1);
            for r in 0..played_usize {
                list.push(acc);
                acc += p.rounds.get(r).map_or(0, RoundRecord::half_points);
            }
            list.push(acc);
            scores_before.insert(p.number, list);
        }
        let max_score = 2 * played;
        // Article 5.2.6 gives the initial colour by the parity of the pairing number, counted
        // over the players who have entered the tournament (see `effective_number`).
        let mut effective_numbers: BTreeMap<StartNumber, u32> = BTreeMap::new();
        for p in &by_number {
            let absent_now = matches!(
                p.rounds.get(played_usize),
                Some(RoundRecord::HalfBye | RoundRecord::FullBye | RoundRecord::ZeroBye)
            );
            let paired_before = p
                .rounds
                .iter()
                .take(played_usize)
                .any(|r| matches!(r, RoundRecord::Game { .. } | RoundRecord::PairingBye));
            if !absent_now || paired_before {
                let next = effective_numbers.len() as u32 + 1;
                effective_numbers.insert(p.number, next);
            }
        }
        let mut players = Vec::new();
        for p in &by_number {
            let absent = matches!(
                p.rounds.get(played_usize),
                Some(RoundRecord::HalfBye | RoundRecord::FullBye | RoundRecord::ZeroBye)
            );
            if absent {
                continue;
            }
            let rank = ranks.get(&p.number).copied().unwrap_or(0);
            let mut colours = Vec::new();
            let mut opponents = BTreeSet::new();
            let mut bye_ineligible = false;
            let mut unplayed_games = 0;
            let mut floats = Vec::with_capacity(played_usize);
            for r in 0..played_usize {
                let record = p.rounds.get(r).copied().unwrap_or(RoundRecord::ZeroBye);
                if record.played().is_none() {
                    unplayed_games += 1;
                }
                if let Some((opponent, colour)) = record.played() {
                    colours.push(colour);
                    opponents.insert(opponent);
                }
                if matches!(
                    record,
                    RoundRecord::PairingBye
                        | RoundRecord::FullBye
                        | RoundRecord::Game {
                            result: GameResult::ForfeitWin,
                            ..
                        }
                ) {
                    bye_ineligible = true;
                }
                let round_no = r as u32 + 1;
                let mine = scores_before
                    .get(&p.number)
                    .and_then(|s| s.get(r))
                    .copied()
                    .unwrap_or(0)
                    + virtual_points(rank, round_no);
                let float = match record {
                    RoundRecord::Game {
                        opponent, result, ..
                    } if result.is_played() => {
                        let orank = ranks.get(&opponent).copied().unwrap_or(0);
                        let theirs = scores_before
                            .get(&opponent)
                            .and_then(|s| s.get(r))
                            .copied()
                            .unwrap_or(0)
                            + virtual_points(orank, round_no);
                        match mine.cmp(&theirs) {
                            std::cmp::Ordering::Greater => Some(Float::Down),
                            std::cmp::Ordering::Less => Some(Float::Up),
                            std::cmp::Ordering::Equal => None,
                        }
                    }
                    RoundRecord::Game {
                        result: GameResult::ForfeitWin,
                        ..
                    }
                    | RoundRecord::PairingBye
                    | RoundRecord::FullBye
                    | RoundRecord::HalfBye => Some(Float::Down),
                    _ => None,
                };
                floats.push(float);
            }
            let real = p.half_points_after(played_usize);
            let pairing_score = real + virtual_points(rank, round);
            let topscorer = tournament.total_rounds > 0
                && round == tournament.total_rounds
                && real * 2 > max_score;
            players.push(PlayerState {
                number: p.number,
                effective_number: effective_numbers.get(&p.number).copied().unwrap_or(0),
                pairing_score,
                colour_difference: colour_difference(&colours),
                preference: preference(&colours),
                colours,
                opponents,
                bye_ineligible,
                topscorer,
                unplayed_games,
                float_last: floats.last().copied().flatten(),
                float_before_last: if floats.len() >= 2 {
                    floats[floats.len() - 2]
                } else {
                    None
                },
            });
        }
        players.sort_by(|a, b| {
            b.pairing_score
                .cmp(&a.pairing_score)
                .then(a.number.cmp(&b.number))
        });
        let mut forbidden = BTreeSet::new();
        for &(a, b) in &tournament.forbidden_pairs {
            forbidden.insert((a.min(b), a.max(b)));
        }
        Ok(Self {
            round,
            players,
            initial_colour: tournament.initial_colour,
            forbidden,
        })
    }
}

/// The number of rounds played, the next round being the one to pair. A TRF (or a history)
/// holds the played rounds and, in the column after them, the absences announced for the
/// round to pair; this reads them as bbpPairings v6.0.0 reads a TRF for `--dutch FILE -p`:
///
/// 1. a round holding a game (forfeited or not) or a pairing-allocated bye has been played;
/// 2. so has every round before a player's last record: a record (an `H`, `F` or `Z`
///    included) only stands for the round to pair when it is in the last column;
/// 3. when every player has a record in the column after those rounds, nobody is left to
///    pair in it: it is a played round in which everybody was absent, and the round after it
///    is the one to pair.
///
/// So a round in which everybody was absent counts as played, and byes announced for the
/// round to pair by some, not all, of the players stay announced byes.
pub(crate) fn rounds_paired(tournament: &SwissField) -> u32 {
    let mut played = 0usize;
    for p in &tournament.players {
        played = played.max(p.rounds.len().saturating_sub(1));
        for (i, r) in p.rounds.iter().enumerate() {
            if matches!(r, RoundRecord::Game { .. } | RoundRecord::PairingBye) {
                played = played.max(i + 1);
            }
        }
    }
    if !tournament.players.is_empty() && tournament.players.iter().all(|p| p.rounds.len() > played)
    {
        played += 1;
    }
    u32::try_from(played).unwrap_or(u32::MAX)
}

/// The tournament as it stood before `round` was paired: rounds before it, plus that round's
/// pre-announced `H`, `F` and `Z` records.
pub(crate) fn truncate(tournament: &SwissField, round: u32) -> SwissField {
    let keep = round.saturating_sub(1) as usize;
    let mut out = tournament.clone();
    for p in &mut out.players {
        let announced = p.rounds.get(keep).copied().filter(|r| {
            matches!(
                r,
                RoundRecord::HalfBye | RoundRecord::FullBye | RoundRecord::ZeroBye
            )
        });
        p.rounds.truncate(keep);
        while p.rounds.len() < keep {
            p.rounds.push(RoundRecord::ZeroBye);
        }
        if let Some(a) = announced {
            p.rounds.push(a);
        }
    }
    out
}

/// The pairing recorded for `round` (1-based).
pub(crate) fn recorded_pairing(tournament: &SwissField, round: u32) -> RoundPairing {
    let index = round.saturating_sub(1) as usize;
    let mut pairing = RoundPairing::default();
    let mut players: Vec<&super::SwissPlayer> = tournament.players.iter().collect();
    players.sort_by_key(|p| p.number);
    for p in players {
        match p.rounds.get(index) {
            Some(RoundRecord::Game {
                opponent,
                colour: Colour::White,
                ..
            }) => pairing.pairs.push((p.number, *opponent)),
            Some(RoundRecord::PairingBye) => pairing.bye = Some(p.number),
            _ => {}
        }
    }
    pairing
}

fn validate(tournament: &SwissField) -> Result<(), SwissError> {
    let mut by_number: BTreeMap<StartNumber, &super::SwissPlayer> = BTreeMap::new();
    for p in &tournament.players {
        if by_number.insert(p.number, p).is_some() {
            return Err(SwissError::DuplicateNumber { number: p.number });
        }
    }
    for p in &tournament.players {
        for (i, record) in p.rounds.iter().enumerate() {
            let round = i as u32 + 1;
            if let RoundRecord::Game {
                opponent,
                colour,
                result,
            } = record
            {
                if *opponent == p.number {
                    return Err(SwissError::SelfPairing {
                        player: p.number,
                        round,
                    });
                }
                let Some(other) = by_number.get(opponent) else {
                    return Err(SwissError::UnknownOpponent {
                        player: p.number,
                        round,
                        opponent: *opponent,
                    });
                };
                let consistent = match other.rounds.get(i) {
                    Some(RoundRecord::Game {
                        opponent: back,
                        colour: their_colour,
                        result: their_result,
                    }) => {
                        *back == p.number
                            && *their_colour == colour.opposite()
                            && results_agree(*result, *their_result)
                    }
                    _ => false,
                };
                if !consistent {
                    return Err(SwissError::InconsistentGame {
                        player: p.number,
                        round,
                        opponent: *opponent,
                    });
                }
            }
        }
    }
    Ok(())
}

fn results_agree(mine: GameResult, theirs: GameResult) -> bool {
    use GameResult::{Draw, ForfeitLoss, ForfeitWin, Loss, Win};
    matches!(
        (mine, theirs),
        (Win, Loss)
            | (Loss, Win)
            | (Draw, Draw)
            | (ForfeitWin, ForfeitLoss)
            | (ForfeitLoss, ForfeitWin)
            | (ForfeitLoss, ForfeitLoss)
    )
}
