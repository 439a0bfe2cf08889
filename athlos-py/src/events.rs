//! Domain events as dicts: the envelope `athlos serve` writes to its log and sends in streams
//! and webhooks (`id`, `type`, `timestamp`, `version`, `data`).

use athlos_core::event::{Event, EventType};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::{from_python, to_python};
use crate::error::InvalidInput;

/// The dotted names of every event type, in catalog order.
#[pyfunction]
pub(crate) fn event_types() -> Vec<&'static str> {
    EventType::ALL.iter().map(|kind| kind.as_str()).collect()
}

/// Reads one event envelope — a webhook body, an NDJSON stream line or an SSE `data:` field
/// (`str` or `bytes`), or a dict — checks it against the event catalog and returns it as a
/// dict in the form athlos writes. Raises `InvalidInput` naming what is wrong (an unknown
/// type, a missing field, a payload that does not fit its type).
#[pyfunction]
pub(crate) fn parse_event(py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let parsed: Result<Event, serde_json::Error> = if payload.cast::<PyString>().is_ok() {
        let text: String = payload.extract()?;
        serde_json::from_str(&text)
    } else if let Ok(bytes) = payload.cast::<PyBytes>() {
        serde_json::from_slice(bytes.as_bytes())
    } else {
        return to_python(py, &from_python::<Event>(payload, "event")?);
    };
    let event = parsed.map_err(|e| InvalidInput::new_err(format!("event: {e}")))?;
    to_python(py, &event)
}
