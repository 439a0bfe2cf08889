//! Progression through the public API: results, byes, walkovers, withdrawals, corrections,
//! placements for every format, errors that change nothing, and the JSON document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use athlos_core::bracket::{
    Bracket, BracketOptions, Format, GrandFinal, MatchId, MatchResult, MatchStatus, Part, Source,
};
use athlos_core::error::BracketError;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::seeding::SeedOrdering;

fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|s| {
            Participant::new(format!("s{s}"), format!("Seed {s}"))
                .unwrap()
                .with_seed(u32::try_from(s).unwrap())
        })
        .collect()
}

fn pid(s: usize) -> ParticipantId {
    ParticipantId::new(format!("s{s}")).unwrap()
}

fn seed(id: &ParticipantId) -> usize {
    id.as_str()[1..].parse().unwrap()
}

fn id(text: &str) -> MatchId {
    text.parse().unwrap()
}

fn elimination(format: Format, n: usize, tweak: impl FnOnce(&mut BracketOptions)) -> Bracket {
    let mut options = BracketOptions::new(format);
    tweak(&mut options);
    let participants = field(n);
    let mut padded: Vec<Option<ParticipantId>> =
        participants.iter().map(|p| Some(p.id.clone())).collect();
    padded.resize(n.next_power_of_two().max(2), None);
    let slots = SeedOrdering::InnerOuter.apply(&padded).unwrap();
    Bracket::elimination(&options, &participants, &slots).unwrap()
}

/// Plays every ready match, the winner chosen by `choose(match, a, b)`, until none is left.
fn play_all(bracket: &mut Bracket, mut choose: impl FnMut(&MatchId, usize, usize) -> usize) {
    loop {
        let ready: Vec<(MatchId, usize, usize)> = bracket
            .matches()
            .iter()
            .filter(|m| m.status == MatchStatus::Ready)
            .map(|m| {
                (
                    m.id,
                    seed(m.participant(0).unwrap()),
                    seed(m.participant(1).unwrap()),
                )
            })
            .collect();
        if ready.is_empty() {
            return;
        }
        for (m, a, b) in ready {
            let w = choose(&m, a, b);
            bracket.record_result(&m, MatchResult::win(pid(w))).unwrap();
        }
    }
}

fn places(bracket: &Bracket) -> Vec<(u32, usize)> {
    bracket
        .placements()
        .unwrap()
        .iter()
        .map(|p| (p.place, seed(&p.participant)))
        .collect()
}

#[test]
fn single_elimination_with_third_place_gives_four_distinct_medals() {
    let mut b = elimination(Format::SingleElimination, 8, |o| o.third_place = true);
    assert_eq!(b.rounds(), 3);
    let third = b.match_by_id(&id("3RD")).unwrap();
    assert_eq!(
        third.slots[0].source,
        Source::Loser {
            match_id: id("MAIN-R2-M1")
        }
    );
    play_all(&mut b, |_, a, c| a.min(c));
    assert_eq!(
        places(&b),
        [
            (1, 1),
            (2, 2),
            (3, 3),
            (4, 4),
            (5, 5),
            (5, 6),
            (5, 7),
            (5, 8)
        ]
    );
}

#[test]
fn single_elimination_shares_places_by_round_and_passes_byes() {
    let mut b = elimination(Format::SingleElimination, 5, |_| {});
    // 5 in 8 slots: seeds 1–3 have byes, 4 meets 5.
    assert_eq!(
        b.match_by_id(&id("MAIN-R1-M1")).unwrap().status,
        MatchStatus::Bye
    );
    assert_eq!(
        b.match_by_id(&id("MAIN-R2-M1")).unwrap().participant(0),
        Some(&pid(1))
    );
    play_all(&mut b, |_, a, c| a.max(c));
    assert_eq!(places(&b), [(1, 5), (2, 3), (3, 1), (3, 2), (5, 4)]);
}

