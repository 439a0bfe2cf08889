from datetime import datetime
from typing import Any, Literal, Mapping, Optional, Sequence, Union, final


__version__: str

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
    "pick_order",
    "states",
]

Format = Literal["single_elimination", "double_elimination", "repechage", "round_robin", "groups", "auto"]
OrderingName = Literal["natural", "reverse", "half_shift", "reverse_half_shift", "pair_flip", "inner_outer"]
GrandFinalMode = Literal["none", "simple", "double"]

class AthlosError(Exception):
    # The core's stable error code (`"unknown_match"` …, as in an HTTP refusal) and kind
    # (`"invalid"`, `"not_found"`, `"conflict"`, `"precondition_failed"`, `"unavailable"`,
    # `"internal"`); None for errors that do not come from the core.
    code: str | None
    kind: str | None

class InvalidInput(AthlosError): ...
class NotFound(AthlosError): ...
class Conflict(AthlosError): ...
class IllegalTransition(Conflict): ...
class ResultExists(Conflict):
    recorded: dict[str, Any]
class Unavailable(AthlosError): ...
class InternalError(AthlosError): ...


@final
class Participant:
    def __new__(
        cls,
        id: str,
        name: str,
        *,
        rating: Optional[int] = None,
        rank: Optional[int] = None,
        seed: Optional[int] = None,
        club: Optional[str] = None,
        nation: Optional[str] = None,
        metadata: Optional[Mapping[str, Any]] = None,
    ) -> "Participant": ...
    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def rating(self) -> Optional[int]: ...
    @property
    def rank(self) -> Optional[int]: ...
    @property
    def seed(self) -> Optional[int]: ...
    @property
    def club(self) -> Optional[str]: ...
    @property
    def nation(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> "Participant": ...

@final
class Bracket:
    @property
    def format(self) -> str: ...
    @property
    def rounds(self) -> int: ...
    @property
    def matches(self) -> list[dict[str, Any]]: ...
    @property
    def is_complete(self) -> bool: ...
    def report(self) -> dict[str, Any]: ...
    def record_result(
        self,
        match_id: str,
        winner: Optional[str] = None,
        *,
        draw: bool = False,
        walkover: bool = False,
        score: Optional[tuple[int, int]] = None,
        correction: bool = False,
        double_forfeit: bool = False,
    ) -> None: ...
    def withdraw(self, participant_id: str) -> None: ...
    def placements(self) -> list[dict[str, Any]]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def to_json(self, indent: Optional[int] = None) -> str: ...
    def to_svg(self) -> str: ...
    @staticmethod
    def from_json(text: str) -> "Bracket": ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> "Bracket": ...

def draw(
    participants: Sequence[Union[Participant, Mapping[str, Any]]],
    *,
    format: Format = "single_elimination",
    ordering: OrderingName = "inner_outer",
    seed: int = 0,
    max_seeds: Optional[int] = None,
    balance_byes: bool = False,
    third_place: bool = False,
    grand_final: GrandFinalMode = "simple",
    groups: Optional[int] = None,
    advance_per_group: int = 2,
    double_round_robin: bool = False,
    separate_clubs: bool = True,
    separate_nations: bool = True,
) -> Bracket: ...
def orderings() -> list[str]: ...

Machine = Literal["bracket", "tournament", "match", "draft"]

def states(machine: Machine) -> list[str]: ...
def allowed_actions(machine: Machine, state: str) -> list[str]: ...
def diff(old: Bracket, new: Bracket) -> dict[str, Any]: ...

@final
class Swiss:
    def __new__(
        cls,
        players: list[tuple[str, int]],
        rounds: int,
        initial_colour: Literal["white", "black"] = "white",
    ) -> "Swiss": ...
    def record(self, round: int, white: int, black: int, result: str) -> None: ...
    def record_bye(
        self, round: int, player: int, kind: Literal["pairing", "half", "full", "zero"] = "pairing"
    ) -> None: ...
    @staticmethod
    def from_trf(text: str) -> "Swiss": ...
    def to_trf(self) -> str: ...
    @property
    def rounds_played(self) -> int: ...
    def pair_next_round(self, first_round_seed: int | None = None) -> dict[str, Any]: ...
    def standings(
        self,
        tiebreaks: str = "BH:C1,BH,SB,DE",
        *,
        edition: str | None = None,
        points: str | None = None,
        kind: str | None = None,
        unrated_rating: int | None = None,
    ) -> list[dict[str, Any]]: ...

PickOrder = Literal["linear", "snake", "third_round_reversal"]

def pick_order(order: PickOrder, teams: int, rounds: int) -> list[int]: ...

@final
class Draft:
    def __new__(cls, settings: Mapping[str, Any]) -> "Draft": ...
    @staticmethod
    def replay(settings: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> "Draft": ...
    def apply(self, command: Mapping[str, Any], now: Union[datetime, str]) -> list[dict[str, Any]]: ...
    @property
    def state(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def order(self) -> list[int]: ...
    @property
    def picks(self) -> list[dict[str, Any]]: ...
    @property
    def on_the_clock(self) -> Optional[dict[str, Any]]: ...
    @property
    def next_deadline(self) -> Optional[dict[str, Any]]: ...
    def available_actions(self) -> list[str]: ...
    def queue(self, team: int) -> list[str]: ...
    def roster(self, team: int) -> list[str]: ...
    def fits(self, team: int, player: str) -> bool: ...
    def autopick_choice(self) -> Optional[str]: ...
    def to_dict(self) -> dict[str, Any]: ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> "Draft": ...

def event_types() -> list[str]: ...
def parse_event(payload: Union[str, bytes, Mapping[str, Any]]) -> dict[str, Any]: ...
