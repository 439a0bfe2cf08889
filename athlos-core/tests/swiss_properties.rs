//! Properties of the Dutch pairing on random tournaments: no rematch, nobody paired twice, at
//! most one pairing-allocated bye per player, absolute colour rules kept, determinism; on
//! arbitrary histories (`testing::swiss_history`) the same absolute rules; and standings that
//! agree with the records whatever the tie-breaks.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};

use athlos_core::swiss::{
    pair_next_round, Acceleration, Colour, GameResult, RoundRecord, SwissError, SwissField,
    SwissPlayer,
};
use athlos_core::testing::{check_pairing, check_standings, swiss_history};
use athlos_core::tiebreak::{
    standings, Edition, EventKind, Kind, Modifier, Options, PointSystem, Tiebreak, Value,
};
use proptest::prelude::*;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn colours_of(player: &SwissPlayer) -> Vec<Colour> {
    player
        .rounds
        .iter()
        .filter_map(|r| r.played().map(|(_, c)| c))
        .collect()
}

/// Plays a random tournament round by round, checking every pairing.
fn simulate(players: usize, rounds: u32, seed: u64) -> Result<(), TestCaseError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut tournament = SwissField {
        players: (1..=players as u32)
            .map(|n| SwissPlayer {
                number: n,
                name: format!("P{n}"),
                rating: 2800 - n as u16,
                rounds: Vec::new(),
            })
            .collect(),
        total_rounds: rounds,
        initial_colour: if seed % 2 == 0 {
            Colour::White
        } else {
            Colour::Black
        },
        acceleration: if seed % 5 == 0 {
            Acceleration::Baku
        } else {
            Acceleration::None
        },
        forbidden_pairs: BTreeSet::new(),
    };
    let mut withdrawn = BTreeSet::new();
    let mut byes: BTreeMap<u32, u32> = BTreeMap::new();
    for round in 1..=rounds {
        // Withdrawals and pre-announced byes for this round.
        for p in &mut tournament.players {
            if rng.next_u32() % 60 == 0 {
                withdrawn.insert(p.number);
            }
            if withdrawn.contains(&p.number) {
                p.rounds.push(RoundRecord::ZeroBye);
            } else if rng.next_u32() % 25 == 0 {
                p.rounds.push(if rng.next_u32() % 2 == 0 {
                    RoundRecord::HalfBye
                } else {
                    RoundRecord::ZeroBye
                });
            }
        }
        // A round every player misses (all withdrawn or on a bye) is played with nobody to pair
        // (as bbpPairings reads it): the next pairing is the next round's.
        if tournament
            .players
            .iter()
            .all(|p| p.rounds.len() >= round as usize)
        {
            continue;
        }
        let pairing = match pair_next_round(&tournament) {
            Ok(p) => p,
            Err(SwissError::NoLegalPairing { .. }) => return Ok(()),
            Err(e) => return Err(TestCaseError::fail(format!("round {round}: {e}"))),
        };
        let again = pair_next_round(&tournament).unwrap();
        prop_assert_eq!(&pairing, &again, "pairing is not deterministic");
        if let Err(violation) = check_pairing(&tournament, &pairing) {
            return Err(TestCaseError::fail(format!("round {round}: {violation}")));
        }
        let present: BTreeSet<u32> = tournament
            .players
            .iter()
            .filter(|p| p.rounds.len() < round as usize)
            .map(|p| p.number)
            .collect();
        let mut seen = BTreeSet::new();
        for &(w, b) in &pairing.pairs {
            prop_assert!(seen.insert(w) && seen.insert(b), "someone paired twice");
            let white = tournament.players.iter().find(|p| p.number == w).unwrap();
            prop_assert!(
                !white
                    .rounds
                    .iter()
                    .any(|r| matches!(r.played(), Some((o, _)) if o == b)),
                "rematch {w}-{b}"
            );
        }
        if let Some(bye) = pairing.bye {
            prop_assert!(seen.insert(bye), "bye player also paired");
            let count = byes.entry(bye).or_default();
            *count += 1;
            prop_assert!(*count <= 1, "second pairing-allocated bye for {bye}");
        }
        prop_assert_eq!(
            &seen,
            &present,
            "paired players differ from present players"
        );
        // Results.
        let mut results: BTreeMap<u32, RoundRecord> = BTreeMap::new();
        for &(w, b) in &pairing.pairs {
            let roll = rng.next_u32() % 20;
            let (rw, rb) = match roll {
                0 => (GameResult::ForfeitWin, GameResult::ForfeitLoss),
                1 => (GameResult::ForfeitLoss, GameResult::ForfeitLoss),
                2..=6 => (GameResult::Draw, GameResult::Draw),
                7..=13 => (GameResult::Win, GameResult::Loss),
                _ => (GameResult::Loss, GameResult::Win),
            };
            results.insert(
                w,
                RoundRecord::Game {
                    opponent: b,
                    colour: Colour::White,
                    result: rw,
                },
            );
            results.insert(
                b,
                RoundRecord::Game {
                    opponent: w,
                    colour: Colour::Black,
                    result: rb,
                },
            );
        }
        if let Some(bye) = pairing.bye {
            results.insert(bye, RoundRecord::PairingBye);
        }
        let last_round = round == rounds;
        for p in &mut tournament.players {
            if let Some(r) = results.remove(&p.number) {
                p.rounds.push(r);
            }
            // Absolute colour rules: outside the final round (topscorers), no colour
            // difference beyond ±2 and never the same colour three times running.
            if !last_round {
                let colours = colours_of(p);
                let difference: i32 = colours
                    .iter()
                    .map(|c| if *c == Colour::White { 1 } else { -1 })
                    .sum();
                prop_assert!(
                    difference.abs() <= 2,
                    "player {} colour difference {}",
                    p.number,
                    difference
                );
                let n = colours.len();
                prop_assert!(
                    !(n >= 3
                        && colours[n - 1] == colours[n - 2]
                        && colours[n - 2] == colours[n - 3]),
                    "player {} has the same colour three times",
                    p.number
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn small_tournaments_keep_the_rules(players in 2usize..40, rounds in 1u32..=15, seed in any::<u64>()) {
        simulate(players, rounds, seed)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn large_tournaments_keep_the_rules(players in 40usize..=400, rounds in 1u32..=15, seed in any::<u64>()) {
        simulate(players, rounds, seed)?;
    }
}

fn tiebreak() -> impl Strategy<Value = Tiebreak> {
    let kind = prop::sample::select(vec![
        Kind::Buchholz,
        Kind::ForeBuchholz,
        Kind::SonnebornBerger,
        Kind::AverageOfBuchholz,
        Kind::DirectEncounter,
        Kind::Progressive,
        Kind::Koya,
        Kind::Wins,
        Kind::GamesWon,
        Kind::GamesWithBlack,
        Kind::WinsWithBlack,
        Kind::AverageRatingOfOpponents,
        Kind::PerformanceRating,
        Kind::PerfectPerformance,
        Kind::AveragePerformanceOfOpponents,
        Kind::AveragePerfectPerformanceOfOpponents,
        Kind::RoundsElectedToPlay,
    ]);
    (kind, 0u8..3, 1u8..3).prop_map(|(kind, m, n)| {
        let cuttable = matches!(
            kind,
            Kind::Buchholz
                | Kind::ForeBuchholz
                | Kind::SonnebornBerger
                | Kind::Progressive
                | Kind::AverageRatingOfOpponents
        );
        let modifier = match m {
            1 if cuttable => Modifier::Cut(n),
            2 if cuttable && kind != Kind::Progressive => Modifier::Median(n),
            _ => Modifier::None,
        };
        Tiebreak { kind, modifier }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Arbitrary consistent histories (random pairings with rematches, colour runs, byes,
    /// forfeits and withdrawals): the engine pairs within the absolute rules or says why not,
    /// the same way twice.
    #[test]
    fn arbitrary_histories_pair_within_the_absolute_rules(tournament in swiss_history(0..=30, 0..=9)) {
        match pair_next_round(&tournament) {
            Ok(pairing) => {
                if let Err(violation) = check_pairing(&tournament, &pairing) {
                    return Err(TestCaseError::fail(violation.to_string()));
                }
                prop_assert_eq!(pair_next_round(&tournament).unwrap(), pairing);
            }
            Err(error) => prop_assert!(
                matches!(error, SwissError::NoLegalPairing { .. } | SwissError::TournamentOver { .. }),
                "a consistent history refused: {}", error
            ),
        }
    }

    /// Standings of arbitrary histories with any tie-break list and point system: one row per
    /// player, points from the records, ordered, with shared ranks only for full ties.
    #[test]
    fn standings_agree_with_the_records(
        tournament in swiss_history(1..=40, 0..=11),
        order in prop::collection::vec(tiebreak(), 0..5),
        (win, draw, loss) in (0i64..7, 0i64..4, 0i64..2),
        (edition_2024, round_robin) in (any::<bool>(), any::<bool>()),
    ) {
        let options = Options {
            edition: if edition_2024 { Edition::Fide2024 } else { Edition::Fide2026 },
            points: PointSystem::new(Value(win * 50), Value(draw * 50), Value(loss * 50)),
            kind: if round_robin { EventKind::RoundRobin } else { EventKind::Swiss },
            unrated_rating: None,
        };
        let rows = standings(&tournament, &order, &options);
        if let Err(violation) = check_standings(&tournament, &order, &options, &rows) {
            return Err(TestCaseError::fail(violation.to_string()));
        }
    }
}

#[test]
fn the_checks_name_the_broken_invariant() {
    use athlos_core::swiss::RoundPairing;
    use athlos_core::testing::{random_history, Invariant};
    let mut tournament = random_history(4, 0, 7);
    for p in &mut tournament.players {
        p.rounds.clear();
    }
    let ok = RoundPairing {
        pairs: vec![(1, 3), (4, 2)],
        bye: None,
    };
    check_pairing(&tournament, &ok).unwrap();
    let twice = RoundPairing {
        pairs: vec![(1, 3), (3, 2)],
        bye: Some(4),
    };
    assert_eq!(
        check_pairing(&tournament, &twice).unwrap_err().invariant,
        Invariant::PairedOnce
    );
    let missing = RoundPairing {
        pairs: vec![(1, 3)],
        bye: None,
    };
    assert_eq!(
        check_pairing(&tournament, &missing).unwrap_err().invariant,
        Invariant::EveryonePaired
    );
    // After 1-3 was played, meeting again is a rematch.
    for (p, record) in tournament.players.iter_mut().zip([
        RoundRecord::Game {
            opponent: 3,
            colour: Colour::White,
            result: GameResult::Win,
        },
        RoundRecord::Game {
            opponent: 4,
            colour: Colour::White,
            result: GameResult::Draw,
        },
        RoundRecord::Game {
            opponent: 1,
            colour: Colour::Black,
            result: GameResult::Loss,
        },
        RoundRecord::Game {
            opponent: 2,
            colour: Colour::Black,
            result: GameResult::Draw,
        },
    ]) {
        p.rounds = vec![record];
    }
    assert_eq!(
        check_pairing(&tournament, &ok).unwrap_err().invariant,
        Invariant::NoRematch
    );
    let order = [Tiebreak::parse("BH").unwrap()];
    let options = Options::default();
    let mut rows = standings(&tournament, &order, &options);
    check_standings(&tournament, &order, &options, &rows).unwrap();
    rows.swap(0, 3);
    assert_eq!(
        check_standings(&tournament, &order, &options, &rows)
            .unwrap_err()
            .invariant,
        Invariant::RankOrder
    );
    rows.swap(0, 3);
    rows[0].points.0 += 50;
    assert_eq!(
        check_standings(&tournament, &order, &options, &rows)
            .unwrap_err()
            .invariant,
        Invariant::ScoresMatchRecords
    );
}