#[test]
fn repechage_follows_ijf_quarter_final_losers_to_the_other_halfs_semi_final_loser() {
    let mut b = elimination(Format::Repechage, 16, |_| {});
    let rep = |t: &str| b.match_by_id(&id(t)).unwrap().slots.clone();
    assert_eq!(
        rep("REP-R1-M1").map(|s| s.source),
        [
            Source::Loser {
                match_id: id("MAIN-R2-M1")
            },
            Source::Loser {
                match_id: id("MAIN-R2-M2")
            }
        ]
    );
    assert_eq!(
        rep("REP-R2-M1").map(|s| s.source),
        [
            Source::Winner {
                match_id: id("REP-R1-M1")
            },
            Source::Loser {
                match_id: id("MAIN-R3-M2")
            }
        ]
    );
    assert_eq!(
        rep("REP-R2-M2").map(|s| s.source),
        [
            Source::Winner {
                match_id: id("REP-R1-M2")
            },
            Source::Loser {
                match_id: id("MAIN-R3-M1")
            }
        ]
    );
    play_all(&mut b, |_, a, c| a.min(c));
    let p = places(&b);
    assert_eq!(
        &p[..8],
        [
            (1, 1),
            (2, 2),
            (3, 3),
            (3, 4),
            (5, 5),
            (5, 6),
            (7, 7),
            (7, 8)
        ]
    );
    assert!(p[8..].iter().all(|&(place, _)| place == 9));
    assert_eq!(p.len(), 16);
}

#[test]
fn double_elimination_reset_is_played_only_when_the_losers_champion_wins() {
    for (lb_champion_wins, reset) in [
        (false, MatchStatus::Skipped),
        (true, MatchStatus::Completed),
    ] {
        let mut b = elimination(Format::DoubleElimination, 8, |o| {
            o.grand_final = GrandFinal::Double
        });
        play_all(&mut b, |m, a, c| {
            if m.part() == Part::GrandFinal && m.round() == 1 && lb_champion_wins {
                a.max(c)
            } else {
                a.min(c)
            }
        });
        let gf1 = b.match_by_id(&id("GF-1")).unwrap();
        assert_eq!(gf1.participant(0), Some(&pid(1)));
        assert_eq!(gf1.participant(1), Some(&pid(2)));
        assert_eq!(b.match_by_id(&id("GF-2")).unwrap().status, reset);
        let p = places(&b);
        assert_eq!(p[0], (1, 1), "seed 1 wins the reset or the first final");
        assert_eq!(p[1], (2, 2));
        assert_eq!(&p[2..], [(3, 3), (4, 4), (5, 5), (5, 6), (7, 7), (7, 8)]);
    }
}

#[test]
fn double_elimination_without_grand_final_ranks_winners_champion_first() {
    let mut b = elimination(Format::DoubleElimination, 4, |o| {
        o.grand_final = GrandFinal::None
    });
    assert!(b.match_by_id(&id("GF-1")).is_none());
    play_all(&mut b, |_, a, c| a.min(c));
    assert_eq!(places(&b), [(1, 1), (2, 2), (3, 3), (4, 4)]);
}

#[test]
fn double_elimination_of_two_is_one_match() {
    let mut b = elimination(Format::DoubleElimination, 2, |o| {
        o.grand_final = GrandFinal::Double;
        o.third_place = true;
    });
    assert_eq!(b.matches().len(), 1);
    play_all(&mut b, |_, a, c| a.max(c));
    assert_eq!(places(&b), [(1, 2), (2, 1)]);
}

#[test]
fn double_elimination_consolation_final_is_between_the_last_two_losers_rounds() {
    let mut b = elimination(Format::DoubleElimination, 8, |o| o.third_place = true);
    let third = b.match_by_id(&id("3RD")).unwrap();
    assert_eq!(
        third.slots.clone().map(|s| s.source),
        [
            Source::Loser {
                match_id: id("LB-R3-M1")
            },
            Source::Loser {
                match_id: id("LB-R4-M1")
            }
        ]
    );
    play_all(&mut b, |m, a, c| {
        if m.part() == Part::ThirdPlace {
            a.max(c)
        } else {
            a.min(c)
        }
    });
    // Without it 3 and 4 finish 3rd and 4th; here 4 wins the consolation final.
    assert_eq!(&places(&b)[..4], [(1, 1), (2, 2), (3, 4), (4, 3)]);
}

