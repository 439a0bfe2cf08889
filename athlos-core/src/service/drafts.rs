//! Fantasy drafts: create, read, commands, and the pick clock's timeouts.
//!
//! A draft's pick clock is a store [`Deadline`] keyed `(draft, pick_clock)` whose sequence is
//! the draft's clock sequence. Every change commits the draft, its events and the deadline
//! (re-armed with the new sequence, or cleared when no clock runs) in one transaction, so the
//! stored deadline always matches the stored draft. A manual pick and a timeout of the same
//! pick both expect the draft's version: exactly one commits.

use crate::clock::Clock;
use crate::draft::{Command, Draft, DraftSettings};
use crate::draft::{DraftRecord, PICK_CLOCK};
use crate::error::Error;
use crate::event::Event;
use crate::id::DraftId;
use crate::lifecycle::DraftState;
use crate::store::{AggregateRef, Commit, Deadline, DeadlineKey, Store, StoreError, Stored, Write};

use super::{Service, ServiceError};

/// How often a draft command is re-decided when another writer changed the draft first.
const COMMAND_TRIES: usize = 5;

/// A committed draft change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftChange {
    /// The draft as committed.
    pub draft: Stored<DraftRecord>,
    /// The events committed.
    pub events: Vec<Event>,
}

/// The key of `draft`'s pick-clock deadline.
pub fn pick_clock(draft: &DraftId) -> DeadlineKey {
    DeadlineKey {
        aggregate: AggregateRef::Draft(draft.clone()),
        purpose: PICK_CLOCK.to_owned(),
    }
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Creates a scheduled draft under `settings`, controlled by `commissioner`, with
    /// `managers[team]` picking for each team (empty: the commissioner picks for all).
    ///
    /// # Errors
    /// [`ServiceError::Managers`] unless there is one manager entry per team (or none); a
    /// conflict if the id is taken.
    pub async fn create_draft(
        &self,
        settings: DraftSettings,
        commissioner: impl Into<String>,
        mut managers: Vec<Option<String>>,
    ) -> Result<Stored<DraftRecord>, Error> {
        let teams = settings.teams();
        if managers.is_empty() {
            managers = vec![None; teams as usize];
        }
        if managers.len() != teams as usize {
            return Err(ServiceError::Managers {
                id: settings.id().to_string(),
                teams,
                managers: managers.len(),
            }
            .into());
        }
        let value = DraftRecord {
            draft: Draft::new(settings),
            commissioner: commissioner.into(),
            managers,
        };
        let commit = Commit {
            writes: vec![Write::Draft {
                value: Box::new(value.clone()),
                expected: None,
            }],
            ..Commit::default()
        };
        self.store().commit(commit).await?;
        Ok(Stored { version: 1, value })
    }

    /// A draft.
    ///
    /// # Errors
    /// [`ServiceError::UnknownDraft`].
    pub async fn draft(&self, id: &DraftId) -> Result<Stored<DraftRecord>, Error> {
        Ok(self
            .store()
            .draft(id)
            .await?
            .ok_or_else(|| ServiceError::UnknownDraft { id: id.to_string() })?)
    }

    /// Drafts by id, optionally only those in `state`, paged.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    pub async fn drafts(
        &self,
        state: Option<DraftState>,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Stored<DraftRecord>>, Error> {
        Ok(self.store().drafts(state, limit, offset).await?)
    }

    /// Applies `command` to draft `id` now and commits the draft, its events and its pick
    /// clock. When another writer changed the draft between the read and the commit, the
    /// command is decided again on the new draft (a pick names its pick number, so a pick
    /// the clock took meanwhile is refused rather than applied to the next one).
    ///
    /// # Errors
    /// [`ServiceError::UnknownDraft`]; the [`DraftError`](crate::error::DraftError) or
    /// [`LifecycleError`](crate::error::LifecycleError) refusing the command (nothing
    /// changes); a conflict when the draft kept changing under the command.
    pub async fn draft_command(
        &self,
        id: &DraftId,
        command: &Command,
    ) -> Result<DraftChange, Error> {
        let mut tries = 0;
        loop {
            tries += 1;
            let Stored { version, mut value } = self.draft(id).await?;
            let events = value.draft.apply(command, self.clock().now())?;
            let commit = draft_commit(&value, version, &events);
            match self.store().commit(commit).await {
                Ok(_) => {
                    return Ok(DraftChange {
                        draft: Stored {
                            version: version.saturating_add(1),
                            value,
                        },
                        events,
                    })
                }
                Err(StoreError::Conflict { .. }) if tries < COMMAND_TRIES => continue,
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// The effect of a due pick-clock `deadline`: the auto-pick, its events and the next
    /// deadline, as a commit for a scheduler to commit with the deadline fenced (the
    /// scheduler adds it to [`Commit::fired_deadlines`]). A deadline whose sequence the
    /// draft has moved past, or of a draft that is gone, gives an empty commit: it is
    /// consumed and nothing else changes.
    ///
    /// # Errors
    /// A store failure, or a refusal of the timeout (the clock is not yet due at the
    /// service clock's now).
    pub async fn pick_clock_commit(&self, deadline: &Deadline) -> Result<Commit, Error> {
        let AggregateRef::Draft(id) = &deadline.key.aggregate else {
            return Ok(Commit::default());
        };
        let Some(Stored { version, mut value }) = self.store().draft(id).await? else {
            return Ok(Commit::default());
        };
        let current = value.draft.next_deadline();
        if current.map(|d| d.sequence) != Some(deadline.sequence) {
            return Ok(Commit::default());
        }
        let command = Command::Timeout {
            sequence: deadline.sequence,
        };
        let events = value.draft.apply(&command, self.clock().now())?;
        Ok(draft_commit(&value, version, &events))
    }
}

/// The commit of `record` changed from `expected` with `events`: the draft, the events and
/// the pick clock as the draft now has it.
fn draft_commit(record: &DraftRecord, expected: u64, events: &[Event]) -> Commit {
    let aggregate = AggregateRef::Draft(record.id().clone());
    let key = pick_clock(record.id());
    let mut commit = Commit {
        writes: vec![Write::Draft {
            value: Box::new(record.clone()),
            expected: Some(expected),
        }],
        events: events
            .iter()
            .map(|event| (aggregate.clone(), event.clone()))
            .collect(),
        ..Commit::default()
    };
    match record.draft.next_deadline() {
        Some(next) => commit.deadlines.push(Deadline {
            key,
            due: next.at,
            sequence: next.sequence,
        }),
        None => commit.cleared_deadlines.push(key),
    }
    commit
}
