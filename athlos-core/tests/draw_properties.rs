//! The paved path end to end: random fields (clubs, nations, ratings) of 2 to 4096 entries,
//! drawn with random options and played through with random winners, always end in a
//! complete bracket that places everyone once.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use athlos_core::bracket::{Bracket, MatchResult, MatchStatus};
use athlos_core::model::ParticipantId;
use athlos_core::seeding::DrawRng;
use athlos_core::testing::{
    check_bracket, check_placement, elimination_options, field, resolve_max_seeds,
};
use proptest::prelude::*;

/// Plays every ready match with a winner chosen by `rng` until nothing is ready.
fn play_through(bracket: &mut Bracket, rng: &mut DrawRng) {
    loop {
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .map(|m| (m.id, m.participant(rng.index(2)).cloned()))
            .collect();
        if let Err(violation) = check_bracket(bracket) {
            panic!("{violation}");
        }
        if ready.is_empty() {
            return;
        }
        for (id, winner) in ready {
            bracket
                .record_result(
                    &id,
                    MatchResult::win(winner.expect("a ready match has two participants")),
                )
                .unwrap();
        }
    }
}

fn check_complete(bracket: &Bracket, entries: usize) {
    assert!(
        bracket.is_complete(),
        "nothing is ready but the bracket is unfinished"
    );
    let places = bracket.placements().unwrap();
    let placed: BTreeSet<&ParticipantId> = places.iter().map(|p| &p.participant).collect();
    assert_eq!(places.len(), entries, "everyone gets exactly one place");
    assert_eq!(placed.len(), entries);
    assert_eq!(
        places.iter().filter(|p| p.place == 1).count(),
        1,
        "one champion"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn drawn_brackets_play_to_a_complete_placement(
        participants in field(2..=300),
        (mut options, share) in elimination_options(),
        seed in any::<u64>(),
    ) {
        resolve_max_seeds(&mut options, share, participants.len());
        let mut bracket = athlos_core::draw(&participants, &options, seed).unwrap();
        let placement = athlos_core::seeding::place(&participants, &options, seed).unwrap();
        prop_assert_eq!(bracket.first_round_slots().unwrap(), placement.slots.as_slice());
        check_placement(&participants, &options, &placement).map_err(|v| TestCaseError::fail(v.to_string()))?;
        play_through(&mut bracket, &mut DrawRng::new(seed));
        check_complete(&bracket, participants.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn large_drawn_brackets_play_to_a_complete_placement(
        participants in field(300..=4096),
        (mut options, share) in elimination_options(),
        seed in any::<u64>(),
    ) {
        resolve_max_seeds(&mut options, share, participants.len());
        let mut bracket = athlos_core::draw(&participants, &options, seed).unwrap();
        play_through(&mut bracket, &mut DrawRng::new(seed));
        check_complete(&bracket, participants.len());
    }
}
