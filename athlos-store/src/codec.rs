//! Conversions between the core's records and database columns, shared by both backends.

use athlos_core::competition::{Competition, Division};
use athlos_core::draft::DraftRecord;
use athlos_core::error::StoreError;
use athlos_core::store::{AggregateRef, DeadlineKey, DeliveryState, JobState, Write};
use athlos_core::tournament::Tournament;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A backend failure as the core's error.
pub(crate) fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        reason: error.to_string(),
    }
}

/// A document as JSON.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(value).map_err(backend)
}

/// A document as JSON text (no intermediate tree).
pub(crate) fn to_json_text<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(backend)
}

/// A document from JSON.
pub(crate) fn from_json<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Backend {
        reason: format!("stored document is invalid: {e}"),
    })
}

/// A document from JSON text.
pub(crate) fn from_json_text<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Backend {
        reason: format!("stored document is invalid: {e}"),
    })
}

/// The kind column of an aggregate (`competition`, `division`, `tournament`).
pub(crate) fn kind_and_id(aggregate: &AggregateRef) -> Result<(String, String), StoreError> {
    let json = to_json(aggregate)?;
    let kind = json.get("type").and_then(|v| v.as_str());
    let id = json.get("id").and_then(|v| v.as_str());
    match (kind, id) {
        (Some(kind), Some(id)) => Ok((kind.to_owned(), id.to_owned())),
        _ => Err(backend(format!("aggregate {aggregate} has no kind and id"))),
    }
}

/// What one aggregate write stores.
#[derive(Debug)]
pub(crate) struct WriteRow {
    pub kind: String,
    pub id: String,
    pub expected: Option<u64>,
    pub state: Option<String>,
    /// The document as JSON text.
    pub document: String,
    pub aggregate: AggregateRef,
}

pub(crate) fn write_row(write: &Write) -> Result<WriteRow, StoreError> {
    let aggregate = write.aggregate();
    let (kind, id) = kind_and_id(&aggregate)?;
    let (state, document) = match write {
        Write::Competition { value, .. } => (None, to_json_text(value)?),
        Write::Division { value, .. } => (Some(state_text(&value.state)?), to_json_text(value)?),
        Write::Tournament { value, .. } => (Some(state_text(&value.state)?), to_json_text(value)?),
        Write::Draft { value, .. } => (
            Some(state_text(&value.draft.state())?),
            to_json_text(value)?,
        ),
        other => {
            return Err(backend(format!(
                "this store cannot write {}",
                other.aggregate()
            )))
        }
    };
    Ok(WriteRow {
        kind,
        id,
        expected: write.expected(),
        state,
        document,
        aggregate,
    })
}

/// The text of a serde unit enum (a lifecycle state).
pub(crate) fn state_text<T: Serialize>(state: &T) -> Result<String, StoreError> {
    match to_json(state)? {
        serde_json::Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// The state column of a filter by lifecycle state.
pub(crate) fn state_filter<T: Serialize>(state: Option<T>) -> Result<Option<String>, StoreError> {
    state.as_ref().map(state_text).transpose()
}

/// The text key of a deadline's aggregate (`division:u73`), which sorts like [`AggregateRef`].
pub(crate) fn deadline_aggregate(key: &DeadlineKey) -> String {
    key.aggregate.to_string()
}

/// A deadline key from its columns.
pub(crate) fn deadline_key(aggregate: &str, purpose: String) -> Result<DeadlineKey, StoreError> {
    let (kind, id) = aggregate
        .split_once(':')
        .ok_or_else(|| backend(format!("invalid deadline aggregate {aggregate:?}")))?;
    let aggregate: AggregateRef = from_json(serde_json::json!({"type": kind, "id": id}))?;
    Ok(DeadlineKey { aggregate, purpose })
}

/// A subscription's scope from its column (`tournament:t1`, `competition:open`).
pub(crate) fn scope_of(text: &str) -> Result<AggregateRef, StoreError> {
    let (kind, id) = text
        .split_once(':')
        .ok_or_else(|| backend(format!("invalid webhook scope {text:?}")))?;
    from_json(serde_json::json!({"type": kind, "id": id}))
}

pub(crate) fn delivery_state(text: &str) -> Result<DeliveryState, StoreError> {
    DeliveryState::parse(text).ok_or_else(|| backend(format!("invalid delivery state {text:?}")))
}

pub(crate) fn job_state(text: &str) -> Result<JobState, StoreError> {
    JobState::parse(text).ok_or_else(|| backend(format!("invalid job state {text:?}")))
}

pub(crate) fn u64_of(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(backend)
}

pub(crate) fn i64_of(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(backend)
}

pub(crate) fn u32_of(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(backend)
}

pub(crate) fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// Microseconds since the Unix epoch (SQLite's time columns).
pub(crate) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

pub(crate) fn from_micros(value: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::<Utc>::from_timestamp_micros(value)
        .ok_or_else(|| backend(format!("invalid timestamp {value}")))
}

/// Documents decoded by kind.
pub(crate) trait Document: DeserializeOwned {
    const KIND: &'static str;
}

impl Document for Competition {
    const KIND: &'static str = "competition";
}
impl Document for Division {
    const KIND: &'static str = "division";
}
impl Document for Tournament {
    const KIND: &'static str = "tournament";
}
impl Document for DraftRecord {
    const KIND: &'static str = "draft";
}
