//! `athlos.Participant`.

use std::collections::BTreeMap;

use athlos_core::model::{Participant, ParticipantId};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{from_python, to_python};
use crate::error::InvalidInput;

/// Someone (or something) taking part: an id, a name, and optional rating, rank, seed, club,
/// nation and metadata.
#[pyclass(
    name = "Participant",
    module = "athlos",
    frozen,
    eq,
    skip_from_py_object
)]
#[derive(Debug, Clone, PartialEq)]
pub struct PyParticipant {
    pub(crate) inner: Participant,
}

#[pymethods]
impl PyParticipant {
    #[new]
    #[pyo3(signature = (id, name, *, rating=None, rank=None, seed=None, club=None, nation=None, metadata=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: String,
        name: String,
        rating: Option<u32>,
        rank: Option<u32>,
        seed: Option<u32>,
        club: Option<String>,
        nation: Option<String>,
        metadata: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let id = ParticipantId::new(id).map_err(|e| InvalidInput::new_err(e.to_string()))?;
        let metadata: BTreeMap<String, serde_json::Value> = match metadata {
            Some(dict) => from_python(dict.as_any(), "metadata")?,
            None => BTreeMap::new(),
        };
        Ok(Self {
            inner: Participant {
                id,
                name,
                rating,
                rank,
                seed,
                club,
                nation,
                metadata,
            },
        })
    }

    /// The id.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id.as_str()
    }

    /// The display name.
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }

    /// Rating (higher is stronger), if given.
    #[getter]
    fn rating(&self) -> Option<u32> {
        self.inner.rating
    }

    /// Ranking position (1 is best), if given.
    #[getter]
    fn rank(&self) -> Option<u32> {
        self.inner.rank
    }

    /// Explicit seed (1 is the top seed), if given.
    #[getter]
    fn seed(&self) -> Option<u32> {
        self.inner.seed
    }

    /// Club, if given.
    #[getter]
    fn club(&self) -> Option<&str> {
        self.inner.club.as_deref()
    }

    /// Nation, if given.
    #[getter]
    fn nation(&self) -> Option<&str> {
        self.inner.nation.as_deref()
    }

    /// The participant as a dict (the JSON document of the HTTP API).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner)
    }

    /// A participant from a dict with the same keys as `to_dict()`.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            inner: from_python(data, "participant")?,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Participant(id={:?}, name={:?})",
            self.inner.id.as_str(),
            self.inner.name
        )
    }
}

/// A participant given as `Participant` or as a dict.
pub(crate) fn participant_from(value: &Bound<'_, PyAny>) -> PyResult<Participant> {
    if let Ok(p) = value.cast::<PyParticipant>() {
        return Ok(p.get().inner.clone());
    }
    from_python(value, "participant")
}
