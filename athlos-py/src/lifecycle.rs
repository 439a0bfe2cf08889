//! `athlos.states`, `athlos.allowed_actions`, `athlos.diff`: the lifecycle tables and bracket
//! diffs.

use athlos_core::diff::{text_diff, BracketDiff};
use athlos_core::lifecycle::{
    BracketLifecycle, DraftLifecycle, Lifecycle, MatchLifecycle, TournamentLifecycle,
};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::bracket::PyBracket;
use crate::convert::to_python;
use crate::error::InvalidInput;

const MACHINES: &str = "bracket, tournament, match, draft";

fn states_of<L: Lifecycle>() -> Vec<String> {
    L::states().iter().map(ToString::to_string).collect()
}

fn actions_of<L: Lifecycle>(state: &str) -> PyResult<Vec<String>> {
    let found = L::states()
        .iter()
        .find(|s| s.to_string() == state)
        .ok_or_else(|| {
            InvalidInput::new_err(format!(
                "unknown {} state {state:?}; expected one of {}",
                L::NAME,
                states_of::<L>().join(", ")
            ))
        })?;
    Ok(L::allowed(*found).iter().map(ToString::to_string).collect())
}

/// Every state of a lifecycle machine (`bracket`, `tournament`, `match`, `draft`).
#[pyfunction]
pub(crate) fn states(machine: &str) -> PyResult<Vec<String>> {
    match machine {
        "bracket" => Ok(states_of::<BracketLifecycle>()),
        "tournament" => Ok(states_of::<TournamentLifecycle>()),
        "match" => Ok(states_of::<MatchLifecycle>()),
        "draft" => Ok(states_of::<DraftLifecycle>()),
        other => Err(InvalidInput::new_err(format!(
            "unknown machine {other:?}; expected one of {MACHINES}"
        ))),
    }
}

/// The actions a machine's table allows in `state` ("what may I do now?").
#[pyfunction]
pub(crate) fn allowed_actions(machine: &str, state: &str) -> PyResult<Vec<String>> {
    match machine {
        "bracket" => actions_of::<BracketLifecycle>(state),
        "tournament" => actions_of::<TournamentLifecycle>(state),
        "match" => actions_of::<MatchLifecycle>(state),
        "draft" => actions_of::<DraftLifecycle>(state),
        other => Err(InvalidInput::new_err(format!(
            "unknown machine {other:?}; expected one of {MACHINES}"
        ))),
    }
}

/// The structural diff of two brackets (`changes`, as the HTTP API returns it) and a readable
/// unified text diff (`text`).
#[pyfunction]
pub(crate) fn diff(py: Python<'_>, old: &PyBracket, new: &PyBracket) -> PyResult<Py<PyAny>> {
    let result = PyDict::new(py);
    result.set_item(
        "changes",
        to_python(py, &BracketDiff::between(&old.inner, &new.inner))?,
    )?;
    result.set_item("text", text_diff(&old.inner, &new.inner, "old", "new"))?;
    Ok(result.into_any().unbind())
}
