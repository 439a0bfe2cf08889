"""Fantasy drafts from Python: pick order, commands with the time passed in, auto-pick,
refusals as the AthlosError hierarchy, and replay of the event log."""

from datetime import datetime, timedelta, timezone

import pytest

import athlos

T0 = datetime(2026, 11, 29, 20, 0, tzinfo=timezone.utc)


def settings(teams=2, rounds=2, order="snake"):
    pool = [{"id": f"gk{i}", "position": "GK", "rank": 100 + i} for i in range(teams)]
    pool += [{"id": f"fw{i}", "position": "FW", "rank": i} for i in range(teams * rounds + 4)]
    return {
        "id": "league",
        "teams": teams,
        "rounds": rounds,
        "order": order,
        "seconds_per_pick": 60,
        "roster": [
            {"position": "GK", "starters": 1, "max": 1},
            {"position": "FW", "starters": 1},
        ],
        "pool": pool,
    }


def test_pick_orders():
    assert athlos.pick_order("linear", 3, 2) == [0, 1, 2, 0, 1, 2]
    assert athlos.pick_order("snake", 3, 2) == [0, 1, 2, 2, 1, 0]
    assert athlos.pick_order("third_round_reversal", 2, 4) == [0, 1, 1, 0, 1, 0, 0, 1]
    with pytest.raises(athlos.InvalidInput, match="unknown pick order"):
        athlos.pick_order("random", 3, 2)


def test_settings_are_checked():
    bad = settings()
    bad["roster"][0]["max"] = 2
    with pytest.raises(athlos.InvalidInput, match="position GK has 2 players; 4 are needed"):
        athlos.Draft(bad)
    with pytest.raises(athlos.InvalidInput, match="unknown field"):
        athlos.Draft({**settings(), "colour": "red"})


def test_a_draft_runs_with_manual_picks_and_timeouts():
    draft = athlos.Draft(settings())
    assert draft.state == "scheduled"
    assert draft.next_deadline is None
    events = draft.apply({"type": "start"}, T0)
    assert [e["type"] for e in events] == ["draft.started"]
    assert draft.on_the_clock == {"pick": 1, "round": 1, "team": 0}
    deadline = draft.next_deadline
    assert deadline["at"] == "2026-11-29T20:01:00Z"

    draft.apply({"type": "pick", "pick": 1, "team": 0, "player": "fw3"}, T0 + timedelta(seconds=5))
    assert draft.roster(0) == ["fw3"]
    # The timeout read before the pick is stale: the manual pick won.
    with pytest.raises(athlos.Conflict, match="stale"):
        draft.apply({"type": "timeout", "sequence": deadline["sequence"]}, deadline["at"])

    draft.apply({"type": "set_queue", "team": 1, "players": ["fw3", "gk1"]}, T0)
    assert draft.autopick_choice() == "gk1"
    deadline = draft.next_deadline
    events = draft.apply({"type": "timeout", "sequence": deadline["sequence"]}, deadline["at"])
    assert events[0]["type"] == "draft.autopicked"
    assert events[0]["data"]["player"] == "gk1"
    assert draft.picks[-1]["auto"] is True

    while draft.state != "completed":
        deadline = draft.next_deadline
        draft.apply({"type": "timeout", "sequence": deadline["sequence"]}, deadline["at"])
    assert sorted(len(draft.roster(t)) for t in range(2)) == [2, 2]
    assert draft.available_actions() == []


def test_refusals_map_to_the_error_hierarchy_and_change_nothing():
    draft = athlos.Draft(settings())
    with pytest.raises(athlos.IllegalTransition, match="draft in state scheduled does not allow pick"):
        draft.apply({"type": "pick", "pick": 1, "team": 0, "player": "fw0"}, T0)
    draft.apply({"type": "start"}, T0)
    with pytest.raises(athlos.IllegalTransition, match="team 1 does not own pick 1"):
        draft.apply({"type": "pick", "pick": 1, "team": 1, "player": "fw0"}, T0)
    # A player outside the pool is a bad command (kind `invalid`, as over HTTP), not a
    # missing resource.
    with pytest.raises(athlos.InvalidInput, match="ghost") as ghost:
        draft.apply({"type": "pick", "pick": 1, "team": 0, "player": "ghost"}, T0)
    assert (ghost.value.code, ghost.value.kind) == ("unknown_player", "invalid")
    with pytest.raises(athlos.InvalidInput, match="timezone-aware"):
        draft.apply({"type": "pause"}, datetime(2026, 11, 29, 20, 0))
    with pytest.raises(athlos.InvalidInput, match="command"):
        draft.apply({"type": "explode"}, T0)
    assert draft.version == 1
    assert draft.picks == []


def test_pause_resume_and_replay():
    draft = athlos.Draft(settings(teams=3, rounds=2))
    log = []
    log += draft.apply({"type": "trade", "picks": [2, 6]}, T0)
    log += draft.apply({"type": "start"}, T0)
    log += draft.apply({"type": "pause"}, T0 + timedelta(seconds=45))
    assert draft.next_deadline is None
    log += draft.apply({"type": "resume"}, "2026-11-29T21:00:00Z")
    assert draft.next_deadline["at"] == "2026-11-29T21:00:15Z"
    log += draft.apply({"type": "pick", "pick": 1, "team": 0, "player": "fw0"}, "2026-11-29T21:00:10Z")
    log += draft.apply({"type": "undo"}, "2026-11-29T21:00:11Z")
    while draft.state != "completed":
        deadline = draft.next_deadline
        log += draft.apply({"type": "timeout", "sequence": deadline["sequence"]}, deadline["at"])
    document = draft.to_dict()
    assert document["state"] == "completed"
    assert athlos.Draft.from_dict(document).to_dict() == document
    document["picks"][0]["player"] = document["picks"][1]["player"]
    with pytest.raises(athlos.InvalidInput, match="invalid draft document"):
        athlos.Draft.from_dict(document)
    rebuilt = athlos.Draft.replay(settings(teams=3, rounds=2), log)
    assert rebuilt.picks == draft.picks
    assert rebuilt.order == draft.order
    assert rebuilt.version == draft.version
    with pytest.raises(athlos.InvalidInput, match="does not replay"):
        athlos.Draft.replay(settings(teams=3, rounds=2), log[1:])