#[test]
fn withdrawal_turns_pending_matches_into_walkovers() {
    let mut b = elimination(Format::SingleElimination, 8, |_| {});
    b.record_result(&id("MAIN-R1-M1"), MatchResult::win(pid(1)))
        .unwrap();
    // Seed 1 waits for the winner of 4–5; seed 1 withdraws before it is known.
    b.withdraw(&pid(1)).unwrap();
    let semi = b.match_by_id(&id("MAIN-R2-M1")).unwrap();
    assert_eq!(semi.status, MatchStatus::Pending);
    b.record_result(&id("MAIN-R1-M2"), MatchResult::win(pid(5)))
        .unwrap();
    let semi = b.match_by_id(&id("MAIN-R2-M1")).unwrap();
    assert_eq!(semi.status, MatchStatus::Walkover);
    assert_eq!(semi.winner, Some(pid(5)));
    assert_eq!(
        b.withdraw(&pid(1)),
        Err(BracketError::AlreadyWithdrawn {
            participant: pid(1)
        })
    );
    play_all(&mut b, |_, a, c| a.min(c));
    let p = places(&b);
    assert_eq!(p.len(), 8);
    assert!(
        p.contains(&(3, 1)),
        "seed 1 keeps the place of the round it left: {p:?}"
    );
}

#[test]
fn double_walkover_sends_a_bye_on_and_places_both() {
    let mut b = elimination(Format::SingleElimination, 4, |_| {});
    b.withdraw(&pid(1)).unwrap();
    b.withdraw(&pid(4)).unwrap();
    let m = b.match_by_id(&id("MAIN-R1-M1")).unwrap();
    assert_eq!((m.status, m.winner.clone()), (MatchStatus::Walkover, None));
    b.record_result(&id("MAIN-R1-M2"), MatchResult::win(pid(3)))
        .unwrap();
    let final_match = b.match_by_id(&id("MAIN-R2-M1")).unwrap();
    assert_eq!(final_match.status, MatchStatus::Bye);
    // Nobody lost the final: the three others share second place.
    assert_eq!(places(&b), [(1, 3), (2, 1), (2, 2), (2, 4)]);
}

#[test]
fn round_robin_withdrawal_gives_remaining_matches_to_the_opponents() {
    let mut b = Bracket::round_robin(&BracketOptions::new(Format::RoundRobin), &field(4)).unwrap();
    b.withdraw(&pid(4)).unwrap();
    let walkovers = b
        .matches()
        .iter()
        .filter(|m| m.status == MatchStatus::Walkover)
        .count();
    assert_eq!(walkovers, 3);
    play_all(&mut b, |_, a, c| a.min(c));
    assert_eq!(places(&b), [(1, 1), (2, 2), (3, 3), (4, 4)]);
}

