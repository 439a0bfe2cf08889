//! Invariants over random fields, formats, results and withdrawals: progression always ends
//! with a complete, consistent placement of every entrant exactly once; in a double
//! elimination nobody is out before a second loss; the same input gives the same JSON.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use athlos_core::bracket::{
    Bracket, BracketOptions, Format, GrandFinal, MatchResult, MatchStatus, Occupant, Part, Source,
};
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::seeding::SeedOrdering;

/// A small deterministic generator for the choices made while playing.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

#[derive(Debug, Clone)]
struct Case {
    size: usize,
    format: Format,
    grand_final: GrandFinal,
    third_place: bool,
    ordering: SeedOrdering,
    groups: Option<u32>,
    seed: u64,
    withdrawals: usize,
}

fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|s| Participant::new(format!("e{s:03}"), format!("Entry {s}")).unwrap())
        .collect()
}

fn build(case: &Case) -> Bracket {
    let mut options = BracketOptions::new(case.format);
    options.grand_final = case.grand_final;
    options.third_place = case.third_place;
    options.ordering = case.ordering;
    options.groups = case.groups;
    let participants = field(case.size);
    match case.format {
        Format::RoundRobin | Format::Groups | Format::Auto
            if case.format.resolve(case.size) != Format::Repechage =>
        {
            Bracket::round_robin(&options, &participants).unwrap()
        }
        _ => {
            let mut padded: Vec<Option<ParticipantId>> =
                participants.iter().map(|p| Some(p.id.clone())).collect();
            padded.resize(case.size.next_power_of_two().max(2), None);
            let slots = case.ordering.apply(&padded).unwrap();
            Bracket::elimination(&options, &participants, &slots).unwrap()
        }
    }
}

/// Plays random results (draws in pools now and then), withdrawing random entrants between
/// rounds, until nothing is left to play.
fn play(bracket: &mut Bracket, case: &Case) {
    let mut rng = Rng(case.seed | 1);
    let mut withdrawals = case.withdrawals;
    loop {
        if withdrawals > 0 && rng.next() % 3 == 0 {
            let who = &bracket.participants()[(rng.next() % case.size as u64) as usize].id;
            let who = who.clone();
            if !bracket.withdrawn().contains(&who) {
                bracket.withdraw(&who).unwrap();
                withdrawals -= 1;
            }
        }
        let ready: Vec<_> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .map(|m| {
                (
                    m.id,
                    m.part,
                    m.participant(0).unwrap().clone(),
                    m.participant(1).unwrap().clone(),
                )
            })
            .collect();
        if ready.is_empty() {
            return;
        }
        for (id, part, a, b) in ready {
            let roll = rng.next() % 10;
            let result = if part == Part::Pool && roll == 0 {
                MatchResult::Draw { score: None }
            } else if roll % 2 == 0 {
                MatchResult::win(a)
            } else {
                MatchResult::win(b)
            };
            bracket.record_result(&id, result).unwrap();
        }
    }
}

fn check_consistency(bracket: &Bracket) {
    let by_id: BTreeMap<_, _> = bracket.matches().iter().map(|m| (m.id, m)).collect();
    for m in bracket.matches() {
        assert!(m.status.is_decided(), "{} is {}", m.id, m.status);
        if let Some(w) = &m.winner {
            assert!(
                m.participant(0) == Some(w) || m.participant(1) == Some(w),
                "{}",
                m.id
            );
        }
        if m.status == MatchStatus::Skipped {
            continue;
        }
        for slot in &m.slots {
            let expected = match &slot.source {
                Source::Winner { match_id } => Some(by_id[match_id].winner.clone()),
                Source::Loser { match_id } => Some(by_id[match_id].loser().cloned()),
                _ => None,
            };
            if let Some(expected) = expected {
                assert_eq!(slot.occupant.participant(), expected.as_ref(), "{}", m.id);
            }
            assert_ne!(slot.occupant, Occupant::Pending, "{}", m.id);
        }
    }
}

fn check_placements(bracket: &Bracket) {
    let placements = bracket.placements().unwrap();
    assert_eq!(placements.len(), bracket.participants().len());
    let placed: BTreeSet<_> = placements.iter().map(|p| &p.participant).collect();
    assert_eq!(placed.len(), placements.len(), "everyone exactly once");
    for (k, p) in placements.iter().enumerate() {
        let better = placements.iter().filter(|q| q.place < p.place).count();
        assert_eq!(p.place as usize, better + 1, "places count those ahead");
        if k > 0 {
            assert!(placements[k - 1].place <= p.place, "best first");
        }
    }
    assert_eq!(placements[0].place, 1);
}

fn check_second_loss(bracket: &Bracket, grand_final: GrandFinal) {
    if !bracket.matches().iter().any(|m| m.part == Part::Losers) {
        // Two entries: one match, as in brackets-manager.js.
        return;
    }
    let mut losses: BTreeMap<&ParticipantId, usize> = BTreeMap::new();
    for m in bracket.matches() {
        if let Some(loser) = m.loser() {
            *losses.entry(loser).or_default() += 1;
        }
    }
    for p in bracket.placements().unwrap() {
        if p.place == 1 || bracket.withdrawn().contains(&p.participant) {
            continue;
        }
        if p.place == 2 && grand_final != GrandFinal::Double {
            continue;
        }
        let n = losses.get(&p.participant).copied().unwrap_or(0);
        assert!(
            n >= 2,
            "{} is out (place {}) after {n} loss(es)",
            p.participant,
            p.place
        );
    }
}

