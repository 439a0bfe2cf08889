//! Use cases over a [`Store`] and a [`Clock`].
//!
//! Each use case loads the aggregate, decides with the pure functions (the
//! [`lifecycle`](crate::lifecycle) tables, [`draw()`](crate::draw), the bracket's progression,
//! [`version`](crate::version) and [`diff`](crate::diff)), and commits the new document and
//! the events the transition emits as one [`Commit`] that expects the version it loaded. If
//! another writer got there first, the commit fails with
//! [`StoreError::Conflict`](crate::error::StoreError::Conflict) and nothing is written: reload
//! and retry. Every event carries the aggregate's new version and a timestamp read from the clock
//! at commit; its id is `{aggregate}:{version}:{index}`.
//!
//! Tournaments are played round by round on the bracket model: single elimination (a
//! knockout; round `n` is every match of round `n`, the third-place match included in the
//! last), round robin (the circle method's rounds), and the Swiss system when the rules carry
//! [`SwissRules`](crate::swiss::play::SwissRules): each `advance` pairs the next round with the
//! FIDE Dutch engine from the results so far ([`SwissPlay`](crate::swiss::play::SwissPlay)).
//! Other bracket formats are refused with [`ServiceError::UnsupportedFormat`].
//!
//! ```
//! use athlos_core::bracket::{BracketOptions, Format};
//! use athlos_core::clock::SystemClock;
//! use athlos_core::id::{CompetitionId, DivisionId};
//! use athlos_core::model::Participant;
//! use athlos_core::service::Service;
//! use athlos_core::store::{DivisionRules, MemoryStore};
//!
//! # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! # runtime.block_on(async {
//! let service = Service::new(MemoryStore::new(), SystemClock);
//! let competition = CompetitionId::new("open-2026")?;
//! let division = DivisionId::new("u73")?;
//! service.create_competition(competition.clone(), "Open 2026").await?;
//! let rules = DivisionRules { options: BracketOptions::new(Format::SingleElimination), seed: 7 };
//! service.create_division(&competition, division.clone(), "-73 kg", rules).await?;
//! let field = (1..=5).map(|i| Participant::new(format!("p{i}"), format!("P{i}"))).collect::<Result<Vec<_>, _>>()?;
//! service.add_participants(&division, field).await?;
//! let generated = service.generate(&division).await?;
//! assert_eq!(generated.division.value.history.versions().len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod divisions;
mod drafts;
mod results;
mod tournaments;

use chrono::{DateTime, Utc};

use crate::clock::Clock;
use crate::error::{Error, ServiceError};
use crate::event::{Event, EventData, EventType};
use crate::id::EventId;
use crate::store::{AggregateRef, Commit, Store};

pub use divisions::Generated;
pub use drafts::{pick_clock, DraftChange};
pub use results::{write_bracket_result, ResultWrite, Written};
pub use tournaments::{playing_round, round_complete, TournamentChange};

/// The use cases, generic over a store and a clock.
#[derive(Debug)]
pub struct Service<S, C> {
    store: S,
    clock: C,
}

impl<S: Store, C: Clock> Service<S, C> {
    /// A service over `store` and `clock`.
    pub fn new(store: S, clock: C) -> Self {
        Self { store, clock }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Commits `commit` after appending `data` as events of `aggregate` at `version`.
    async fn commit_with_events(
        &self,
        mut commit: Commit,
        aggregate: &AggregateRef,
        version: u64,
        now: DateTime<Utc>,
        data: Vec<EventData>,
    ) -> Result<Vec<Event>, Error> {
        let events = events(aggregate, version, now, data)?;
        commit
            .events
            .extend(events.iter().map(|e| (aggregate.clone(), e.clone())));
        self.store.commit(commit).await?;
        Ok(events)
    }
}

/// Wraps payloads into events of `aggregate` at `version`.
fn events(
    aggregate: &AggregateRef,
    version: u64,
    now: DateTime<Utc>,
    data: Vec<EventData>,
) -> Result<Vec<Event>, Error> {
    data.into_iter()
        .enumerate()
        .map(|(index, data)| {
            Ok(Event {
                id: EventId::new(format!("{aggregate}:{version}:{index}"))?,
                timestamp: now,
                version,
                data,
            })
        })
        .collect()
}

/// Builds the payload of each type a transition emits, in the table's order, so the events
/// committed are exactly the ones the table names.
fn emitted(
    action: &dyn std::fmt::Display,
    emits: &[EventType],
    mut build: impl FnMut(EventType) -> Option<EventData>,
) -> Result<Vec<EventData>, ServiceError> {
    emits
        .iter()
        .map(|&kind| {
            build(kind).ok_or_else(|| ServiceError::UnexpectedEvent {
                action: action.to_string(),
                event: kind.to_string(),
            })
        })
        .collect()
}

/// The version a write expecting `expected` produces.
fn next_version(expected: u64) -> u64 {
    expected.saturating_add(1)
}
