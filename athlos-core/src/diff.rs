//! What changed between two brackets: a structural [`BracketDiff`] that can be applied, a
//! readable unified text diff, and [`preview`]: regenerate with overrides, then diff.
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::diff::{apply, BracketDiff};
//! use athlos_core::model::Participant;
//!
//! let field: Vec<Participant> = (1..=6)
//!     .map(|i| Participant::new(format!("p{i}"), format!("P{i}")).map(|p| p.with_seed(i)))
//!     .collect::<Result<_, _>>()?;
//! let mut options = BracketOptions::new(Format::SingleElimination);
//! let old = athlos_core::draw(&field, &options, 1)?;
//! options.balance_byes = true;
//! let new = athlos_core::draw(&field, &options, 1)?;
//! let diff = BracketDiff::between(&old, &new);
//! assert!(BracketDiff::between(&old, &old).is_empty());
//! assert_eq!(apply(&old, &diff)?, new);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod error;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::bracket::{Bracket, BracketOptions, MatchId, MatchResult, Occupant};
use crate::error::Error;
use crate::model::{Participant, ParticipantId};
use crate::report::DrawReport;

pub use error::DiffError;

/// A value before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change<T> {
    /// Before.
    pub before: T,
    /// After.
    pub after: T,
}

/// A first-round slot whose occupant changed (1-based, `None` = bye).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlotChange {
    /// The slot, 1-based in bracket order.
    pub slot: usize,
    /// Occupant before.
    pub before: Option<ParticipantId>,
    /// Occupant after.
    pub after: Option<ParticipantId>,
}

/// An entry whose first-round slot changed (`None`: not in the draw).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryMove {
    /// The entry.
    pub participant: ParticipantId,
    /// Slot before, 1-based.
    pub from: Option<usize>,
    /// Slot after, 1-based.
    pub to: Option<usize>,
}

/// A match whose pairing changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingChange {
    /// The match.
    #[serde(rename = "match")]
    pub match_id: MatchId,
    /// Sides before (`None`: nobody known, or no such match).
    pub before: [Option<ParticipantId>; 2],
    /// Sides after.
    pub after: [Option<ParticipantId>; 2],
}

/// An entry whose seed position (1-based place in seed order) changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedChange {
    /// The entry.
    pub participant: ParticipantId,
    /// Seed position before (`None`: not in the field).
    pub before: Option<u32>,
    /// Seed position after.
    pub after: Option<u32>,
}

/// A match whose recorded result changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultChange {
    /// The match.
    #[serde(rename = "match")]
    pub match_id: MatchId,
    /// Result before.
    pub before: Option<MatchResult>,
    /// Result after.
    pub after: Option<MatchResult>,
}

/// The structural difference between two brackets.
///
/// The readable parts (`moved`, `pairings`, `byes_gained`, `byes_lost`, `seeds`) say what a
/// person wants to know; the others (`options`, `field`, `slot_count`, `slots`, `results`,
/// `withdrawn`) carry what [`apply`] needs to rebuild the new bracket from the old one. Every
/// list is sorted (slots, matches and participants by id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BracketDiff {
    /// Changed options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Change<BracketOptions>>,
    /// The field in seed order, when it changed in any way.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<Change<Vec<Participant>>>,
    /// Entries only in the new bracket.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries_added: Vec<ParticipantId>,
    /// Entries only in the old bracket.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries_removed: Vec<ParticipantId>,
    /// Number of first-round slots, when it changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_count: Option<Change<usize>>,
    /// First-round slots whose occupant changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub slots: Vec<SlotChange>,
    /// Entries that moved slot.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub moved: Vec<EntryMove>,
    /// Matches whose pairing changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pairings: Vec<PairingChange>,
    /// Entries that now have a first-round bye.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byes_gained: Vec<ParticipantId>,
    /// Entries that no longer have one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub byes_lost: Vec<ParticipantId>,
    /// Entries whose seed position changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub seeds: Vec<SeedChange>,
    /// Matches whose recorded result changed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ResultChange>,
    /// The withdrawals, when they changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn: Option<Change<BTreeSet<ParticipantId>>>,
}

