//! The bodies of the fuzz targets in `fuzz/`, shared with the test suite's smoke run.
//!
//! Each target takes arbitrary bytes and returns the [`InvariantViolation`] it found, if any;
//! a panic inside Athlos is a finding too. The `fuzz/` crate calls these same functions under
//! cargo-fuzz, and `tests/fuzz_smoke.rs` replays them over the seed corpus and deterministic
//! pseudo-random inputs. The work per input is bounded (field sizes, rounds, steps) so that a
//! slow input stands out as one.

use super::swiss::{build_history, check_pairing, check_standings};
use super::{broken, check_bracket, check_placement, Invariant, InvariantViolation};
use super::{check_lifecycle, run_lifecycle};
use crate::bracket::{Bracket, BracketOptions, Format, GrandFinal, MatchResult, MatchStatus};
use crate::lifecycle::{
    BracketAction, BracketContext, BracketLifecycle, BracketState, DraftAction, DraftContext,
    DraftLifecycle, DraftState, Lifecycle, MatchAction, MatchLifecycle, MatchState,
    TournamentAction, TournamentContext, TournamentLifecycle, TournamentState,
};
use crate::model::Participant;
use crate::swiss::{
    check_round, pair_next_round, rounds_paired, Colour, GameResult, RoundRecord, SwissField,
};
use crate::tiebreak::{
    parse_list, standings, Edition, EventKind, Options, PointSystem, Tiebreak, Value,
};
use crate::trf::TrfDocument;

/// A fuzz target body.
pub type Target = fn(&[u8]) -> Result<(), InvariantViolation>;

/// Every target, by the name of its `fuzz/` binary.
pub const TARGETS: &[(&str, Target)] = &[
    ("import_csv", import_csv),
    ("import_json", import_json),
    ("bracket_document", bracket_document),
    ("bracket_progression", bracket_progression),
    ("trf_parse", trf_parse),
    ("swiss_pair", swiss_pair),
    ("tiebreak_standings", tiebreak_standings),
    ("lifecycle_actions", lifecycle_actions),
];

/// Most players a Swiss target pairs or ranks from one input.
pub const MAX_SWISS_PLAYERS: usize = 64;
/// Most rounds a Swiss target reads from one input.
pub const MAX_SWISS_ROUNDS: usize = 20;

fn typed(error: &dyn std::error::Error) -> Result<(), InvariantViolation> {
    if error.to_string().trim().is_empty() {
        return Err(broken(
            Invariant::ErrorMessage,
            format!("an error without a message: {error:?}"),
        ));
    }
    Ok(())
}

/// CSV participant import: any text gives a field or a typed error; a field that draws gives
/// a placement that keeps every promise of [`check_placement`].
///
/// # Errors
/// The invariant broken.
pub fn import_csv(data: &[u8]) -> Result<(), InvariantViolation> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let field = match crate::import::participants_from_csv(text) {
        Ok(field) => field,
        Err(error) => return typed(&error),
    };
    if field.len() < 2 || field.len() > 4096 {
        return Ok(());
    }
    let options = BracketOptions::new(Format::SingleElimination);
    match crate::seeding::place(&field, &options, data.len() as u64) {
        Ok(placement) => check_placement(&field, &options, &placement),
        Err(error) => typed(&error),
    }
}

/// JSON participant import: any text gives a field or a typed error; a field read back from
/// its own JSON is the same field.
///
/// # Errors
/// The invariant broken.
pub fn import_json(data: &[u8]) -> Result<(), InvariantViolation> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    match crate::import::participants_from_json(text) {
        Ok(field) => {
            let again = serde_json::to_string(&field)
                .map_err(|e| broken(Invariant::RoundTrip, e.to_string()))
                .and_then(|json| {
                    crate::import::participants_from_json(&json)
                        .map_err(|e| broken(Invariant::RoundTrip, e.to_string()))
                })?;
            if again != field {
                return Err(broken(Invariant::RoundTrip, "the field changed"));
            }
            Ok(())
        }
        Err(error) => typed(&error),
    }
}

/// Bracket documents: any JSON is refused, or a bracket whose own document describes the
/// same bracket and whose draw report can be made.
///
/// # Errors
/// The invariant broken.
pub fn bracket_document(data: &[u8]) -> Result<(), InvariantViolation> {
    let Ok(bracket) = serde_json::from_slice::<Bracket>(data) else {
        return Ok(());
    };
    let again: Bracket = serde_json::to_string(&bracket)
        .and_then(|text| serde_json::from_str(&text))
        .map_err(|e| broken(Invariant::RoundTrip, e.to_string()))?;
    if again != bracket {
        return Err(broken(Invariant::RoundTrip, "the bracket changed"));
    }
    let _ = crate::report::DrawReport::for_bracket(&bracket);
    Ok(())
}

