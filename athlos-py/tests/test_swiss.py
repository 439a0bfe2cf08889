"""Swiss from Python: TRF round trip, FIDE Dutch pairing and standings, agreeing with the
command line."""

import json
import os
import subprocess
from pathlib import Path

import pytest

import athlos

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "swiss-dutch"


def corpus_file(name):
    path = CORPUS / name
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"conformance corpus missing under CI=true: {path}")
        pytest.skip(f"conformance corpus not found at {CORPUS}: Swiss cross-checks skipped")
    return path


def test_what_we_write_reads_back_identically():
    swiss = athlos.Swiss.from_trf(corpus_file("t0003.trf").read_text())
    written = swiss.to_trf()
    assert athlos.Swiss.from_trf(written).to_trf() == written
    assert swiss.rounds_played == 5


def test_next_round_matches_athlos_pair(tmp_path, athlos_bin):
    # Announce one more round than was played, so the engine pairs round 6.
    trf = tmp_path / "t0003-6.trf"
    trf.write_text(corpus_file("t0003.trf").read_text() + "XXR 6\n")
    pairing = athlos.Swiss.from_trf(trf.read_text()).pair_next_round()
    out = subprocess.run([athlos_bin, "pair", "--dutch", str(trf)], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    lines = [line.split() for line in out[1:] if line]
    assert int(out[0]) == len(lines)
    expected_pairs = [[int(w), int(b)] for w, b in lines if b != "0"]
    expected_bye = next((int(w) for w, b in lines if b == "0"), None)
    assert pairing == {"pairs": expected_pairs, "bye": expected_bye}


def test_standings_match_athlos_standings(athlos_bin):
    path = corpus_file("t0003.trf")
    rows = athlos.Swiss.from_trf(path.read_text()).standings("BH:C1,BH,SB,DE")
    out = subprocess.run([athlos_bin, "standings", str(path), "--tiebreaks", "BH:C1,BH,SB,DE",
                          "--json"], check=True, capture_output=True, text=True).stdout
    assert rows == json.loads(out)
    assert rows[0]["rank"] == 1


def test_bad_trf_and_finished_events_raise():
    with pytest.raises(athlos.InvalidInput, match="no player lines"):
        athlos.Swiss.from_trf("not a tournament report\n")
    swiss = athlos.Swiss.from_trf(corpus_file("t0003.trf").read_text())
    with pytest.raises(athlos.AthlosError, match="all 5 rounds have been paired"):
        swiss.pair_next_round()
    with pytest.raises(athlos.InvalidInput):
        swiss.standings("XYZ")


def play_event(swiss, rounds, results):
    """Pairs and records `rounds` rounds, the result of board k taken from `results`."""
    for round_number in range(1, rounds + 1):
        pairing = swiss.pair_next_round()
        for board, (white, black) in enumerate(pairing["pairs"]):
            swiss.record(round_number, white, black, results[(round_number + board) % len(results)])
        if pairing["bye"] is not None:
            swiss.record_bye(round_number, pairing["bye"])


def test_a_tournament_built_and_played_from_python():
    players = [(f"Player {i:02}", 2300 - 25 * i) for i in range(1, 12)]
    swiss = athlos.Swiss(players, rounds=5)
    play_event(swiss, 5, ["1-0", "1/2-1/2", "0-1", "1-0"])
    assert swiss.rounds_played == 5
    table = swiss.standings()
    assert len(table) == 11
    points = sorted((row["points"] for row in table), reverse=True)
    assert points == [row["points"] for row in table]
    # Five boards hand out a point each per round, and the bye one: 6 per round.
    assert sum(points) == 5 * 6
    # The same history read back from TRF gives the same standings.
    again = athlos.Swiss.from_trf(swiss.to_trf())
    assert again.standings() == table
    with pytest.raises(athlos.AthlosError):
        swiss.pair_next_round()


def test_recording_refuses_what_the_history_cannot_hold():
    swiss = athlos.Swiss([("A", 2000), ("B", 1900), ("C", 1800), ("D", 1700)], rounds=3)
    with pytest.raises(athlos.InvalidInput):
        swiss.record(1, 1, 3, "2-0")
    with pytest.raises(athlos.NotFound):
        swiss.record(1, 1, 9, "1-0")
    with pytest.raises(athlos.InvalidInput):
        swiss.record(4, 1, 3, "1-0")
    with pytest.raises(athlos.IllegalTransition):
        swiss.record(2, 1, 3, "1-0")
    swiss.record(1, 1, 3, "1-0")
    with pytest.raises(athlos.IllegalTransition):
        swiss.record(1, 3, 2, "1-0")
    with pytest.raises(athlos.InvalidInput):
        athlos.Swiss([("Alone", 2000)], rounds=3)
    with pytest.raises(athlos.InvalidInput):
        swiss.record_bye(1, 2, "quarter")


def test_a_random_first_round_is_reproducible_and_only_the_first():
    players = [(f"Bot {i:02}", 2000 - i) for i in range(1, 17)]
    swiss = athlos.Swiss(players, rounds=4)
    by_rating = swiss.pair_next_round()
    drawn = swiss.pair_next_round(first_round_seed=11)
    assert drawn == swiss.pair_next_round(first_round_seed=11)
    assert drawn != by_rating
    numbers = sorted(n for pair in drawn["pairs"] for n in pair)
    assert numbers == list(range(1, 17))
    for white, black in drawn["pairs"]:
        swiss.record(1, white, black, "1-0")
    assert swiss.pair_next_round(first_round_seed=11) == swiss.pair_next_round()
