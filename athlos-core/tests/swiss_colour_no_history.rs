//! Colours of a pairing between two players without colour history (byes, absences, late
//! entry): C.04.3 article 5.2.6 gives the higher ranked player the initial colour when his
//! pairing number is odd. That number counts only the players who have entered the
//! tournament: present for the round, or paired in an earlier one. A player who has only
//! been absent so far and is absent again takes no number yet (issue 21).
//!
//! Without `XXC`, the initial colour is read from the first round in which anybody had a
//! colour, not necessarily round 1; and a round in which everybody was absent has been played,
//! so the round after it is paired.
//!
//! The expected pairings were produced by bbpPairings v6.0.0 (`bbpPairings.exe --dutch
//! FILE -p OUT`), and checked by hand against article 5.2.6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use athlos_core::swiss::{check_round, pair_next_round, rounds_paired, StartNumber};
use athlos_core::trf::TrfDocument;

/// Pairs the next round of `trf` and compares with `(white, black)` pairs and the bye.
fn check(trf: &str, pairs: &[(StartNumber, StartNumber)], bye: Option<StartNumber>) {
    let tournament = TrfDocument::parse(trf).unwrap().to_tournament();
    let ours = pair_next_round(&tournament).unwrap().canonical();
    let mut expected = pairs.to_vec();
    expected.sort_unstable();
    assert_eq!(ours, (expected, bye));
}

/// Round 2. Player 1 was absent in round 1 and is again: he has not entered, so player 3
/// (0.5, no game yet) has pairing number 2 and, as the higher ranked against player 6, gets
/// the opposite of the initial colour (white): black.
#[test]
fn an_absent_player_who_never_entered_takes_no_number() {
    let trf = "012 colour case
001    1      Test0001 Player0001               2593                             0.0       0000 - Z  0000 - Z
001    2      Test0002 Player0002               2586                             0.5       0000 - H
001    3      Test0003 Player0003               2579                             0.5       0000 - H
001    4      Test0004 Player0004               2572                             1.0          5 w 1
001    5      Test0005 Player0005               2565                             0.0          4 b 0
001    6      Test0006 Player0006               2558                             0.5       0000 - H
001    7      Test0007 Player0007               2551                             0.5       0000 - H
XXR 3
XXC white1
";
    check(trf, &[(2, 4), (6, 3), (5, 7)], None);
}

/// Round 2. Player 3 has nothing recorded in round 1 and is absent in round 2: not entered.
/// Player 4 (nothing recorded in round 1, a late entry, present now) has entered and takes
/// pairing number 3; against player 6 (a zero-point bye in round 1) he is the higher ranked
/// and, with an odd number, gets the initial colour (white).
#[test]
fn a_late_entry_counts_once_present() {
    let trf = "012 colour case
001    1      Test0001 Player0001               2593                             1.0          2 w 1
001    2      Test0002 Player0002               2586                             0.0          1 b 0
001    3      Test0003 Player0003               2579                             0.0                 0000 - H
001    4      Test0004 Player0004               2572                             0.0
001    5      Test0005 Player0005               2565                             0.5       0000 - H
001    6      Test0006 Player0006               2558                             0.0       0000 - Z
001    7      Test0007 Player0007               2551                             0.5          8 w =
001    8      Test0008 Player0008               2544                             0.5          7 b =
XXR 3
XXC white1
";
    check(trf, &[(8, 1), (5, 7), (4, 6)], Some(2));
}

/// Round 3. Player 1 has been absent in every round including this one; players 6 to 9 had
/// half-point byes in rounds 1 and 2 and play now. Player 7 (pairing number 6 once player 1
/// is left out) is the higher ranked against player 9 and gets black.
#[test]
fn later_rounds_number_the_same_way() {
    let trf = "012 colour case
001    1      Test0001 Player0001               2593                             0.0       0000 - Z  0000 - Z  0000 - Z
001    2      Test0002 Player0002               2586                             2.0          3 w 1     4 w 1
001    3      Test0003 Player0003               2579                             0.0          2 b 0     5 b 0
001    4      Test0004 Player0004               2572                             1.0          5 w 1     2 b 0
001    5      Test0005 Player0005               2565                             1.0          4 b 0     3 w 1
001    6      Test0006 Player0006               2558                             1.0       0000 - H  0000 - H
001    7      Test0007 Player0007               2551                             1.0       0000 - H  0000 - H
001    8      Test0008 Player0008               2544                             1.0       0000 - H  0000 - H
001    9      Test0009 Player0009               2537                             1.0       0000 - H  0000 - H
XXR 3
XXC white1
";
    check(trf, &[(6, 2), (8, 5), (9, 7), (3, 4)], None);
}

/// Round 3, no `XXC`. Round 1 gave nobody a colour (player 1 had the pairing-allocated bye,
/// the rest were absent), so bbpPairings reads the initial colour from round 2, the first
/// round with a colour: of the players paired by then, player 1 (pairing-allocated bye in
/// round 1, absent in round 2) is counted first and has no colour there; player 2, counted
/// second, had white there, the opposite of the initial colour, which is therefore black.
#[test]
fn the_initial_colour_comes_from_the_first_round_with_a_colour() {
    let trf = "012 AutoTest Tournament 200020
001    1      Test0001 Player0001               2331                             1.5       0000 - U  0000 - H
001    2      Test0002 Player0002               2293                             1.5       0000 - H     5 w 1  0000 - Z
001    3      Test0003 Player0003               2275                             1.0       0000 - H  0000 - H
001    4      Test0004 Player0004               2195                             1.0       0000 - H  0000 - H
001    5      Test0005 Player0005               2185                             0.5       0000 - H     2 b 0  0000 - Z
001    6      Test0006 Player0006               2092                             1.0       0000 - H  0000 - H
092 FIDE_DUTCH_2025
XXR 3
";
    check(trf, &[(3, 1), (4, 6)], None);
}

