//! Random division use-case sequences: refusals change nothing, the log holds exactly the
//! returned events, and a ready division's bracket is always the version `current` names.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use athlos_core::bracket::{BracketOptions, Format, MatchResult, MatchStatus};
use athlos_core::clock::ManualClock;
use athlos_core::competition::DivisionRules;
use athlos_core::error::{Error, ServiceError, VersionError};
use athlos_core::event::{EventData, EventType};
use athlos_core::id::{CompetitionId, DivisionId, TagName};
use athlos_core::lifecycle::BracketState;
use athlos_core::model::Participant;
use athlos_core::service::{locked_version, tag_status, DivisionChanges, Service};
use athlos_core::store::{EventLog, MemoryStore};
use athlos_core::version::{content_hash, Origin, Patch, Protection};
use chrono::{Duration, TimeZone, Utc};
use proptest::prelude::*;

#[derive(Debug, Clone, Copy)]
enum Call {
    Add(usize),
    Generate,
    Swap(usize, usize),
    Lock,
    Play,
    Undo,
    Redo,
    Publish(u32),
    /// Delete, undo or redo one tag (0: `current`, 1: `published`).
    DeleteTag(usize),
    UndoTag(usize),
    RedoTag(usize),
    /// A new name (one of three) and, when odd, a new seed (one of three).
    Update(u8),
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        1 => (0usize..12).prop_map(Call::Add),
        2 => Just(Call::Generate),
        2 => (0usize..12, 0usize..12).prop_map(|(a, b)| Call::Swap(a, b)),
        1 => Just(Call::Lock),
        3 => Just(Call::Play),
        2 => Just(Call::Undo),
        1 => Just(Call::Redo),
        1 => (1u32..6).prop_map(Call::Publish),
        1 => (0usize..2).prop_map(Call::DeleteTag),
        1 => (0usize..2).prop_map(Call::UndoTag),
        1 => (0usize..2).prop_map(Call::RedoTag),
        1 => any::<u8>().prop_map(Call::Update),
    ]
}

fn tag(t: usize) -> TagName {
    [TagName::current(), TagName::published()][t].clone()
}

