//! Domain events and runs as dicts: the envelope `athlos serve` writes to its log and sends
//! in streams and webhooks (`id`, `type`, `timestamp`, `version`, `data`), and the run
//! documents of `/v1/runs`.

use athlos_core::event::{Event, EventType};
use athlos_core::store::{Run, RunStatus};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use crate::convert::{from_python, to_python};
use crate::error::InvalidInput;

/// The dotted names of every event type, in catalog order.
#[pyfunction]
pub(crate) fn event_types() -> Vec<&'static str> {
    EventType::ALL.iter().map(|kind| kind.as_str()).collect()
}

/// The statuses of a run, in lifecycle order.
#[pyfunction]
pub(crate) fn run_statuses() -> Vec<&'static str> {
    RunStatus::ALL
        .iter()
        .map(|status| status.as_str())
        .collect()
}

/// Reads one run document — the body of `GET /v1/runs/{id}` (`str` or `bytes`), one of
/// `GET /v1/runs`'s `runs`, or a dict — checks it against the run's shape (status, attempts,
/// timestamps, the snapshot index of what it read and wrote) and returns it as a dict in the
/// form athlos writes. Raises `InvalidInput` naming what is wrong.
#[pyfunction]
pub(crate) fn parse_run(py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let run: Run = read(payload, "run")?;
    to_python(py, &run)
}

/// `payload` (JSON text, JSON bytes or a dict) as a `T`, or `InvalidInput` naming `what`.
fn read<T: serde::de::DeserializeOwned>(payload: &Bound<'_, PyAny>, what: &str) -> PyResult<T> {
    let parsed: Result<T, serde_json::Error> = if payload.cast::<PyString>().is_ok() {
        let text: String = payload.extract()?;
        serde_json::from_str(&text)
    } else if let Ok(bytes) = payload.cast::<PyBytes>() {
        serde_json::from_slice(bytes.as_bytes())
    } else {
        return from_python::<T>(payload, what);
    };
    parsed.map_err(|e| InvalidInput::new_err(format!("{what}: {e}")))
}

/// Reads one event envelope — a webhook body, an NDJSON stream line or an SSE `data:` field
/// (`str` or `bytes`), or a dict — checks it against the event catalog and returns it as a
/// dict in the form athlos writes. Raises `InvalidInput` naming what is wrong (an unknown
/// type, a missing field, a payload that does not fit its type).
#[pyfunction]
pub(crate) fn parse_event(py: Python<'_>, payload: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
    let event: Event = read(payload, "event")?;
    to_python(py, &event)
}
