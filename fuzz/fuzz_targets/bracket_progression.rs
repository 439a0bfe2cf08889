//! Draw any field into any format and play any sequence of results, withdrawals and bad
//! inputs: every step is applied or refused with the bracket unchanged, an unfinished bracket
//! always has a match ready, and a completed one has placements for everyone.
#![no_main]

use athlos_core::bracket::{BracketOptions, Format, GrandFinal, MatchResult, MatchStatus};
use athlos_core::model::Participant;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [size, format, flags, rest @ ..] = data else { return };
    let size = usize::from(*size % 70) + 2;
    let format = match format % 6 {
        0 => Format::SingleElimination,
        1 => Format::DoubleElimination,
        2 => Format::Repechage,
        3 => Format::RoundRobin,
        4 => Format::Groups,
        _ => Format::Auto,
    };
    let mut options = BracketOptions::new(format);
    options.third_place = flags & 1 == 1 && format == Format::SingleElimination;
    options.grand_final = match (flags >> 1) % 3 {
        0 => GrandFinal::None,
        1 => GrandFinal::Simple,
        _ => GrandFinal::Double,
    };
    options.balance_byes = flags & 8 == 8;
    let field: Vec<Participant> = (0..size)
        .map(|i| {
            Participant::new(format!("p{i}"), format!("P{i}"))
                .expect("valid id")
                .with_rating(1000 + (i as u32 * 37) % 900)
                .with_club(format!("c{}", i % 4))
        })
        .collect();
    let Ok(mut bracket) = athlos_core::draw(&field, &options, u64::from(*flags)) else { return };
    for step in rest.chunks(2) {
        let [what, pick] = step else { break };
        let before = bracket.clone();
        let matches = bracket.matches();
        let target = &matches[usize::from(*pick) % matches.len()];
        let id = target.id;
        let side = usize::from(*what & 1);
        let outcome = match what % 8 {
            0..=4 => {
                let winner = target
                    .participant(side)
                    .cloned()
                    .unwrap_or_else(|| field[usize::from(*pick) % size].id.clone());
                bracket.record_result(&id, MatchResult::win(winner))
            }
            5 => bracket.record_result(&id, MatchResult::Draw { score: None }),
            6 => bracket.withdraw(&field[usize::from(*pick) % size].id),
            _ => match target.participant(side).cloned() {
                Some(winner) => bracket.record_result(&id, MatchResult::Walkover { winner }),
                None => Ok(()),
            },
        };
        if outcome.is_err() {
            assert_eq!(bracket, before, "a refused step changed the bracket");
        }
    }
    if bracket.is_complete() {
        let places = bracket.placements().expect("a complete bracket has placements");
        assert_eq!(places.len(), size, "everyone is placed");
    } else {
        // An unfinished bracket can always go on: some match waits for a result.
        assert!(
            bracket.matches().iter().any(|m| m.status == MatchStatus::Ready),
            "stuck: nothing is ready in an unfinished bracket"
        );
    }
});
