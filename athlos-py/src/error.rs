//! The `athlos.AthlosError` hierarchy and the one mapping from core errors.

use athlos_core::error::{BracketError, ServiceError};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    athlos,
    AthlosError,
    PyException,
    "Base of every error Athlos raises."
);
create_exception!(
    athlos,
    InvalidInput,
    AthlosError,
    "The input is malformed or breaks a rule: bad ids, options, documents or results."
);
create_exception!(
    athlos,
    IllegalTransition,
    AthlosError,
    "The action is not allowed in the current state (e.g. a result for a match not ready)."
);
create_exception!(
    athlos,
    NotFound,
    AthlosError,
    "An id names nothing: unknown match or participant."
);
create_exception!(
    athlos,
    Conflict,
    AthlosError,
    "A concurrent change won: the expected version did not match."
);

create_exception!(
    athlos,
    ResultExists,
    Conflict,
    "The match already has another result; `recorded` holds it. Pass `correction=True` to replace it."
);

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AthlosError", py.get_type::<AthlosError>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("IllegalTransition", py.get_type::<IllegalTransition>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("Conflict", py.get_type::<Conflict>())?;
    m.add("ResultExists", py.get_type::<ResultExists>())?;
    Ok(())
}

/// A core error as a Python exception, with the core's message.
pub(crate) fn to_py(error: athlos_core::Error) -> PyErr {
    let message = error.to_string();
    match &error {
        athlos_core::Error::Bracket(bracket) => bracket_error(bracket, message),
        _ => InvalidInput::new_err(message),
    }
}

pub(crate) fn bracket_error(error: &BracketError, message: String) -> PyErr {
    match error {
        BracketError::UnknownMatch { .. } | BracketError::UnknownParticipant { .. } => {
            NotFound::new_err(message)
        }
        BracketError::MatchNotReady { .. }
        | BracketError::MatchNotPlayable { .. }
        | BracketError::DependentPlayed { .. }
        | BracketError::AlreadyWithdrawn { .. }
        | BracketError::Incomplete { .. } => IllegalTransition::new_err(message),
        _ => InvalidInput::new_err(message),
    }
}

/// A refused result write: `ResultExists` with the recorded result as its `recorded`
/// attribute, or the error's usual exception.
pub(crate) fn result_error(py: Python<'_>, error: athlos_core::Error) -> PyErr {
    if let athlos_core::Error::Service(ServiceError::ResultExists { recorded, .. }) = &error {
        let exists = ResultExists::new_err(error.to_string());
        match crate::convert::to_python(py, recorded) {
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
