"""Domain events as dicts: every envelope of the catalog reads back exactly as athlos writes
it, from str, bytes or a dict, and a malformed one is refused with InvalidInput."""

import json
from pathlib import Path

import pytest

import athlos

CATALOG = (Path(__file__).resolve().parents[2] / "athlos-core" / "tests" / "golden" / "event"
           / "catalog.ndjson")


def catalog():
    return [line for line in CATALOG.read_text().splitlines() if line.strip()]


def test_every_catalog_event_reads_back_as_written():
    lines = catalog()
    assert {json.loads(line)["type"] for line in lines} == set(athlos.event_types())
    for line in lines:
        event = athlos.parse_event(line)
        assert event == json.loads(line)
        assert json.dumps(event, separators=(",", ":"), sort_keys=False) == line
        assert athlos.parse_event(line.encode()) == event
        assert athlos.parse_event(event) == event


def test_event_types_are_dotted_names():
    names = athlos.event_types()
    assert "match.result" in names and "bracket.generated" in names
    assert all("." in name and name == name.lower() for name in names)
    assert len(names) == len(set(names))


@pytest.mark.parametrize("payload, words", [
    ('{"id":"e","type":"bracket.exploded","timestamp":"2026-01-01T00:00:00Z","version":1,'
     '"data":{}}', "unknown event type"),
    ('{"id":"e","type":"bracket.failed","timestamp":"2026-01-01T00:00:00Z","version":1}',
     "data"),
    ('{"id":"e","type":"bracket.failed","timestamp":"yesterday","version":1,'
     '"data":{"division":"m73","reason":"x"}}', "event"),
    ("not json", "event"),
    (b"\xff\xfe", "event"),
    ({"type": "bracket.failed"}, "event"),
])
def test_malformed_events_are_invalid_input(payload, words):
    with pytest.raises(athlos.InvalidInput, match=words):
        athlos.parse_event(payload)


def test_a_value_that_is_not_an_event_at_all():
    with pytest.raises(athlos.InvalidInput):
        athlos.parse_event(42)
