//! Proptest strategies and invariant checks, public so users can test their own code with
//! the same tools (feature `proptest`).
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::seeding::place;
//! use athlos_core::testing::{check_placement, field};
//! use proptest::prelude::*;
//! use proptest::test_runner::TestRunner;
//!
//! let mut runner = TestRunner::default();
//! runner.run(&(field(2..64), any::<u64>()), |(participants, seed)| {
//!     let options = BracketOptions::new(Format::SingleElimination);
//!     let placement = place(&participants, &options, seed).unwrap();
//!     check_placement(&participants, &options, &placement).unwrap();
//!     Ok(())
//! })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use proptest::collection::SizeRange;
use proptest::prelude::*;

use crate::bracket::{BracketOptions, Format};
use crate::model::{Participant, ParticipantId};
use crate::seeding::{meeting_round, Ordering, Placement};

/// An invariant that a value breaks, with the facts that show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvariantViolation {
    /// Short name of the invariant.
    pub invariant: &'static str,
    /// What was found.
    pub detail: String,
}

impl fmt::Display for InvariantViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invariant {} broken: {}", self.invariant, self.detail)
    }
}

impl std::error::Error for InvariantViolation {}

fn broken(invariant: &'static str, detail: impl Into<String>) -> InvariantViolation {
    InvariantViolation {
        invariant,
        detail: detail.into(),
    }
}

/// A field of participants with unique ids `e1…eN`, optional ratings (1000–2800), and clubs
/// and nations drawn from small pools so team-mates are common.
pub fn field(size: impl Into<SizeRange>) -> impl Strategy<Value = Vec<Participant>> {
    let one = (
        proptest::option::weighted(0.8, 1000u32..2800),
        proptest::option::weighted(0.7, 0u8..6),
        proptest::option::weighted(0.7, 0u8..4),
    );
    proptest::collection::vec(one, size).prop_map(|entries| {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, (rating, club, nation))| Participant {
                rating,
                club: club.map(|c| format!("club-{c}")),
                nation: nation.map(|n| ["FRA", "JPN", "BRA", "GEO"][usize::from(n) % 4].to_owned()),
                ..Participant::new(format!("e{}", i + 1), format!("Entry {}", i + 1))
                    .unwrap_or_else(|_| unreachable!("generated ids are valid"))
            })
            .collect()
    })
}

/// Options for an elimination bracket: any ordering, balanced byes or not, separation on or
/// off, and `max_seeds` either unset or a share of the field (resolved by the caller with
/// [`resolve_max_seeds`]).
pub fn elimination_options() -> impl Strategy<Value = (BracketOptions, Option<u8>)> {
    (
        prop_oneof![
            Just(Format::SingleElimination),
            Just(Format::DoubleElimination),
            Just(Format::Repechage)
        ],
        proptest::sample::select(Ordering::ALL.to_vec()),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0u8..=100),
    )
        .prop_map(|(format, ordering, balance_byes, separate, share)| {
            let mut options = BracketOptions::new(format);
            options.ordering = ordering;
            options.balance_byes = balance_byes;
            options.separate_clubs = separate;
            options.separate_nations = separate;
            (options, share)
        })
}

/// Sets `max_seeds` to `share` percent of `entries` (rounded down), or leaves it unset.
pub fn resolve_max_seeds(options: &mut BracketOptions, share: Option<u8>, entries: usize) {
    options.max_seeds = share.map(|s| (entries * usize::from(s) / 100) as u32);
}

