//! Swiss histories and TRF files to test with, and the pairing and standings checks.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::{broken, Invariant, InvariantViolation};
use crate::seeding::DrawRng;
use crate::swiss::{
    rounds_paired, Acceleration, Colour, GameResult, RoundPairing, RoundRecord, StartNumber,
    SwissField, SwissPlayer,
};
use crate::tiebreak::{Kind, Options, StandingRow, Tiebreak};
use crate::trf::TrfDocument;

/// A source of choices: `pick(n)` returns a number below `n` (0 when `n` is 0).
pub(crate) type Pick<'a> = &'a mut dyn FnMut(u32) -> u32;

/// Builds a consistent Swiss history of `players` players and `rounds` recorded rounds from
/// the choices of `pick`: random pairings (rematches and colour runs included, as a pairing
/// program with other rules, or a hand-made pairing, could produce), results, draws, forfeits
/// on one or both sides, requested half- and full-point byes, absences, withdrawals, the
/// pairing-allocated bye, forbidden pairs, and pre-announced byes for the next round.
pub(crate) fn build_history(players: u32, rounds: u32, pick: Pick<'_>) -> SwissField {
    let n = players as usize;
    let mut tournament = SwissField {
        players: (1..=players)
            .map(|number| SwissPlayer {
                number,
                name: format!("Player {number}"),
                rating: if pick(8) == 0 {
                    0
                } else {
                    1000 + pick(1800) as u16
                },
                rounds: Vec::new(),
            })
            .collect(),
        total_rounds: rounds + pick(3),
        initial_colour: if pick(2) == 0 {
            Colour::White
        } else {
            Colour::Black
        },
        acceleration: if pick(4) == 0 {
            Acceleration::Baku
        } else {
            Acceleration::None
        },
        forbidden_pairs: BTreeSet::new(),
    };
    if players >= 2 {
        for _ in 0..pick(3) {
            let a = pick(players) + 1;
            let b = pick(players) + 1;
            if a != b {
                tournament.forbidden_pairs.insert((a.min(b), a.max(b)));
            }
        }
    }
    let mut withdrawn = vec![false; n];
    for _ in 0..rounds {
        let mut records: Vec<RoundRecord> = vec![RoundRecord::ZeroBye; n];
        let mut present = Vec::new();
        for i in 0..n {
            if !withdrawn[i] && pick(40) == 0 {
                withdrawn[i] = true;
            }
            if withdrawn[i] {
                continue;
            }
            match pick(30) {
                0 => records[i] = RoundRecord::HalfBye,
                1 => records[i] = RoundRecord::ZeroBye,
                2 => records[i] = RoundRecord::FullBye,
                _ => present.push(i),
            }
        }
        for k in (1..present.len()).rev() {
            let j = pick(k as u32 + 1) as usize;
            present.swap(k, j);
        }
        for pair in present.chunks(2) {
            match pair {
                [a, b] => {
                    let colour = if pick(2) == 0 {
                        Colour::White
                    } else {
                        Colour::Black
                    };
                    let (ra, rb) = match pick(20) {
                        0 => (GameResult::ForfeitWin, GameResult::ForfeitLoss),
                        1 => (GameResult::ForfeitLoss, GameResult::ForfeitWin),
                        2 => (GameResult::ForfeitLoss, GameResult::ForfeitLoss),
                        3..=7 => (GameResult::Draw, GameResult::Draw),
                        8..=13 => (GameResult::Win, GameResult::Loss),
                        _ => (GameResult::Loss, GameResult::Win),
                    };
                    records[*a] = RoundRecord::Game {
                        opponent: *b as StartNumber + 1,
                        colour,
                        result: ra,
                    };
                    records[*b] = RoundRecord::Game {
                        opponent: *a as StartNumber + 1,
                        colour: colour.opposite(),
                        result: rb,
                    };
                }
                [a] => records[*a] = RoundRecord::PairingBye,
                _ => {}
            }
        }
        for (player, record) in tournament.players.iter_mut().zip(records) {
            player.rounds.push(record);
        }
    }
    // Byes announced for the round to pair.
    for (i, player) in tournament.players.iter_mut().enumerate() {
        if withdrawn[i] {
            player.rounds.push(RoundRecord::ZeroBye);
        } else if pick(15) == 0 {
            player.rounds.push(if pick(2) == 0 {
                RoundRecord::HalfBye
            } else {
                RoundRecord::ZeroBye
            });
        }
    }
    tournament
}

