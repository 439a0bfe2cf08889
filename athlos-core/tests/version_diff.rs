//! Versions, tags with undo/redo, patches, diffs and previews.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::assert_golden;

use std::collections::BTreeMap;

use athlos_core::bracket::{Bracket, BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::diff::{apply, preview, text_diff, BracketDiff, Overrides};
use athlos_core::error::VersionError;
use athlos_core::id::TagName;
use athlos_core::model::{Participant, ParticipantId};
use athlos_core::version::{apply_patch, content_hash, rebase, History, MoveKind, Patch};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

fn field(n: usize) -> Vec<Participant> {
    (1..=n)
        .map(|i| {
            Participant::new(format!("p{i}"), format!("Player {i}"))
                .unwrap()
                .with_rating(2000 - i as u32 * 10)
                .with_club(format!("club{}", i % 3))
        })
        .collect()
}

fn id(s: &str) -> ParticipantId {
    ParticipantId::new(s).unwrap()
}

/// Plays the first `count` playable matches, slot 1 winning.
fn play(bracket: &mut Bracket, count: usize) {
    for _ in 0..count {
        let Some(m) = bracket
            .matches()
            .iter()
            .find(|m| m.status == MatchStatus::Ready)
        else {
            return;
        };
        let (match_id, winner) = (m.id, m.participant(0).unwrap().clone());
        bracket
            .record_result(&match_id, MatchResult::win(winner))
            .unwrap();
    }
}

#[test]
fn hash_is_stable_and_content_addressed() {
    let mut options = BracketOptions::new(Format::Repechage);
    options.max_seeds = Some(2);
    let a = athlos_core::draw(&field(11), &options, 5).unwrap();
    let b = athlos_core::draw(&field(11), &options, 5).unwrap();
    assert_eq!(content_hash(&a).unwrap(), content_hash(&b).unwrap());
    let c = athlos_core::draw(&field(11), &options, 6).unwrap();
    assert_ne!(a, c, "another seed draws the unseeded entries elsewhere");
    assert_ne!(content_hash(&a).unwrap(), content_hash(&c).unwrap());
}

#[test]
fn patches_edit_the_draw_and_refuse_what_does_not_apply() {
    let base = athlos_core::draw(
        &field(6),
        &BracketOptions::new(Format::SingleElimination),
        1,
    )
    .unwrap();
    let slots = base.first_round_slots().unwrap().to_vec();
    let bye = slots.iter().position(Option::is_none).unwrap() + 1;
    let mover = slots.iter().flatten().last().unwrap().clone();
    let moved = apply_patch(
        &base,
        &Patch::Move {
            participant: mover.clone(),
            slot: bye,
        },
    )
    .unwrap();
    assert_eq!(
        moved.first_round_slots().unwrap()[bye - 1],
        Some(mover.clone())
    );
    let occupied = slots
        .iter()
        .position(|s| s.as_ref().is_some_and(|p| *p != mover))
        .unwrap()
        + 1;
    assert!(matches!(
        apply_patch(
            &base,
            &Patch::Move {
                participant: mover.clone(),
                slot: occupied
            }
        ),
        Err(VersionError::SlotOccupied { .. })
    ));
    assert!(matches!(
        apply_patch(
            &base,
            &Patch::Move {
                participant: mover,
                slot: 99
            }
        ),
        Err(VersionError::SlotOutOfRange { slot: 99, slots: 8 })
    ));
    let newcomer = Participant::new("p9", "Newcomer").unwrap();
    let replaced = apply_patch(
        &base,
        &Patch::Replace {
            out: id("p3"),
            with: newcomer,
        },
    )
    .unwrap();
    assert!(replaced.participants().iter().any(|p| p.id == id("p9")));
    assert!(!replaced.participants().iter().any(|p| p.id == id("p3")));
    let taken = Participant::new("p2", "Dup").unwrap();
    assert!(matches!(
        apply_patch(
            &base,
            &Patch::Replace {
                out: id("p3"),
                with: taken
            }
        ),
        Err(VersionError::AlreadyInField { .. })
    ));
    let mut played = base.clone();
    play(&mut played, 1);
    assert!(matches!(
        apply_patch(
            &played,
            &Patch::Swap {
                a: id("p1"),
                b: id("p2")
            }
        ),
        Err(VersionError::ResultsRecorded { .. })
    ));
    let pools = athlos_core::draw(&field(4), &BracketOptions::new(Format::RoundRobin), 1).unwrap();
    assert!(matches!(
        apply_patch(
            &pools,
            &Patch::Swap {
                a: id("p1"),
                b: id("p2")
            }
        ),
        Err(VersionError::NoDraw {
            format: Format::RoundRobin
        })
    ));
}

#[test]
fn rebase_reports_the_patches_that_no_longer_apply() {
    let options = BracketOptions::new(Format::SingleElimination);
    let base = athlos_core::draw(&field(8), &options, 1).unwrap();
    let patches = vec![
        Patch::Swap {
            a: id("p1"),
            b: id("p8"),
        },
        Patch::Replace {
            out: id("p7"),
            with: Participant::new("p20", "Late").unwrap(),
        },
    ];
    let same = rebase(&base, &patches);
    assert_eq!(same.applied, patches);
    assert!(same.dropped.is_empty());
    // Regenerated without p8: the swap involving p8 no longer applies.
    let smaller = athlos_core::draw(&field(7), &options, 1).unwrap();
    let result = rebase(&smaller, &patches);
    assert_eq!(result.applied, patches[1..].to_vec());
    assert_eq!(result.dropped.len(), 1);
    assert_eq!(
        result.dropped[0].error,
        VersionError::NotPlaced {
            participant: id("p8")
        }
    );
}

#[test]
fn history_records_chains_and_tags() {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
    let options = BracketOptions::new(Format::SingleElimination);
    let base = athlos_core::draw(&field(4), &options, 1).unwrap();
    let mut history = History::new();
    let v1 = history
        .record_generated(content_hash(&base).unwrap(), options, 1, at)
        .unwrap();
    let patch = Patch::Swap {
        a: id("p1"),
        b: id("p2"),
    };
    let edited = apply_patch(&base, &patch).unwrap();
    let v2 = history
        .record_edit(v1, content_hash(&edited).unwrap(), patch.clone(), at)
        .unwrap();
    assert_eq!((v1, v2), (1, 2));
    assert_eq!(history.version(2).unwrap().patches, vec![patch]);
    assert_eq!(history.version(2).unwrap().base, 1);
    assert!(matches!(
        history.record_edit(
            7,
            content_hash(&edited).unwrap(),
            Patch::Swap {
                a: id("p1"),
                b: id("p2")
            },
            at
        ),
        Err(VersionError::UnknownVersion { number: 7 })
    ));
    history.move_tag(TagName::current(), v1, at).unwrap();
    history.move_tag(TagName::current(), v2, at).unwrap();
    assert_eq!(history.undo(at).unwrap().to, Some(1));
    assert_eq!(history.tag(&TagName::current()), Some(1));
    assert_eq!(history.redo(at).unwrap().kind, MoveKind::Redo);
    assert_eq!(history.tag(&TagName::current()), Some(2));
    assert_eq!(history.redo(at), Err(VersionError::NothingToRedo));
    assert_eq!(history.reflog().len(), 4);
}

#[derive(Debug, Clone)]
enum TagOp {
    Move(usize, u32),
    Delete(usize),
    Undo,
    Redo,
    UndoTag(usize),
    RedoTag(usize),
}

/// The reference for one tag: its value, the steps done (before, after, when) and the steps
/// undone, newest last.
#[derive(Debug, Clone, Default)]
struct TagModel {
    value: Option<u32>,
    done: Vec<(Option<u32>, Option<u32>, u32)>,
    undone: Vec<(Option<u32>, Option<u32>, u32)>,
}

/// The tag whose done (or undone) top is the newest.
fn newest(models: &[TagModel], undone: bool) -> Option<usize> {
    (0..models.len())
        .filter_map(|t| {
            let stack = if undone {
                &models[t].undone
            } else {
                &models[t].done
            };
            stack.last().map(|&(_, _, when)| (when, t))
        })
        .max()
        .map(|(_, t)| t)
}

proptest! {
    #[test]
    fn undo_redo_return_the_exact_earlier_targets(
        ops in prop::collection::vec(prop_oneof![
            3 => (0usize..3, 1u32..5).prop_map(|(t, v)| TagOp::Move(t, v)),
            1 => (0usize..3).prop_map(TagOp::Delete),
            2 => Just(TagOp::Undo),
            1 => Just(TagOp::Redo),
            2 => (0usize..3).prop_map(TagOp::UndoTag),
            1 => (0usize..3).prop_map(TagOp::RedoTag),
        ], 0..60)
    ) {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 10, 0, 0).unwrap();
        let options = BracketOptions::new(Format::SingleElimination);
        let base = athlos_core::draw(&field(4), &options, 1).unwrap();
        let hash = content_hash(&base).unwrap();
        let mut history = History::new();
        for seed in 0..4 {
            history.record_generated(hash.clone(), options.clone(), seed, at).unwrap();
        }
        let names = [TagName::published(), TagName::new("review").unwrap(), TagName::new("draft").unwrap()];
        // The reference: per tag, its value and its own stacks of (before, after, when).
        let mut models = vec![TagModel::default(); names.len()];
        let mut clock = 0u32;
        for op in ops {
            clock += 1;
            // Which tag an undo or redo acts on, per the reference (None: nothing to do).
            let (undo_of, redo_of) = match op {
                TagOp::Undo => (Some(newest(&models, false)), None),
                TagOp::Redo => (None, Some(newest(&models, true))),
                TagOp::UndoTag(t) => (Some(Some(t).filter(|&t| !models[t].done.is_empty())), None),
                TagOp::RedoTag(t) => (None, Some(Some(t).filter(|&t| !models[t].undone.is_empty()))),
                _ => (None, None),
            };
            match op {
                TagOp::Move(t, v) => {
                    let step = history.move_tag(names[t].clone(), v, at).unwrap();
                    prop_assert_eq!((step.from, step.to), (models[t].value, Some(v)));
                    let m = &mut models[t];
                    m.done.push((m.value, Some(v), clock));
                    m.undone.clear();
                    m.value = Some(v);
                }
                TagOp::Delete(t) => {
                    let result = history.delete_tag(&names[t], None, at);
                    let m = &mut models[t];
                    match m.value {
                        None => prop_assert_eq!(result, Err(VersionError::UnknownTag { tag: names[t].to_string() })),
                        Some(v) => {
                            let step = result.unwrap();
                            prop_assert_eq!((step.from, step.to, step.kind), (Some(v), None, MoveKind::Delete));
                            m.done.push((Some(v), None, clock));
                            m.undone.clear();
                            m.value = None;
                        }
                    }
                }
                TagOp::Undo | TagOp::UndoTag(_) => {
                    let result = match op {
                        TagOp::UndoTag(t) => history.undo_tag(&names[t], at),
                        _ => history.undo(at),
                    };
                    match undo_of.flatten() {
                        None => prop_assert_eq!(result, Err(VersionError::NothingToUndo)),
                        Some(t) => {
                            let step = result.unwrap();
                            let m = &mut models[t];
                            let (before, after, _) = m.done.pop().unwrap();
                            prop_assert_eq!(&step.tag, &names[t]);
                            prop_assert_eq!((step.from, step.to), (after, before));
                            m.undone.push((before, after, clock));
                            m.value = before;
                        }
                    }
                }
                TagOp::Redo | TagOp::RedoTag(_) => {
                    let result = match op {
                        TagOp::RedoTag(t) => history.redo_tag(&names[t], at),
                        _ => history.redo(at),
                    };
                    match redo_of.flatten() {
                        None => prop_assert_eq!(result, Err(VersionError::NothingToRedo)),
                        Some(t) => {
                            let step = result.unwrap();
                            let m = &mut models[t];
                            let (before, after, _) = m.undone.pop().unwrap();
                            prop_assert_eq!(&step.tag, &names[t]);
                            prop_assert_eq!((step.from, step.to), (before, after));
                            m.done.push((before, after, clock));
                            m.value = after;
                        }
                    }
                }
            }
            let expected: BTreeMap<TagName, u32> = names
                .iter()
                .zip(&models)
                .filter_map(|(name, m)| m.value.map(|v| (name.clone(), v)))
                .collect();
            prop_assert_eq!(history.tags(), &expected);
            for (name, m) in names.iter().zip(&models) {
                prop_assert_eq!(history.can_undo_tag(name), !m.done.is_empty());
                prop_assert_eq!(history.can_redo_tag(name), !m.undone.is_empty());
            }
            // The stored shape reads back as the same history.
            let json = serde_json::to_string(&history).unwrap();
            prop_assert_eq!(&serde_json::from_str::<History>(&json).unwrap(), &history);
        }
    }

    #[test]
    fn diff_applies_back_and_is_empty_against_itself(
        n in 3usize..14,
        seed_a in 0u64..50,
        seed_b in 0u64..50,
        played_a in 0usize..6,
        played_b in 0usize..6,
        format in prop::sample::select(vec![Format::SingleElimination, Format::Repechage, Format::DoubleElimination, Format::RoundRobin]),
        max_seeds in prop::option::of(1u32..3),
        withdraw in any::<bool>(),
    ) {
        let mut options = BracketOptions::new(format);
        let mut old = athlos_core::draw(&field(n), &options, seed_a).unwrap();
        play(&mut old, played_a);
        if format != Format::RoundRobin {
            options.max_seeds = max_seeds;
        }
        let mut new = athlos_core::draw(&field(n + usize::from(withdraw)), &options, seed_b).unwrap();
        play(&mut new, played_b);
        if withdraw {
            new.withdraw(&id("p2")).unwrap();
        }
        prop_assert!(BracketDiff::between(&old, &old).is_empty());
        prop_assert_eq!(text_diff(&old, &old, "a", "b"), "");
        let diff = BracketDiff::between(&old, &new);
        prop_assert_eq!(apply(&old, &diff).unwrap(), new.clone());
        let json = serde_json::to_string(&diff).unwrap();
        let back: BracketDiff = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, diff);
    }
}