fn entry(i: usize) -> Participant {
    Participant::new(format!("e{i}"), format!("Entry {i}"))
        .unwrap()
        .with_rating(1500 + i as u32)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn division_runs_keep_the_bracket_the_log_and_the_tags_consistent(
        calls in prop::collection::vec(call(), 0..50),
        format in prop::sample::select(vec![Format::SingleElimination, Format::Repechage]),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
        runtime.block_on(async {
            let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
            let service = Service::new(MemoryStore::new(), clock);
            let competition = CompetitionId::new("c").unwrap();
            service.create_competition(competition.clone(), "C").await.unwrap();
            let id = DivisionId::new("d").unwrap();
            let mut options = BracketOptions::new(format);
            options.max_seeds = Some(2);
            let rules = DivisionRules { options, seed: 9 };
            service.create_division(&competition, id.clone(), "D", rules).await.unwrap();
            service.add_participants(&id, (0..3).map(entry).collect()).await.unwrap();
            let mut returned = service.store().events_after(0, 1000).await.unwrap()
                .into_iter().map(|l| l.event).collect::<Vec<_>>();
            for call in calls {
                service.clock().advance(Duration::seconds(30));
                let before = service.division(&id).await.unwrap();
                let outcome = match call {
                    Call::Add(i) => service.add_participants(&id, vec![entry(i)]).await.map(|d| (d, Vec::new())),
                    Call::Generate => service.generate(&id).await.map(|g| (g.division, g.events)),
                    Call::Swap(a, b) => service.edit(&id, Patch::Swap { a: entry(a).id, b: entry(b).id }).await,
                    Call::Lock => service.lock(&id).await,
                    Call::Undo => service.undo_tag(&id).await,
                    Call::Redo => service.redo_tag(&id).await,
                    Call::Publish(v) => service.move_tag(&id, TagName::published(), v).await,
                    Call::DeleteTag(t) => service.delete_tag(&id, &tag(t)).await,
                    Call::UndoTag(t) => service.undo_tag_of(&id, &tag(t)).await,
                    Call::RedoTag(t) => service.redo_tag_of(&id, &tag(t)).await,
                    Call::Update(n) => {
                        let changes = DivisionChanges {
                            name: Some(format!("D{}", n % 3)),
                            seed: (n % 2 == 1).then_some(u64::from(n / 2 % 3)),
                            ..DivisionChanges::default()
                        };
                        service.update_division(&id, changes).await
                    }
                    Call::Play => {
                        let next = before.value.bracket.as_ref().and_then(|b| {
                            b.matches().iter().find(|m| m.status == MatchStatus::Ready)
                                .map(|m| (m.id, m.participant(1).cloned()))
                        });
                        match next {
                            Some((match_id, Some(winner))) => {
                                service.record_division_result(&id, match_id, MatchResult::win(winner)).await
                            }
                            _ => continue,
                        }
                    }
                };
                let after = service.division(&id).await.unwrap();
                match outcome {
                    Ok((division, events)) => {
                        prop_assert_eq!(&division, &after);
                        if matches!(call, Call::Update(_)) && events.is_empty() {
                            // Nothing to change: nothing written.
                            prop_assert_eq!(&after, &before);
                        } else {
                            prop_assert_eq!(after.version, before.version + 1);
                        }
                        for event in &events {
                            if let EventData::DivisionUpdated { name, rules, seed, .. } = &event.data {
                                prop_assert_eq!(name, &after.value.name);
                                prop_assert_eq!(rules, &after.value.rules.options);
                                prop_assert_eq!(*seed, after.value.rules.seed);
                                prop_assert!((&before.value.name, &before.value.rules) != (name, &after.value.rules));
                            }
                        }
                        returned.extend(events);
                    }
                    Err(_) => {
                        // A failed draw logs bracket.failed and keeps everything else.
                        let log = service.store().events_after(0, 10_000).await.unwrap();
                        if after != before {
                            let last = &log.last().unwrap().event;
                            prop_assert_eq!(last.event_type(), EventType::BracketFailed);
                            prop_assert_eq!(&after.value, &before.value);
                            returned.push(last.clone());
                        }
                    }
                }
                let division = &after.value;
                if division.state == BracketState::Ready {
                    let current = division.history.tag(&TagName::current()).unwrap();
                    let bracket = division.bracket.as_ref().unwrap();
                    prop_assert_eq!(&content_hash(bracket).unwrap(), &division.history.version(current).unwrap().hash);
                    prop_assert_eq!(&service.version_bracket(&id, current).await.unwrap(), bracket);
                }
                if division.state == BracketState::Completed {
                    prop_assert!(division.bracket.as_ref().unwrap().is_complete());
                }
            }
            let log: Vec<_> = service.store().events_after(0, 10_000).await.unwrap()
                .into_iter().map(|l| l.event).collect();
            prop_assert_eq!(&log, &returned);
            let division = service.division(&id).await.unwrap().value;
            let generated = division.history.versions().iter()
                .filter(|v| matches!(v.origin, Origin::Generated { .. })).count();
            let generated_events = log.iter()
                .filter(|e| e.event_type() == EventType::BracketGenerated).count();
            prop_assert_eq!(generated, generated_events);
            // Every tag move is logged: replaying the tag events gives the stored tags.
            let mut tags = std::collections::BTreeMap::new();
            for event in &log {
                if let EventData::TagMoved { tag, to, .. } = &event.data {
                    match to {
                        Some(v) => { tags.insert(tag.clone(), *v); }
                        None => { tags.remove(tag); }
                    }
                }
            }
            prop_assert_eq!(&tags, division.history.tags());
            Ok(())
        })?;
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

/// A competition `c` with a division `d` of four entries (a generated bracket when asked).
async fn division_of_four(generated: bool) -> (Service<MemoryStore, ManualClock>, DivisionId) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
    let service = Service::new(MemoryStore::new(), clock);
    let competition = CompetitionId::new("c").unwrap();
    service
        .create_competition(competition.clone(), "C")
        .await
        .unwrap();
    let id = DivisionId::new("d").unwrap();
    let rules = DivisionRules {
        options: BracketOptions::new(Format::SingleElimination),
        seed: 1,
    };
    service
        .create_division(&competition, id.clone(), "D", rules)
        .await
        .unwrap();
    service
        .add_participants(&id, (0..4).map(entry).collect())
        .await
        .unwrap();
    if generated {
        service.generate(&id).await.unwrap();
    }
    (service, id)
}

#[test]
fn a_renamed_competition_is_logged_once() {
    runtime().block_on(async {
        let (service, _) = division_of_four(false).await;
        let c = CompetitionId::new("c").unwrap();
        let last = service.store().last_sequence().await.unwrap();
        let (renamed, events) = service.rename_competition(&c, "Open 2026").await.unwrap();
        assert_eq!(renamed.value.name, "Open 2026");
        assert_eq!(renamed, service.competition(&c).await.unwrap());
        assert_eq!(events.len(), 1);
        assert_eq!(
            events[0].data,
            EventData::EventUpdated {
                event: c.clone(),
                name: "Open 2026".to_owned()
            }
        );
        let logged = service.store().events_after(last, 10).await.unwrap();
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0].event, events[0]);
        // The same name again: nothing written, nothing logged.
        let (same, none) = service.rename_competition(&c, "Open 2026").await.unwrap();
        assert!(none.is_empty());
        assert_eq!(same, renamed);
        assert_eq!(service.store().last_sequence().await.unwrap(), last + 1);
        let unknown = CompetitionId::new("nope").unwrap();
        assert!(service.rename_competition(&unknown, "X").await.is_err());
    });
}

