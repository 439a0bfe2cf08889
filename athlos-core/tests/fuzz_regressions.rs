//! Inputs the fuzz targets (and their smoke run) found breaking Athlos, kept as regression
//! tests: each must now be refused with a typed error or handled, never panic.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use athlos_core::testing::fuzz;
use athlos_core::tiebreak::{parse_list, Tiebreak, TiebreakError};
use athlos_core::trf::TrfDocument;

/// `tiebreak_standings`: a cut modifier starting with a multi-byte character (`BH:é1`)
/// split the text inside the character and panicked.
#[test]
fn tiebreak_modifier_with_a_multibyte_letter_is_refused() {
    for code in ["BH:\u{e9}1", "SB:\u{1f3c6}", "BH:\u{e9}", "BH:C\u{e9}"] {
        assert!(matches!(
            Tiebreak::parse(code),
            Err(TiebreakError::UnknownCode { .. })
        ));
    }
    assert!(parse_list("BH,SB:\u{e9}1,DE").is_err());
    fuzz::tiebreak_standings("BH:\u{e9}1\n".as_bytes()).unwrap();
}

/// `bracket_progression`: both finalists of a single elimination withdrew, so the final was
/// decided without a winner and the two share first place. The check allows exactly that
/// case (any other shared first place in an elimination bracket is still refused).
#[test]
fn both_finalists_withdrawing_share_first_place() {
    let input: &[u8] = &[
        74, 216, 180, 70, 150, 120, 23, 240, 174, 37, 113, 178, 226, 166, 83, 186, 202, 90, 117,
        29, 7, 157, 90, 57, 146, 99, 36, 10, 118, 250, 68, 120, 189, 11, 63, 220, 124, 204, 13, 36,
        208, 67, 248, 212, 145, 92, 233, 237, 143, 116, 105, 233, 54, 3, 211, 70, 223, 132, 99, 51,
        68, 10, 111, 141, 135, 16, 126, 155, 127, 40, 37, 46, 194, 121, 194, 159, 198, 78, 244,
        161, 153, 81, 61, 167, 153, 110, 119, 227, 23, 211, 27, 96, 1, 165, 38, 205, 119, 161, 16,
        191, 192, 243, 131, 23, 115, 160, 86, 127, 98, 30, 73,
    ];
    fuzz::bracket_progression(input).unwrap();
}

/// `trf_parse`: points written without a decimal point (`260`, columns 81–84) were written
/// back as `260.0`, one column too wide, which shifted the rank and every round entry: the
/// file read back differently.
#[test]
fn whole_points_too_wide_for_a_decimal_are_written_in_four_columns() {
    let line = "001    8      Player 8                          1698                             260          3 b =  0000 - U  0000 - Z";
    let doc = TrfDocument::parse(line).unwrap();
    assert_eq!(doc.players[&8].points, 520);
    let written = doc.write();
    assert!(written.contains(" 260     "), "{written}");
    assert_eq!(TrfDocument::parse(&written).unwrap(), doc);
    fuzz::trf_parse(line.as_bytes()).unwrap();
}

/// `trf_parse` (from a pairings file of the conformance data): a TRF-2026 line that sets
/// nothing (`260` with a single number, `152 rank`) marked the document as TRF-2026, but
/// nothing of it was written back, so the file read back as TRF-16.
#[test]
fn a_trf2026_line_that_sets_nothing_does_not_change_the_spelling() {
    for text in ["1\t1\t4\n260\t0\n", "152 rank\nXXR 3\n"] {
        let doc = TrfDocument::parse(text).unwrap();
        assert!(!doc.trf2026, "{text:?}");
        assert_eq!(TrfDocument::parse(&doc.write()).unwrap(), doc);
        fuzz::trf_parse(text.as_bytes()).unwrap();
    }
    let doc = TrfDocument::parse("260 1 2\n152 black1\n").unwrap();
    assert!(doc.trf2026);
    assert_eq!(TrfDocument::parse(&doc.write()).unwrap(), doc);
}