/// Draws a field into any format and plays any sequence of results, draws, walkovers,
/// withdrawals and bad inputs: every step is applied or refused with the bracket unchanged,
/// an unfinished bracket always has a match ready, a completed one places everyone, and the
/// final bracket passes [`check_bracket`].
///
/// # Errors
/// The invariant broken.
pub fn bracket_progression(data: &[u8]) -> Result<(), InvariantViolation> {
    let [size, format, flags, rest @ ..] = data else {
        return Ok(());
    };
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
        .filter_map(|i| {
            Participant::new(format!("p{i}"), format!("P{i}"))
                .ok()
                .map(|p| {
                    p.with_rating(1000 + (i as u32 * 37) % 900)
                        .with_club(format!("c{}", i % 4))
                })
        })
        .collect();
    let Ok(mut bracket) = crate::draw(&field, &options, u64::from(*flags)) else {
        return Ok(());
    };
    for step in rest.chunks(2) {
        let [what, pick] = step else { break };
        let before = bracket.clone();
        let matches = bracket.matches();
        let Some(target) = matches.get(usize::from(*pick) % matches.len().max(1)) else {
            break;
        };
        let id = target.id;
        let side = usize::from(*what & 1);
        let someone = field[usize::from(*pick) % size].id.clone();
        let outcome = match what % 8 {
            0..=4 => {
                let winner = target.participant(side).cloned().unwrap_or(someone);
                bracket.record_result(&id, MatchResult::win(winner))
            }
            5 => bracket.record_result(&id, MatchResult::Draw { score: None }),
            6 => bracket.withdraw(&someone),
            _ => match target.participant(side).cloned() {
                Some(winner) => bracket.record_result(&id, MatchResult::Walkover { winner }),
                None => Ok(()),
            },
        };
        if let Err(error) = outcome {
            typed(&error)?;
            if bracket != before {
                return Err(broken(
                    Invariant::RefusalChangesNothing,
                    format!("refused ({error}) but the bracket changed"),
                ));
            }
        }
    }
    if bracket.is_complete() {
        let places = bracket
            .placements()
            .map_err(|e| broken(Invariant::Placements, e.to_string()))?;
        if places.len() != size {
            return Err(broken(
                Invariant::Placements,
                format!("{} places for {size} entries", places.len()),
            ));
        }
    } else if !bracket
        .matches()
        .iter()
        .any(|m| m.status == MatchStatus::Ready)
    {
        return Err(broken(
            Invariant::Progress,
            "nothing is ready in an unfinished bracket",
        ));
    }
    check_bracket(&bracket)
}

/// TRF files: any text is refused with a line and column, or read into a document that is
/// written and read back to the same document (and the same text), whatever the line ends.
///
/// # Errors
/// The invariant broken.
pub fn trf_parse(data: &[u8]) -> Result<(), InvariantViolation> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Ok(());
    };
    let doc = match TrfDocument::parse(text) {
        Ok(doc) => doc,
        Err(error) => {
            if error.line == 0 || error.column == 0 {
                return Err(broken(
                    Invariant::ErrorMessage,
                    format!("no position in {error}"),
                ));
            }
            return typed(&error);
        }
    };
    let written = doc.write();
    let again = TrfDocument::parse(&written).map_err(|e| {
        broken(
            Invariant::RoundTrip,
            format!("its own output is refused: {e}\n{written}"),
        )
    })?;
    if again != doc {
        return Err(broken(
            Invariant::RoundTrip,
            format!("read back differently:\n{doc:?}\n{again:?}"),
        ));
    }
    if again.write() != written {
        return Err(broken(
            Invariant::RoundTrip,
            "written differently the second time",
        ));
    }
    let crlf = TrfDocument::parse(&text.replace('\n', "\r\n"));
    if crlf.as_ref() != Ok(&doc) {
        return Err(broken(
            Invariant::RoundTrip,
            format!("CRLF line ends read differently: {crlf:?}"),
        ));
    }
    let _ = doc.to_tournament();
    Ok(())
}

