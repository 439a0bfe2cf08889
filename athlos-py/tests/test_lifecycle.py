"""Lifecycle tables and diffs from Python."""

import pytest

import athlos


def field(n):
    return [athlos.Participant(str(i), f"Entry {i}", seed=i, club=f"c{i % 3}") for i in range(1, n + 1)]


def test_bracket_lifecycle_table():
    assert athlos.states("bracket") == ["draft", "ready", "locked", "completed"]
    assert "lock" in athlos.allowed_actions("bracket", "ready")
    assert "generate" not in athlos.allowed_actions("bracket", "locked")
    assert athlos.allowed_actions("bracket", "completed") == []


def test_every_machine_answers_for_every_state():
    for machine in ["bracket", "tournament", "match", "draft"]:
        for state in athlos.states(machine):
            assert isinstance(athlos.allowed_actions(machine, state), list)


def test_unknown_names_are_invalid_input():
    with pytest.raises(athlos.InvalidInput, match="unknown machine"):
        athlos.states("league")
    with pytest.raises(athlos.InvalidInput, match="unknown bracket state"):
        athlos.allowed_actions("bracket", "frozen")


def test_diff_of_a_bracket_with_itself_is_empty():
    a = athlos.draw(field(12), max_seeds=4, seed=1)
    same = athlos.diff(a, a)
    assert same["text"] == ""
    b = athlos.draw(field(12), max_seeds=4, seed=2)
    changed = athlos.diff(a, b)
    assert changed["text"].startswith("--- old")
    assert changed["changes"] != same["changes"]