/// A consistent Swiss history built from the [`DrawRng`] of `seed` (see [`swiss_history`]).
pub fn random_history(players: u32, rounds: u32, seed: u64) -> SwissField {
    let mut rng = DrawRng::new(seed);
    build_history(players, rounds, &mut |n| {
        if n == 0 {
            0
        } else {
            rng.index(n as usize) as u32
        }
    })
}

/// A complete random Swiss history with `players` players (numbered `1..=N`) and `rounds`
/// recorded rounds, consistent as both players of every game record it: pairings drawn at
/// random (so rematches and colour runs occur), wins, draws, losses, forfeits on one or both
/// sides, requested half- and full-point byes, absences, withdrawals (a withdrawn player is
/// absent from then on), the pairing-allocated bye when the present count is odd, forbidden
/// pairs, Baku acceleration, and pre-announced byes for the round to pair.
///
/// ```
/// use athlos_core::swiss::pair_next_round;
/// use athlos_core::testing::{check_pairing, swiss_history};
/// use proptest::test_runner::TestRunner;
///
/// let mut runner = TestRunner::default();
/// runner.run(&swiss_history(1..=24, 0..=6), |tournament| {
///     if let Ok(pairing) = pair_next_round(&tournament) {
///         check_pairing(&tournament, &pairing).unwrap();
///     }
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn swiss_history(
    players: std::ops::RangeInclusive<u32>,
    rounds: std::ops::RangeInclusive<u32>,
) -> impl Strategy<Value = SwissField> {
    (players, rounds, any::<u64>())
        .prop_map(|(players, rounds, seed)| random_history(players, rounds, seed))
}

/// A TRF document holding a [`swiss_history`], in TRF-16 or TRF-2026 spelling.
pub fn trf_document(
    players: std::ops::RangeInclusive<u32>,
    rounds: std::ops::RangeInclusive<u32>,
) -> impl Strategy<Value = TrfDocument> {
    (swiss_history(players, rounds), any::<bool>()).prop_map(|(tournament, trf2026)| {
        let mut doc = TrfDocument::from_tournament(&tournament);
        doc.trf2026 = trf2026;
        doc
    })
}

/// The text of a [`trf_document`], with LF, CRLF or CR line ends and stray blank lines, as
/// files arrive from other programs.
pub fn trf_text(
    players: std::ops::RangeInclusive<u32>,
    rounds: std::ops::RangeInclusive<u32>,
) -> impl Strategy<Value = String> {
    (trf_document(players, rounds), 0u8..3, any::<bool>()).prop_map(|(doc, ends, blank)| {
        let mut text = doc.write();
        if blank {
            text = format!("\n{}\n", text.replace("\nXXR", "\n\nXXR"));
        }
        match ends {
            1 => text.replace('\n', "\r\n"),
            2 => text.replace('\n', "\r"),
            _ => text,
        }
    })
}

/// Colours of the games played over the board, before round `index` (0-based).
fn colours(player: &SwissPlayer, index: usize) -> Vec<Colour> {
    player
        .rounds
        .iter()
        .take(index)
        .filter_map(|r| r.played().map(|(_, c)| c))
        .collect()
}

/// The absolute colour preference (C.04.3 article 1.7.1), if any.
fn absolute_preference(colours: &[Colour]) -> Option<Colour> {
    let difference: i32 = colours
        .iter()
        .map(|c| if *c == Colour::White { 1 } else { -1 })
        .sum();
    let n = colours.len();
    if difference > 1 {
        Some(Colour::Black)
    } else if difference < -1 {
        Some(Colour::White)
    } else if n >= 2 && colours[n - 1] == colours[n - 2] {
        Some(colours[n - 1].opposite())
    } else {
        None
    }
}