/// A tournament from fuzz bytes: a TRF file when the bytes are one with players, otherwise a
/// history decoded from the bytes (consistent, or raw records that may contradict each other).
fn tournament_from(data: &[u8]) -> SwissField {
    if let Some(doc) = std::str::from_utf8(data)
        .ok()
        .and_then(|text| TrfDocument::parse(text).ok())
        .filter(|doc| !doc.players.is_empty())
    {
        return doc.to_tournament();
    }
    let [mode, rest @ ..] = data else {
        return build_history(0, 0, &mut |_| 0);
    };
    let mut bytes = rest.iter().copied();
    let mut pick = |n: u32| -> u32 {
        if n == 0 {
            return 0;
        }
        let mut value = 0u64;
        let mut span = 1u64;
        while span < u64::from(n) {
            value = value * 256 + u64::from(bytes.next().unwrap_or(0));
            span *= 256;
        }
        (value % u64::from(n)) as u32
    };
    if mode % 4 == 3 {
        return raw_history(&mut pick);
    }
    let players = pick(41);
    let rounds = pick(13);
    build_history(players, rounds, &mut pick)
}

/// Records straight from the bytes: opponents that may not exist, be oneself, or disagree.
fn raw_history(pick: &mut dyn FnMut(u32) -> u32) -> SwissField {
    let players = pick(12) + 1;
    let rounds = pick(7);
    let mut tournament = build_history(players, 0, pick);
    tournament.total_rounds = pick(9);
    for p in &mut tournament.players {
        for _ in 0..rounds {
            let record = match pick(9) {
                0 => RoundRecord::PairingBye,
                1 => RoundRecord::HalfBye,
                2 => RoundRecord::FullBye,
                3 => RoundRecord::ZeroBye,
                _ => RoundRecord::Game {
                    opponent: pick(players + 2),
                    colour: if pick(2) == 0 {
                        Colour::White
                    } else {
                        Colour::Black
                    },
                    result: match pick(5) {
                        0 => GameResult::Win,
                        1 => GameResult::Draw,
                        2 => GameResult::Loss,
                        3 => GameResult::ForfeitWin,
                        _ => GameResult::ForfeitLoss,
                    },
                },
            };
            p.rounds.push(record);
        }
    }
    tournament
}

fn within_bounds(tournament: &SwissField) -> bool {
    tournament.players.len() <= MAX_SWISS_PLAYERS
        && tournament
            .players
            .iter()
            .all(|p| p.rounds.len() <= MAX_SWISS_ROUNDS)
}

fn reversed(tournament: &SwissField) -> SwissField {
    let mut other = tournament.clone();
    other.players.reverse();
    other
}

/// The Dutch pairing on arbitrary histories (from TRF files, or decoded from the bytes):
/// a typed error, or a pairing that passes [`check_pairing`], that the engine's own checker
/// accepts, and that does not depend on the order the players are listed in. Re-pairing the
/// last recorded round never panics either.
///
/// # Errors
/// The invariant broken.
pub fn swiss_pair(data: &[u8]) -> Result<(), InvariantViolation> {
    let tournament = tournament_from(data);
    if !within_bounds(&tournament) {
        return Ok(());
    }
    match pair_next_round(&tournament) {
        Ok(pairing) => {
            check_pairing(&tournament, &pairing)?;
            let again = pair_next_round(&reversed(&tournament));
            if again.as_ref() != Ok(&pairing) {
                return Err(broken(
                    Invariant::Deterministic,
                    format!("{pairing:?}, then {again:?} with the players listed backwards"),
                ));
            }
            match crate::swiss::check_pairing(&tournament, &pairing) {
                Ok(findings) if findings.is_empty() => {}
                other => {
                    return Err(broken(
                        Invariant::CheckerAgrees,
                        format!("the checker finds {other:?} in the engine's own pairing"),
                    ))
                }
            }
        }
        Err(error) => typed(&error)?,
    }
    let last = rounds_paired(&tournament);
    if last > 0 {
        if let Err(error) = check_round(&tournament, last) {
            typed(&error)?;
        }
    }
    Ok(())
}

