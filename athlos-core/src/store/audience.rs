//! Who a logged event concerns, and one follower of the log that says it for each event.
//!
//! An event is logged for one aggregate. Its *audience* is the aggregates whose followers
//! (a webhook subscription, a live stream) receive it: that aggregate itself, for a
//! division also the competition (an "event" in the HTTP API) it belongs to, so that a
//! competition's followers see its divisions' events, and for a tournament's chat also the
//! tournament, so that its followers see its chat. [`audience`] is the rule, given the
//! division → competition relation; [`AudienceCache`] asks a store for that relation once per
//! division; [`LogFollower`] reads the log in order from a position and gives every event
//! with its audience.
//!
//! Whether an event may be shown to the public at all is another rule
//! ([`EventType::is_public`](crate::event::EventType::is_public)); the audience says only
//! whom it concerns.

use std::collections::BTreeMap;

use crate::error::StoreError;
use crate::id::{CompetitionId, DivisionId};

use super::{AggregateRef, AggregateStore, EventLog, LoggedEvent};

/// The aggregates an event concerns: the one it was logged for and, for a division, its
/// competition (for a chat, its tournament).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    aggregate: AggregateRef,
    parent: Option<AggregateRef>,
}

impl Audience {
    /// Whether followers of `scope` receive the event.
    pub fn includes(&self, scope: &AggregateRef) -> bool {
        self.iter().any(|member| member == scope)
    }

    /// The aggregates concerned: the event's own first, then its division's competition (or
    /// its chat's tournament).
    pub fn iter(&self) -> impl Iterator<Item = &AggregateRef> {
        std::iter::once(&self.aggregate).chain(self.parent.as_ref())
    }
}

/// The audience of an event logged for `aggregate`. `competition_of` gives the competition
/// a division belongs to (`None`: a division no longer known, whose events then concern it
/// alone); it is asked only when `aggregate` is a division.
pub fn audience(
    aggregate: &AggregateRef,
    competition_of: impl FnOnce(&DivisionId) -> Option<CompetitionId>,
) -> Audience {
    let parent = match aggregate {
        AggregateRef::Division(division) => competition_of(division).map(AggregateRef::Competition),
        AggregateRef::Chat(tournament) => Some(AggregateRef::Tournament(tournament.clone())),
        _ => None,
    };
    Audience {
        aggregate: aggregate.clone(),
        parent,
    }
}

/// The competition of every division met so far, read from a store once per division: a
/// division never moves to another competition. A failed read is not remembered (the next
/// call asks again).
#[derive(Debug, Clone, Default)]
pub struct AudienceCache {
    divisions: BTreeMap<DivisionId, Option<CompetitionId>>,
}

impl AudienceCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// The audience of an event logged for `aggregate`, reading a division's competition
    /// from `store` the first time the division is met.
    ///
    /// # Errors
    /// The store's, when it cannot read the division.
    pub async fn audience<S>(
        &mut self,
        store: &S,
        aggregate: &AggregateRef,
    ) -> Result<Audience, StoreError>
    where
        S: AggregateStore + ?Sized,
    {
        if let AggregateRef::Division(division) = aggregate {
            if !self.divisions.contains_key(division) {
                let found = store
                    .division(division)
                    .await?
                    .map(|stored| stored.value.competition);
                self.divisions.insert(division.clone(), found);
            }
        }
        Ok(audience(aggregate, |division| {
            self.divisions.get(division).cloned().flatten()
        }))
    }
}

/// A logged event with its audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressedEvent {
    /// The log entry.
    pub logged: LoggedEvent,
    /// Whom it concerns.
    pub audience: Audience,
}

/// Reads the event log in order from a position, a page at a time, giving each event with
/// its audience (resolved once, through an [`AudienceCache`] kept across pages).
#[derive(Debug, Clone)]
pub struct LogFollower {
    position: u64,
    page: usize,
    cache: AudienceCache,
}