#[test]
fn division_rules_change_until_the_bracket_is_locked_and_the_name_always() {
    runtime().block_on(async {
        let (service, id) = division_of_four(true).await;
        let mut rules = BracketOptions::new(Format::SingleElimination);
        rules.third_place = true;
        let (ready, events) = service
            .update_division(
                &id,
                DivisionChanges {
                    rules: Some(rules.clone()),
                    seed: Some(5),
                    ..DivisionChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(ready.value.rules.options, rules);
        assert_eq!(ready.value.rules.seed, 5);
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type(), EventType::DivisionUpdated);
        service.lock(&id).await.unwrap();
        let locked = service.division(&id).await.unwrap();
        let last = service.store().last_sequence().await.unwrap();
        let refused = service
            .update_division(
                &id,
                DivisionChanges {
                    seed: Some(6),
                    name: Some("Renamed".to_owned()),
                    ..DivisionChanges::default()
                },
            )
            .await;
        assert!(refused.is_err(), "a new seed once locked: {refused:?}");
        assert_eq!(service.division(&id).await.unwrap(), locked);
        assert_eq!(service.store().last_sequence().await.unwrap(), last);
        let (renamed, events) = service
            .update_division(
                &id,
                DivisionChanges {
                    name: Some("Men -73 kg".to_owned()),
                    ..DivisionChanges::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(renamed.value.name, "Men -73 kg");
        assert_eq!(renamed.version, locked.version + 1);
        assert_eq!(renamed.value.bracket, locked.value.bracket);
        match &events[..] {
            [event] => match &event.data {
                EventData::DivisionUpdated { name, seed, .. } => {
                    assert_eq!(name, "Men -73 kg");
                    assert_eq!(*seed, 5);
                }
                other => panic!("expected division.updated, got {other:?}"),
            },
            other => panic!("expected one event, got {other:?}"),
        }
    });
}

/// The division of four, generated (version 1) and edited (version 2).
async fn edited() -> (Service<MemoryStore, ManualClock>, DivisionId) {
    let (service, id) = division_of_four(true).await;
    let swap = Patch::Swap {
        a: entry(0).id,
        b: entry(1).id,
    };
    service.edit(&id, swap).await.unwrap();
    (service, id)
}

#[test]
fn protected_deletions_are_refused_and_change_nothing() {
    runtime().block_on(async {
        let (service, id) = edited().await;
        let review = TagName::new("review").unwrap();
        service.move_tag(&id, review.clone(), 2).await.unwrap();
        let before = service.division(&id).await.unwrap();
        let refused = service.delete_tag(&id, &TagName::current()).await;
        assert!(matches!(
            refused,
            Err(Error::Version(VersionError::ProtectedTag { .. }))
        ));
        assert_eq!(service.division(&id).await.unwrap(), before);
        // Deleted, restored, locked at the version it names: its deletion may not be redone.
        let (_, events) = service.delete_tag(&id, &review).await.unwrap();
        assert!(matches!(
            &events[0].data,
            EventData::TagMoved {
                from: Some(2),
                to: None,
                ..
            }
        ));
        service.undo_tag_of(&id, &review).await.unwrap();
        service.lock(&id).await.unwrap();
        let locked = service.division(&id).await.unwrap();
        assert_eq!(locked_version(&locked.value), Some(2));
        let status = tag_status(&locked.value, &review).unwrap();
        assert_eq!(
            status.protection,
            Some(Protection::LockedVersion { version: 2 })
        );
        for refused in [
            service.redo_tag_of(&id, &review).await,
            service.redo_tag(&id).await,
            service.delete_tag(&id, &review).await,
        ] {
            assert!(matches!(
                refused,
                Err(Error::Version(VersionError::ProtectedTag { .. }))
            ));
        }
        assert_eq!(service.division(&id).await.unwrap(), locked);
        // `current` stays frozen for its own undo once locked.
        assert!(matches!(
            service.undo_tag_of(&id, &TagName::current()).await,
            Err(Error::Service(ServiceError::CurrentFrozen { .. }))
        ));
        let unknown = TagName::new("never").unwrap();
        assert!(matches!(
            service.undo_tag_of(&id, &unknown).await,
            Err(Error::Version(VersionError::UnknownTag { .. }))
        ));
    });
}

#[test]
fn per_tag_undo_leaves_other_tags_alone_and_the_bracket_follows_current() {
    runtime().block_on(async {
        let (service, id) = edited().await;
        let v2 = service.division(&id).await.unwrap().value.bracket;
        service
            .move_tag(&id, TagName::published(), 1)
            .await
            .unwrap();
        // Undoing `current` (moved before `published`) brings back version 1's bracket.
        let (undone, _) = service.undo_tag_of(&id, &TagName::current()).await.unwrap();
        assert_eq!(undone.value.history.tag(&TagName::current()), Some(1));
        assert_eq!(undone.value.history.tag(&TagName::published()), Some(1));
        assert_ne!(undone.value.bracket, v2);
        let (redone, _) = service.redo_tag_of(&id, &TagName::current()).await.unwrap();
        assert_eq!(redone.value.bracket, v2);
        assert!(redone.value.history.can_undo_tag(&TagName::published()));
    });
}