#[test]
fn preview_changes_max_seeds_and_saves_nothing() {
    let participants = field(12);
    let options = BracketOptions::new(Format::Repechage);
    let current = athlos_core::draw(&participants, &options, 3).unwrap();
    let overrides: Overrides = serde_json::from_str(r#"{"rules": {"max_seeds": 2}}"#).unwrap();
    let shown = preview(&participants, &current, &overrides, 3).unwrap();
    assert_eq!(shown.bracket.options().max_seeds, Some(2));
    assert_eq!(
        shown.diff.options.as_ref().unwrap().after.max_seeds,
        Some(2)
    );
    assert!(
        shown.text.starts_with("--- current\n+++ preview\n"),
        "{}",
        shown.text
    );
    assert!(shown.text.contains("\"max_seeds\":2"));
    assert_eq!(apply(&current, &shown.diff).unwrap(), shown.bracket);
    let bad: Overrides = serde_json::from_str(r#"{"rules": {"max_seedz": 2}}"#).unwrap();
    let error = preview(&participants, &current, &bad, 3).unwrap_err();
    assert!(error.to_string().contains("invalid overrides"), "{error}");
    assert!(serde_json::from_str::<Overrides>(r#"{"ruls": {}}"#).is_err());
}

#[test]
fn diff_of_a_swap_is_pinned() {
    let base = athlos_core::draw(
        &field(6),
        &BracketOptions::new(Format::SingleElimination),
        1,
    )
    .unwrap();
    let edited = apply_patch(
        &base,
        &Patch::Swap {
            a: id("p1"),
            b: id("p6"),
        },
    )
    .unwrap();
    let diff = BracketDiff::between(&base, &edited);
    assert_eq!(diff.moved.len(), 2);
    assert!(diff.options.is_none() && diff.field.is_none());
    let json = serde_json::to_string_pretty(&diff).unwrap() + "\n";
    assert_golden("version/swap_diff.json", &json);
    assert_golden(
        "version/swap_diff.txt",
        &text_diff(&base, &edited, "version 1", "version 2"),
    );
}