/// Checks a placement against the promises of [`crate::seeding::place`]:
/// - the bracket is the smallest power of two holding the field;
/// - every entry appears exactly once and nothing else does;
/// - with `inner_outer` or balanced byes: no bye meets a bye;
/// - with `inner_outer` and byes to the top seeds, the byes go to seeds 1…B; with balanced
///   byes, they spread over the quarters with counts differing by at most one;
/// - with `inner_outer`, for every k the top 2^k placed seeds are in different 2^k-ths.
///
/// # Errors
/// The first invariant found broken.
pub fn check_placement(
    participants: &[Participant],
    options: &BracketOptions,
    placement: &Placement,
) -> Result<(), InvariantViolation> {
    let n = participants.len();
    let size = placement.slots.len();
    if size != n.next_power_of_two() {
        return Err(broken(
            "bracket_size",
            format!("{size} slots for {n} entries"),
        ));
    }
    let mut seen: BTreeMap<&ParticipantId, usize> = BTreeMap::new();
    for (slot, id) in placement.slots.iter().enumerate() {
        if let Some(id) = id {
            if let Some(first) = seen.insert(id, slot) {
                return Err(broken(
                    "entry_once",
                    format!("{id} in slots {first} and {slot}"),
                ));
            }
        }
    }
    for p in participants {
        if !seen.contains_key(&p.id) {
            return Err(broken("entry_once", format!("{} is missing", p.id)));
        }
    }
    if seen.len() != n {
        return Err(broken("entry_once", "unknown entries in the bracket"));
    }
    // Without balanced byes the other orderings follow brackets-manager.js, where byes padded
    // at the end of the seed list may meet each other (e.g. `natural`).
    if options.balance_byes || options.ordering == Ordering::InnerOuter {
        for (pair, slots) in placement.slots.chunks(2).enumerate() {
            if slots.iter().all(Option::is_none) {
                return Err(broken(
                    "no_double_bye",
                    format!("match {} is bye v bye", pair + 1),
                ));
            }
        }
    }
    if options.ordering != Ordering::InnerOuter {
        return Ok(());
    }
    let slot_of = |id: &ParticipantId| seen.get(id).copied();
    let byes = size - n;
    let mut recipients: Vec<usize> = placement
        .seed_order
        .iter()
        .enumerate()
        .filter(|(_, id)| slot_of(id).is_some_and(|s| placement.slots[s ^ 1].is_none()))
        .map(|(i, _)| i)
        .collect();
    recipients.sort_unstable();
    if options.balance_byes {
        if size >= 4 {
            let mut per_quarter = [0usize; 4];
            for (slot, s) in placement.slots.iter().enumerate() {
                if s.is_none() {
                    per_quarter[slot * 4 / size] += 1;
                }
            }
            let spread =
                per_quarter.iter().max().unwrap_or(&0) - per_quarter.iter().min().unwrap_or(&0);
            if spread > 1 {
                return Err(broken(
                    "byes_balanced",
                    format!("byes per quarter {per_quarter:?}"),
                ));
            }
        }
    } else if placement.seeded == n && recipients != (0..byes).collect::<Vec<_>>() {
        return Err(broken(
            "byes_to_top_seeds",
            format!(
                "byes went to seeds {:?}",
                recipients.iter().map(|r| r + 1).collect::<Vec<_>>()
            ),
        ));
    }
    let rounds = meeting_round(0, size - 1);
    let seeded: Vec<usize> = placement
        .seed_order
        .iter()
        .take(placement.seeded)
        .filter_map(slot_of)
        .collect();
    // Level k: the top 2^k seeds lie in different sections of size P / 2^k, so none of them
    // can meet another before round R - k + 1.
    for level in 1..=rounds {
        let top = seeded.len().min(1 << level);
        let mut holder: BTreeMap<usize, usize> = BTreeMap::new();
        for (i, &slot) in seeded.iter().take(top).enumerate() {
            if let Some(j) = holder.insert(slot >> (rounds - level), i) {
                return Err(broken(
                    "seeds_apart",
                    format!(
                        "seeds {} and {} can meet in round {}, promised {}",
                        j + 1,
                        i + 1,
                        meeting_round(seeded[j], slot),
                        rounds - level + 1
                    ),
                ));
            }
        }
        if top == seeded.len() {
            break;
        }
    }
    Ok(())
}