/// Checks `pairing` as a pairing of the next round of `tournament` against the absolute
/// rules every Swiss pairing keeps, written from the rules independently of the engine:
/// - [`Invariant::OnlyPresentPaired`]: only known players without a pre-announced bye or
///   absence in the round are paired;
/// - [`Invariant::PairedOnce`]: nobody is paired twice or paired and given the bye;
/// - [`Invariant::EveryonePaired`]: every present player is paired or given the bye;
/// - [`Invariant::ByeParity`]: a bye exactly when the number of present players is odd;
/// - [`Invariant::ByeEligible`]: the bye goes to nobody who already had a pairing-allocated
///   bye, a full-point bye or a forfeit win (C2);
/// - [`Invariant::NoRematch`]: no two players meet again after a game over the board (C1);
/// - [`Invariant::NoForbiddenPair`]: no forbidden pair meets;
/// - [`Invariant::AbsoluteColour`]: outside topscorer pairs of the final round, two players
///   with the same absolute colour preference do not meet (C3), and an absolute preference is
///   granted.
///
/// # Errors
/// The first invariant found broken.
pub fn check_pairing(
    tournament: &SwissField,
    pairing: &RoundPairing,
) -> Result<(), InvariantViolation> {
    let round = rounds_paired(tournament) as usize;
    let by_number: BTreeMap<StartNumber, &SwissPlayer> =
        tournament.players.iter().map(|p| (p.number, p)).collect();
    let present: BTreeSet<StartNumber> = tournament
        .players
        .iter()
        .filter(|p| {
            !matches!(
                p.rounds.get(round),
                Some(RoundRecord::HalfBye | RoundRecord::FullBye | RoundRecord::ZeroBye)
            )
        })
        .map(|p| p.number)
        .collect();
    let mut seen = BTreeSet::new();
    let everyone = pairing
        .pairs
        .iter()
        .flat_map(|&(w, b)| [w, b])
        .chain(pairing.bye);
    for number in everyone {
        if !present.contains(&number) {
            return Err(broken(
                Invariant::OnlyPresentPaired,
                format!("{number} is paired but not present in round {}", round + 1),
            ));
        }
        if !seen.insert(number) {
            return Err(broken(
                Invariant::PairedOnce,
                format!("{number} appears twice in round {}", round + 1),
            ));
        }
    }
    if let Some(missing) = present.difference(&seen).next() {
        return Err(broken(
            Invariant::EveryonePaired,
            format!("{missing} is present but neither paired nor given the bye"),
        ));
    }
    if pairing.bye.is_some() != (present.len() % 2 == 1) {
        return Err(broken(
            Invariant::ByeParity,
            format!("{} present, bye {:?}", present.len(), pairing.bye),
        ));
    }
    let player = |n: StartNumber| by_number.get(&n).copied();
    if let Some(p) = pairing.bye.and_then(player) {
        let had = p.rounds.iter().take(round).any(|r| {
            matches!(
                r,
                RoundRecord::PairingBye
                    | RoundRecord::FullBye
                    | RoundRecord::Game {
                        result: GameResult::ForfeitWin,
                        ..
                    }
            )
        });
        if had {
            return Err(broken(
                Invariant::ByeEligible,
                format!("{} already had a point without playing", p.number),
            ));
        }
    }
    let max_score = 2 * round as u32;
    let topscorer = |p: &SwissPlayer| {
        tournament.total_rounds > 0
            && round as u32 + 1 == tournament.total_rounds
            && 2 * p.half_points_after(round) > max_score
    };
    for &(white, black) in &pairing.pairs {
        let (Some(w), Some(b)) = (player(white), player(black)) else {
            continue;
        };
        if w.rounds
            .iter()
            .take(round)
            .any(|r| matches!(r.played(), Some((o, _)) if o == black))
        {
            return Err(broken(
                Invariant::NoRematch,
                format!("{white} and {black} meet again"),
            ));
        }
        if tournament
            .forbidden_pairs
            .iter()
            .any(|&(a, c)| (a, c) == (white, black) || (c, a) == (white, black))
        {
            return Err(broken(
                Invariant::NoForbiddenPair,
                format!("{white} and {black} may not meet"),
            ));
        }
        if topscorer(w) || topscorer(b) {
            continue;
        }
        let (pw, pb) = (
            absolute_preference(&colours(w, round)),
            absolute_preference(&colours(b, round)),
        );
        if pw.is_some() && pw == pb {
            return Err(broken(
                Invariant::AbsoluteColour,
                format!("{white} and {black} both need {:?}", pw),
            ));
        }
        if pw == Some(Colour::Black) || pb == Some(Colour::White) {
            return Err(broken(
                Invariant::AbsoluteColour,
                format!("{white} has white and {black} black against an absolute preference"),
            ));
        }
    }
    Ok(())
}

