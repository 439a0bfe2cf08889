//! The Swiss crosstable: decided rounds only, rows in standings order, each game seen from
//! both sides alike, points adding up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use athlos_core::bracket::MatchResult;
use athlos_core::model::Participant;
use athlos_core::swiss::play::{SwissPlay, SwissRules};
use athlos_core::swiss::{Colour, GameResult, RoundRecord};

fn entries(n: u32) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            let mut p = Participant::new(format!("p{i}"), format!("Player {i}")).unwrap();
            p.rating = Some(2500 - i * 10);
            p
        })
        .collect()
}

/// Plays `rounds` rounds, white winning every board except board 2, drawn.
fn played(n: u32, rounds: u32) -> (SwissPlay, Vec<Participant>, SwissRules) {
    let entries = entries(n);
    let rules = SwissRules::new(4);
    let mut play = SwissPlay::new(&entries);
    for _ in 0..rounds {
        let round = play.pair_next(&entries, &rules).unwrap().clone();
        for (board, game) in round.games.iter().enumerate() {
            let Some(_) = &game.black else { continue };
            let result = if board == 1 {
                MatchResult::Draw { score: None }
            } else {
                MatchResult::Win {
                    winner: game.white.clone(),
                    score: None,
                }
            };
            play.record(&game.id, result).unwrap();
        }
    }
    (play, entries, rules)
}

#[test]
fn rows_follow_the_standings_and_games_read_alike_from_both_sides() {
    let (play, entries, rules) = played(7, 3);
    let table = play.crosstable(&entries, &rules);
    let standings = play.standings(&entries, &rules);
    assert_eq!(table.rounds, 3);
    assert_eq!(table.tiebreaks, ["BH:C1", "BH", "SB", "DE"]);
    let order: Vec<_> = table.rows.iter().map(|r| &r.participant).collect();
    let expected: Vec<_> = standings.iter().map(|s| &s.participant).collect();
    assert_eq!(order, expected);
    let row_of_rank = |rank: u32, number: u32| {
        table
            .rows
            .iter()
            .find(|r| r.rank == rank && r.number == number)
    };
    let mut byes = 0;
    for row in &table.rows {
        assert_eq!(row.cells.len(), 3, "{}", row.name);
        let mut half_points = 0;
        for (round, cell) in row.cells.iter().enumerate() {
            half_points += cell.record.half_points();
            match cell.record {
                RoundRecord::Game {
                    opponent,
                    colour,
                    result,
                } => {
                    let rank = cell
                        .opponent_rank
                        .expect("a paired game names its opponent");
                    let other = row_of_rank(rank, opponent).expect("the opponent is a row");
                    let RoundRecord::Game {
                        opponent: back,
                        colour: their_colour,
                        result: their_result,
                    } = other.cells[round].record
                    else {
                        panic!("{} has no game in round {}", other.name, round + 1);
                    };
                    assert_eq!(back, row.number);
                    assert_ne!(colour, their_colour);
                    let expected = match result {
                        GameResult::Win => GameResult::Loss,
                        GameResult::Loss => GameResult::Win,
                        other => other,
                    };
                    assert_eq!(their_result, expected);
                    let colour_letter = if colour == Colour::White { 'w' } else { 'b' };
                    assert!(cell.text().starts_with(&format!("{rank}{colour_letter}")));
                }
                RoundRecord::PairingBye => {
                    byes += 1;
                    assert_eq!(cell.text(), "bye");
                }
                other => panic!("unexpected record {other:?}"),
            }
        }
        assert_eq!(
            i64::from(half_points) * 50,
            row.points.0,
            "{}'s points add up from the cells",
            row.name
        );
    }
    assert_eq!(byes, 3, "one bye a round with seven players");
}

#[test]
fn a_round_still_being_played_is_not_shown() {
    let (mut play, entries, rules) = played(6, 1);
    play.pair_next(&entries, &rules).unwrap();
    let table = play.crosstable(&entries, &rules);
    assert_eq!(table.rounds, 1);
    assert!(table.rows.iter().all(|r| r.cells.len() == 1));
}

#[test]
fn cells_print_as_crosstables_do() {
    use athlos_core::swiss::crosstable::CrossCell;
    let cell = |record, opponent_rank| CrossCell {
        record,
        opponent_rank,
    };
    let game = |result| RoundRecord::Game {
        opponent: 4,
        colour: Colour::Black,
        result,
    };
    assert_eq!(cell(game(GameResult::Win), Some(12)).text(), "12b1");
    assert_eq!(cell(game(GameResult::Draw), Some(3)).text(), "3b½");
    assert_eq!(cell(game(GameResult::ForfeitLoss), Some(3)).text(), "3b-");
    assert_eq!(cell(RoundRecord::HalfBye, None).text(), "½ bye");
    assert_eq!(cell(RoundRecord::ZeroBye, None).text(), "–");
}
