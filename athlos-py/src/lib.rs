//! `import athlos`: Python bindings of the Athlos core.
//!
//! The classes and functions here only convert between Python and the core; every rule lives
//! in `athlos-core`, so Python, Rust and HTTP give the same bytes for the same input and seed.
//! Documents cross the boundary as the same JSON the HTTP API carries (`to_dict()` equals the
//! HTTP body).

use pyo3::prelude::*;

mod bracket;
mod convert;
mod draft;
mod error;
mod events;
mod lifecycle;
mod participant;
mod swiss;

/// The compiled module, re-exported by the `athlos` package.
#[pymodule]
fn _athlos(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    error::register(m)?;
    m.add_class::<participant::PyParticipant>()?;
    m.add_class::<bracket::PyBracket>()?;
    m.add_class::<swiss::PySwiss>()?;
    m.add_class::<draft::PyDraft>()?;
    m.add_function(wrap_pyfunction!(bracket::draw, m)?)?;
    m.add_function(wrap_pyfunction!(bracket::orderings, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::states, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::allowed_actions, m)?)?;
    m.add_function(wrap_pyfunction!(lifecycle::diff, m)?)?;
    m.add_function(wrap_pyfunction!(draft::pick_order, m)?)?;
    m.add_function(wrap_pyfunction!(events::event_types, m)?)?;
    m.add_function(wrap_pyfunction!(events::parse_event, m)?)?;
    m.add_function(wrap_pyfunction!(events::parse_run, m)?)?;
    m.add_function(wrap_pyfunction!(events::run_statuses, m)?)?;
    Ok(())
}
