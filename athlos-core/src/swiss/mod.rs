//! The FIDE (Dutch) Swiss system, FIDE Handbook C.04.3 (2025 edition).
//!
//! A [`SwissField`] holds the players (by starting number) and their round-by-round history;
//! [`pair_next_round`] pairs the next round with the Dutch rules and [`check_round`] explains
//! which criterion a given pairing breaks. [`play`] runs a Swiss tournament by participant id
//! on top of them: rounds, results, withdrawals, standings and the TRF export.

mod blossom;
mod check;
mod colour;
pub mod crosstable;
mod dutch;
pub mod play;
mod state;
mod wide;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use check::{check_pairing, CheckFinding};
pub use colour::Colour;
pub use state::{PlayerState, RoundState};

/// A starting (pairing) number, 1-based, as in TRF-16.
pub type StartNumber = u32;

/// The outcome of one round for one player.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum RoundRecord {
    /// A game was paired against `opponent` with `colour`.
    Game {
        /// The opponent's starting number.
        opponent: StartNumber,
        /// The colour this player had.
        colour: Colour,
        /// What happened.
        result: GameResult,
    },
    /// The pairing-allocated bye (`U`): a full point, no opponent.
    PairingBye,
    /// A requested half-point bye (`H`).
    HalfBye,
    /// A full-point bye (`F`).
    FullBye,
    /// A zero-point bye or absence (`Z`, or nothing recorded).
    ZeroBye,
}

/// The result of a paired game from one player's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameResult {
    /// Won over the board (`1`, or `W` unrated).
    Win,
    /// Drawn over the board (`=`, or `D` unrated).
    Draw,
    /// Lost over the board (`0`, or `L` unrated).
    Loss,
    /// Won by forfeit (`+`): the game was not played.
    ForfeitWin,
    /// Lost by forfeit (`-`): the game was not played.
    ForfeitLoss,
}

impl GameResult {
    /// Whether the game was played over the board (forfeits are not, for pairing purposes).
    pub fn is_played(self) -> bool {
        matches!(self, Self::Win | Self::Draw | Self::Loss)
    }
}

impl RoundRecord {
    /// Points scored, in half points, with 1 / ½ / 0 scoring.
    pub fn half_points(&self) -> u32 {
        match self {
            Self::Game { result, .. } => match result {
                GameResult::Win | GameResult::ForfeitWin => 2,
                GameResult::Draw => 1,
                GameResult::Loss | GameResult::ForfeitLoss => 0,
            },
            Self::PairingBye | Self::FullBye => 2,
            Self::HalfBye => 1,
            Self::ZeroBye => 0,
        }
    }

    /// The opponent and colour when the game was played over the board.
    pub fn played(&self) -> Option<(StartNumber, Colour)> {
        match self {
            Self::Game {
                opponent,
                colour,
                result,
            } if result.is_played() => Some((*opponent, *colour)),
            _ => None,
        }
    }
}

/// Acceleration applied to the pairing scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Acceleration {
    /// No acceleration.
    #[default]
    None,
    /// Baku acceleration (C.04.5.1): the first ⌈N/2⌉ players get one virtual point in rounds
    /// 1..=⌊(R−1)/4⌋+1 and half a point up to round ⌊(R−1)/2⌋+1.
    Baku,
}

/// One player of a Swiss tournament.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwissPlayer {
    /// Starting (pairing) number.
    pub number: StartNumber,
    /// Name as written in the report.
    pub name: String,
    /// Rating (0 when unrated).
    pub rating: u16,
    /// Records of rounds 1, 2, …; a record beyond the last paired round is a pre-announced bye.
    pub rounds: Vec<RoundRecord>,
}

impl SwissPlayer {
    /// Score in half points over the first `rounds` rounds.
    pub fn half_points_after(&self, rounds: usize) -> u32 {
        self.rounds
            .iter()
            .take(rounds)
            .map(RoundRecord::half_points)
            .sum()
    }
}

