//! Who directs an event or tournament, and the tournament settings the core's rules do not
//! carry (self-reporting, auto-advance).
//!
//! The aggregates have no owner field, so the record is kept in the store's job queue under
//! an idempotency key, `athlos.director:{aggregate}`, as a job of kind `director_record`
//! that never becomes due (no worker ever claims it). Enqueueing with the same key returns
//! the record already there, which makes the first creator the director atomically in every
//! store, and the record survives restarts with the store.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use athlos_core::store::{AggregateRef, JobStore, NewJob};

use super::auth::Caller;
use super::error::ApiError;
use super::store::SharedStore;

/// The job kind of director records.
pub const KIND: &str = "director_record";

/// A director record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Director {
    /// The subject that created the aggregate (`None`: created outside the API; admins only).
    pub director: Option<String>,
    /// Entrants may report the results of their own matches.
    #[serde(default)]
    pub self_reporting: bool,
    /// The tournament advances by itself when the last result of a round arrives.
    #[serde(default)]
    pub auto_advance: bool,
}

impl Director {
    /// Whether `caller` may act as director.
    pub fn allows(&self, caller: &Caller) -> bool {
        caller.is_admin() || self.director.as_deref() == Some(caller.sub())
    }

    /// 403 unless `caller` may act as director.
    pub fn require(&self, caller: &Caller) -> Result<(), ApiError> {
        if self.allows(caller) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                "only the director (the creator) or an admin may do this",
            ))
        }
    }
}

fn never() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(9999, 12, 31)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map_or(DateTime::<Utc>::MAX_UTC, |t| t.and_utc())
}

fn key(aggregate: &AggregateRef) -> String {
    format!("athlos.director:{aggregate}")
}

async fn record(
    store: &SharedStore,
    aggregate: &AggregateRef,
    proposed: &Director,
) -> Result<Director, ApiError> {
    let payload = serde_json::to_value(proposed).map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            e.to_string(),
        )
    })?;
    let job = store
        .enqueue(
            NewJob::new(KIND, payload, never())
                .with_key(key(aggregate))
                .with_max_attempts(1),
        )
        .await?;
    Ok(serde_json::from_value(job.payload).unwrap_or_default())
}

/// Makes `proposed.director` the director of `aggregate`, or answers 409 when someone else
/// already is. A record outlives a deleted tournament: its director may create the id again
/// with the same settings, and nobody else may take it over.
///
/// Call [`check_claim`] before creating the aggregate and this after: a create that is
/// refused then leaves no record behind.
///
/// # Errors
/// 409 `id_taken`; the store's errors.
pub async fn claim(
    store: &SharedStore,
    aggregate: &AggregateRef,
    proposed: Director,
) -> Result<Director, ApiError> {
    let found = record(store, aggregate, &proposed).await?;
    judge(aggregate, &found, &proposed)?;
    Ok(found)
}

/// Answers, without writing, the 409 [`claim`] would answer.
///
/// # Errors
/// 409 `id_taken`; the store's errors.
pub async fn check_claim(
    store: &SharedStore,
    aggregate: &AggregateRef,
    proposed: &Director,
) -> Result<(), ApiError> {
    match store.job_by_key(&key(aggregate)).await? {
        Some(job) => judge(
            aggregate,
            &serde_json::from_value(job.payload).unwrap_or_default(),
            proposed,
        ),
        None => Ok(()),
    }
}

fn judge(aggregate: &AggregateRef, found: &Director, proposed: &Director) -> Result<(), ApiError> {
    if found.director != proposed.director {
        return Err(taken(aggregate));
    }
    if found != proposed {
        return Err(ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "id_taken",
            format!(
                "{aggregate} is already claimed with self_reporting {} and auto_advance {} \
                 (a deleted tournament's id keeps its settings): use them or another id",
                found.self_reporting, found.auto_advance
            ),
        ));
    }
    Ok(())
}

/// 409 `id_taken` for `aggregate`.
pub fn taken(aggregate: &AggregateRef) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::CONFLICT,
        "id_taken",
        format!("{aggregate} already exists"),
    )
}

/// The director record of an existing `aggregate`, read without writing (one without a
/// record gets an empty one: only admins may write to it).
///
/// # Errors
/// The store's errors.
pub async fn of(store: &SharedStore, aggregate: &AggregateRef) -> Result<Director, ApiError> {
    let found = store.job_by_key(&key(aggregate)).await?;
    Ok(found
        .and_then(|job| serde_json::from_value(job.payload).ok())
        .unwrap_or_default())
}
