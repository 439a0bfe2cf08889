//! `athlos.Swiss`: a Swiss tournament read from TRF-16, paired by the FIDE Dutch system, with
//! FIDE tie-break standings.

use athlos_core::swiss::{pair_next_round, rounds_paired};
use athlos_core::tiebreak::{parse_list, standings, PointSystem};
use athlos_core::trf::TrfDocument;
use pyo3::prelude::*;

use crate::convert::to_python;
use crate::error::InvalidInput;

/// A Swiss tournament as a TRF-16 document.
#[pyclass(name = "Swiss", module = "athlos", skip_from_py_object)]
#[derive(Debug, Clone)]
pub struct PySwiss {
    document: TrfDocument,
}

#[pymethods]
impl PySwiss {
    /// Reads a TRF-16 file's text; errors name the line and column.
    #[staticmethod]
    fn from_trf(text: &str) -> PyResult<Self> {
        let document =
            TrfDocument::parse(text).map_err(|e| InvalidInput::new_err(e.to_string()))?;
        if document.players.is_empty() {
            return Err(InvalidInput::new_err("no player lines (001) found"));
        }
        Ok(Self { document })
    }

    /// The document as TRF-16 text (what `from_trf` reads back identically).
    fn to_trf(&self) -> String {
        self.document.write()
    }

    /// Rounds with recorded pairings.
    #[getter]
    fn rounds_played(&self) -> u32 {
        rounds_paired(&self.document.to_tournament())
    }

    /// The FIDE Dutch pairing of the next round: `{"pairs": [[white, black], …], "bye": n or
    /// None}` by starting number, the same pairing `athlos pair` prints.
    fn pair_next_round(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let pairing = pair_next_round(&self.document.to_tournament())
            .map_err(|e| InvalidInput::new_err(e.to_string()))?;
        to_python(py, &pairing)
    }

    /// Standings after the recorded rounds with the tie-breaks named by their FIDE codes
    /// (`"BH:C1,BH,SB,DE"`); tie-break values are in hundredths.
    #[pyo3(signature = (tiebreaks="BH:C1,BH,SB,DE"))]
    fn standings(&self, py: Python<'_>, tiebreaks: &str) -> PyResult<Py<PyAny>> {
        let order = parse_list(tiebreaks).map_err(|e| InvalidInput::new_err(e.to_string()))?;
        let rows = standings(
            &self.document.to_tournament(),
            &order,
            PointSystem::default(),
        );
        to_python(py, &rows)
    }

    fn __repr__(&self) -> String {
        format!("Swiss(players={})", self.document.players.len())
    }
}
