"""athlos from Python: draws, results, errors, and agreement with the command line."""

import json
import subprocess
from pathlib import Path

import pytest

import athlos

ROOT = Path(__file__).resolve().parents[2]


def field(n, **extra):
    return [athlos.Participant(str(i), f"Entry {i}", seed=i, **extra) for i in range(1, n + 1)]


def test_draw_defaults_give_byes_to_top_seeds():
    bracket = athlos.draw(field(6))
    assert bracket.format == "single_elimination"
    assert bracket.rounds == 3
    doc = bracket.to_dict()
    assert doc["slots"] == ["1", None, "4", "5", "2", None, "3", "6"]


def test_same_input_and_seed_give_identical_json():
    kwargs = dict(format="repechage", max_seeds=4, seed=99)
    a = athlos.draw(field(27), **kwargs).to_json()
    b = athlos.draw(list(reversed(field(27))), **kwargs).to_json()
    assert a == b
    assert a != athlos.draw(field(27), format="repechage", max_seeds=4, seed=100).to_json()


def test_dicts_are_accepted_as_participants():
    as_dicts = [p.to_dict() for p in field(5)]
    assert athlos.draw(as_dicts).to_json() == athlos.draw(field(5)).to_json()


def test_orderings_are_named_like_brackets_manager():
    assert athlos.orderings() == [
        "natural",
        "reverse",
        "half_shift",
        "reverse_half_shift",
        "pair_flip",
        "inner_outer",
    ]
    natural = athlos.draw(field(8), ordering="natural").to_dict()
    assert natural["slots"] == [str(i) for i in range(1, 9)]


def test_play_through_to_placements():
    bracket = athlos.draw(field(8), format="double_elimination", grand_final="double")
    while not bracket.is_complete:
        ready = [m for m in bracket.matches if m["status"] == "ready"]
        assert ready, "an incomplete bracket always has a ready match"
        m = ready[0]
        a = m["slots"][0]["occupant"]["id"]
        b = m["slots"][1]["occupant"]["id"]
        bracket.record_result(m["id"], winner=min(a, b, key=int))
    places = bracket.placements()
    assert places[0] == {"place": 1, "participant": "1"}
    assert sorted(p["participant"] for p in places) == sorted(str(i) for i in range(1, 9))


def test_report_is_a_dict_with_a_score():
    report = athlos.draw(field(12)).report()
    assert report["seed_integrity"]["intact"] is True
    assert report["byes"]["to_top_seeds"] is True
    assert 0 <= report["score"] <= 100


def test_json_round_trip():
    bracket = athlos.draw(field(9), format="groups")
    again = athlos.Bracket.from_json(bracket.to_json())
    assert again.to_json() == bracket.to_json()
    assert athlos.Bracket.from_dict(bracket.to_dict()).to_json() == bracket.to_json()


def test_errors_form_one_hierarchy():
    with pytest.raises(athlos.InvalidInput, match='duplicate participant id "1"'):
        athlos.draw(field(3) + [athlos.Participant("1", "Again")])
    with pytest.raises(athlos.InvalidInput, match="unknown variant `swiss`"):
        athlos.draw(field(4), format="swiss")
    with pytest.raises(athlos.InvalidInput, match="max_seeds 9 is larger than the 8 entries"):
        athlos.draw(field(8), max_seeds=9)
    with pytest.raises(athlos.InvalidInput):
        athlos.Participant("", "Nobody")
    with pytest.raises(athlos.InvalidInput):
        athlos.Bracket.from_json("{not json")
    bracket = athlos.draw(field(8))
    with pytest.raises(athlos.NotFound) as unknown:
        bracket.record_result("MAIN-R1-M9", winner="1")
    # The core's stable code and kind, the same an HTTP refusal carries.
    assert (unknown.value.code, unknown.value.kind) == ("unknown_match", "not_found")
    with pytest.raises(athlos.IllegalTransition) as early:
        bracket.record_result("MAIN-R2-M1", winner="1")
    assert early.value.code == "match_not_ready"
    # The class follows the kind: a state machine's refusal is a conflict, as over HTTP (409).
    assert early.value.kind == "conflict"
    assert isinstance(early.value, athlos.Conflict)
    with pytest.raises(athlos.InvalidInput) as seeds:
        athlos.draw(field(8), max_seeds=9)
    assert (seeds.value.code, seeds.value.kind) == ("too_many_seeds", "invalid")
    with pytest.raises(athlos.AthlosError):
        bracket.record_result("MAIN-R1-M1", winner="2", draw=True)
    assert issubclass(athlos.IllegalTransition, athlos.AthlosError)
    # Nothing changed on error.
    assert bracket.to_json() == athlos.draw(field(8)).to_json()


@pytest.mark.parametrize("fmt,cli", [
    ("single_elimination", "single"),
    ("double_elimination", "double"),
    ("repechage", "repechage"),
    ("round_robin", "round-robin"),
    ("groups", "groups"),
])
def test_python_and_command_line_give_the_same_bytes(fmt, cli, athlos_bin):
    def printed(output):
        return subprocess.run(
            [athlos_bin, "bracket", "--format", cli, "--size", "13", "--max-seeds", "4",
             "--seed", "5", output],
            check=True, capture_output=True,
        ).stdout

    ours = athlos.draw(field(13), format=fmt, max_seeds=4, seed=5)
    # The command line names anonymous entries the same way: id i, "Entry i", seed i.
    assert printed("--json") == (ours.to_json(indent=2) + "\n").encode()
    assert printed("--svg") == ours.to_svg().encode()


