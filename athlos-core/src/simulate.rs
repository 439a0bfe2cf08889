//! Placement probabilities of a bracket: the rest of the event played many times under a
//! strength model, from an explicit seed.
//!
//! [`simulate_bracket`] takes a bracket in any state — results recorded so far stand — and
//! plays every match still to be decided, again and again: each ready match is decided by the
//! [`StrengthModel`] with numbers drawn from one ChaCha8 stream seeded by `seed`, through the
//! bracket's own [`Bracket::record_result`], so byes, walkovers, losers' brackets, repechage
//! and pools progress exactly as in real play; then [`Bracket::placements`] ranks. The answer
//! counts, for each entrant, how often it finished in each place, with the probability and a
//! 95 % Wilson score interval. The same bracket, model, runs and seed give the same answer,
//! byte for byte.
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::model::Participant;
//! use athlos_core::simulate::{simulate_bracket, StrengthModel};
//!
//! let field: Vec<Participant> = (1..=8)
//!     .map(|i| Participant::new(format!("p{i}"), format!("Player {i}")).unwrap()
//!         .with_rating(2000 - 50 * i))
//!     .collect();
//! let bracket = athlos_core::draw(&field, &BracketOptions::new(Format::SingleElimination), 1)?;
//! let odds = simulate_bracket(&bracket, &StrengthModel::elo(), 2_000, 42)?;
//! let favourite = odds.entrant("p1").unwrap();
//! // The top-rated player wins most often, but far from always.
//! assert!(favourite.probability(1) > odds.entrant("p8").unwrap().probability(1));
//! assert!(favourite.probability(1) < 1.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::bracket::{Bracket, BracketError, MatchResult, MatchStatus, Part};
use crate::model::{Participant, ParticipantId};

/// The most runs one simulation makes.
pub const MAX_RUNS: u32 = 1_000_000;

/// How a simulated match is decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case", deny_unknown_fields)]
pub enum StrengthModel {
    /// The Elo expectation from the entrants' ratings: `1 / (1 + 10^((Rb − Ra) / 400))`.
    /// Entrants without a rating count `unrated`. In pools (where draws exist) a game is
    /// drawn with probability `draw_rate`, and otherwise won by the expectation.
    Elo {
        /// The rating of an entrant without one.
        unrated: u32,
        /// The share of drawn pool games, in `[0, 1)`.
        draw_rate: f64,
    },
    /// The higher-rated entrant always wins (the lower seed number on equal ratings): the
    /// seeded outcome, for checks.
    StrongerAlwaysWins,
}

impl StrengthModel {
    /// Elo from the ratings, unrated entrants at 1500, no draws.
    pub fn elo() -> Self {
        StrengthModel::Elo {
            unrated: 1500,
            draw_rate: 0.0,
        }
    }
}

/// Why a simulation cannot run.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SimulationError {
    /// Runs outside `1..=MAX_RUNS`.
    #[error("runs must be between 1 and {MAX_RUNS}, not {runs}")]
    Runs {
        /// The runs asked for.
        runs: u32,
    },
    /// A draw rate outside `[0, 1)`.
    #[error("the draw rate must be at least 0 and below 1, not {rate}")]
    DrawRate {
        /// The rate given.
        rate: f64,
    },
    /// The bracket refused a simulated result (a bracket that cannot be played on).
    #[error("the bracket cannot be played on: {0}")]
    Bracket(#[from] BracketError),
}

crate::codes::error_codes! {
SimulationError {
    Runs => "simulation_runs", Invalid;
    DrawRate => "simulation_draw_rate", Invalid;
    Bracket => "simulation_bracket", Invalid;
}
}

/// How often an entrant finished in one place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlaceOdds {
    /// The place (1 is the winner; shared places repeat, as in [`Bracket::placements`]).
    pub place: u32,
    /// The runs that ended so.
    pub count: u32,
    /// `count / runs`.
    pub probability: f64,
    /// The 95 % Wilson score interval of the probability: lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

/// One entrant's places over every run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntrantOdds {
    /// The entrant.
    pub participant: ParticipantId,
    /// The places it finished in at least once, best first.
    pub places: Vec<PlaceOdds>,
}

impl EntrantOdds {
    /// The probability of finishing in `place` (0 when it never did).
    pub fn probability(&self, place: u32) -> f64 {
        self.places
            .iter()
            .find(|odds| odds.place == place)
            .map_or(0.0, |odds| odds.probability)
    }
}

/// What a simulation found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Simulation {
    /// The runs made.
    pub runs: u32,
    /// The seed of the random numbers.
    pub seed: u64,
    /// The model.
    pub model: StrengthModel,
    /// Every entrant, in the bracket's order.
    pub entrants: Vec<EntrantOdds>,
}

impl Simulation {
    /// The odds of entrant `id`.
    pub fn entrant(&self, id: &str) -> Option<&EntrantOdds> {
        self.entrants.iter().find(|e| e.participant.as_str() == id)
    }
}

