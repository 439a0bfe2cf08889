"""Python against Rust on the same work, measured in one run: a draw of 1024 and the FIDE
Dutch pairing of round 5 of a 100- and a 200-player Swiss, plus the same pairing by the
pure-Python `swissdutch` package (PyPI, 0.1.0) when it is installed, each of its runs in a
child process stopped after SWISSDUTCH_LIMIT seconds.

    cargo build --release -p athlos-examples --example bench_core
    maturin develop --release -m athlos-py/Cargo.toml
    python athlos-py/bench/overhead.py target/release/examples/bench_core

Prints a Markdown table row by row: median times and the Python/Rust ratio.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import athlos

ROUNDS_PLAYED = 4
SWISSDUTCH_LIMIT = 120
# The exact Dutch engine re-solves each bracket's matching from scratch: 1000 players take
# minutes per round today (see the Swiss section of BENCHMARKS.md).
SWISS_SIZES = (100, 200)


def median_us(work: Callable[[], Any], runs: int) -> float:
    work()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1e6)
    return statistics.median(times)


def rust_us(binary: str, *args: str) -> float:
    out = subprocess.run([binary, *args], check=True, capture_output=True, text=True).stdout
    return float(json.loads(out)["median_us"])


def swiss_event(size: int) -> athlos.Swiss:
    """`size` players, 4 rounds played with results drawn from a fixed pattern."""
    players = [(f"Player {i:04}", 2700 - i) for i in range(1, size + 1)]
    swiss = athlos.Swiss(players, rounds=9)
    pattern = ["1-0", "0-1", "1/2-1/2", "1-0", "1-0", "0-1", "1/2-1/2"]
    for round_number in range(1, ROUNDS_PLAYED + 1):
        pairing = swiss.pair_next_round()
        for board, (white, black) in enumerate(pairing["pairs"]):
            swiss.record(round_number, white, black, pattern[(board * 7 + round_number) % 7])
        if pairing["bye"] is not None:
            swiss.record_bye(round_number, pairing["bye"])
    return swiss


def swissdutch_in_child(trf: str) -> str:
    """Times swissdutch in a child process so a run that does not end can be stopped."""
    try:
        import swissdutch  # noqa: F401
    except ImportError:
        return "not installed"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "event.trf"
        path.write_text(trf)
        try:
            out = subprocess.run([sys.executable, __file__, "--swissdutch", str(path)],
                                 check=True, capture_output=True, text=True,
                                 timeout=SWISSDUTCH_LIMIT).stdout
        except subprocess.TimeoutExpired:
            return f"no pairing within {SWISSDUTCH_LIMIT} s"
        except subprocess.CalledProcessError as failure:
            lines = failure.stderr.strip().splitlines()
            return f"failed: {lines[-1] if lines else 'exit ' + str(failure.returncode)}"
    return f"{float(out) / 1000:.1f} ms"


def swissdutch_us(trf: str, runs: int) -> float | None:
    try:
        from swissdutch.constants import Colour
        from swissdutch.dutch import DutchPairingEngine
        from swissdutch.player import Player
    except ImportError:
        return None
    swiss = athlos.Swiss.from_trf(trf)
    rows = {row["number"]: row for row in swiss.standings("")}
    history = parse_history(trf)
    players = {n: Player(rows[n]["name"], rating, pairing_no=n) for n, (rating, _) in history.items()}
    for round_index in range(ROUNDS_PLAYED):
        for number, (_, rounds) in history.items():
            opponent, colour, points = rounds[round_index]
            player = players[number]
            if opponent == 0:
                player.bye(1)
                continue
            player.pair(players[opponent], Colour.white if colour == "w" else Colour.black)
        for number, (_, rounds) in history.items():
            opponent, _, points = rounds[round_index]
            if opponent != 0:
                players[number]._score += points
    engine = DutchPairingEngine(top_seed_colour_selection_fn=lambda: Colour.white)
    field = list(players.values())
    return median_us(lambda: engine.pair_round(ROUNDS_PLAYED + 1, field), runs)


def parse_history(trf: str) -> dict[int, tuple[int, list[tuple[int, str, float]]]]:
    """Starting number -> (rating, [(opponent or 0, colour, points)]) from TRF-16 lines."""
    scores = {"1": 1.0, "=": 0.5, "0": 0.0, "+": 1.0, "-": 0.0, "U": 1.0}
    history = {}
    for line in trf.splitlines():
        if not line.startswith("001"):
            continue
        number = int(line[4:8])
        rating = int(line[48:52] or 0)
        rounds = []
        for r in range(ROUNDS_PLAYED):
            cell = line[91 + 10 * r: 99 + 10 * r]
            opponent, colour, result = cell[0:4].strip(), cell[5], cell[7]
            rounds.append((int(opponent) if opponent.isdigit() else 0, colour, scores[result]))
        history[number] = (rating, rounds)
    return history


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--swissdutch":
        print(swissdutch_us(Path(sys.argv[2]).read_text(), 1))
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    print("| work | Python (athlos) | Rust | Python/Rust | swissdutch (pure Python) |")
    print("|---|---|---|---|---|", flush=True)
    field = [athlos.Participant(f"p{i}", f"Entry {i}", seed=i) for i in range(1, 1025)]
    for fmt, name in [("single_elimination", "single"), ("double_elimination", "double")]:
        py = median_us(lambda: athlos.draw(field, format=fmt, seed=7), 200)
        rs = rust_us(binary, "draw", "1024", name, "200")
        row(f"draw 1024, {name} elimination", py, rs, "-")
    for size in SWISS_SIZES:
        trf = swiss_event(size).to_trf()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "swiss.trf"
            path.write_text(trf)
            py = median_us(lambda: athlos.Swiss.from_trf(trf).pair_next_round(), 20)
            rs = rust_us(binary, "pair", str(path), "20")
        row(f"Swiss round {ROUNDS_PLAYED + 1} of {size} (parse TRF + pair)", py, rs,
            swissdutch_in_child(trf))


def row(work: str, py: float, rs: float, other: str) -> None:
    print(f"| {work} | {py / 1000:.2f} ms | {rs / 1000:.2f} ms | {py / rs:.2f}x | {other} |",
          flush=True)


if __name__ == "__main__":
    main()