GOLDEN_SVG = ROOT / "athlos-core" / "tests" / "golden" / "bracket" / "svg"


@pytest.mark.parametrize(
    "fmt", ["single_elimination", "double_elimination", "repechage", "round_robin", "groups"]
)
def test_svg_is_the_cores_golden_picture(fmt):
    # The core pins each format's bracket in play and its picture: the same bytes here.
    bracket = athlos.Bracket.from_json((GOLDEN_SVG / f"{fmt}_in_play.json").read_text("utf-8"))
    svg = bracket.to_svg()
    assert svg.encode() == (GOLDEN_SVG / f"{fmt}_in_play.svg").read_bytes()
    assert svg == bracket.to_svg()
    assert svg.startswith("<?xml") and 'role="img"' in svg


def test_svg_escapes_names():
    people = field(4)
    people[0] = athlos.Participant("1", "<script>&\"'", seed=1)
    svg = athlos.draw(people).to_svg()
    assert "<script" not in svg
    assert "&lt;script&gt;&amp;&quot;&apos;" in svg


def test_judo27_matches_the_demo():
    csv_text = (ROOT / "examples" / "data" / "judo27.csv").read_text()
    rows = [line.split(",") for line in csv_text.strip().splitlines()[1:]]
    participants = [
        athlos.Participant(r[0], r[1], club=r[2], nation=r[3], rating=int(r[4]),
                           seed=int(r[5]) if r[5] else None)
        for r in rows
    ]
    bracket = athlos.draw(participants, format="repechage", max_seeds=8, seed=2026)
    demo = json.loads((ROOT / "athlos-http" / "tests" / "golden" / "judo27.json").read_text())
    assert bracket.to_dict() == demo["bracket"]
    assert bracket.report() == demo["report"]


def test_a_recorded_result_is_replaced_only_by_a_correction():
    bracket = athlos.draw(field(4))
    semis = [m for m in bracket.matches if m["status"] == "ready"]
    first, second = semis[0], semis[1]
    a, b = [slot["occupant"]["id"] for slot in first["slots"]]
    bracket.record_result(first["id"], winner=a)
    # The same result again changes nothing.
    before = bracket.to_json()
    bracket.record_result(first["id"], winner=a)
    assert bracket.to_json() == before
    # Another one is refused with the recorded result, and nothing changes.
    with pytest.raises(athlos.ResultExists) as refused:
        bracket.record_result(first["id"], winner=b)
    assert refused.value.recorded == {"type": "win", "winner": a}
    assert isinstance(refused.value, athlos.Conflict)
    assert (refused.value.code, refused.value.kind) == ("result_exists", "conflict")
    assert bracket.to_json() == before
    # A correction replaces it while the final is not played...
    bracket.record_result(first["id"], winner=b, correction=True)
    assert next(m for m in bracket.matches if m["id"] == first["id"])["winner"] == b
    # ... and is refused once it is.
    c = second["slots"][0]["occupant"]["id"]
    bracket.record_result(second["id"], winner=c)
    final = next(m for m in bracket.matches if m["status"] == "ready")
    bracket.record_result(final["id"], winner=c)
    before = bracket.to_json()
    with pytest.raises(athlos.IllegalTransition):
        bracket.record_result(first["id"], winner=a, correction=True)
    assert bracket.to_json() == before


def test_exception_classes_follow_the_error_kind() -> None:
    kinds = {
        athlos.InvalidInput: athlos.AthlosError,
        athlos.NotFound: athlos.AthlosError,
        athlos.Conflict: athlos.AthlosError,
        athlos.IllegalTransition: athlos.Conflict,
        athlos.ResultExists: athlos.Conflict,
        athlos.Unavailable: athlos.AthlosError,
        athlos.InternalError: athlos.AthlosError,
    }
    for cls, base in kinds.items():
        assert cls.__bases__ == (base,), cls


def test_a_double_forfeit_sends_nobody_on():
    bracket = athlos.draw(field(4))
    first = next(m for m in bracket.matches if m["id"] == "MAIN-R1-M1")
    bracket.record_result("MAIN-R1-M1", double_forfeit=True)
    after = {m["id"]: m for m in bracket.matches}
    assert after["MAIN-R1-M1"]["status"] == "walkover"
    assert after["MAIN-R1-M1"]["result"] == {"type": "double_forfeit"}
    assert after["MAIN-R1-M1"].get("winner") is None
    # Again: nothing changes; a win over it needs a correction.
    bracket.record_result("MAIN-R1-M1", double_forfeit=True)
    with pytest.raises(athlos.ResultExists):
        bracket.record_result("MAIN-R1-M1", winner=first["slots"][0]["occupant"]["id"])
    with pytest.raises(athlos.InvalidInput):
        bracket.record_result("MAIN-R1-M2", winner="2", double_forfeit=True)
    second = after["MAIN-R1-M2"]
    winner = second["slots"][0]["occupant"]["id"]
    bracket.record_result("MAIN-R1-M2", winner=winner)
    final = next(m for m in bracket.matches if m["id"] == "MAIN-R2-M1")
    assert final["status"] == "bye"
    assert bracket.is_complete
    assert bracket.placements()[0] == {"place": 1, "participant": winner}
