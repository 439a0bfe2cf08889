//! Results that cannot be lost.
//!
//! The rules every result write follows, for division brackets and tournaments alike:
//!
//! - A match without a result takes the one given (`match.result`).
//! - The same result again is accepted and changes nothing: the aggregate as it stands, no
//!   new event, no new version (a retried request, or two clients entering the same result).
//! - A different result for a match that has one is refused with
//!   [`ServiceError::ResultExists`], which carries the recorded result, unless the write is
//!   an explicit correction ([`ResultWrite::correction`]). A correction is accepted while no
//!   match that depends on this one has been played (the bracket's
//!   [`BracketError::DependentPlayed`](crate::error::BracketError::DependentPlayed)
//!   otherwise) and is logged as `match.corrected` with the previous and the new result.
//! - A write may name the aggregate version its writer last read
//!   ([`ResultWrite::expecting`], HTTP's `If-Match`): when the aggregate has moved on, the
//!   write is refused with [`ServiceError::PreconditionFailed`] and the current version.
//!
//! When two writers race without an expected version, the loser's commit conflicts; the
//! write is then decided again against what the winner committed, so the loser sees the
//! winner's result: the same one is a no-op, another one is `ResultExists`. Nothing is
//! overwritten without the writer saying so.

use crate::bracket::{Bracket, BracketError, MatchId, MatchResult};
use crate::clock::Clock;
use crate::competition::Division;
use crate::error::Error;
use crate::event::{Event, EventData, EventType, MatchOwner};
use crate::id::DivisionId;
use crate::lifecycle::{BracketAction, BracketContext, BracketLifecycle, Lifecycle};
use crate::store::{AggregateRef, Commit, Store, StoreError, Stored, Write};

use super::{emitted, next_version, Service, ServiceError};

/// How a result is written: plainly or as a correction, and optionally only while the
/// aggregate is at the version the writer read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResultWrite {
    /// Replace a recorded result that differs (`match.corrected`). Without it, a different
    /// result for a match that has one is [`ServiceError::ResultExists`].
    pub correction: bool,
    /// The aggregate version the writer read; another current version is
    /// [`ServiceError::PreconditionFailed`].
    pub expected_version: Option<u64>,
}

impl ResultWrite {
    /// A plain write: records a result where there is none.
    pub fn record() -> Self {
        Self::default()
    }

    /// An explicit correction.
    pub fn correction() -> Self {
        Self {
            correction: true,
            expected_version: None,
        }
    }

    /// The same write, refused unless the aggregate is at `version`.
    #[must_use]
    pub fn expecting(self, version: u64) -> Self {
        Self {
            expected_version: Some(version),
            ..self
        }
    }
}

/// What a result write did to a match.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Written {
    /// The match had no result: the result is recorded.
    Recorded,
    /// The match had the same result: nothing changed.
    Unchanged,
    /// The match had another result, which the correction replaced.
    Corrected {
        /// The result recorded before.
        previous: MatchResult,
    },
}

/// Writes a result into a bracket by the result rules (see [`ResultWrite`]), without a lifecycle
/// or a store (the Python `Bracket.record_result` is this).
///
/// # Errors
/// [`ServiceError::ResultExists`] for another result without `correction`; the bracket's
/// [`BracketError`] ([`BracketError::DependentPlayed`] for a correction whose consequences
/// were played). The bracket is unchanged on error.
pub fn write_bracket_result(
    bracket: &mut Bracket,
    match_id: &MatchId,
    result: MatchResult,
    correction: bool,
) -> Result<Written, Error> {
    let recorded = bracket
        .match_by_id(match_id)
        .ok_or(BracketError::UnknownMatch {
            match_id: *match_id,
        })?
        .result
        .as_ref();
    let write = ResultWrite {
        correction,
        expected_version: None,
    };
    let written = match outcome(*match_id, recorded, &result, write)? {
        Outcome::Unchanged => return Ok(Written::Unchanged),
        Outcome::Record => Written::Recorded,
        Outcome::Correct(previous) => Written::Corrected { previous },
    };
    bracket.record_result(match_id, result)?;
    Ok(written)
}

/// How many times a write without an expected version is decided again after losing a race.
const ATTEMPTS: u32 = 16;

/// What a result write does to a match, given the result it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// No result yet: record it.
    Record,
    /// The same result is recorded: nothing to do.
    Unchanged,
    /// Replace this recorded result.
    Correct(MatchResult),
}

/// The rules of the module documentation, for one match.
pub(super) fn outcome(
    match_id: MatchId,
    recorded: Option<&MatchResult>,
    result: &MatchResult,
    write: ResultWrite,
) -> Result<Outcome, ServiceError> {
    match recorded {
        None => Ok(Outcome::Record),
        Some(recorded) if recorded == result => Ok(Outcome::Unchanged),
        Some(recorded) if write.correction => Ok(Outcome::Correct(recorded.clone())),
        Some(recorded) => Err(ServiceError::ResultExists {
            match_id,
            recorded: recorded.clone(),
        }),
    }
}

/// Refuses a write expecting another version than `current`.
pub(super) fn check_version(write: ResultWrite, current: u64) -> Result<(), ServiceError> {
    match write.expected_version {
        Some(expected) if expected != current => {
            Err(ServiceError::PreconditionFailed { expected, current })
        }
        _ => Ok(()),
    }
}