impl BracketDiff {
    /// The difference from `old` to `new`.
    pub fn between(old: &Bracket, new: &Bracket) -> Self {
        let mut diff = BracketDiff::default();
        if old.options() != new.options() {
            diff.options = Some(Change {
                before: old.options().clone(),
                after: new.options().clone(),
            });
        }
        if old.participants() != new.participants() {
            diff.field = Some(Change {
                before: old.participants().to_vec(),
                after: new.participants().to_vec(),
            });
        }
        let old_seeds = seed_positions(old);
        let new_seeds = seed_positions(new);
        diff.entries_added = new_seeds
            .keys()
            .filter(|id| !old_seeds.contains_key(*id))
            .cloned()
            .collect();
        diff.entries_removed = old_seeds
            .keys()
            .filter(|id| !new_seeds.contains_key(*id))
            .cloned()
            .collect();
        let everyone: BTreeSet<&ParticipantId> = old_seeds.keys().chain(new_seeds.keys()).collect();
        for id in &everyone {
            let before = old_seeds.get(*id).copied();
            let after = new_seeds.get(*id).copied();
            if before != after && before.is_some() && after.is_some() {
                diff.seeds.push(SeedChange {
                    participant: (*id).clone(),
                    before,
                    after,
                });
            }
        }

        let old_slots = old.first_round_slots().unwrap_or_default();
        let new_slots = new.first_round_slots().unwrap_or_default();
        if old_slots.len() != new_slots.len() {
            diff.slot_count = Some(Change {
                before: old_slots.len(),
                after: new_slots.len(),
            });
        }
        for index in 0..old_slots.len().max(new_slots.len()) {
            let before = old_slots.get(index).cloned().flatten();
            let after = new_slots.get(index).cloned().flatten();
            if before != after {
                diff.slots.push(SlotChange {
                    slot: index + 1,
                    before,
                    after,
                });
            }
        }
        let old_at = slot_positions(old_slots);
        let new_at = slot_positions(new_slots);
        for id in &everyone {
            let from = old_at.get(*id).copied();
            let to = new_at.get(*id).copied();
            if from != to {
                diff.moved.push(EntryMove {
                    participant: (*id).clone(),
                    from,
                    to,
                });
            }
        }
        let old_byes = byes(old_slots);
        let new_byes = byes(new_slots);
        diff.byes_gained = new_byes.difference(&old_byes).cloned().collect();
        diff.byes_lost = old_byes.difference(&new_byes).cloned().collect();

        let old_matches = matches_by_id(old);
        let new_matches = matches_by_id(new);
        let ids: BTreeSet<MatchId> = old_matches
            .keys()
            .chain(new_matches.keys())
            .copied()
            .collect();
        for id in ids {
            let (before, before_result) = old_matches.get(&id).cloned().unwrap_or_default();
            let (after, after_result) = new_matches.get(&id).cloned().unwrap_or_default();
            if before != after {
                diff.pairings.push(PairingChange {
                    match_id: id,
                    before,
                    after,
                });
            }
            if before_result != after_result {
                diff.results.push(ResultChange {
                    match_id: id,
                    before: before_result,
                    after: after_result,
                });
            }
        }
        if old.withdrawn() != new.withdrawn() {
            diff.withdrawn = Some(Change {
                before: old.withdrawn().clone(),
                after: new.withdrawn().clone(),
            });
        }
        diff
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        *self == BracketDiff::default()
    }
}

