"""A tournament played from its page in two browsers, the director's and a player's: the
buttons each sees are the actions the core gives them now, the results form appears only
while the tournament is active with the current round's pending matches, and a result
refused by the server (another result was recorded first) is shown with its reason."""

import re

import pytest
from playwright.sync_api import expect

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
        # The start reaches the player's page over its stream, which reloads it (a reload of
        # the test's own could race that one).
        expect(pia.locator(".state")).to_have_text("active")
        expect(pia.get_by_role("region", name="Round 1")).to_be_visible()
        assert pia.get_by_role("form", name="Results").count() == 0
        assert buttons(pia) == ["Withdraw"]

        # A second tab of the director's whose live stream is cut: it goes stale.
        stale = director.new_page()
        stale.route(re.compile(r"/stream(\?.*)?$"), lambda route: route.abort())
        stale.goto(api.base + "/tournaments/page-cup")
        # The player watches the round.
        pia.goto(api.base + "/tournaments/page-cup")

        # With JavaScript a result is saved as soon as it is chosen, and shown at once.
        assert results.get_by_role("button", name="Save results").is_hidden()
        first = controls.first
        match = first.get_attribute("data-match")
        option = first.locator("option").nth(1)
        winner = option.inner_text()  # "<name> won"
        with td.expect_response(re.compile(r"/matches/.*/result$")) as saved:
            first.select_option(option.get_attribute("value"))
        assert saved.value.status == 200
        round_1 = td.get_by_role("region", name="Round 1")
        expect(round_1.locator(f'tr[data-match="{match}"] .outcome')).to_have_text(winner)
        expect(td.get_by_role("form", name="Results").get_by_role("combobox")).to_have_count(1)
        # The player's page shows it within a second, over the stream.
        expect(pia.locator(f'tr[data-match="{match}"] .outcome')).to_have_text(
            winner, timeout=1000)
        screenshot(pia, "play-live-player")

        # The stale tab offers the same match; the server refuses another result for it and
        # the page takes its guess back, saying why, and shows the result recorded first.
        other = stale.locator(f'select[data-match="{match}"]')
        cell = stale.locator(f'tr[data-match="{match}"] .outcome')
        assert cell.inner_text() == "ready"
        loser = other.locator("option").nth(2)
        assert loser.inner_text() != winner
        with stale.expect_response(re.compile(r"/matches/.*/result$")) as answer:
            other.select_option(loser.get_attribute("value"))
        assert answer.value.status == 409
        expect(stale.get_by_role("alert")).to_have_text(
            f"Not saved: a result for {match} was recorded first ({winner}). "
            "A director can correct it.")
        expect(cell).to_have_text(winner)
        expect(other).to_have_count(0)
        screenshot(stale, "play-result-refused")

        # Without JavaScript the same form posts, and the server answers with the page.
        plain = browser.new_context(java_script_enabled=False)
        try:
            nojs = plain.new_page()
            plain.add_cookies(director.cookies())
            nojs.goto(api.base + "/tournaments/page-cup")
            form = nojs.get_by_role("form", name="Results")
            last = form.get_by_role("combobox").first
            last.select_option(last.locator("option").nth(1).get_attribute("value"))
            form.get_by_role("button", name="Save results").click()
            nojs.wait_for_url(re.compile(r"/tournaments/page-cup$"))
            assert nojs.get_by_role("form", name="Results").count() == 0
            assert "Advance" in buttons(nojs)
        finally:
            plain.close()
    finally:
        director.close()
        player.close()
