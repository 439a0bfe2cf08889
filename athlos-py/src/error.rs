//! The `athlos.AthlosError` hierarchy and the one mapping from core errors.

use athlos_core::error::{BracketError, DraftError, ErrorKind};
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
    "The input is malformed or breaks a rule: bad ids, options, documents or results (kind `invalid`)."
);
create_exception!(
    athlos,
    NotFound,
    AthlosError,
    "An id names nothing: unknown match, participant, team or player (kind `not_found`)."
);
create_exception!(
    athlos,
    Conflict,
    AthlosError,
    "The current state refuses the change (kind `conflict`, HTTP 409), or an expected version did not match (kind `precondition_failed`, HTTP 412)."
);
create_exception!(
    athlos,
    IllegalTransition,
    Conflict,
    "A state machine refuses the action in the current state (e.g. a result for a match not ready)."
);
create_exception!(
    athlos,
    ResultExists,
    Conflict,
    "The match already has another result; `recorded` holds it. Pass `correction=True` to replace it."
);
create_exception!(
    athlos,
    Unavailable,
    AthlosError,
    "A resource is busy or gone for now: try again (kind `unavailable`)."
);
create_exception!(
    athlos,
    InternalError,
    AthlosError,
    "A broken invariant or stored document (kind `internal`): a bug to report."
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
    m.add("Unavailable", py.get_type::<Unavailable>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// A core error as a Python exception, with the core's message, and its stable `code` and
/// `kind` as attributes. The class follows the kind (the same kind that decides an HTTP
/// status): `invalid` InvalidInput, `not_found` NotFound, `conflict` and
/// `precondition_failed` Conflict (a state machine's refusal its subclass
/// IllegalTransition), `unavailable` Unavailable, `internal` InternalError.
pub(crate) fn to_py(error: athlos_core::Error) -> PyErr {
    let transition = match &error {
        athlos_core::Error::Lifecycle(_)
        | athlos_core::Error::Draft(
            DraftError::Lifecycle(_)
            | DraftError::NotOnTheClock { .. }
            | DraftError::NotDue { .. }
            | DraftError::PickNotFuture { .. },
        ) => true,
        athlos_core::Error::Bracket(bracket) => is_transition(bracket),
        _ => false,
    };
    raise(error.to_string(), error.code(), error.kind(), transition)
}

/// A bracket error as [`to_py`] raises it.
pub(crate) fn bracket_error(error: &BracketError, message: String) -> PyErr {
    raise(message, error.code(), error.kind(), is_transition(error))
}

/// Whether a bracket refusal is a match's state machine saying no.
fn is_transition(error: &BracketError) -> bool {
    matches!(
        error,
        BracketError::MatchNotReady { .. }
            | BracketError::MatchNotPlayable { .. }
            | BracketError::DependentPlayed { .. }
            | BracketError::AlreadyWithdrawn { .. }
            | BracketError::Incomplete { .. }
    )
}

/// The exception of `kind` (IllegalTransition for a state machine's refusal) with `code`.
fn raise(message: String, code: &str, kind: ErrorKind, transition: bool) -> PyErr {
    let raised = match kind {
        ErrorKind::Invalid => InvalidInput::new_err(message),
        ErrorKind::NotFound => NotFound::new_err(message),
        ErrorKind::Conflict | ErrorKind::PreconditionFailed if transition => {
            IllegalTransition::new_err(message)
        }
        ErrorKind::Conflict | ErrorKind::PreconditionFailed => Conflict::new_err(message),
        ErrorKind::Unavailable => Unavailable::new_err(message),
        ErrorKind::Internal => InternalError::new_err(message),
        // A kind added later: the base class until it has its own.
        _ => AthlosError::new_err(message),
    };
    with_code(raised, code, kind.as_str())
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
