//! `athlos.draw`, `athlos.Bracket`.

use athlos_core::bracket::{Bracket, BracketOptions, MatchId, MatchResult};
use athlos_core::model::ParticipantId;
use athlos_core::report::DrawReport;
use athlos_core::seeding::SeedOrdering;
use athlos_core::service::write_bracket_result;
use pyo3::prelude::*;
use serde::Serialize;

use crate::convert::{from_python, to_python};
use crate::error::{bracket_error, to_py, InvalidInput, ResultExists};
use crate::participant::participant_from;

/// Draws a field into a bracket.
///
/// `participants` are `Participant` objects or dicts. Options take their names and defaults
/// from the Rust `BracketOptions`; enums are given by their string names
/// (`format="repechage"`, `ordering="inner_outer"`, `grand_final="double"`).
#[pyfunction]
#[pyo3(signature = (
    participants,
    *,
    format="single_elimination",
    ordering="inner_outer",
    seed=0,
    max_seeds=None,
    balance_byes=false,
    third_place=false,
    grand_final="simple",
    groups=None,
    advance_per_group=2,
    double_round_robin=false,
    separate_clubs=true,
    separate_nations=true,
))]
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw(
    participants: Vec<Bound<'_, PyAny>>,
    format: &str,
    ordering: &str,
    seed: u64,
    max_seeds: Option<u32>,
    balance_byes: bool,
    third_place: bool,
    grand_final: &str,
    groups: Option<u32>,
    advance_per_group: u32,
    double_round_robin: bool,
    separate_clubs: bool,
    separate_nations: bool,
) -> PyResult<PyBracket> {
    let field = participants
        .iter()
        .map(participant_from)
        .collect::<PyResult<Vec<_>>>()?;
    // Options go through the same deserializer as the HTTP API, so unknown names get the
    // same messages everywhere.
    let document = serde_json::json!({
        "format": format,
        "ordering": ordering,
        "balance_byes": balance_byes,
        "third_place": third_place,
        "grand_final": grand_final,
        "groups": groups,
        "advance_per_group": advance_per_group,
        "double_round_robin": double_round_robin,
        "max_seeds": max_seeds,
        "separate_clubs": separate_clubs,
        "separate_nations": separate_nations,
    });
    let options: BracketOptions = serde_json::from_value(document)
        .map_err(|e| InvalidInput::new_err(format!("invalid option: {e}")))?;
    let bracket = athlos_core::draw(&field, &options, seed).map_err(to_py)?;
    Ok(PyBracket { inner: bracket })
}

/// The names of the first-round orderings.
#[pyfunction]
pub(crate) fn orderings() -> Vec<&'static str> {
    SeedOrdering::ALL.iter().map(|o| o.name()).collect()
}

/// A bracket of any format: structure, draw, results and withdrawals.
#[pyclass(name = "Bracket", module = "athlos", skip_from_py_object)]
#[derive(Debug, Clone)]
pub struct PyBracket {
    pub(crate) inner: Bracket,
}

fn match_id(text: &str) -> PyResult<MatchId> {
    text.parse::<MatchId>()
        .map_err(|e| bracket_error(&e, e.to_string()))
}

fn participant_id(text: &str) -> PyResult<ParticipantId> {
    ParticipantId::new(text).map_err(|e| InvalidInput::new_err(e.to_string()))
}

