//! Colours of a pairing between two players without colour history (byes, absences, late
//! entry): C.04.3 article 5.2.6 gives the higher ranked player the initial colour when his
//! pairing number is odd. That number counts only the players who have entered the
//! tournament: present for the round, or paired in an earlier one. A player who has only
//! been absent so far and is absent again takes no number yet (issue 21).
//!
//! The expected pairings were produced by bbpPairings v6.0.0 (`bbpPairings.exe --dutch
//! FILE -p OUT`), and checked by hand against article 5.2.6.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use athlos_core::swiss::{pair_next_round, StartNumber};
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