/// Round 3, no `XXC`. Nobody had a colour in round 1 (player 3 had the pairing-allocated
/// bye): player 1, the first player paired by round 2, had black in round 2, so the initial
/// colour is black.
#[test]
fn the_initial_colour_skips_a_round_without_colours() {
    let trf = "012 AutoTest Tournament 200943
001    1      Test0001 Player0001               2714                             0.0       0000 - Z     5 b 0
001    2      Test0002 Player0002               2708                             1.0       0000 - H  0000 - H
001    3      Test0003 Player0003               2612                             2.0       0000 - U     4 w 1
001    4      Test0004 Player0004               2558                             0.5       0000 - H     3 b 0  0000 - Z
001    5      Test0005 Player0005               2480                             1.5       0000 - H     1 w 1
001    6      Test0006 Player0006               2363                             1.0       0000 - H  0000 - H
092 FIDE_DUTCH_2025
XXR 3
";
    check(trf, &[(5, 3), (2, 6)], Some(1));
}

/// Everybody was absent in round 1 and nothing else is recorded: round 1 has been played
/// (every player has a record for it, so none of them is a bye announced for the round to
/// pair), and round 2 is paired with everybody.
#[test]
fn a_round_everybody_missed_is_played() {
    let trf = "012 AutoTest Tournament 200023
001    1      Test0001 Player0001               2305                             0.0       0000 - Z
001    2      Test0002 Player0002               2299                             0.5       0000 - H
001    3      Test0003 Player0003               2220                             0.5       0000 - H
092 FIDE_DUTCH_2025
XXR 2
XXC white1
";
    check(trf, &[(3, 2)], Some(1));
}

/// Everybody was absent in round 1 and player 2 has announced a bye for round 2: round 1,
/// before a recorded round, has been played, and round 2 is paired without player 2.
#[test]
fn a_round_everybody_missed_before_an_announced_bye_is_played() {
    let trf = "012 AutoTest Tournament 100592
001    1      Test0001 Player0001               2418                             0.5       0000 - H
001    2      Test0002 Player0002               2383                             0.5       0000 - H  0000 - H
001    3      Test0003 Player0003               2123                             0.5       0000 - H
001    4      Test0004 Player0004               2010                             0.0       0000 - Z
092 FIDE_DUTCH_2025
XXR 3
XXC white1
";
    check(trf, &[(1, 3)], Some(4));
}

/// Round 3, no `XXC`. Round 1 had one game, round 2 nobody: round 2 has been played, round 3
/// is paired, and the initial colour is read from round 1 (player 3, the first player paired,
/// had white).
#[test]
fn a_later_round_everybody_missed_is_played() {
    let trf = "012 AutoTest Tournament 200157
001    1      Test0001 Player0001               2378                             0.5       0000 - H  0000 - Z
001    2      Test0002 Player0002               2277                             1.0       0000 - H  0000 - H
001    3      Test0003 Player0003               2139                             0.5          5 w 0  0000 - H
001    4      Test0004 Player0004               2074                             1.0       0000 - H  0000 - H
001    5      Test0005 Player0005               1985                             1.5          3 b 1  0000 - H
001    6      Test0006 Player0006               1919                             1.0       0000 - H  0000 - H
001    7      Test0007 Player0007               1901                             1.0       0000 - H  0000 - H
001    8      Test0008 Player0008               1858                             1.0       0000 - H  0000 - H
001    9      Test0009 Player0009               1847                             1.0       0000 - H  0000 - H
001   10      Test0010 Player0010               1738                             1.0       0000 - H  0000 - H
001   11      Test0011 Player0011               1666                             1.0       0000 - H  0000 - H
001   12      Test0012 Player0012               1574                             1.0       0000 - H  0000 - H
092 FIDE_DUTCH_2025
XXR 3
";
    check(
        trf,
        &[(5, 2), (9, 4), (10, 6), (7, 11), (12, 8), (1, 3)],
        None,
    );
}

/// A round everybody missed, then a paired round: two rounds played, and re-pairing each
/// gives what was recorded (round 1 nobody, round 2 as bbpPairings paired it, which its
/// checker `-c` confirms).
#[test]
fn rounds_after_a_round_everybody_missed_check_out() {
    let trf = "012 colour case
001    1      Test0001 Player0001               2305                             1.0       0000 - Z  0000 - U
001    2      Test0002 Player0002               2299                             0.5       0000 - H     3 b 0
001    3      Test0003 Player0003               2220                             1.5       0000 - H     2 w 1
XXR 2
XXC white1
";
    let tournament = TrfDocument::parse(trf).unwrap().to_tournament();
    assert_eq!(rounds_paired(&tournament), 2);
    assert_eq!(check_round(&tournament, 1).unwrap(), None);
    assert_eq!(check_round(&tournament, 2).unwrap(), None);
}
