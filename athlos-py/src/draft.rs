//! `athlos.Draft` and `athlos.pick_order`: fantasy drafts with pick clocks, auto-pick, trades
//! and queues, driven by commands with the current time passed in.

use athlos_core::draft::{Command, Draft, DraftConfig, DraftSettings};
use athlos_core::error::DraftError;
use athlos_core::event::Event;
use athlos_core::lifecycle::draft::PickOrder;
use athlos_core::model::ParticipantId;
use chrono::{DateTime, Utc};
use pyo3::prelude::*;

use crate::convert::{from_python, to_python};
use crate::error::InvalidInput;

/// A fantasy draft: settings, picks, the pick clock and queues.
#[pyclass(name = "Draft", module = "athlos", skip_from_py_object)]
#[derive(Debug, Clone)]
pub struct PyDraft {
    inner: Draft,
}

#[pymethods]
impl PyDraft {
    /// A scheduled draft from its settings, the same document the HTTP API takes:
    /// `{"id", "teams", "rounds", "order", "seconds_per_pick", "roster", "pool"}`.
    #[new]
    fn new(settings: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            inner: Draft::new(settings_from(settings)?),
        })
    }

    /// Rebuilds a draft from its settings and its event log (event dicts, in order).
    #[staticmethod]
    fn replay(settings: &Bound<'_, PyAny>, events: &Bound<'_, PyAny>) -> PyResult<Self> {
        let events: Vec<Event> = from_python(events, "events")?;
        let inner = Draft::replay(settings_from(settings)?, &events).map_err(draft_error)?;
        Ok(Self { inner })
    }

    /// The draft as its stored JSON document (the same the HTTP API returns).
    fn to_dict(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner)
    }

    /// Reads a draft document written by `to_dict`, checking it.
    #[staticmethod]
    fn from_dict(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            inner: from_python(data, "draft")?,
        })
    }

    /// Applies a command (`{"type": "pick", "pick": 1, "team": 0, "player": "p1"}`, `start`,
    /// `timeout` with `sequence`, `pause`, `resume`, `undo`, `trade` with `picks`,
    /// `set_queue` with `team` and `players`) at `now` (a timezone-aware `datetime` or an
    /// RFC 3339 string) and returns the events it emits. A refused command raises and
    /// changes nothing.
    fn apply(
        &mut self,
        py: Python<'_>,
        command: &Bound<'_, PyAny>,
        now: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        let command: Command = from_python(command, "command")?;
        let now = instant(now)?;
        let events = self.inner.apply(&command, now).map_err(draft_error)?;
        to_python(py, &events)
    }

    /// `scheduled`, `in_progress`, `paused` or `completed`.
    #[getter]
    fn state(&self) -> String {
        self.inner.state().to_string()
    }

    /// The number of changes applied.
    #[getter]
    fn version(&self) -> u64 {
        self.inner.version()
    }

    /// The owner (team index) of every overall pick, after trades.
    #[getter]
    fn order(&self) -> Vec<u32> {
        self.inner.order().to_vec()
    }

    /// The picks made: `{"number", "round", "team", "player", "auto", "at"}`.
    #[getter]
    fn picks(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner.picks())
    }

    /// The pick on the clock, `{"pick", "round", "team"}`, or `None`.
    #[getter]
    fn on_the_clock(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner.on_the_clock())
    }

    /// When the scheduler must send a timeout, `{"at", "sequence"}`, or `None`.
    #[getter]
    fn next_deadline(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        to_python(py, &self.inner.next_deadline())
    }

    /// The actions the lifecycle allows now.
    fn available_actions(&self) -> Vec<String> {
        self.inner
            .available_actions()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// The queue of `team`.
    fn queue(&self, team: u32) -> Vec<String> {
        ids(self.inner.queue(team))
    }

    /// The players `team` has drafted, in pick order.
    fn roster(&self, team: u32) -> Vec<String> {
        ids(&self.inner.roster(team))
    }

    /// Whether `team` may take `player` now.
    fn fits(&self, team: u32, player: &str) -> PyResult<bool> {
        let player =
            ParticipantId::new(player).map_err(|e| InvalidInput::new_err(e.to_string()))?;
        Ok(self.inner.fits(team, &player))
    }

    /// Whom auto-pick would take for the team on the clock: its queue first, else the best
    /// available by rank that fits its roster; `None` when no pick is on the clock.
    fn autopick_choice(&self) -> Option<String> {
        self.inner.autopick_choice().map(String::from)
    }

    fn __repr__(&self) -> String {
        format!(
            "Draft(id={:?}, state={}, picks={}/{})",
            self.inner.settings().id().as_str(),
            self.inner.state(),
            self.inner.picks().len(),
            self.inner.settings().total_picks()
        )
    }
}

/// The team (from 0) making each overall pick of `rounds` rounds among `teams` teams, for
/// `order` = `linear`, `snake` or `third_round_reversal`.
#[pyfunction]
pub(crate) fn pick_order(order: &str, teams: u32, rounds: u32) -> PyResult<Vec<u32>> {
    let order: PickOrder = serde_json::from_value(serde_json::Value::String(order.to_owned()))
        .map_err(|_| {
            InvalidInput::new_err(format!(
                "unknown pick order {order:?}; expected one of linear, snake, third_round_reversal"
            ))
        })?;
    let total = teams
        .checked_mul(rounds)
        .filter(|&total| total <= 1_000_000)
        .ok_or_else(|| InvalidInput::new_err("teams × rounds must be at most 1,000,000"))?;
    Ok((0..total)
        .filter_map(|pick| order.team(teams, pick))
        .collect())
}

fn settings_from(settings: &Bound<'_, PyAny>) -> PyResult<DraftSettings> {
    let config: DraftConfig = from_python(settings, "settings")?;
    DraftSettings::new(config).map_err(draft_error)
}

/// `now` as a UTC instant: a timezone-aware `datetime` or an RFC 3339 string.
fn instant(now: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    let text: String = if let Ok(text) = now.extract::<String>() {
        text
    } else {
        now.call_method0("isoformat")
            .map_err(|_| InvalidInput::new_err("now must be a datetime or an RFC 3339 string"))?
            .extract()?
    };
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            InvalidInput::new_err(format!("now {text:?} is not a timezone-aware instant: {e}"))
        })
}

fn ids(players: &[ParticipantId]) -> Vec<String> {
    players.iter().map(|p| p.as_str().to_owned()).collect()
}

/// A draft error as every core error is raised (by its kind; a refusal of the draft's
/// state machine as `IllegalTransition`).
fn draft_error(error: DraftError) -> PyErr {
    crate::error::to_py(athlos_core::Error::from(error))
}