/// Applies `diff` to `old`, giving the bracket it was computed against.
///
/// # Errors
/// [`DiffError::Mismatch`] when `old` is not the bracket the diff starts from;
/// [`DiffError::Rebuild`] when the new bracket cannot be built; [`DiffError::Unapplied`] when
/// a recorded result cannot be replayed.
pub fn apply(old: &Bracket, diff: &BracketDiff) -> Result<Bracket, DiffError> {
    let options = match &diff.options {
        Some(change) if change.before != *old.options() => {
            return Err(DiffError::Mismatch { part: "options" })
        }
        Some(change) => change.after.clone(),
        None => old.options().clone(),
    };
    let participants = match &diff.field {
        Some(change) if change.before != old.participants() => {
            return Err(DiffError::Mismatch { part: "field" })
        }
        Some(change) => change.after.clone(),
        None => old.participants().to_vec(),
    };
    let mut slots = old.first_round_slots().unwrap_or_default().to_vec();
    if let Some(change) = &diff.slot_count {
        if change.before != slots.len() {
            return Err(DiffError::Mismatch { part: "slot_count" });
        }
        slots.resize(change.after, None);
    }
    for change in &diff.slots {
        let index = change
            .slot
            .checked_sub(1)
            .filter(|&i| i < slots.len())
            .ok_or(DiffError::Mismatch { part: "slots" })?;
        if old
            .first_round_slots()
            .unwrap_or_default()
            .get(index)
            .cloned()
            .flatten()
            != change.before
        {
            return Err(DiffError::Mismatch { part: "slots" });
        }
        slots[index] = change.after.clone();
    }
    let mut bracket = if slots.is_empty() {
        Bracket::round_robin(&options, &participants)
    } else {
        Bracket::elimination(&options, &participants, &slots)
    }
    .map_err(DiffError::Rebuild)?;

    let mut results: BTreeMap<MatchId, MatchResult> = old
        .matches()
        .iter()
        .filter_map(|m| m.result.clone().map(|r| (m.id, r)))
        .collect();
    for change in &diff.results {
        if results.get(&change.match_id) != change.before.as_ref() {
            return Err(DiffError::Mismatch { part: "results" });
        }
        match &change.after {
            Some(result) => results.insert(change.match_id, result.clone()),
            None => results.remove(&change.match_id),
        };
    }
    // A result can be recorded only once both sides are known, so replay in passes until
    // nothing more goes in; the state then depends only on the set of results.
    while !results.is_empty() {
        let before = results.len();
        results.retain(|id, result| bracket.record_result(id, result.clone()).is_err());
        if results.len() == before {
            let match_id = results.keys().next().copied();
            return Err(DiffError::Unapplied { match_id });
        }
    }
    let withdrawn = match &diff.withdrawn {
        Some(change) if change.before != *old.withdrawn() => {
            return Err(DiffError::Mismatch { part: "withdrawn" })
        }
        Some(change) => change.after.clone(),
        None => old.withdrawn().clone(),
    };
    for participant in &withdrawn {
        bracket.withdraw(participant).map_err(DiffError::Rebuild)?;
    }
    Ok(bracket)
}

/// A readable plain-text rendering of a bracket, one fact per line, for text diffs.
pub fn render(bracket: &Bracket) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(out, "format: {}", bracket.format());
    let options = serde_json::to_string(bracket.options()).unwrap_or_default();
    let _ = writeln!(out, "options: {options}");
    let _ = writeln!(out, "entries:");
    for (index, p) in bracket.participants().iter().enumerate() {
        let club = p.club.as_deref().unwrap_or("-");
        let _ = writeln!(out, "  {:>3}. {} {} ({club})", index + 1, p.id, p.name);
    }
    if let Some(slots) = bracket.first_round_slots() {
        let _ = writeln!(out, "draw:");
        for (index, slot) in slots.iter().enumerate() {
            let who = slot.as_ref().map_or("bye", ParticipantId::as_str);
            let _ = writeln!(out, "  slot {:>3}: {who}", index + 1);
        }
    }
    let _ = writeln!(out, "matches:");
    for m in bracket.matches() {
        let side = |i: usize| match m.slots.get(i).map(|slot| &slot.occupant) {
            Some(Occupant::Participant { id }) => id.to_string(),
            Some(Occupant::Bye) => "bye".to_owned(),
            _ => "?".to_owned(),
        };
        let winner = m
            .winner
            .as_ref()
            .map(|w| format!(" winner {w}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {}: {} vs {} [{}]{winner}",
            m.id,
            side(0),
            side(1),
            m.status
        );
    }
    if !bracket.withdrawn().is_empty() {
        let names: Vec<&str> = bracket
            .withdrawn()
            .iter()
            .map(ParticipantId::as_str)
            .collect();
        let _ = writeln!(out, "withdrawn: {}", names.join(", "));
    }
    out
}