/// Standings from arbitrary histories with arbitrary tie-break lists: the first line of the
/// input is the list (refused with a typed error, or read), the rest the history. The rows
/// pass [`check_standings`], do not depend on the order the players are listed in, and every
/// tie-break's code reads back as itself.
///
/// # Errors
/// The invariant broken.
pub fn tiebreak_standings(data: &[u8]) -> Result<(), InvariantViolation> {
    let (list, rest) = match data.iter().position(|&b| b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(list) = std::str::from_utf8(list) else {
        return Ok(());
    };
    let order = match parse_list(list) {
        Ok(order) => order,
        Err(error) => {
            typed(&error)?;
            Vec::new()
        }
    };
    for tb in &order {
        if Tiebreak::parse(&tb.code()).as_ref() != Ok(tb) {
            return Err(broken(
                Invariant::RoundTrip,
                format!("{} does not read back as itself", tb.code()),
            ));
        }
    }
    let tournament = tournament_from(rest);
    if !within_bounds(&tournament) {
        return Ok(());
    }
    let points = match list.len() % 4 {
        0 => PointSystem::default(),
        1 => PointSystem::new(Value(300), Value(100), Value(0)),
        2 => PointSystem::new(Value(200), Value(100), Value(50)),
        _ => PointSystem::new(Value(0), Value(0), Value(0)),
    };
    let options = Options {
        edition: if list.len() % 3 == 0 {
            Edition::Fide2024
        } else {
            Edition::Fide2026
        },
        points,
        kind: if list.len() % 5 == 0 {
            EventKind::RoundRobin
        } else {
            EventKind::Swiss
        },
        unrated_rating: None,
    };
    let rows = standings(&tournament, &order, &options);
    check_standings(&tournament, &order, &options, &rows)?;
    let again = standings(&reversed(&tournament), &order, &options);
    if again != rows {
        return Err(broken(
            Invariant::Deterministic,
            "the standings change with the order the players are listed in",
        ));
    }
    Ok(())
}

fn steps<A: Copy, C>(data: &[u8], actions: &[A], context: impl Fn(u8, u8) -> C) -> Vec<(A, C)> {
    data.chunks(3)
        .map(|c| {
            let byte = |i: usize| c.get(i).copied().unwrap_or(0);
            (
                actions[usize::from(byte(0)) % actions.len()],
                context(byte(1), byte(2)),
            )
        })
        .collect()
}

/// Arbitrary action sequences, with arbitrary contexts, on each lifecycle machine from any
/// state: every step obeys the table ([`check_lifecycle`]); and a draft whose context
/// follows its own picks completes exactly at its last pick.
///
/// # Errors
/// The invariant broken.
pub fn lifecycle_actions(data: &[u8]) -> Result<(), InvariantViolation> {
    let [start, rest @ ..] = data else {
        return Ok(());
    };
    let start = usize::from(*start);
    let bracket = steps(rest, BracketAction::ALL, |a, _| BracketContext {
        complete: a & 1 == 1,
    });
    run_lifecycle::<BracketLifecycle>(
        BracketState::ALL[start % BracketState::ALL.len()],
        &bracket,
    )?;
    let tournament = steps(rest, TournamentAction::ALL, |a, b| TournamentContext {
        entries: usize::from(a % 12),
        min_entries: usize::from(a / 12 % 6),
        max_entries: (b & 1 == 1).then_some(usize::from(b >> 1) % 12),
        round_complete: b & 2 == 2,
        last_round: b & 4 == 4,
        withdrawals_close_at_start: b & 8 == 8,
    });
    run_lifecycle::<TournamentLifecycle>(
        TournamentState::ALL[start % TournamentState::ALL.len()],
        &tournament,
    )?;
    let matches = steps(rest, MatchAction::ALL, |_, _| ());
    run_lifecycle::<MatchLifecycle>(MatchState::ALL[start % MatchState::ALL.len()], &matches)?;
    let draft = steps(rest, DraftAction::ALL, |a, b| DraftContext {
        picks_made: u32::from(a % 16),
        total_picks: if b == 255 {
            u32::MAX
        } else {
            u32::from(b % 16)
        },
    });
    run_lifecycle::<DraftLifecycle>(DraftState::ALL[start % DraftState::ALL.len()], &draft)?;
    // A draft whose context is its own count of picks.
    let total = (start % 10) as u32;
    let mut state = DraftState::Scheduled;
    let mut context = DraftContext {
        picks_made: 0,
        total_picks: total,
    };
    for &(action, _) in &draft {
        let outcome = DraftLifecycle::apply(state, action, &context);
        check_lifecycle::<DraftLifecycle>(state, action, &context, &outcome)?;
        if let Ok(step) = outcome {
            if matches!(action, DraftAction::Pick | DraftAction::Autopick) {
                context.picks_made += 1;
            }
            state = step.to;
        }
        if context.picks_made > total
            || (state == DraftState::Completed) != (total > 0 && context.picks_made == total)
        {
            return Err(broken(
                Invariant::TableAgrees,
                format!(
                    "draft {state} after {} of {total} picks",
                    context.picks_made
                ),
            ));
        }
    }
    Ok(())
}
