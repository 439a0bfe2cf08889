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