/// A Swiss tournament as the pairing engine sees it: the players by starting number with
/// their history, the rounds planned and the pairing options. The stored tournament, by
/// participant id, is [`crate::tournament::Tournament`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwissField {
    /// Players by starting number (any order; numbers unique).
    pub players: Vec<SwissPlayer>,
    /// Planned number of rounds.
    pub total_rounds: u32,
    /// Colour of the top-ranked player in round 1 (C.04.3 article 5.1, the initial colour).
    pub initial_colour: Colour,
    /// Acceleration method.
    pub acceleration: Acceleration,
    /// Pairs that must not meet (e.g. team mates), beyond rematches.
    pub forbidden_pairs: BTreeSet<(StartNumber, StartNumber)>,
}

/// The pairing of one round by starting number: the boards and the bye. An event announces
/// a round's matches as [`crate::event::Pairing`]s.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RoundPairing {
    /// `(white, black)` by starting number, board order.
    pub pairs: Vec<(StartNumber, StartNumber)>,
    /// Who receives the pairing-allocated bye, if anyone.
    pub bye: Option<StartNumber>,
}

impl RoundPairing {
    /// A canonical form for comparing two pairings as sets.
    pub fn canonical(&self) -> (Vec<(StartNumber, StartNumber)>, Option<StartNumber>) {
        let mut pairs = self.pairs.clone();
        pairs.sort_unstable();
        (pairs, self.bye)
    }

    /// The bbpPairings/JaVaFo output: number of pairs, then `white black` lines, a bye as `n 0`.
    pub fn to_engine_text(&self) -> String {
        let mut out = format!("{}\n", self.pairs.len() + usize::from(self.bye.is_some()));
        for (white, black) in &self.pairs {
            out.push_str(&format!("{white} {black}\n"));
        }
        if let Some(bye) = self.bye {
            out.push_str(&format!("{bye} 0\n"));
        }
        out
    }
}

/// Why a Swiss history cannot be paired.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SwissError {
    /// Two players share a starting number.
    #[error("starting number {number} is used twice")]
    DuplicateNumber {
        /// The repeated number.
        number: StartNumber,
    },
    /// A record names an opponent that does not exist.
    #[error("player {player}, round {round}: unknown opponent {opponent}")]
    UnknownOpponent {
        /// The player.
        player: StartNumber,
        /// The round, 1-based.
        round: u32,
        /// The missing opponent.
        opponent: StartNumber,
    },
    /// A player's game is not mirrored by the opponent (other opponent, colour or result).
    #[error("player {player}, round {round}: the game against {opponent} is not recorded consistently by both players")]
    InconsistentGame {
        /// The player.
        player: StartNumber,
        /// The round, 1-based.
        round: u32,
        /// The named opponent.
        opponent: StartNumber,
    },
    /// A player is paired against himself.
    #[error("player {player}, round {round}: paired against himself")]
    SelfPairing {
        /// The player.
        player: StartNumber,
        /// The round, 1-based.
        round: u32,
    },
    /// All rounds have been played.
    #[error("all {total_rounds} rounds have been paired")]
    TournamentOver {
        /// The planned number of rounds.
        total_rounds: u32,
    },
    /// The rules leave no legal pairing.
    #[error("round {round} cannot be paired without breaking an absolute criterion")]
    NoLegalPairing {
        /// The round, 1-based.
        round: u32,
    },
}

/// Pairs the next round with the FIDE Dutch system (C.04.3, 2025).
///
/// The round paired is the one after the [`rounds_paired`] played rounds; `H`, `F` and `Z`
/// records of that round are treated as pre-announced absences.
///
/// # Errors
/// A [`SwissError`] when the history is inconsistent or no legal pairing exists.
pub fn pair_next_round(tournament: &SwissField) -> Result<RoundPairing, SwissError> {
    let state = RoundState::build(tournament)?;
    dutch::pair(&state)
}

