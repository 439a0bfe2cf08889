"""Athlos: a deterministic tournament engine.

Seeding and draws with club and nation separation, single and double elimination, judo
repechage, round robin and pools, with a draw quality report. The same input and seed give
byte-identical output from Python, Rust and HTTP.

>>> import athlos
>>> field = [athlos.Participant(f"p{i}", f"Player {i}", seed=i) for i in range(1, 7)]
>>> bracket = athlos.draw(field, format="single_elimination", seed=7)
>>> bracket.rounds
3
"""

from ._athlos import (
    AthlosError,
    Bracket,
    Conflict,
    Draft,
    IllegalTransition,
    InvalidInput,
    NotFound,
    Participant,
    Swiss,
    __version__,
    allowed_actions,
    diff,
    draw,
    orderings,
    pick_order,
    states,
)

__all__ = [
    "AthlosError",
    "Bracket",
    "Conflict",
    "Draft",
    "IllegalTransition",
    "InvalidInput",
    "NotFound",
    "Participant",
    "Swiss",
    "__version__",
    "allowed_actions",
    "diff",
    "draw",
    "orderings",
    "pick_order",
    "states",
]
