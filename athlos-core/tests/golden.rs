//! Golden files: outputs compared byte for byte with `tests/golden/`.
//!
//! Run with `UPDATE_GOLDEN=1` to rewrite the files, then review the diff.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::assert_golden;

use athlos_core::bracket::{BracketOptions, Format};
use athlos_core::model::Participant;
use athlos_core::seeding::{place, SeedOrdering};

fn seeded_field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            Participant::new(i.to_string(), format!("Entry {i}"))
                .unwrap()
                .with_seed(i as u32)
        })
        .collect()
}

/// First-round pairs of every ordering at a few sizes, with byes to the top seeds and
/// balanced.
#[test]
fn orderings() {
    for ordering in SeedOrdering::ALL {
        let mut out = String::new();
        for size in [2, 5, 8, 12, 16, 27] {
            for balance_byes in [false, true] {
                let mut options = BracketOptions::new(Format::SingleElimination);
                options.ordering = ordering;
                options.balance_byes = balance_byes;
                let placement = place(&seeded_field(size), &options, 0).unwrap();
                let pairs: Vec<String> = placement
                    .slots
                    .chunks(2)
                    .map(|pair| {
                        let name = |s: &Option<_>| {
                            s.as_ref().map_or(
                                "bye".to_owned(),
                                |id: &athlos_core::model::ParticipantId| id.to_string(),
                            )
                        };
                        format!("{}-{}", name(&pair[0]), name(&pair[1]))
                    })
                    .collect();
                out.push_str(&format!(
                    "n={size:<3} balance_byes={balance_byes:<5} {}\n",
                    pairs.join(" ")
                ));
            }
        }
        assert_golden(&format!("placement/{}.txt", ordering.name()), &out);
    }
}