#[test]
fn corrections_recompute_until_a_dependent_is_played() {
    let mut b = elimination(Format::DoubleElimination, 4, |_| {});
    b.record_result(&id("WB-R1-M1"), MatchResult::win(pid(1)))
        .unwrap();
    b.record_result(&id("WB-R1-M2"), MatchResult::win(pid(2)))
        .unwrap();
    // Correct 1–4 to 4 winning: both the winners' and the losers' match follow.
    b.record_result(&id("WB-R1-M1"), MatchResult::win(pid(4)))
        .unwrap();
    assert_eq!(
        b.match_by_id(&id("WB-R2-M1")).unwrap().participant(0),
        Some(&pid(4))
    );
    assert_eq!(
        b.match_by_id(&id("LB-R1-M1")).unwrap().participant(0),
        Some(&pid(1))
    );
    b.record_result(&id("LB-R1-M1"), MatchResult::win(pid(1)))
        .unwrap();
    let before = b.clone();
    let err = b
        .record_result(&id("WB-R1-M1"), MatchResult::win(pid(1)))
        .unwrap_err();
    assert_eq!(
        err,
        BracketError::DependentPlayed {
            match_id: id("WB-R1-M1"),
            dependent: id("LB-R1-M1")
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot change the result of WB-R1-M1: LB-R1-M1, which depends on it, has been played"
    );
    assert_eq!(b, before, "nothing changed");
    // A score fix with the same winner is always accepted.
    b.record_result(
        &id("WB-R1-M1"),
        MatchResult::Win {
            winner: pid(4),
            score: Some([0, 10]),
        },
    )
    .unwrap();
}

#[test]
fn refused_results_name_the_match_and_change_nothing() {
    let mut b = elimination(Format::SingleElimination, 3, |_| {});
    let before = b.clone();
    let cases = [
        (
            id("MAIN-R2-M1"),
            MatchResult::win(pid(1)),
            BracketError::MatchNotReady {
                match_id: id("MAIN-R2-M1"),
            },
        ),
        (
            id("MAIN-R1-M1"),
            MatchResult::win(pid(1)),
            BracketError::MatchNotPlayable {
                match_id: id("MAIN-R1-M1"),
                status: MatchStatus::Bye,
            },
        ),
        (
            id("MAIN-R1-M2"),
            MatchResult::win(pid(1)),
            BracketError::NotInMatch {
                match_id: id("MAIN-R1-M2"),
                participant: pid(1),
            },
        ),
        (
            id("MAIN-R1-M2"),
            MatchResult::Draw { score: None },
            BracketError::DrawNotAllowed {
                match_id: id("MAIN-R1-M2"),
            },
        ),
        (
            id("MAIN-R9-M1"),
            MatchResult::win(pid(1)),
            BracketError::UnknownMatch {
                match_id: id("MAIN-R9-M1"),
            },
        ),
    ];
    for (m, result, expected) in cases {
        assert_eq!(b.record_result(&m, result), Err(expected));
        assert_eq!(b, before);
    }
    assert!(matches!(
        b.placements(),
        Err(BracketError::Incomplete { .. })
    ));
    assert_eq!(
        b.withdraw(&pid(9)),
        Err(BracketError::UnknownParticipant {
            participant: pid(9)
        })
    );
}

#[test]
fn bad_draws_are_refused_with_the_slot() {
    let options = BracketOptions::new(Format::SingleElimination);
    let f = field(3);
    let some = |s: usize| Some(pid(s));
    assert_eq!(
        Bracket::elimination(&options, &f, &[some(1), some(2), some(3)]).unwrap_err(),
        BracketError::SlotCount { len: 3 }
    );
    assert_eq!(
        Bracket::elimination(&options, &f, &[some(1), some(2), some(1), None]).unwrap_err(),
        BracketError::DuplicateEntrant {
            participant: pid(1),
            first: 1,
            second: 3
        }
    );
    assert_eq!(
        Bracket::elimination(&options, &f, &[some(1), some(2), some(7), None]).unwrap_err(),
        BracketError::UnknownEntrant {
            slot: 3,
            participant: pid(7)
        }
    );
    assert_eq!(
        Bracket::elimination(&options, &f, &[some(1), some(2), None, None]).unwrap_err(),
        BracketError::MissingEntrant {
            participant: pid(3)
        }
    );
    assert!(matches!(
        Bracket::round_robin(&options, &f),
        Err(BracketError::WrongBuilder { .. })
    ));
}

#[test]
fn round_robin_uses_berger_tables_and_shares_full_ties() {
    let b = Bracket::round_robin(&BracketOptions::new(Format::RoundRobin), &field(6)).unwrap();
    // FIDE Berger table for 6, round 2: 6–4, 5–3, 1–2.
    let round2: Vec<(usize, usize)> = b
        .matches()
        .iter()
        .filter(|m| m.round == 2)
        .map(|m| {
            (
                seed(m.participant(0).unwrap()),
                seed(m.participant(1).unwrap()),
            )
        })
        .collect();
    assert_eq!(round2, [(6, 4), (5, 3), (1, 2)]);
    assert_eq!(b.rounds(), 5);

    // Three players winning in a circle share first place.
    let mut b = Bracket::round_robin(&BracketOptions::new(Format::RoundRobin), &field(3)).unwrap();
    play_all(&mut b, |_, a, c| {
        if (a, c) == (1, 3) || (a, c) == (3, 1) {
            3
        } else {
            a.min(c)
        }
    });
    assert_eq!(places(&b), [(1, 1), (1, 2), (1, 3)]);
    let table = b.standings(1).unwrap();
    assert!(table.iter().all(|s| s.points == 2 && s.rank == 1));
}

#[test]
fn double_round_robin_swaps_colours() {
    let mut options = BracketOptions::new(Format::RoundRobin);
    options.double_round_robin = true;
    let b = Bracket::round_robin(&options, &field(4)).unwrap();
    assert_eq!(b.rounds(), 6);
    let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for m in b.matches() {
        *seen
            .entry((
                seed(m.participant(0).unwrap()),
                seed(m.participant(1).unwrap()),
            ))
            .or_default() += 1;
    }
    assert_eq!(seen.len(), 12, "every ordered pair once: {seen:?}");
}

#[test]
fn draws_count_one_point_in_pools() {
    let mut b = Bracket::round_robin(&BracketOptions::new(Format::RoundRobin), &field(2)).unwrap();
    b.record_result(
        &id("POOL-A-R1-M1"),
        MatchResult::Draw {
            score: Some([1, 1]),
        },
    )
    .unwrap();
    assert_eq!(places(&b), [(1, 1), (1, 2)]);
}

#[test]
fn auto_follows_judo_head_counts() {
    assert_eq!(Format::Auto.resolve(5), Format::RoundRobin);
    assert_eq!(Format::Auto.resolve(6), Format::Groups);
    assert_eq!(Format::Auto.resolve(7), Format::Groups);
    assert_eq!(Format::Auto.resolve(8), Format::Repechage);
    assert_eq!(
        Format::DoubleElimination.resolve(3),
        Format::DoubleElimination
    );

    // Six judoka: two pools of three, semi-finals A1–B2 and B1–A2, two shared bronzes.
    let mut b = Bracket::round_robin(&BracketOptions::new(Format::Auto), &field(6)).unwrap();
    assert_eq!(b.format(), Format::Groups);
    assert_eq!(b.pools().len(), 2);
    assert_eq!(b.pools()[0].members, [pid(1), pid(4), pid(5)]);
    let semi = b.match_by_id(&id("KO-R1-M1")).unwrap();
    assert_eq!(
        semi.slots.clone().map(|s| s.source),
        [
            Source::PoolRank { pool: 1, rank: 1 },
            Source::PoolRank { pool: 2, rank: 2 }
        ]
    );
    assert_eq!(semi.status, MatchStatus::Pending);
    play_all(&mut b, |_, a, c| a.min(c));
    let semi = b.match_by_id(&id("KO-R1-M1")).unwrap();
    assert_eq!(
        (semi.participant(0), semi.participant(1)),
        (Some(&pid(1)), Some(&pid(3)))
    );
    assert_eq!(places(&b), [(1, 1), (2, 2), (3, 3), (3, 4), (5, 5), (5, 6)]);
}

#[test]
fn pool_corrections_are_refused_once_the_knockout_is_played() {
    let mut b = Bracket::round_robin(&BracketOptions::new(Format::Auto), &field(6)).unwrap();
    play_all(&mut b, |_, a, c| a.min(c));
    let pool_match = b
        .matches()
        .iter()
        .find(|m| m.part == Part::Pool)
        .unwrap()
        .id;
    let winner = b.match_by_id(&pool_match).unwrap().winner.clone().unwrap();
    let err = b
        .record_result(
            &pool_match,
            MatchResult::Win {
                winner,
                score: Some([3, 0]),
            },
        )
        .unwrap_err();
    assert!(matches!(err, BracketError::DependentPlayed { .. }), "{err}");
}

#[test]
fn groups_knockout_keeps_pool_mates_apart() {
    let mut options = BracketOptions::new(Format::Groups);
    options.groups = Some(4);
    options.third_place = true;
    let mut b = Bracket::round_robin(&options, &field(16)).unwrap();
    assert_eq!(b.rounds(), 3);
    play_all(&mut b, |_, a, c| a.min(c));
    let p = places(&b);
    assert_eq!(&p[..4], [(1, 1), (2, 2), (3, 3), (4, 4)]);
    // Pool thirds share 9th, fourths 13th.
    assert!(p[8..12].iter().all(|&(place, _)| place == 9), "{p:?}");
    assert!(p[12..].iter().all(|&(place, _)| place == 13), "{p:?}");
}

#[test]
fn json_round_trips_and_tampering_is_refused() {
    let mut b = elimination(Format::DoubleElimination, 6, |o| {
        o.grand_final = GrandFinal::Double
    });
    b.record_result(&id("WB-R1-M2"), MatchResult::win(pid(5)))
        .unwrap();
    b.withdraw(&pid(6)).unwrap();
    let json = serde_json::to_string(&b).unwrap();
    let back: Bracket = serde_json::from_str(&json).unwrap();
    assert_eq!(back, b);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);

    let tampered = json.replacen("\"winner\":\"s5\"", "\"winner\":\"s4\"", 1);
    assert_ne!(tampered, json);
    let err = serde_json::from_str::<Bracket>(&tampered).unwrap_err();
    assert!(err.to_string().contains("inconsistent"), "{err}");
}

