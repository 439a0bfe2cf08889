//! Use cases over a [`Store`] and a [`Clock`].
//!
//! Each use case loads the aggregate, decides with the pure functions (the
//! [`lifecycle`](crate::lifecycle) tables, [`draw()`](crate::draw), the bracket's progression,
//! [`version`](crate::version) and [`diff`](crate::diff)), and commits the new document and
//! the events the transition emits as one [`Commit`] that expects the version it loaded. If
//! another writer got there first, the commit fails with [`StoreError::Conflict`] and nothing
//! is written: reload and retry. Every event carries the aggregate's new version and a
//! timestamp read from the clock at commit; its id is `{aggregate}:{version}:{index}`.
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
//! use athlos_core::competition::DivisionRules;
//! use athlos_core::store::MemoryStore;
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

mod accounts;
mod board;
mod chat;
mod division_actions;
mod divisions;
mod drafts;
pub(crate) mod error;
mod notifications;
mod replay;
mod results;
mod runs;
mod standings;
mod tournaments;

use chrono::{DateTime, Utc};

use crate::access::{self, Principal, Refusal};
use crate::clock::Clock;
use crate::error::Error;
use crate::event::{Event, EventData, EventType};
use crate::id::EventId;
use crate::store::{AggregateRef, Commit, Store, StoreError};

pub use accounts::{NewAccount, NewSession, NewToken};
pub use board::{
    awaits_result, board_game, board_game_key, board_jobs, board_result, check_board_ending,
    game_deadline, may_follow_games, BoardJob, BoardWinner, BOARD_CREATE_ATTEMPTS,
    BOARD_GAME_DEADLINE, CREATE_BOARD_GAME, DEADLINE_SLACK_SECS, MAX_BOARD_MOVES,
};
pub use chat::ChatChange;
pub use division_actions::{division_actions_for, may_generate_all, DivisionAction};
pub use divisions::{
    generation_target, locked_version, tag_status, DivisionChanges, Generated, GENERATE_BRACKET,
};
pub use drafts::{pick_clock, DraftChange};
pub use error::ServiceError;
pub use notifications::{reminder_due, starting_reminder};
pub use replay::{Replay, REPLAY};
pub use results::{write_bracket_result, ResultWrite, Written};
pub use runs::{Checkpoint, NoProbe, RunProbe, RunRequest, GENERATE_ALL, RUN_KINDS};
pub use standings::{crosstable_of, table_of, Standings, TableRow};
pub use tournaments::{
    actions_for, playing_round, round_complete, TournamentChange, TournamentChanges,
    MAX_TEAM_MEMBERS,
};

std::thread_local! {
    /// The version the aggregate of the write being polled must be at, set by [`expecting`].
    static EXPECTED: std::cell::Cell<Option<u64>> = const { std::cell::Cell::new(None) };
}

/// Runs `write` (a division or tournament use case of [`Service`]) under a precondition: it
/// applies only while the aggregate it changes is at `version` — what an HTTP `If-Match`
/// asks. The use case checks when it loads the aggregate, so a stale precondition is refused
/// before any other rule, and its commit expects that very version, so the check holds until
/// the write lands. `None` sets no precondition. Works on any executor: the precondition is
/// in force while `write` is polled, and only then.
///
/// Whatever `write` answers, plus [`ServiceError::PreconditionFailed`] (with the version
/// found) when the aggregate is at another version.
pub fn expecting<F: std::future::Future>(
    version: Option<u64>,
    write: F,
) -> impl std::future::Future<Output = F::Output> {
    Expecting {
        version,
        write: Box::pin(write),
    }
}

/// The future of [`expecting`].
struct Expecting<F> {
    version: Option<u64>,
    write: std::pin::Pin<Box<F>>,
}

impl<F: std::future::Future> std::future::Future for Expecting<F> {
    type Output = F::Output;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        /// Puts the outer precondition back, even if the write panics.
        struct Restore(Option<u64>);
        impl Drop for Restore {
            fn drop(&mut self) {
                EXPECTED.with(|expected| expected.set(self.0));
            }
        }
        let _restore = Restore(EXPECTED.with(|expected| expected.replace(self.version)));
        self.write.as_mut().poll(cx)
    }
}

/// Refuses the write under way when [`expecting`] named a version other than `current`.
fn check_expected(current: u64) -> Result<(), ServiceError> {
    match EXPECTED.with(std::cell::Cell::get) {
        Some(expected) if expected != current => {
            Err(ServiceError::PreconditionFailed { expected, current })
        }
        _ => Ok(()),
    }
}