/// Plays the rest of `bracket` `runs` times under `model` from `seed` (see the module's
/// documentation).
///
/// # Errors
/// [`SimulationError::Runs`], [`SimulationError::DrawRate`]; [`SimulationError::Bracket`]
/// when the bracket refuses a result its own state offered (none is expected).
pub fn simulate_bracket(
    bracket: &Bracket,
    model: &StrengthModel,
    runs: u32,
    seed: u64,
) -> Result<Simulation, SimulationError> {
    if runs == 0 || runs > MAX_RUNS {
        return Err(SimulationError::Runs { runs });
    }
    if let StrengthModel::Elo { draw_rate, .. } = model {
        if !(0.0..1.0).contains(draw_rate) {
            return Err(SimulationError::DrawRate { rate: *draw_rate });
        }
    }
    let entrants = bracket.participants();
    let strength: BTreeMap<&ParticipantId, (f64, usize)> = entrants
        .iter()
        .enumerate()
        .map(|(order, p)| (&p.id, (rating(p, model), order)))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut counts: BTreeMap<&ParticipantId, BTreeMap<u32, u32>> = BTreeMap::new();
    for _ in 0..runs {
        let mut played = bracket.clone();
        loop {
            let ready: Vec<_> = played
                .matches()
                .iter()
                .filter(|m| m.status == MatchStatus::Ready)
                .filter_map(|m| {
                    let (a, b) = (m.participant(0)?.clone(), m.participant(1)?.clone());
                    Some((m.id, m.part, a, b))
                })
                .collect();
            if ready.is_empty() {
                break;
            }
            for (id, part, a, b) in ready {
                let result = decide(model, &strength, part, a, b, &mut rng);
                played.record_result(&id, result)?;
            }
        }
        for placement in played.placements()? {
            let Some((id, _)) = strength.get_key_value(&placement.participant) else {
                continue;
            };
            *counts
                .entry(id)
                .or_default()
                .entry(placement.place)
                .or_default() += 1;
        }
    }
    let entrants = entrants
        .iter()
        .map(|p| EntrantOdds {
            participant: p.id.clone(),
            places: counts
                .get(&p.id)
                .map(|places| {
                    places
                        .iter()
                        .map(|(&place, &count)| odds(place, count, runs))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(Simulation {
        runs,
        seed,
        model: model.clone(),
        entrants,
    })
}

/// The rating `model` plays `participant` at.
fn rating(participant: &Participant, model: &StrengthModel) -> f64 {
    let unrated = match model {
        StrengthModel::Elo { unrated, .. } => *unrated,
        StrengthModel::StrongerAlwaysWins => 0,
    };
    f64::from(participant.rating.unwrap_or(unrated))
}

/// A uniform number in `[0, 1)` from the next 53 bits of `rng`.
fn uniform(rng: &mut ChaCha8Rng) -> f64 {
    // 2^53: every value is exact in an f64.
    const SCALE: f64 = 9_007_199_254_740_992.0;
    (rng.next_u64() >> 11) as f64 / SCALE
}

/// The result of one simulated match between `a` and `b`.
fn decide(
    model: &StrengthModel,
    strength: &BTreeMap<&ParticipantId, (f64, usize)>,
    part: Part,
    a: ParticipantId,
    b: ParticipantId,
    rng: &mut ChaCha8Rng,
) -> MatchResult {
    let of = |id: &ParticipantId| strength.get(id).copied().unwrap_or((0.0, usize::MAX));
    let ((ra, order_a), (rb, order_b)) = (of(&a), of(&b));
    match model {
        StrengthModel::StrongerAlwaysWins => {
            let a_wins = ra > rb || (ra == rb && order_a <= order_b);
            MatchResult::win(if a_wins { a } else { b })
        }
        StrengthModel::Elo { draw_rate, .. } => {
            let expected = 1.0 / (1.0 + 10f64.powf((rb - ra) / 400.0));
            let draws = if part == Part::Pool { *draw_rate } else { 0.0 };
            let x = uniform(rng);
            if x < draws {
                MatchResult::Draw { score: None }
            } else if x < draws + (1.0 - draws) * expected {
                MatchResult::win(a)
            } else {
                MatchResult::win(b)
            }
        }
    }
}

/// `count` of `runs` as odds with a 95 % Wilson score interval.
fn odds(place: u32, count: u32, runs: u32) -> PlaceOdds {
    const Z: f64 = 1.959_963_984_540_054;
    let n = f64::from(runs);
    let p = f64::from(count) / n;
    let z2 = Z * Z;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    PlaceOdds {
        place,
        count,
        probability: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bracket::{BracketOptions, Format};

    fn field(n: u32) -> Vec<Participant> {
        (1..=n)
            .map(|i| {
                Participant::new(format!("p{i:02}"), format!("Player {i}"))
                    .unwrap_or_else(|e| panic!("{e}"))
                    .with_rating(2400 - 25 * i)
            })
            .collect()
    }

    fn drawn(n: u32, format: Format) -> Bracket {
        crate::draw(&field(n), &BracketOptions::new(format), 7).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn two_entrants_match_the_elo_closed_form() {
        let mut two = field(2);
        two[0].rating = Some(1800);
        two[1].rating = Some(1600);
        let bracket = crate::draw(&two, &BracketOptions::new(Format::SingleElimination), 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let odds = simulate_bracket(&bracket, &StrengthModel::elo(), 20_000, 5)
            .unwrap_or_else(|e| panic!("{e}"));
        let exact = 1.0 / (1.0 + 10f64.powf(-200.0 / 400.0));
        let first = &odds.entrant("p01").unwrap_or_else(|| panic!("p01")).places[0];
        assert_eq!(first.place, 1);
        assert!(
            first.low <= exact && exact <= first.high,
            "{exact} outside [{}, {}]",
            first.low,
            first.high
        );
        assert!((first.probability - exact).abs() < 0.02);
    }

    #[test]
    fn every_entrant_and_every_place_sum_to_the_runs() {
        for format in [
            Format::SingleElimination,
            Format::DoubleElimination,
            Format::Repechage,
            Format::RoundRobin,
        ] {
            let bracket = drawn(12, format);
            let model = StrengthModel::Elo {
                unrated: 1500,
                draw_rate: 0.2,
            };
            let odds =
                simulate_bracket(&bracket, &model, 300, 11).unwrap_or_else(|e| panic!("{e}"));
            for entrant in &odds.entrants {
                let total: u32 = entrant.places.iter().map(|p| p.count).sum();
                assert_eq!(total, 300, "{format:?} {}", entrant.participant);
                let probability: f64 = entrant.places.iter().map(|p| p.probability).sum();
                assert!((probability - 1.0).abs() < 1e-9);
            }
            // Over the runs, each place is held as often as the format hands it out.
            let mut per_place: BTreeMap<u32, u32> = BTreeMap::new();
            for entrant in &odds.entrants {
                for place in &entrant.places {
                    *per_place.entry(place.place).or_default() += place.count;
                }
            }
            let total: u32 = per_place.values().sum();
            assert_eq!(total, 300 * 12, "{format:?}");
            if format != Format::RoundRobin {
                // Knockouts have one champion a run (pools may share their first place).
                assert_eq!(per_place.get(&1).copied(), Some(300), "{format:?}");
            }
        }
    }

    #[test]
    fn the_stronger_always_winning_reproduces_the_seeded_outcome() {
        let bracket = drawn(16, Format::DoubleElimination);
        let odds = simulate_bracket(&bracket, &StrengthModel::StrongerAlwaysWins, 3, 1)
            .unwrap_or_else(|e| panic!("{e}"));
        let winner = odds.entrant("p01").unwrap_or_else(|| panic!("p01"));
        assert_eq!(winner.places.len(), 1);
        assert_eq!((winner.places[0].place, winner.places[0].count), (1, 3));
        let second = odds.entrant("p02").unwrap_or_else(|| panic!("p02"));
        assert_eq!(second.places[0].place, 2);
        for entrant in &odds.entrants {
            assert_eq!(entrant.places.len(), 1, "always the same place");
        }
    }

    #[test]
    fn results_recorded_so_far_stand_and_the_seed_decides_the_rest() {
        let mut bracket = drawn(8, Format::SingleElimination);
        // The first ready match goes to its weaker side.
        let (id, upset) = bracket
            .matches()
            .iter()
            .find(|m| m.status == MatchStatus::Ready)
            .map(|m| (m.id, m.participant(1).cloned()))
            .unwrap_or_else(|| panic!("no ready match"));
        let upset = upset.unwrap_or_else(|| panic!("no side"));
        bracket
            .record_result(&id, MatchResult::win(upset.clone()))
            .unwrap_or_else(|e| panic!("{e}"));
        let odds = simulate_bracket(&bracket, &StrengthModel::elo(), 500, 3)
            .unwrap_or_else(|e| panic!("{e}"));
        let again = simulate_bracket(&bracket, &StrengthModel::elo(), 500, 3)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(odds, again, "the same seed, the same odds");
        let other = simulate_bracket(&bracket, &StrengthModel::elo(), 500, 4)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(odds, other);
        // The loser of the recorded match is out in round 1 (shared 5th of 8) every time.
        let loser = bracket
            .match_by_id(&id)
            .and_then(|m| m.loser().cloned())
            .unwrap_or_else(|| panic!("no loser"));
        let out = odds
            .entrant(loser.as_str())
            .unwrap_or_else(|| panic!("loser"));
        assert_eq!(out.places.len(), 1);
        assert_eq!(out.places[0].count, 500);
        assert_eq!(out.places[0].place, 5);
    }

    #[test]
    fn bad_runs_and_draw_rates_are_refused() {
        let bracket = drawn(4, Format::SingleElimination);
        assert!(matches!(
            simulate_bracket(&bracket, &StrengthModel::elo(), 0, 1),
            Err(SimulationError::Runs { runs: 0 })
        ));
        let model = StrengthModel::Elo {
            unrated: 1500,
            draw_rate: 1.0,
        };
        assert!(matches!(
            simulate_bracket(&bracket, &model, 10, 1),
            Err(SimulationError::DrawRate { .. })
        ));
        let model = StrengthModel::Elo {
            unrated: 1500,
            draw_rate: f64::NAN,
        };
        assert!(simulate_bracket(&bracket, &model, 10, 1).is_err());
    }
}
