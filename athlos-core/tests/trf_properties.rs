//! TRF files from random complete histories (`testing::trf_text`): read whatever the line ends,
//! written and read back unchanged, and the tournament they hold is the one they were made of.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use athlos_core::testing::{swiss_history, trf_text};
use athlos_core::trf::TrfDocument;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn written_files_read_back_unchanged(text in trf_text(0..=40, 0..=12)) {
        let doc = TrfDocument::parse(&text).unwrap();
        let written = doc.write();
        let again = TrfDocument::parse(&written).unwrap();
        prop_assert_eq!(&again, &doc);
        prop_assert_eq!(again.write(), written);
    }

    #[test]
    fn a_history_survives_its_trf_file(tournament in swiss_history(0..=40, 0..=12), trf2026 in any::<bool>()) {
        let mut doc = TrfDocument::from_tournament(&tournament);
        doc.trf2026 = trf2026;
        let back = TrfDocument::parse(&doc.write()).unwrap().to_tournament();
        let mut expected = tournament.clone();
        expected.players.sort_by_key(|p| p.number);
        prop_assert_eq!(back, expected);
    }
}
