"""Runs read from a live `athlos serve`: `athlos.parse_run` reads each document of
`/v1/runs` into the same dict the server sent (the core's run shape), and refuses what is
not a run."""

import json
import time

import pytest

import athlos
from test_webhooks import call, server, token  # noqa: F401 (server is a fixture)


def test_runs_of_a_generate_all_read_back_as_sent(server, athlos_bin):  # noqa: F811
    director = token(athlos_bin, "organiser", "director")
    assert call(server, "POST", "/v1/events", director, {"id": "e", "name": "E"})[0] == 201
    for d in ("d0", "d1"):
        division = {"id": d, "name": d, "rules": {"format": "single_elimination"}}
        assert call(server, "POST", "/v1/events/e/divisions", director, division)[0] == 201
        field = [{"id": f"{d}-{i}", "name": f"Entry {i}"} for i in range(1, 5)]
        path = f"/v1/events/e/divisions/{d}/participants"
        assert call(server, "POST", path, director, field)[0] == 200
    status, submitted = call(
        server, "POST", "/v1/runs", director, {"kind": "generate_all", "target": "event:e"}
    )
    assert status == 202, submitted
    ids = [run["id"] for run in submitted["runs"]]
    for run in submitted["runs"]:
        assert athlos.parse_run(run) == run
        assert run["status"] in athlos.run_statuses()

    deadline = time.time() + 30
    while True:
        listed = call(server, "GET", "/v1/runs?status=succeeded")[1]
        if len(listed["runs"]) == 2 or time.time() > deadline:
            break
        time.sleep(0.05)
    assert [run["id"] for run in listed["runs"]] == ids
    for run in listed["runs"]:
        parsed = athlos.parse_run(run)
        assert parsed == run
        assert parsed["status"] == "succeeded"
        wrote = parsed["snapshot"]["wrote"]
        assert any(entry["entry"] == "blob" for entry in wrote), parsed
        # The same document as text and as bytes.
        text = json.dumps(run)
        assert athlos.parse_run(text) == run
        assert athlos.parse_run(text.encode()) == run


def test_what_is_not_a_run_is_refused_with_what_is_wrong():
    assert athlos.run_statuses() == ["queued", "running", "succeeded", "failed", "cancelled"]
    run = {
        "id": 1,
        "kind": "generate_bracket",
        "target": "division:d0",
        "options": {"event": "e", "division": "d0"},
        "status": "queued",
        "cancel_requested": False,
        "attempts": 0,
        "max_attempts": 1,
        "created_at": "2026-12-07T12:00:00Z",
        "started_at": None,
        "finished_at": None,
        "error": None,
        "snapshot": None,
    }
    assert athlos.parse_run(run) == run
    for broken, words in [
        ({**run, "status": "paused"}, "paused"),
        ({**run, "attempts": -1}, "-1"),
        ({**run, "surprise": 1}, "surprise"),
        ({k: v for k, v in run.items() if k != "kind"}, "kind"),
        ({**run, "snapshot": {"read": [{"entry": "blob"}]}}, "hash"),
    ]:
        with pytest.raises(athlos.InvalidInput) as refused:
            athlos.parse_run(broken)
        assert words in str(refused.value), (broken, str(refused.value))
    with pytest.raises(athlos.InvalidInput):
        athlos.parse_run("{not json")
    with pytest.raises(athlos.InvalidInput):
        athlos.parse_run(b"[]")
