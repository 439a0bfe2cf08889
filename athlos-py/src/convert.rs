//! Values across the boundary: core values become the same JSON documents the HTTP API
//! sends, loaded with Python's `json` module; Python dicts are read the same way.

use pyo3::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::InvalidInput;

/// A serializable core value as plain Python data (dicts, lists, str, int, bool, None).
pub(crate) fn to_python<T: Serialize>(py: Python<'_>, value: &T) -> PyResult<Py<PyAny>> {
    let text = serde_json::to_string(value).map_err(|e| InvalidInput::new_err(e.to_string()))?;
    let loads = py.import("json")?.getattr("loads")?;
    Ok(loads.call1((text,))?.unbind())
}

/// Plain Python data (as `json.dumps` accepts it) as a core value.
pub(crate) fn from_python<T: DeserializeOwned>(
    value: &Bound<'_, PyAny>,
    what: &str,
) -> PyResult<T> {
    let dumps = value.py().import("json")?.getattr("dumps")?;
    let text: String = dumps
        .call1((value,))
        .map_err(|e| InvalidInput::new_err(format!("{what}: not JSON-like data: {e}")))?
        .extract()?;
    serde_json::from_str(&text).map_err(|e| InvalidInput::new_err(format!("{what}: {e}")))
}
