"""A tournament played from its page in two browsers, the director's and a player's: the
buttons each sees are the actions the core gives them now, the results form appears only
while the tournament is active with the current round's pending matches, and a result
refused by the server (another result was recorded first) is shown with its reason."""

import re

import pytest

from conftest import screenshot
from test_accounts import sign_up
from test_pages import axe_violations


def buttons(page):
    return page.get_by_role("group", name="Actions").get_by_role("button").all_inner_texts()


def csrf(page):
    return page.locator("input[name=csrf_token]").first.get_attribute("value")


def session_call(api, page, method, path, body=None):
    """An API call made with the browser's session cookie and CSRF token."""
    cookie = next(c for c in page.context.cookies() if c["name"] == "athlos_session")
    request = page.context.request
    response = request.fetch(api.base + path, method=method, data=body,
                             headers={"x-csrf-token": csrf(page),
                                      "cookie": f"athlos_session={cookie['value']}"})
    assert response.ok, response.text()
    return response.json()


@pytest.mark.allow_status(409)
def test_director_and_player_play_a_cup_from_its_page(browser, api, axe_source):
    director = browser.new_context(viewport={"width": 1280, "height": 900})
    player = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        td = director.new_page()
        sign_up(td, api.base, "tdir", "Tess Director")
        session_call(api, td, "POST", "/v1/tournaments",
                     {"id": "page-cup", "name": "Page Cup",
                      "rules": {"options": {"format": "single_elimination"},
                                "min_entries": 4, "seed": 5}})
        td.goto(api.base + "/tournaments/page-cup")
        assert buttons(td) == ["Publish", "Cancel", "Delete"]
        assert td.get_by_role("form", name="Results").count() == 0
        screenshot(td, "play-draft-director")
        assert axe_violations(td, axe_source) == []
        td.get_by_role("button", name="Publish").click()
        td.wait_for_url(re.compile(r"/tournaments/page-cup$"))
        assert td.locator(".state").text_content() == "registration"

        # The player joins from the page; then may withdraw, not start.
        pia = player.new_page()
        sign_up(pia, api.base, "pia", "Pia Player")
        pia.goto(api.base + "/tournaments/page-cup")
        assert buttons(pia) == ["Join"]
        pia.get_by_role("button", name="Join").click()
        pia.wait_for_url(re.compile(r"/tournaments/page-cup$"))
        assert buttons(pia) == ["Withdraw"]
        assert "Pia Player" in pia.get_by_role("region", name="Entries").inner_text()
        for n in (1, 2, 3):
            api.ok("POST", "/v1/tournaments/page-cup/join", api.token(f"cup-bot{n}", "bot"), {})

        td.reload()
        assert "Start" in buttons(td)
        td.get_by_role("button", name="Start").click()
        td.wait_for_url(re.compile(r"/tournaments/page-cup$"))
        assert td.locator(".state").text_content() == "active"
        results = td.get_by_role("form", name="Results")
        controls = results.get_by_role("combobox")
        assert controls.count() == 2, "one control per pending match of round 1"
        screenshot(td, "play-active-director")
        assert axe_violations(td, axe_source) == []
        # The player reports nothing here (no self-reporting): no form, no buttons but
        # Withdraw.
        pia.reload()
        assert pia.get_by_role("form", name="Results").count() == 0
        assert buttons(pia) == ["Withdraw"]

        # A second tab of the director's, opened now, goes stale once the first records.
        stale = director.new_page()
        stale.goto(api.base + "/tournaments/page-cup")
        first = controls.first
        option = first.locator("option").nth(1)
        winner = option.inner_text()  # "<name> won"
        first.select_option(option.get_attribute("value"))
        results.get_by_role("button", name="Save results").click()
        td.wait_for_url(re.compile(r"/tournaments/page-cup$"))
        assert td.get_by_role("form", name="Results").get_by_role("combobox").count() == 1
        assert winner in td.get_by_role("region", name="Round 1").inner_text()

        other = stale.get_by_role("form", name="Results").get_by_role("combobox").first
        other.select_option(other.locator("option").nth(2).get_attribute("value"))
        with stale.expect_response(re.compile(r"/results$")) as answer:
            stale.get_by_role("form", name="Results").get_by_role("button").click()
        assert answer.value.status == 409
        alert = stale.get_by_role("alert")
        assert "already" in alert.inner_text() or "result" in alert.inner_text()
        screenshot(stale, "play-result-refused")
    finally:
        director.close()
        player.close()
