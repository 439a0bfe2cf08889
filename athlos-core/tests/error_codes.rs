//! The error codes are public API: every variant's code and kind, pinned in a golden file.
//! A changed line here is a change clients see (`"code"` of an HTTP refusal, Python's
//! exceptions): make it on purpose, with `UPDATE_GOLDEN=1`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use athlos_core::codes::ErrorKind;
use athlos_core::error::{
    AccountError, BracketError, ChatError, DiffError, DraftError, Error, LifecycleError,
    ModelError, SeedingError, ServiceError, StoreError, VersionError,
};
use athlos_core::import::ImportError;
use athlos_core::simulate::SimulationError;
use athlos_core::swiss::SwissError;
use athlos_core::tiebreak::TiebreakError;
use common::assert_golden;

#[test]
fn every_code_is_pinned() {
    let tables: [(&str, &[(&str, ErrorKind)]); 15] = [
        ("ModelError", ModelError::CODES),
        ("SeedingError", SeedingError::CODES),
        ("ImportError", ImportError::CODES),
        ("BracketError", BracketError::CODES),
        ("LifecycleError", LifecycleError::CODES),
        ("VersionError", VersionError::CODES),
        ("DiffError", DiffError::CODES),
        ("StoreError", StoreError::CODES),
        ("ServiceError", ServiceError::CODES),
        ("SwissError", SwissError::CODES),
        ("TiebreakError", TiebreakError::CODES),
        ("DraftError", DraftError::CODES),
        ("AccountError", AccountError::CODES),
        ("ChatError", ChatError::CODES),
        ("SimulationError", SimulationError::CODES),
    ];
    let mut out = String::new();
    for (name, codes) in tables {
        let mut seen = std::collections::BTreeSet::new();
        for (code, kind) in codes {
            assert!(seen.insert(*code), "{name}: code {code} given twice");
            assert!(
                !code.is_empty()
                    && code
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "{name}: {code} is not snake_case"
            );
            out.push_str(&format!("{name} {code} {}\n", kind.as_str()));
        }
    }
    out.push_str("Error trf_error invalid\n");
    assert_golden("error/codes.txt", &out);
}

#[test]
fn the_umbrella_answers_the_code_of_the_error_inside() {
    let unknown: Error = ServiceError::UnknownDivision { id: "d".to_owned() }.into();
    assert_eq!(
        (unknown.code(), unknown.kind()),
        ("unknown_division", ErrorKind::NotFound)
    );
    let refusal = LifecycleError::InvalidTransition {
        machine: "draft",
        state: "completed".to_owned(),
        action: "pick".to_owned(),
    };
    let in_a_draft: Error = DraftError::Lifecycle(refusal.clone()).into();
    assert_eq!(in_a_draft.code(), "invalid_transition");
    assert_eq!(in_a_draft.kind(), ErrorKind::Conflict);
    assert_eq!(Error::from(refusal).code(), "invalid_transition");
    let backend: Error = StoreError::Backend {
        reason: "down".to_owned(),
    }
    .into();
    assert_eq!(
        (backend.code(), backend.kind()),
        ("backend", ErrorKind::Unavailable)
    );
    let stale: Error = ServiceError::PreconditionFailed {
        expected: 3,
        current: 4,
    }
    .into();
    assert_eq!(
        (stale.code(), stale.kind()),
        ("precondition_failed", ErrorKind::PreconditionFailed)
    );
}
