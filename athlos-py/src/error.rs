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
    // Every exception has a `code` and a `kind`: the core's stable ones when the error comes
    // from the core (the same `code` an HTTP refusal carries), `None` otherwise.
    let base = py.get_type::<AthlosError>();
    base.setattr("code", py.None())?;
    base.setattr("kind", py.None())?;
    m.add("AthlosError", py.get_type::<AthlosError>())?;
    m.add("InvalidInput", py.get_type::<InvalidInput>())?;
    m.add("IllegalTransition", py.get_type::<IllegalTransition>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("Conflict", py.get_type::<Conflict>())?;
    m.add("ResultExists", py.get_type::<ResultExists>())?;
    Ok(())
}

/// A core error as a Python exception, with the core's message, and its stable `code` and
/// `kind` as attributes.
pub(crate) fn to_py(error: athlos_core::Error) -> PyErr {
    let message = error.to_string();
    match &error {
        // Its code and kind are the bracket error's own, which `bracket_error` sets.
        athlos_core::Error::Bracket(bracket) => bracket_error(bracket, message),
        _ => with_code(
            InvalidInput::new_err(message),
            error.code(),
            error.kind().as_str(),
        ),
    }
}

/// `raised` with `code` and `kind` set on its value.
pub(crate) fn with_code(raised: PyErr, code: &str, kind: &str) -> PyErr {
    Python::attach(|py| {
        let value = raised.value(py);
        if let Err(failed) = value
            .setattr("code", code)
            .and_then(|()| value.setattr("kind", kind))
        {
            return failed;
        }
        raised
    })
}

pub(crate) fn bracket_error(error: &BracketError, message: String) -> PyErr {
    let raised = match error {
        BracketError::UnknownMatch { .. } | BracketError::UnknownParticipant { .. } => {
            NotFound::new_err(message)
        }
        BracketError::MatchNotReady { .. }
        | BracketError::MatchNotPlayable { .. }
        | BracketError::DependentPlayed { .. }
        | BracketError::AlreadyWithdrawn { .. }
        | BracketError::Incomplete { .. } => IllegalTransition::new_err(message),
        _ => InvalidInput::new_err(message),
    };
    with_code(raised, error.code(), error.kind().as_str())
}

/// A refused result write: `ResultExists` with the recorded result as its `recorded`
/// attribute, or the error's usual exception.
pub(crate) fn result_error(py: Python<'_>, error: athlos_core::Error) -> PyErr {
    if let athlos_core::Error::Service(ServiceError::ResultExists { recorded, .. }) = &error {
        let exists = with_code(
            ResultExists::new_err(error.to_string()),
            error.code(),
            error.kind().as_str(),
        );
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
