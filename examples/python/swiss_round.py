"""Pair the next round of a Swiss from a TRF-16 file with the FIDE Dutch system and print the
boards; without a file, run a 5-round club Swiss of 9 players built in Python.

    python examples/python/swiss_round.py [FILE.trf]
"""

from __future__ import annotations

import sys
from pathlib import Path

import athlos


def club_swiss() -> athlos.Swiss:
    players = [(f"Member {i}", 2150 - 40 * i) for i in range(1, 10)]
    swiss = athlos.Swiss(players, rounds=5)
    results = ["1-0", "1/2-1/2", "0-1"]
    for round_number in range(1, 5):
        pairing = swiss.pair_next_round()
        for board, (white, black) in enumerate(pairing["pairs"]):
            swiss.record(round_number, white, black, results[(board + round_number) % 3])
        if pairing["bye"] is not None:
            swiss.record_bye(round_number, pairing["bye"])
    return swiss


def main() -> None:
    if len(sys.argv) > 1:
        swiss = athlos.Swiss.from_trf(Path(sys.argv[1]).read_text())
    else:
        swiss = club_swiss()
    try:
        pairing = swiss.pair_next_round()
    except athlos.AthlosError as error:
        sys.exit(f"cannot pair: {error}")
    print(f"round {swiss.rounds_played + 1}")
    for board, (white, black) in enumerate(pairing["pairs"], start=1):
        print(f"board {board}: {white} - {black}")
    if pairing["bye"] is not None:
        print(f"bye: {pairing['bye']}")
    for row in swiss.standings("BH:C1,BH,SB")[:3]:
        print(f"{row['rank']}. {row['name']} {row['points']}")


if __name__ == "__main__":
    main()
