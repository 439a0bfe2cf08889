"""Draw 27 judoka into an IJF repechage bracket with 8 seeds, play it to the end, print the
quality report and the medal table.

    python examples/python/judo27.py [SEED]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

import athlos

DATA = Path(__file__).resolve().parent.parent / "data" / "judo27.csv"


def field() -> list[athlos.Participant]:
    with DATA.open(newline="") as handle:
        return [
            athlos.Participant(
                row["id"],
                row["name"],
                club=row["club"],
                nation=row["nation"],
                rating=int(row["rating"]),
                seed=int(row["seed"]) if row["seed"] else None,
            )
            for row in csv.DictReader(handle)
        ]


def play(bracket: athlos.Bracket) -> None:
    """Lets the better-rated judoka win every contest, round by round."""
    ratings = {p.id: p.rating or 0 for p in field()}
    while not bracket.is_complete:
        ready: list[dict[str, Any]] = [m for m in bracket.matches if m["status"] == "ready"]
        for match in ready:
            sides = [slot["occupant"]["id"] for slot in match["slots"]]
            bracket.record_result(match["id"], winner=max(sides, key=lambda s: ratings[s]))


def main() -> None:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 2026
    bracket = athlos.draw(field(), format="repechage", max_seeds=8, seed=seed)
    report = bracket.report()
    print(f"draw quality {report['score']}/100, {len(bracket.matches)} contests")
    play(bracket)
    for placement in bracket.placements()[:6]:
        print(f"{placement['place']}. {placement['participant']}")


if __name__ == "__main__":
    main()
