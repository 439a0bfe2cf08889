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

from typing import Literal

from ._athlos import (
    AthlosError,
    Bracket,
    Conflict,
    Draft,
    IllegalTransition,
    InternalError,
    InvalidInput,
    NotFound,
    Participant,
    ResultExists,
    Swiss,
    Unavailable,
    __version__,
    allowed_actions,
    diff,
    draw,
    event_types,
    orderings,
    parse_event,
    parse_run,
    pick_order,
    run_statuses,
    states,
)

#: Bracket formats `draw` accepts.
Format = Literal[
    "single_elimination", "double_elimination", "repechage", "round_robin", "groups", "auto"
]
#: First-round orderings of the placed seeds.
OrderingName = Literal[
    "natural", "reverse", "half_shift", "reverse_half_shift", "pair_flip", "inner_outer"
]
#: Grand-final modes of a double elimination.
GrandFinalMode = Literal["none", "simple", "double"]
#: The lifecycle state machines.
Machine = Literal["bracket", "tournament", "match", "draft"]
#: Draft pick orders.
PickOrder = Literal["linear", "snake", "third_round_reversal"]

__all__ = [
    "AthlosError",
    "Bracket",
    "Conflict",
    "Draft",
    "Format",
    "GrandFinalMode",
    "IllegalTransition",
    "InternalError",
    "InvalidInput",
    "Machine",
    "NotFound",
    "OrderingName",
    "Participant",
    "PickOrder",
    "ResultExists",
    "Swiss",
    "Unavailable",
    "__version__",
    "allowed_actions",
    "diff",
    "draw",
    "event_types",
    "orderings",
    "parse_event",
    "parse_run",
    "pick_order",
    "run_statuses",
    "states",
]