/// Pairs round `round` (1-based) of `tournament`, whose records up to the round before it
/// are the history and whose `H`, `F` and `Z` records for `round` are its announced
/// absences, with `first_round_seed` as in [`pair_next_round_seeded`]. For callers that know
/// which round they pair even when nobody is present for it (see [`rounds_paired`]).
pub(crate) fn pair_round(
    tournament: &SwissField,
    round: u32,
    first_round_seed: Option<u64>,
) -> Result<RoundPairing, SwissError> {
    let mut state = RoundState::build_round(tournament, round)?;
    if let Some(seed) = first_round_seed {
        draw_first_round(&mut state, seed);
    }
    dutch::pair(&state)
}

/// Pairs the next round like [`pair_next_round`], except that a first round is drawn at
/// random: the players' order within each score group (the whole field, unless the event is
/// accelerated) is shuffled with `first_round_seed` before the Dutch rules pair it, so the
/// same seed always gives the same pairing. From round 2 on the seed changes nothing.
///
/// Bot arenas use this where rating order means nothing.
///
/// # Errors
/// As [`pair_next_round`].
pub fn pair_next_round_seeded(
    tournament: &SwissField,
    first_round_seed: u64,
) -> Result<RoundPairing, SwissError> {
    let mut state = RoundState::build(tournament)?;
    draw_first_round(&mut state, first_round_seed);
    dutch::pair(&state)
}

/// Shuffles a first round's players within their score groups with `seed` (see
/// [`pair_next_round_seeded`]); later rounds are left alone.
fn draw_first_round(state: &mut RoundState, first_round_seed: u64) {
    if state.round == 1 {
        let mut rng = crate::seeding::DrawRng::new(first_round_seed);
        let mut start = 0;
        while start < state.players.len() {
            let score = state.players[start].pairing_score;
            let len = state.players[start..]
                .iter()
                .take_while(|p| p.pairing_score == score)
                .count();
            rng.shuffle(&mut state.players[start..start + len]);
            start += len;
        }
        // The drawn order stands for the pairing numbers of this round, so the initial-colour
        // rule (C.04.3 article 5.2.6) alternates down the boards as in an undrawn first round.
        for (position, player) in state.players.iter_mut().enumerate() {
            player.effective_number = position as u32 + 1;
        }
    }
}

/// Re-pairs round `round` (1-based) from the rounds before it and compares with what was
/// recorded; `Ok(None)` when they agree, otherwise the recorded and our pairing.
///
/// # Errors
/// A [`SwissError`] when the history is inconsistent.
pub fn check_round(
    tournament: &SwissField,
    round: u32,
) -> Result<Option<(RoundPairing, RoundPairing)>, SwissError> {
    let truncated = state::truncate(tournament, round);
    // The round is named: a round in which everybody was absent is re-paired as itself (no
    // one to pair), not read as played (see `rounds_paired`).
    let ours = pair_round(&truncated, round, None)?;
    let recorded = state::recorded_pairing(tournament, round);
    if ours.canonical() == recorded.canonical() {
        Ok(None)
    } else {
        Ok(Some((recorded, ours)))
    }
}

/// The number of rounds played, as bbpPairings reads a TRF: every round holding a game or a
/// pairing-allocated bye, every round before a player's last record, and a round in which
/// every player has a record but nobody was paired (everybody absent). Records in the column
/// after the played rounds are absences announced for the round to pair, unless every player
/// has one.
pub fn rounds_paired(tournament: &SwissField) -> u32 {
    state::rounds_paired(tournament)
}

crate::codes::error_codes! {
SwissError {
    DuplicateNumber => "duplicate_number", Invalid;
    UnknownOpponent => "unknown_opponent", Invalid;
    InconsistentGame => "inconsistent_game", Invalid;
    SelfPairing => "self_pairing", Invalid;
    TournamentOver => "tournament_over", Invalid;
    NoLegalPairing => "no_legal_pairing", Invalid;
}
}