/// A unified diff (three lines of context) of the [`render`]ings of two brackets; empty when
/// they render the same.
pub fn text_diff(old: &Bracket, new: &Bracket, old_label: &str, new_label: &str) -> String {
    let before = render(old);
    let after = render(new);
    if before == after {
        return String::new();
    }
    similar::TextDiff::from_lines(&before, &after)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

/// Overrides for a [`preview`]: rules (bracket options) to change and an optional new draw
/// seed, e.g. `{"rules": {"max_seeds": 8}}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// Option fields to replace, by their JSON names.
    #[serde(default)]
    pub rules: serde_json::Map<String, serde_json::Value>,
    /// A new draw seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Overrides {
    /// The options with the overridden rules replaced.
    ///
    /// # Errors
    /// [`DiffError::InvalidOverrides`] for an unknown rule or a value of the wrong type.
    pub fn apply_to(&self, options: &BracketOptions) -> Result<BracketOptions, DiffError> {
        let invalid = |error: serde_json::Error| DiffError::InvalidOverrides {
            reason: error.to_string(),
        };
        let mut value = serde_json::to_value(options).map_err(invalid)?;
        if let Some(map) = value.as_object_mut() {
            for (key, rule) in &self.rules {
                map.insert(key.clone(), rule.clone());
            }
        }
        serde_json::from_value(value).map_err(invalid)
    }
}

/// What a regeneration with overrides would give, saving nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preview {
    /// The regenerated bracket.
    pub bracket: Bracket,
    /// Its draw quality report.
    pub report: DrawReport,
    /// The structural difference from the current bracket.
    pub diff: BracketDiff,
    /// The unified text diff from the current bracket.
    pub text: String,
}

/// Regenerates `participants` with `current`'s options changed by `overrides` (and the draw
/// seed `seed` unless overridden), and compares the result with `current`.
///
/// # Errors
/// [`DiffError::InvalidOverrides`] (as [`Error::Diff`]) and whatever [`crate::draw()`]
/// refuses.
pub fn preview(
    participants: &[Participant],
    current: &Bracket,
    overrides: &Overrides,
    seed: u64,
) -> Result<Preview, Error> {
    let options = overrides.apply_to(current.options())?;
    let bracket = crate::draw(participants, &options, overrides.seed.unwrap_or(seed))?;
    Ok(Preview {
        report: DrawReport::for_bracket(&bracket),
        diff: BracketDiff::between(current, &bracket),
        text: text_diff(current, &bracket, "current", "preview"),
        bracket,
    })
}

fn seed_positions(bracket: &Bracket) -> BTreeMap<ParticipantId, u32> {
    bracket
        .participants()
        .iter()
        .zip(1u32..)
        .map(|(p, position)| (p.id.clone(), position))
        .collect()
}

fn slot_positions(slots: &[Option<ParticipantId>]) -> BTreeMap<&ParticipantId, usize> {
    slots
        .iter()
        .enumerate()
        .filter_map(|(index, slot)| slot.as_ref().map(|id| (id, index + 1)))
        .collect()
}

fn byes(slots: &[Option<ParticipantId>]) -> BTreeSet<ParticipantId> {
    slots
        .chunks(2)
        .filter_map(|pair| match pair {
            [Some(id), None] | [None, Some(id)] => Some(id.clone()),
            _ => None,
        })
        .collect()
}

type Sides = [Option<ParticipantId>; 2];

fn matches_by_id(bracket: &Bracket) -> BTreeMap<MatchId, (Sides, Option<MatchResult>)> {
    bracket
        .matches()
        .iter()
        .map(|m| {
            let sides = [m.participant(0).cloned(), m.participant(1).cloned()];
            (m.id, (sides, m.result.clone()))
        })
        .collect()
}