#[test]
fn golden_documents() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/bracket");
    let mut single = elimination(Format::SingleElimination, 3, |o| o.third_place = true);
    single
        .record_result(
            &id("MAIN-R1-M2"),
            MatchResult::Win {
                winner: pid(2),
                score: Some([10, 0]),
            },
        )
        .unwrap();
    let double = elimination(Format::DoubleElimination, 4, |o| {
        o.grand_final = GrandFinal::Double
    });
    let mut repechage = elimination(Format::Repechage, 8, |_| {});
    repechage.withdraw(&pid(8)).unwrap();
    let pools = Bracket::round_robin(&BracketOptions::new(Format::Auto), &field(6)).unwrap();
    for (name, bracket) in [
        ("single_elimination_3", &single),
        ("double_elimination_4", &double),
        ("repechage_8", &repechage),
        ("auto_6", &pools),
    ] {
        let text = serde_json::to_string_pretty(bracket).unwrap() + "\n";
        let path = dir.join(format!("{name}.json"));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        }
        let expected = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
        assert_eq!(text, expected, "{name}: document shape changed");
    }
}

#[test]
fn results_parse_from_documented_json_and_refuse_unknown_fields() {
    let win: MatchResult =
        serde_json::from_str(r#"{"type":"win","winner":"s1","score":[3,1]}"#).unwrap();
    assert_eq!(
        win,
        MatchResult::Win {
            winner: pid(1),
            score: Some([3, 1])
        }
    );
    let walkover: MatchResult =
        serde_json::from_str(r#"{"type":"walkover","winner":"s2"}"#).unwrap();
    assert_eq!(walkover.winner(), Some(&pid(2)));
    assert!(
        serde_json::from_str::<MatchResult>(r#"{"type":"win","winner":"s1","points":2}"#).is_err()
    );
    assert!(serde_json::from_str::<MatchResult>(r#"{"type":"forfeit","winner":"s1"}"#).is_err());
}

#[test]
fn organiser_walkover_and_auto_third_place() {
    let mut b = elimination(Format::SingleElimination, 4, |_| {});
    b.record_result(&id("MAIN-R1-M1"), MatchResult::Walkover { winner: pid(4) })
        .unwrap();
    let m = b.match_by_id(&id("MAIN-R1-M1")).unwrap();
    assert_eq!(
        (m.status, m.winner.clone()),
        (MatchStatus::Walkover, Some(pid(4)))
    );
    // `auto` gives two bronzes itself and ignores a third-place request.
    let b = elimination(Format::Auto, 9, |o| o.third_place = true);
    assert_eq!(b.format(), Format::Repechage);
    assert!(b.match_by_id(&id("3RD")).is_none());
    let options = {
        let mut o = BracketOptions::new(Format::Repechage);
        o.third_place = true;
        o
    };
    let f = field(8);
    let slots: Vec<_> = f.iter().map(|p| Some(p.id.clone())).collect();
    assert!(matches!(
        Bracket::elimination(&options, &f, &slots),
        Err(BracketError::UnsupportedOption { .. })
    ));
}
