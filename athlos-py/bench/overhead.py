"""Python against Rust on the same work, measured in one run: a draw of 1024 and the FIDE
Dutch pairing of round 5 of a 100-, 200- and 1000-player Swiss, plus the same pairing by the
pure-Python `caissify-pairings` package (PyPI, 0.5.0; its Dutch engine fed the same TRF
through the package's own TRF reader) when it is installed, each of its runs in a child
process stopped after PURE_PYTHON_LIMIT seconds (one warm-up run and one timed run); the
table says whether its pairing is the same as ours.

    cargo build --release -p athlos-examples --example bench_core
    maturin develop --release -m athlos-py/Cargo.toml
    pip install caissify-pairings==0.5.0
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
PURE_PYTHON_LIMIT = 300
# Players, and how many timed runs (after one warm-up) each side makes.
SWISS_SIZES = ((100, 20), (200, 20), (1000, 3))


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


def pure_python_in_child(trf: str, ours: set[tuple[int, int]], runs: int) -> str:
    """Times caissify-pairings in a child process so a run that does not end can be stopped."""
    try:
        import caissify_pairings  # noqa: F401
    except ImportError:
        return "not installed"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "event.trf"
        path.write_text(trf)
        try:
            out = subprocess.run([sys.executable, __file__, "--pure-python", str(path), str(runs)],
                                 check=True, capture_output=True, text=True,
                                 timeout=PURE_PYTHON_LIMIT).stdout
        except subprocess.TimeoutExpired:
            return f"no pairing within {PURE_PYTHON_LIMIT} s"
        except subprocess.CalledProcessError as failure:
            lines = failure.stderr.strip().splitlines()
            return f"failed: {lines[-1] if lines else 'exit ' + str(failure.returncode)}"
    result = json.loads(out)
    theirs = {tuple(pair) for pair in result["pairs"]}
    same = "same pairing" if theirs == ours else "different pairing"
    return f"{result['median_us'] / 1000:.1f} ms ({same})"


def pure_python_pairing(trf: str, runs: int) -> dict[str, Any]:
    """Round ROUNDS_PLAYED + 1 by caissify-pairings' Dutch engine, from the same TRF."""
    from caissify_pairings import fpc
    from caissify_pairings.engines.dutch import DutchEngine
    from caissify_pairings.trf import TRFParser

    if not any(line.startswith("012") for line in trf.splitlines()):
        trf = "012 Overhead bench\n" + trf  # the package's reader requires a name line
    players = TRFParser(trf).parse()["players"]
    by_number = {p["starting_number"]: p for p in players}
    round_number = ROUNDS_PLAYED + 1
    # The package's helpers pair those who hold an entry for the round (they re-check
    # finished files): give everybody one, which the history before the round ignores.
    for player in players:
        player["results"].setdefault(round_number, {"opponent": None, "color": "-", "result": "U"})
    pairs: list[tuple[int, int]] = []

    def work() -> None:
        engine = DutchEngine(
            players=fpc._build_engine_players(by_number, round_number),
            previous_pairings=fpc._build_previous_pairings(by_number, round_number),
            round_number=round_number,
            total_rounds=9,
            initial_color=fpc._infer_initial_color(by_number),
            accelerated=False,
        )
        pairs.clear()
        for board in engine.generate_pairings():
            if board.get("black_id") is not None:
                pairs.append((int(board["white_id"]), int(board["black_id"])))

    median = median_us(work, runs)
    return {"median_us": median, "pairs": pairs}


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--pure-python":
        print(json.dumps(pure_python_pairing(Path(sys.argv[2]).read_text(), int(sys.argv[3]))))
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = sys.argv[1]
    print("| work | Python (athlos) | Rust | Python/Rust | caissify-pairings (pure Python) |")
    print("|---|---|---|---|---|", flush=True)
    field = [athlos.Participant(f"p{i}", f"Entry {i}", seed=i) for i in range(1, 1025)]
    for fmt, name in [("single_elimination", "single"), ("double_elimination", "double")]:
        py = median_us(lambda: athlos.draw(field, format=fmt, seed=7), 200)
        rs = rust_us(binary, "draw", "1024", name, "200")
        row(f"draw 1024, {name} elimination", py, rs, "-")
    for size, runs in SWISS_SIZES:
        trf = swiss_event(size).to_trf()
        ours = {tuple(pair) for pair in athlos.Swiss.from_trf(trf).pair_next_round()["pairs"]}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "swiss.trf"
            path.write_text(trf)
            py = median_us(lambda: athlos.Swiss.from_trf(trf).pair_next_round(), runs)
            rs = rust_us(binary, "pair", str(path), str(runs))
        row(f"Swiss round {ROUNDS_PLAYED + 1} of {size} (parse TRF + pair)", py, rs,
            pure_python_in_child(trf, ours, 1))


def row(work: str, py: float, rs: float, other: str) -> None:
    print(f"| {work} | {py / 1000:.2f} ms | {rs / 1000:.2f} ms | {py / rs:.2f}x | {other} |",
          flush=True)


if __name__ == "__main__":
    main()