/// Checks standings computed with `order` and `options` for `tournament` (see
/// [`crate::tiebreak::standings`]):
/// - [`Invariant::OneRowEach`]: one row per player;
/// - [`Invariant::ScoresMatchRecords`]: wins, draws and losses add up to the rounds paired
///   and agree with the records, and the points follow the point system;
/// - [`Invariant::TiebreakColumns`]: every row has one value per tie-break, keyed by its
///   code, and counting tie-breaks (WIN, WON, BPG, BWG, REP) lie between 0 and the rounds;
/// - [`Invariant::RankOrder`]: rows are ordered by points, then tie-break values (higher
///   first, except direct encounter's rank; a missing value last), then starting number;
/// - [`Invariant::SharedRanks`]: ranks are competition ranks, shared exactly by rows equal on
///   points and every tie-break.
///
/// Checking your own result entry: here a function that records a game from a form's
/// `1-0` / `0-1` / `½-½` (standing in for yours) plays random tournaments round by round, and
/// every pairing and the standings after every round are checked.
///
/// ```
/// use athlos_core::swiss::{pair_next_round, Colour, GameResult, RoundRecord, SwissField};
/// use athlos_core::testing::{check_pairing, check_standings, swiss_history};
/// use athlos_core::tiebreak::{parse_list, standings, Options};
/// use proptest::test_runner::TestRunner;
///
/// /// The code under test.
/// fn enter_result(t: &mut SwissField, white: u32, black: u32, form: &str) {
///     let (w, b) = match form {
///         "1-0" => (GameResult::Win, GameResult::Loss),
///         "0-1" => (GameResult::Loss, GameResult::Win),
///         _ => (GameResult::Draw, GameResult::Draw),
///     };
///     for (me, opponent, colour, result) in
///         [(white, black, Colour::White, w), (black, white, Colour::Black, b)]
///     {
///         if let Some(p) = t.players.iter_mut().find(|p| p.number == me) {
///             p.rounds.push(RoundRecord::Game { opponent, colour, result });
///         }
///     }
/// }
///
/// let order = parse_list("BH:C1,BH,SB")?;
/// let mut runner = TestRunner::default();
/// runner.run(&(swiss_history(2..=16, 0..=0), 0usize..3), |(mut t, first_form)| {
///     t.total_rounds = 5;
///     for round in 0..5 {
///         let Ok(pairing) = pair_next_round(&t) else { break };
///         check_pairing(&t, &pairing).unwrap();
///         for (board, &(white, black)) in pairing.pairs.iter().enumerate() {
///             enter_result(&mut t, white, black, ["1-0", "0-1", "½-½"][(first_form + board) % 3]);
///         }
///         for p in &mut t.players {
///             if Some(p.number) == pairing.bye {
///                 p.rounds.push(RoundRecord::PairingBye);
///             } else if p.rounds.len() == round {
///                 p.rounds.push(RoundRecord::ZeroBye); // absent this round
///             }
///         }
///         let rows = standings(&t, &order, &Options::default());
///         check_standings(&t, &order, &Options::default(), &rows).unwrap();
///     }
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
/// The first invariant found broken.
pub fn check_standings(
    tournament: &SwissField,
    order: &[Tiebreak],
    options: &Options,
    rows: &[StandingRow],
) -> Result<(), InvariantViolation> {
    let numbers: BTreeSet<StartNumber> = tournament.players.iter().map(|p| p.number).collect();
    let listed: BTreeSet<StartNumber> = rows.iter().map(|r| r.number).collect();
    if rows.len() != tournament.players.len() || listed != numbers {
        return Err(broken(
            Invariant::OneRowEach,
            format!("{} rows for {} players", rows.len(), numbers.len()),
        ));
    }
    let rounds = rounds_paired(tournament) as usize;
    let by_number: BTreeMap<StartNumber, &SwissPlayer> =
        tournament.players.iter().map(|p| (p.number, p)).collect();
    let system = options.points;
    for row in rows {
        let Some(player) = by_number.get(&row.number) else {
            continue;
        };
        let (mut wins, mut draws, mut losses, mut points) = (0u32, 0u32, 0u32, 0i64);
        for r in 0..rounds {
            let record = player.rounds.get(r);
            match record.map_or(0, RoundRecord::half_points) {
                2 => wins += 1,
                1 => draws += 1,
                _ => losses += 1,
            }
            points += match record {
                Some(RoundRecord::PairingBye) => system.pairing_bye.0,
                Some(RoundRecord::FullBye) => system.win.0,
                Some(RoundRecord::HalfBye) => system.draw.0,
                Some(RoundRecord::Game { result, .. }) => match result {
                    GameResult::Win | GameResult::ForfeitWin => system.win.0,
                    GameResult::Draw => system.draw.0,
                    GameResult::Loss => system.loss.0,
                    GameResult::ForfeitLoss => system.zero.0,
                },
                Some(RoundRecord::ZeroBye) | None => system.zero.0,
            };
        }
        if (row.wins, row.draws, row.losses) != (wins, draws, losses) || row.points.0 != points {
            return Err(broken(
                Invariant::ScoresMatchRecords,
                format!(
                    "{}: +{} ={} -{} ({} points), records give +{wins} ={draws} -{losses} ({points} hundredths)",
                    row.number, row.wins, row.draws, row.losses, row.points
                ),
            ));
        }
        let codes: Vec<&str> = row.tiebreaks.0.iter().map(|(c, _)| c.as_str()).collect();
        let expected: Vec<String> = order.iter().map(Tiebreak::code).collect();
        if codes != expected {
            return Err(broken(
                Invariant::TiebreakColumns,
                format!(
                    "{}: columns {codes:?} for tie-breaks {expected:?}",
                    row.number
                ),
            ));
        }
        for (tb, value) in order.iter().zip(row.tiebreaks.values()) {
            let counting = matches!(
                tb.kind,
                Kind::Wins
                    | Kind::GamesWon
                    | Kind::GamesWithBlack
                    | Kind::WinsWithBlack
                    | Kind::RoundsElectedToPlay
            );
            let in_range = value.is_some_and(|v| (0..=rounds as i64 * 100).contains(&v.0));
            if counting && !in_range {
                return Err(broken(
                    Invariant::TiebreakColumns,
                    format!(
                        "{}: {} = {value:?} over {rounds} rounds",
                        row.number,
                        tb.code()
                    ),
                ));
            }
        }
    }
    let key = |row: &StandingRow| -> Vec<(i64, i64)> {
        // Larger keys rank first: (present, value) with the value negated where lower wins.
        let mut k = vec![(1, row.points.0)];
        for (tb, v) in order.iter().zip(row.tiebreaks.values()) {
            k.push(match v {
                Some(v) if tb.kind.lower_is_better() => (1, -v.0),
                Some(v) => (1, v.0),
                None => (0, 0),
            });
        }
        k
    };
    for (i, pair) in rows.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        let (key_a, key_b) = (key(a), key(b));
        if key_a < key_b || (key_a == key_b && a.number > b.number) {
            return Err(broken(
                Invariant::RankOrder,
                format!("{} is listed before {}", a.number, b.number),
            ));
        }
        let expected = if key_a == key_b { a.rank } else { i as u32 + 2 };
        if b.rank != expected {
            return Err(broken(
                Invariant::SharedRanks,
                format!("{} ranked {}, expected {expected}", b.number, b.rank),
            ));
        }
    }
    if let Some(first) = rows.first() {
        if first.rank != 1 {
            return Err(broken(
                Invariant::SharedRanks,
                format!("the first row is ranked {}", first.rank),
            ));
        }
    }
    Ok(())
}