/// The payloads of a result write: `match.result` becomes `match.corrected` for a correction.
pub(super) fn corrected(data: Vec<EventData>, outcome: &Outcome) -> Vec<EventData> {
    let Outcome::Correct(previous) = outcome else {
        return data;
    };
    data.into_iter()
        .map(|d| match d {
            EventData::MatchResult {
                owner,
                match_id,
                result,
                ..
            } => EventData::MatchCorrected {
                owner,
                match_id,
                previous: previous.clone(),
                result,
            },
            other => other,
        })
        .collect()
}

/// Whether a failed attempt lost a race that deciding again may settle.
pub(super) fn lost_race(error: &Error) -> bool {
    matches!(error, Error::Store(StoreError::Conflict { .. }))
}

/// After a lost race: a write that expected a version is refused with the current one; a
/// plain write is decided again, up to [`ATTEMPTS`] times.
pub(super) fn after_race(
    error: Error,
    write: ResultWrite,
    attempt: u32,
    current: u64,
) -> Result<(), Error> {
    match write.expected_version {
        Some(expected) if expected != current => {
            Err(ServiceError::PreconditionFailed { expected, current }.into())
        }
        Some(_) => Err(error),
        None if attempt >= ATTEMPTS => Err(error),
        None => Ok(()),
    }
}

impl<S: Store, C: Clock> Service<S, C> {
    /// Records a result in a locked bracket by the result rules (see [`ResultWrite`]): refused
    /// with [`ServiceError::ResultExists`] when the match already has another result; the
    /// same result again changes nothing. The final result also completes the bracket
    /// (`bracket.completed` with the placements) in the same commit.
    ///
    /// # Errors
    /// As [`Service::write_division_result`].
    pub async fn record_division_result(
        &self,
        id: &DivisionId,
        match_id: MatchId,
        result: MatchResult,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        self.write_division_result(id, match_id, result, ResultWrite::record())
            .await
    }

    /// Records or corrects a result in a locked bracket by the result rules (see [`ResultWrite`]).
    /// The events are empty when the same result was already recorded.
    ///
    /// # Errors
    /// [`ServiceError::PreconditionFailed`]; [`ServiceError::ResultExists`];
    /// [`LifecycleError`](crate::error::LifecycleError) unless locked and not complete; the
    /// bracket's [`BracketError`] (a correction whose dependent match was played is
    /// [`BracketError::DependentPlayed`]); a conflict when the race was lost too often.
    pub async fn write_division_result(
        &self,
        id: &DivisionId,
        match_id: MatchId,
        result: MatchResult,
        write: ResultWrite,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let mut attempt = 1;
        loop {
            match self.try_division_result(id, match_id, &result, write).await {
                Err(error) if lost_race(&error) => {
                    let current = self.division(id).await?.version;
                    after_race(error, write, attempt, current)?;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn try_division_result(
        &self,
        id: &DivisionId,
        match_id: MatchId,
        result: &MatchResult,
        write: ResultWrite,
    ) -> Result<(Stored<Division>, Vec<Event>), Error> {
        let Stored { version, mut value } = self.division(id).await?;
        check_version(write, version)?;
        let bracket = value
            .bracket
            .as_ref()
            .ok_or_else(|| ServiceError::NoBracket {
                division: id.to_string(),
            })?;
        let recorded = bracket
            .match_by_id(&match_id)
            .ok_or(BracketError::UnknownMatch { match_id })?
            .result
            .as_ref();
        let outcome = outcome(match_id, recorded, result, write)?;
        if outcome == Outcome::Unchanged {
            return Ok((Stored { version, value }, Vec::new()));
        }
        let step = BracketLifecycle::apply(
            value.state,
            BracketAction::RecordResult,
            &BracketContext {
                complete: bracket.is_complete(),
            },
        )?;
        let bracket = value
            .bracket
            .as_mut()
            .ok_or_else(|| ServiceError::NoBracket {
                division: id.to_string(),
            })?;
        bracket.record_result(&match_id, result.clone())?;
        let data = emitted(&step.action, step.emits, |kind| {
            (kind == EventType::MatchResult).then(|| EventData::MatchResult {
                owner: MatchOwner::Division(id.clone()),
                match_id,
                result: result.clone(),
                round: None,
            })
        })?;
        let mut data = corrected(data, &outcome);
        value.state = step.to;
        let context = BracketContext {
            complete: bracket.is_complete(),
        };
        if context.complete {
            let done = BracketLifecycle::apply(value.state, BracketAction::Complete, &context)?;
            let placements = bracket.placements()?;
            data.extend(emitted(&done.action, done.emits, |kind| {
                (kind == EventType::BracketCompleted).then(|| EventData::BracketCompleted {
                    division: id.clone(),
                    placements: placements.clone(),
                })
            })?);
            value.state = done.to;
        }
        let next = next_version(version);
        let aggregate = AggregateRef::Division(id.clone());
        let commit = Commit {
            writes: vec![Write::Division {
                value: value.clone(),
                expected: Some(version),
            }],
            ..Commit::default()
        };
        let now = self.clock().now();
        let events = self
            .commit_with_events(commit, &aggregate, next, now, data)
            .await?;
        Ok((
            Stored {
                version: next,
                value,
            },
            events,
        ))
    }
}