#[pymethods]
impl PyBracket {
    /// The concrete format name (`auto` resolved).
    #[getter]
    fn format(&self) -> &'static str {
        self.inner.format().name()
    }

    /// Number of rounds of the main bracket.
    #[getter]
    fn rounds(&self) -> u32 {
        self.inner.rounds()
    }

    /// Every match as a dict, ordered by id.
    #[getter]
    fn matches(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner.matches())
    }

    /// Whether every match is decided.
    #[getter]
    fn is_complete(&self) -> bool {
        self.inner.is_complete()
    }

    /// The draw quality report as a dict.
    fn report(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &DrawReport::for_bracket(&self.inner))
    }

    /// Records a result: a win for `winner`, a draw (pools only), a walkover for `winner`, or
    /// a double forfeit (`double_forfeit=True`, no winner: an abandoned match both sides
    /// lose; in a knockout neither advances and the next opponent goes through by bye).
    /// `score` is in slot order and only informs pool tie-breaks.
    ///
    /// A match that already has a result keeps it: the same result again changes nothing;
    /// another one raises `ResultExists` (its `recorded` attribute holds the recorded result)
    /// unless `correction=True`, which replaces it while no match depending on this one has
    /// been played (`IllegalTransition` otherwise).
    #[pyo3(signature = (match_id, winner=None, *, draw=false, walkover=false, score=None, correction=false, double_forfeit=false))]
    #[allow(clippy::too_many_arguments)]
    fn record_result(
        &mut self,
        py: Python<'_>,
        match_id: &str,
        winner: Option<&str>,
        draw: bool,
        walkover: bool,
        score: Option<[u32; 2]>,
        correction: bool,
        double_forfeit: bool,
    ) -> PyResult<()> {
        let id = self::match_id(match_id)?;
        let result = match (winner, draw, walkover, double_forfeit) {
            (Some(w), false, false, false) => MatchResult::Win {
                winner: participant_id(w)?,
                score,
            },
            (None, true, false, false) => MatchResult::Draw { score },
            (Some(w), false, true, false) => MatchResult::Walkover {
                winner: participant_id(w)?,
            },
            (None, false, false, true) if score.is_none() => MatchResult::DoubleForfeit {},
            _ => return Err(InvalidInput::new_err(
                "give a winner, or draw=True without a winner, or a winner with walkover=True, or double_forfeit=True alone",
            )),
        };
        write_bracket_result(&mut self.inner, &id, result, correction)
            .map(|_| ())
            .map_err(|e| result_error(py, e))
    }

    /// Withdraws a participant: their pending matches become walkovers for the opponents.
    fn withdraw(&mut self, participant_id: &str) -> PyResult<()> {
        let id = self::participant_id(participant_id)?;
        self.inner
            .withdraw(&id)
            .map_err(|e| bracket_error(&e, e.to_string()))
    }

    /// Final placements as a list of `{"place", "participant"}` dicts (shared places repeat).
    fn placements(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let placements = self
            .inner
            .placements()
            .map_err(|e| bracket_error(&e, e.to_string()))?;
        to_python(py, &placements)
    }

    /// The bracket document as a dict (the HTTP API's JSON).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner)
    }

    /// The bracket document as JSON text: compact, or indented by `indent` spaces (the
    /// command line's `--json` output is `to_json(indent=2)` plus a newline).
    #[pyo3(signature = (indent=None))]
    fn to_json(&self, indent: Option<usize>) -> PyResult<String> {
        let error = |e: serde_json::Error| InvalidInput::new_err(e.to_string());
        let Some(indent) = indent else {
            return serde_json::to_string(&self.inner).map_err(error);
        };
        let spaces = vec![b' '; indent.min(16)];
        let mut out = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(&spaces);
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        self.inner.serialize(&mut serializer).map_err(error)?;
        String::from_utf8(out).map_err(|e| InvalidInput::new_err(e.to_string()))
    }

    /// The bracket as a self-contained SVG picture: the same bytes as the core's
    /// `Bracket::to_svg`, `athlos bracket --svg` and the HTTP `bracket.svg` routes.
    fn to_svg(&self) -> String {
        self.inner.to_svg()
    }

    /// A bracket from its JSON document; the document is checked against its structure.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Self> {
        serde_json::from_str(text)
            .map(|inner| Self { inner })
            .map_err(|e| InvalidInput::new_err(format!("invalid bracket document: {e}")))
    }

    /// A bracket from a dict as `to_dict()` returns it.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            inner: from_python(data, "bracket")?,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Bracket(format={:?}, participants={}, matches={})",
            self.inner.format().name(),
            self.inner.participants().len(),
            self.inner.matches().len()
        )
    }
}

/// A refused result write: `ResultExists` with the recorded result as its `recorded`
/// attribute, or the error's usual exception.
fn result_error(py: Python<'_>, error: athlos_core::Error) -> PyErr {
    if let athlos_core::Error::Service(athlos_core::error::ServiceError::ResultExists {
        recorded,
        ..
    }) = &error
    {
        let exists = crate::error::with_code(
            ResultExists::new_err(error.to_string()),
            error.code(),
            error.kind().as_str(),
        );
        match to_python(py, recorded) {
            Ok(value) => {
                if let Err(failed) = exists.value(py).setattr("recorded", value) {
                    return failed;
                }
            }
            Err(failed) => return failed,
        }
        return exists;
    }
    to_py(error)
}
