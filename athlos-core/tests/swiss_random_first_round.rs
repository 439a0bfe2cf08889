//! A first round drawn at random from a seed: reproducible, legal, different from the
//! rating-order pairing, and without effect once the first round is played.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use athlos_core::swiss::{
    pair_next_round, pair_next_round_seeded, Colour, GameResult, RoundRecord, SwissField,
    SwissPlayer,
};

fn field(size: u32) -> SwissField {
    SwissField {
        players: (1..=size)
            .map(|n| SwissPlayer {
                number: n,
                name: format!("Bot {n}"),
                rating: 2400 - n as u16,
                rounds: Vec::new(),
            })
            .collect(),
        total_rounds: 5,
        initial_colour: Colour::White,
        acceleration: Default::default(),
        forbidden_pairs: BTreeSet::new(),
    }
}

#[test]
fn the_same_seed_gives_the_same_legal_pairing() {
    for size in [2, 7, 16, 33] {
        let t = field(size);
        let a = pair_next_round_seeded(&t, 42).unwrap();
        let b = pair_next_round_seeded(&t, 42).unwrap();
        assert_eq!(a, b, "{size} players");
        let mut seen: BTreeSet<u32> = a.pairs.iter().flat_map(|&(w, b)| [w, b]).collect();
        seen.extend(a.bye);
        let paired = a.pairs.len() * 2 + usize::from(a.bye.is_some());
        assert_eq!(paired, size as usize, "everybody paired");
        assert_eq!(seen, (1..=size).collect(), "everybody paired once");
    }
}

#[test]
fn seeds_change_the_first_round_but_not_the_rating_order_engine() {
    let t = field(16);
    let by_rating = pair_next_round(&t).unwrap();
    // Rating order pairs 1–9, 2–10, … (top half against bottom half).
    assert!(by_rating.pairs.iter().all(|&(w, b)| w.abs_diff(b) == 8));
    let drawn: BTreeSet<Vec<(u32, u32)>> = (0..8)
        .map(|seed| pair_next_round_seeded(&t, seed).unwrap().canonical().0)
        .collect();
    assert!(drawn.len() > 1, "different seeds draw different rounds");
    assert!(!drawn.contains(&by_rating.canonical().0));
}

#[test]
fn after_the_first_round_the_seed_changes_nothing() {
    let mut t = field(10);
    let first = pair_next_round_seeded(&t, 7).unwrap();
    for &(white, black) in &first.pairs {
        let (w, b) = ((white - 1) as usize, (black - 1) as usize);
        t.players[w].rounds.push(RoundRecord::Game {
            opponent: black,
            colour: Colour::White,
            result: GameResult::Win,
        });
        t.players[b].rounds.push(RoundRecord::Game {
            opponent: white,
            colour: Colour::Black,
            result: GameResult::Loss,
        });
    }
    let second = pair_next_round(&t).unwrap();
    for seed in [0, 7, 99] {
        assert_eq!(pair_next_round_seeded(&t, seed).unwrap(), second);
    }
}

#[test]
fn tournament_rules_take_the_seed_from_json() {
    let rules: athlos_core::swiss::play::SwissRules =
        serde_json::from_str(r#"{"rounds": 5, "first_round_seed": 9}"#).unwrap();
    assert_eq!(rules.first_round_seed, Some(9));
    let plain: athlos_core::swiss::play::SwissRules =
        serde_json::from_str(r#"{"rounds": 5}"#).unwrap();
    assert_eq!(plain.first_round_seed, None);
    assert!(!serde_json::to_string(&plain)
        .unwrap()
        .contains("first_round_seed"));
}