/// The use cases, generic over a store and a clock.
#[derive(Debug)]
pub struct Service<S, C> {
    store: S,
    clock: C,
    reminder: chrono::Duration,
}

impl<S: Store, C: Clock> Service<S, C> {
    /// A service over `store` and `clock`, reminding of a tournament's start
    /// [`DEFAULT_REMINDER_MINUTES`](crate::notify::DEFAULT_REMINDER_MINUTES) before it.
    pub fn new(store: S, clock: C) -> Self {
        Self {
            store,
            clock,
            reminder: chrono::Duration::minutes(crate::notify::DEFAULT_REMINDER_MINUTES),
        }
    }

    /// The same service reminding of a tournament's start `before` it (the
    /// `tournament_starting` notification; see [`crate::notify`]).
    #[must_use]
    pub fn with_reminder(mut self, before: chrono::Duration) -> Self {
        self.reminder = before;
        self
    }

    /// How long before a tournament's `starts_at` its start reminder fires.
    pub fn reminder(&self) -> chrono::Duration {
        self.reminder
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// Refuses to create `aggregate` for `director` when a deleted aggregate of another
    /// director keeps its id reserved (one without a director reserves nothing).
    async fn check_reserved(
        &self,
        aggregate: &AggregateRef,
        director: Option<&str>,
    ) -> Result<(), Error> {
        let Some(last) = self.store.tombstone(aggregate).await? else {
            return Ok(());
        };
        // An aggregate nobody directed (made by an administrator or an embedding program)
        // reserves nothing.
        match access::last_director(&last) {
            Some(reserved_to) if Some(reserved_to) != director => Err(taken(aggregate)),
            _ => Ok(()),
        }
    }

    /// Whether `principal` may direct `scope`: a competition or tournament by its director, a
    /// division by its competition's, a draft by its commissioner (administrators always).
    /// A deleted competition or tournament is decided by the director its last document
    /// names, so its director keeps control of what was attached to it (webhooks); a deleted
    /// draft or division, by administrators only.
    ///
    /// The outer result is whether the question could be answered (the store), the inner
    /// one the answer.
    ///
    /// # Errors
    /// The store's failure.
    pub async fn may_direct(
        &self,
        principal: &Principal,
        scope: &AggregateRef,
    ) -> Result<Result<(), Refusal>, Error> {
        let live = match scope {
            AggregateRef::Competition(id) => self
                .store
                .competition(id)
                .await?
                .map(|c| c.value.may_direct(principal)),
            AggregateRef::Tournament(id) => self
                .store
                .tournament(id)
                .await?
                .map(|t| t.value.may_direct(principal)),
            AggregateRef::Division(id) => Some(match self.store.division(id).await? {
                Some(division) => {
                    match self.store.competition(&division.value.competition).await? {
                        Some(competition) => competition.value.may_direct(principal),
                        None => access::may_direct(principal, None),
                    }
                }
                None => access::may_direct(principal, None),
            }),
            AggregateRef::Draft(id) => Some(match self.store.draft(id).await? {
                Some(draft) => draft.value.may_direct(principal),
                None => access::may_commission(principal, None),
            }),
            // An account is its holder's; the claims of names and sessions, nobody's.
            AggregateRef::User(id) => Some(crate::account::may_act_for(principal, id)),
            AggregateRef::Username(_) | AggregateRef::Session(_) => {
                Some(access::may_direct(principal, None))
            }
            // A chat is directed by its tournament's director.
            AggregateRef::Chat(id) => self
                .store
                .tournament(id)
                .await?
                .map(|t| t.value.may_direct(principal)),
        };
        if let Some(decided) = live {
            return Ok(decided);
        }
        let last = self.store.tombstone(scope).await?;
        Ok(access::may_direct(
            principal,
            last.as_ref().and_then(access::last_director),
        ))
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
        check_expected(version.saturating_sub(1))?;
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

/// [`ServiceError::IdTaken`] for `aggregate`.
fn taken(aggregate: &AggregateRef) -> Error {
    ServiceError::IdTaken {
        aggregate: aggregate.to_string(),
    }
    .into()
}

/// A create's store error, a conflict (someone created the id first) as
/// [`ServiceError::IdTaken`].
fn created(error: StoreError, aggregate: &AggregateRef) -> Error {
    match error {
        StoreError::Conflict { .. } => taken(aggregate),
        other => other.into(),
    }
}

/// The version a write expecting `expected` produces.
fn next_version(expected: u64) -> u64 {
    expected.saturating_add(1)
}
