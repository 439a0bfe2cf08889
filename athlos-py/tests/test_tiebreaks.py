"""FIDE tie-breaks from Python agree with the command line value for value, and with FIDE's
reference implementation on the cases pinned in athlos-core/tests/data/tiebreaks/."""

import csv
import json
import subprocess
from pathlib import Path

import pytest

import athlos

PINNED = Path(__file__).resolve().parents[2] / "athlos-core" / "tests" / "data" / "tiebreaks"


def cases():
    with open(PINNED / "cases.tsv", newline="") as f:
        return [row["name"] for row in csv.DictReader(f, delimiter="\t")]


def reference(name, edition):
    """The reference table: the tie-break codes (PTS left out) and rows by start number."""
    with open(PINNED / f"{name}.fide-{edition}.tsv", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    codes = rows[0][2:]
    return codes, {int(r[0]): dict(zip(codes, r[2:])) for r in rows[1:]}


def as_number(text):
    return None if text in ("-0", "") else float(text)


@pytest.mark.parametrize("edition", ["2024", "2026"])
@pytest.mark.parametrize("name", ["sw-hpb-last-8p5r", "sw-3pt-12p6r", "rr-7p-bye-forfeit",
                                  "sw-forfeit-last-10p5r"])
def test_python_and_the_command_line_give_the_same_standings(name, edition, athlos_bin):
    codes, expected = reference(name, edition)
    order = ",".join(c.replace("/", ":") for c in codes if c != "PTS")
    path = PINNED / f"{name}.trf"
    rows = athlos.Swiss.from_trf(path.read_text()).standings(order, edition=edition)
    out = subprocess.run([athlos_bin, "standings", str(path), "--tiebreaks", order,
                          "--edition", edition, "--json"],
                         check=True, capture_output=True, text=True).stdout
    assert rows == json.loads(out)
    # Decimal values, the reference's numbers.
    for row in rows:
        want = expected[row["number"]]
        assert row["points"] == as_number(want["PTS"])
        for code, value in row["tiebreaks"].items():
            assert value == as_number(want[code.replace(":", "/")]), (row["number"], code)


def test_the_editions_differ_where_the_2026_caps_apply():
    path = PINNED / "sw-hpb-last-8p5r.trf"
    swiss = athlos.Swiss.from_trf(path.read_text())
    old = {r["number"]: r["tiebreaks"]["BH"] for r in swiss.standings("BH", edition="2024")}
    new = {r["number"]: r["tiebreaks"]["BH"] for r in swiss.standings("BH", edition="2026")}
    assert old != new
    assert all(isinstance(v, (int, float)) for v in new.values())


def test_bad_options_raise_typed_errors():
    swiss = athlos.Swiss.from_trf((PINNED / "rr-6p.trf").read_text())
    with pytest.raises(athlos.InvalidInput, match="edition"):
        swiss.standings("BH", edition="2025")
    with pytest.raises(athlos.InvalidInput, match="point system"):
        swiss.standings("BH", points="1-1")
    with pytest.raises(athlos.InvalidInput, match="kind"):
        swiss.standings("BH", kind="knockout")
    with pytest.raises(athlos.InvalidInput, match="tie-break"):
        swiss.standings("BH:Q1")