impl LogFollower {
    /// A follower that reads the events after sequence `after`, up to `page` at a time (at
    /// least one).
    pub fn new(after: u64, page: usize) -> Self {
        Self {
            position: after,
            page: page.max(1),
            cache: AudienceCache::new(),
        }
    }

    /// The sequence of the last event read (the one it started after, before any).
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The most events one page holds: a shorter page reached the end of the log.
    pub fn page_size(&self) -> usize {
        self.page
    }

    /// Reads on from after sequence `after` instead (another reader moved a shared cursor,
    /// or the events up to it arrived another way); the cache is kept.
    pub fn seek(&mut self, after: u64) {
        self.position = after;
    }

    /// The next page of events after the position, in log order, each with its audience;
    /// the position moves to the last one. Empty at the end of the log.
    ///
    /// # Errors
    /// The store's; the position does not move then, so the next call reads the same events.
    pub async fn next_page<S>(&mut self, store: &S) -> Result<Vec<AddressedEvent>, StoreError>
    where
        S: EventLog + AggregateStore + ?Sized,
    {
        let page = store.events_after(self.position, self.page).await?;
        let mut out = Vec::with_capacity(page.len());
        let mut last = self.position;
        for logged in page {
            let audience = self.cache.audience(store, &logged.aggregate).await?;
            last = last.max(logged.sequence);
            out.push(AddressedEvent { logged, audience });
        }
        self.position = last;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use std::sync::Arc;

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::bracket::{BracketOptions, Format};
    use crate::clock::ManualClock;
    use crate::competition::DivisionRules;
    use crate::event::{Event, EventData};
    use crate::id::{DraftId, EventId, TournamentId};
    use crate::service::Service;
    use crate::store::{Commit, MemoryStore, Store};

    fn competition(id: &str) -> CompetitionId {
        CompetitionId::new(id).expect("a valid id")
    }

    fn division(id: &str) -> DivisionId {
        DivisionId::new(id).expect("a valid id")
    }

    fn now() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_800_000_000, 0).expect("a valid time")
    }

    /// A store holding competition `open` with division `u17`.
    async fn store() -> Arc<MemoryStore> {
        let store = Arc::new(MemoryStore::new());
        let service = Service::new(store.clone(), ManualClock::new(now()));
        service
            .create_competition(competition("open"), "Open")
            .await
            .expect("created");
        let rules = DivisionRules {
            options: BracketOptions::new(Format::SingleElimination),
            seed: 1,
        };
        service
            .create_division(&competition("open"), division("u17"), "U17", rules)
            .await
            .expect("created");
        store
    }

    /// Logs one event per aggregate, in order.
    async fn log(store: &MemoryStore, aggregates: &[AggregateRef]) {
        let events = aggregates
            .iter()
            .enumerate()
            .map(|(index, aggregate)| {
                let event = Event {
                    id: EventId::new(format!("{aggregate}:test:{index}")).expect("a valid id"),
                    timestamp: now(),
                    version: 1,
                    data: EventData::BracketFailed {
                        division: division("u17"),
                        reason: "test".to_owned(),
                    },
                };
                (aggregate.clone(), event)
            })
            .collect();
        store
            .commit(Commit {
                events,
                ..Commit::default()
            })
            .await
            .expect("committed");
    }

    fn members(audience: &Audience) -> Vec<AggregateRef> {
        audience.iter().cloned().collect()
    }

    #[test]
    fn a_division_event_reaches_its_competition() {
        let of = AggregateRef::Division(division("u17"));
        let found = audience(&of, |_| Some(competition("open")));
        assert_eq!(
            members(&found),
            [of.clone(), AggregateRef::Competition(competition("open"))]
        );
        assert!(found.includes(&AggregateRef::Competition(competition("open"))));
        assert!(!found.includes(&AggregateRef::Competition(competition("other"))));
    }

    #[test]
    fn an_unknown_division_reaches_only_itself() {
        let of = AggregateRef::Division(division("gone"));
        let found = audience(&of, |_| None);
        assert_eq!(members(&found), vec![of.clone()]);
        assert!(found.includes(&of));
        assert!(!found.includes(&AggregateRef::Competition(competition("open"))));
    }

    #[test]
    fn other_aggregates_reach_only_themselves_without_asking() {
        for of in [
            AggregateRef::Competition(competition("open")),
            AggregateRef::Tournament(TournamentId::new("t").expect("a valid id")),
            AggregateRef::Draft(DraftId::new("d").expect("a valid id")),
        ] {
            let found = audience(&of, |_| -> Option<CompetitionId> {
                unreachable!("only a division's competition is asked for")
            });
            assert_eq!(members(&found), vec![of.clone()]);
        }
    }

    #[tokio::test]
    async fn the_cache_reads_a_division_once() {
        let store = store().await;
        let mut cache = AudienceCache::new();
        let of = AggregateRef::Division(division("u17"));
        let open = AggregateRef::Competition(competition("open"));
        assert!(cache
            .audience(&store, &of)
            .await
            .expect("read")
            .includes(&open));
        // Gone from the store, the division is still known: it was read once.
        let version = store
            .division(&division("u17"))
            .await
            .expect("read")
            .expect("stored")
            .version;
        store
            .delete(&of, version, Vec::new())
            .await
            .expect("deleted");
        assert!(cache
            .audience(&store, &of)
            .await
            .expect("cached")
            .includes(&open));
        // A fresh cache finds no division: the event concerns the division alone.
        let fresh = AudienceCache::new()
            .audience(&store, &of)
            .await
            .expect("read");
        assert_eq!(members(&fresh), vec![of]);
    }

    #[tokio::test]
    async fn the_follower_reads_in_order_with_each_audience() {
        let store = store().await;
        let u17 = AggregateRef::Division(division("u17"));
        let ghost = AggregateRef::Division(division("ghost"));
        let open = AggregateRef::Competition(competition("open"));
        let tournament = AggregateRef::Tournament(TournamentId::new("t").expect("a valid id"));
        log(
            &store,
            &[u17.clone(), ghost.clone(), open.clone(), tournament.clone()],
        )
        .await;
        log(&store, std::slice::from_ref(&u17)).await;
        let start = store.last_sequence().await.expect("read") - 5;

        let mut follower = LogFollower::new(start, 3);
        assert_eq!(follower.position(), start);
        let first = follower.next_page(&store).await.expect("read");
        let sequences: Vec<u64> = first.iter().map(|e| e.logged.sequence).collect();
        assert_eq!(sequences, [start + 1, start + 2, start + 3]);
        assert_eq!(follower.position(), start + 3);
        assert_eq!(members(&first[0].audience), vec![u17.clone(), open.clone()]);
        assert_eq!(members(&first[1].audience), vec![ghost]);
        assert_eq!(members(&first[2].audience), vec![open.clone()]);

        let second = follower.next_page(&store).await.expect("read");
        let sequences: Vec<u64> = second.iter().map(|e| e.logged.sequence).collect();
        assert_eq!(sequences, [start + 4, start + 5]);
        assert!(second.len() < follower.page_size());
        assert_eq!(members(&second[0].audience), vec![tournament]);
        assert_eq!(members(&second[1].audience), vec![u17, open]);
        assert_eq!(follower.position(), start + 5);

        assert!(follower.next_page(&store).await.expect("read").is_empty());
        assert_eq!(follower.position(), start + 5);

        // Seeking back reads the same events again.
        follower.seek(start + 3);
        let again = follower.next_page(&store).await.expect("read");
        assert_eq!(again, second);
    }

    #[test]
    fn a_follower_reads_at_least_one_event_a_page() {
        assert_eq!(LogFollower::new(7, 0).page_size(), 1);
        assert_eq!(LogFollower::new(7, 0).position(), 7);
    }
}