/// Players who met in the winners' bracket meet again no earlier than the default drops allow:
/// brackets-manager's orderings up to 128 slots, losers' round 9 above.
fn check_rematches_are_late(bracket: &Bracket, size: usize) {
    let slots = size.next_power_of_two();
    let earliest = match slots {
        0..=2 => u32::MAX,
        4 => 2,
        8 | 16 => 3,
        32 => 5,
        64 => 6,
        128 => 7,
        _ => 9,
    };
    let mut met: BTreeSet<(&ParticipantId, &ParticipantId)> = BTreeSet::new();
    for m in bracket.matches() {
        let (Some(a), Some(b)) = (m.participant(0), m.participant(1)) else {
            continue;
        };
        let pair = if a < b { (a, b) } else { (b, a) };
        if !met.insert(pair) {
            let late = matches!(m.part, Part::GrandFinal | Part::ThirdPlace)
                || (m.part == Part::Losers && m.round >= earliest);
            assert!(late, "{a} and {b} meet again as early as {}", m.id);
        }
    }
}

fn elimination_case() -> impl Strategy<Value = Case> {
    (
        2usize..=512,
        0usize..5,
        0usize..SeedOrdering::ALL.len(),
        any::<bool>(),
        any::<u64>(),
        0usize..4,
    )
        .prop_map(|(size, kind, ordering, third, seed, withdrawals)| {
            let (format, grand_final) = match kind {
                0 => (Format::SingleElimination, GrandFinal::Simple),
                1 => (Format::DoubleElimination, GrandFinal::None),
                2 => (Format::DoubleElimination, GrandFinal::Simple),
                3 => (Format::DoubleElimination, GrandFinal::Double),
                _ => (Format::Repechage, GrandFinal::Simple),
            };
            Case {
                size,
                format,
                grand_final,
                third_place: third && format != Format::Repechage && size >= 3,
                ordering: SeedOrdering::ALL[ordering],
                groups: None,
                seed,
                withdrawals,
            }
        })
}

fn pool_case() -> impl Strategy<Value = Case> {
    (2usize..=40, 0usize..3, 1u32..=4, any::<u64>(), 0usize..3).prop_map(
        |(size, kind, groups, seed, withdrawals)| {
            let groups = groups.min(u32::try_from(size / 2).unwrap()).max(1);
            let (format, groups) = match kind {
                0 => (Format::RoundRobin, Some(groups)),
                1 if size >= 4 => (Format::Groups, Some(groups.max(2))),
                _ => (Format::Auto, None),
            };
            Case {
                size,
                format,
                grand_final: GrandFinal::Simple,
                third_place: false,
                ordering: SeedOrdering::InnerOuter,
                groups,
                seed,
                withdrawals,
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn elimination_always_ends_in_a_consistent_placement(case in elimination_case()) {
        let mut bracket = build(&case);
        play(&mut bracket, &case);
        prop_assert!(bracket.is_complete());
        check_consistency(&bracket);
        check_placements(&bracket);
        if case.format == Format::DoubleElimination {
            check_second_loss(&bracket, case.grand_final);
            check_rematches_are_late(&bracket, case.size);
        }
    }

    #[test]
    fn pools_always_end_in_a_consistent_placement(case in pool_case()) {
        let mut bracket = build(&case);
        play(&mut bracket, &case);
        prop_assert!(bracket.is_complete());
        check_consistency(&bracket);
        check_placements(&bracket);
    }

    #[test]
    fn same_input_gives_identical_json(case in prop_oneof![elimination_case(), pool_case()]) {
        let mut first = build(&case);
        let mut second = build(&case);
        play(&mut first, &case);
        play(&mut second, &case);
        let json = serde_json::to_string(&first).unwrap();
        prop_assert_eq!(&json, &serde_json::to_string(&second).unwrap());
        let back: Bracket = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &first);
    }

    #[test]
    fn damaged_documents_are_refused_or_consistent(
        case in prop_oneof![elimination_case(), pool_case()],
        edits in proptest::collection::vec((any::<prop::sample::Index>(), prop::sample::select(vec!["0", "1", "9", "\"s\"", "null", "[]", "\"e001\"", "\"WB-R1-M1\"", "true"])), 1..4),
    ) {
        let mut bracket = build(&case);
        play(&mut bracket, &case);
        let mut json = serde_json::to_string(&bracket).unwrap();
        for (at, text) in edits {
            // Replace one JSON value (after a ':' ) by another kind of value.
            let colons: Vec<usize> = json.match_indices(':').map(|(i, _)| i).collect();
            let start = colons[at.index(colons.len())] + 1;
            let end = json[start..]
                .find([',', '}', ']'])
                .map_or(json.len(), |e| start + e);
            json.replace_range(start..end, text);
        }
        if let Ok(back) = serde_json::from_str::<Bracket>(&json) {
            let again = serde_json::to_string(&back).unwrap();
            prop_assert_eq!(serde_json::from_str::<Bracket>(&again).unwrap(), back);
        }
    }
}
