//! Conversions between the core's records and database columns, shared by both backends.

use athlos_core::error::StoreError;
use athlos_core::store::{AggregateRef, Write};
use serde::Serialize;
use serde_json::{json, Value};

use crate::Result;

/// A backend failure as the core's error.
pub(crate) fn backend(error: impl std::fmt::Display) -> StoreError {
    StoreError::Backend {
        reason: error.to_string(),
    }
}

/// A stored document that does not decode.
pub(crate) fn invalid(error: impl std::fmt::Display) -> StoreError {
    backend(format!("stored document is invalid: {error}"))
}

/// A document as JSON text (no intermediate tree).
pub(crate) fn to_json_text<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(backend)
}

/// The kind and id columns of an aggregate (`competition`, `division`, `tournament`, `draft`,
/// `user`, `username`, `session`, `chat`).
pub(crate) fn kind_and_id(aggregate: &AggregateRef) -> Result<(String, String)> {
    let json = serde_json::to_value(aggregate).map_err(backend)?;
    match (json["type"].as_str(), json["id"].as_str()) {
        (Some(kind), Some(id)) => Ok((kind.to_owned(), id.to_owned())),
        _ => Err(backend(format!("aggregate {aggregate} has no kind and id"))),
    }
}

/// An aggregate from its text (`division:u73`, as it displays: deadlines and webhook scopes).
pub(crate) fn aggregate_ref(text: &str) -> Option<AggregateRef> {
    let (kind, id) = text.split_once(':')?;
    serde_json::from_value(json!({"type": kind, "id": id})).ok()
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

pub(crate) fn write_row(write: &Write) -> Result<WriteRow> {
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
        Write::User { value, .. } => (None, to_json_text(value)?),
        Write::UsernameClaim { value, .. } => (None, to_json_text(value)?),
        Write::Session { value, .. } => (None, to_json_text(value)?),
        Write::Chat { value, .. } => (None, to_json_text(value)?),
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
pub(crate) fn state_text<T: Serialize>(state: &T) -> Result<String> {
    match serde_json::to_value(state).map_err(backend)? {
        Value::String(s) => Ok(s),
        other => Ok(other.to_string()),
    }
}

/// The state column of a filter by lifecycle state.
pub(crate) fn state_filter<T: Serialize>(state: Option<T>) -> Result<Option<String>> {
    state.as_ref().map(state_text).transpose()
}

pub(crate) fn u64_of(value: i64) -> Result<u64> {
    u64::try_from(value).map_err(backend)
}

pub(crate) fn i64_of(value: u64) -> Result<i64> {
    i64::try_from(value).map_err(backend)
}

pub(crate) fn u32_of(value: i64) -> Result<u32> {
    u32::try_from(value).map_err(backend)
}

pub(crate) fn limit_of(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}
