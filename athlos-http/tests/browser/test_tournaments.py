"""A Swiss made and played from its pages: the create-tournament form, the configuration
form of a draft (director only; everyone else sees "not open yet"), the team sign-up form
and unregistering, following, the results form with draws, the round pages, standings with
tie-breaks, the crosstable, and "my dashboard" with followed tournaments and notifications
arriving live."""

import re
import urllib.error
import urllib.request

from playwright.sync_api import expect

from conftest import screenshot
from test_accounts import sign_up
from test_pages import axe_violations
from test_play import buttons, session_call

ID = "forms-open"


def watch(page, problems, allowed=()):
    """Records console errors and error statuses of `page` (but `allowed`) into `problems`."""
    page.on("console", lambda m: m.type == "error"
            and not any(f"status of {s}" in m.text for s in allowed)
            and problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and r.status not in allowed
            and problems.append(f"{r.status}: {r.url}"))
    return page


def status_of(url):
    request = urllib.request.Request(url, headers={"accept": "text/html"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_a_swiss_made_and_played_from_its_pages(browser, api, axe_source):
    problems = []
    director = browser.new_context(viewport={"width": 1280, "height": 900})
    player = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    visitor = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        td = watch(director.new_page(), problems, allowed=(400,))
        sign_up(td, api.base, "formdir", "Fran Director")

        # The create-tournament form; a refused form keeps what was typed and says why.
        td.goto(api.base + "/tournaments/new")
        form = td.get_by_role("form", name="Configuration")
        form.get_by_label("Id").fill(ID)
        form.get_by_label("Name").fill("Forms Open")
        form.get_by_label("Format").select_option("swiss")
        form.get_by_label("Rounds").fill("3")
        form.get_by_label("Tie-breaks").fill("BH:C1, XYZ")
        screenshot(td, "tournament-new")
        assert axe_violations(td, axe_source) == []
        form.get_by_role("button", name="Create tournament").click()
        expect(td.get_by_role("alert")).to_contain_text("XYZ")
        form = td.get_by_role("form", name="Configuration")
        expect(form.get_by_label("Name")).to_have_value("Forms Open")
        expect(form.get_by_label("Tie-breaks")).to_have_value("BH:C1, XYZ")
        form.get_by_label("Tie-breaks").fill("")
        form.get_by_role("button", name="Create tournament").click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}$"))

        # In draft the director has the configuration form and the draft's buttons.
        assert buttons(td) == ["Publish", "Cancel", "Delete"]
        config = td.get_by_role("form", name="Configuration")
        expect(config.get_by_label("Rounds")).to_have_value("3")
        expect(config.get_by_label("Tie-breaks")).to_have_value("BH:C1, BH, SB, DE")
        config.get_by_label("Name").fill("Forms Open 2027")
        config.get_by_label("Starts at (UTC)").fill("2027-03-14T18:30")
        config.get_by_role("button", name="Save configuration").click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        expect(td.get_by_role("heading", level=1)).to_have_text("Forms Open 2027")
        expect(td.locator("p .meta")).to_contain_text("starts 2027-03-14 18:30 UTC")
        screenshot(td, "tournament-configuration")
        assert axe_violations(td, axe_source) == []

        # Anyone else sees that it has not opened yet, and no form.
        spectator = watch(visitor.new_page(), problems)
        spectator.goto(api.base + f"/tournaments/{ID}")
        expect(spectator.get_by_role("main")).to_contain_text("has not opened yet")
        expect(spectator.get_by_role("main")).to_contain_text("2027-03-14 18:30 UTC")
        assert spectator.get_by_role("form", name="Configuration").count() == 0
        screenshot(spectator, "tournament-not-started")
        assert axe_violations(spectator, axe_source) == []

        td.get_by_role("button", name="Publish").click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        assert td.get_by_role("form", name="Configuration").count() == 0

        # A player signs a team up, unregisters it, then joins alone and follows.
        pia = watch(player.new_page(), problems)
        sign_up(pia, api.base, "formpia", "Pia Forms")
        pia.goto(api.base + f"/tournaments/{ID}")
        assert buttons(pia) == ["Join"]
        signup = pia.get_by_role("form", name="Sign up")
        signup.get_by_label("Team name").fill("Pia Knights")
        expect(signup.get_by_label("Members")).to_have_value("formpia")
        screenshot(pia, "tournament-sign-up")
        assert axe_violations(pia, axe_source) == []
        signup.get_by_role("button", name="Sign up team").click()
        pia.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        teams = pia.get_by_role("region", name="Teams")
        expect(teams).to_contain_text("Pia Knights")
        expect(pia.get_by_role("region", name="Entries")).to_contain_text("Pia Knights")
        assert pia.get_by_role("form", name="Sign up").count() == 0, "one entry each"
        teams.get_by_role("button", name="Unregister Pia Knights").click()
        pia.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        assert pia.get_by_role("region", name="Teams").count() == 0
        pia.get_by_role("button", name="Join").click()
        pia.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        pia.get_by_role("button", name="Follow").click()
        pia.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        expect(pia.get_by_role("button", name="Unfollow")).to_be_visible()
        for n in (1, 2, 3):
            api.ok("POST", f"/v1/tournaments/{ID}/join", api.token(f"forms-bot{n}", "bot"),
                   {"name": f"Bot {n}", "rating": 2000 - n})

        # Play: round 1 from the results form, a draw and a win.
        td.reload()
        td.get_by_role("button", name="Start").click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        controls = td.get_by_role("form", name="Results").get_by_role("combobox")
        assert controls.count() == 2
        first = controls.first
        assert "draw" in first.locator("option").all_inner_texts()
        with td.expect_response(re.compile(r"/result$")) as saved:
            first.select_option("draw")
        assert saved.value.status == 200
        expect(controls).to_have_count(1)
        with td.expect_navigation():  # the round's last result: the page reloads
            controls.first.select_option(index=1)  # the first side won
        td.get_by_role("button", name="Advance").click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}$"))
        expect(td.locator("p .meta")).to_contain_text("round 2 of 3")

        # Standings with the tie-breaks, the rounds' pages, the crosstable.
        standings = td.get_by_role("region", name="Standings")
        for code in ("BH:C1", "BH", "SB", "DE"):
            expect(standings.get_by_role("columnheader", name=code, exact=True)).to_be_visible()
        rounds = td.get_by_role("navigation", name="Rounds")
        rounds.get_by_role("link", name="1", exact=True).click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}/rounds/1$"))
        pairings = td.get_by_role("region", name="Pairings")
        outcomes = pairings.locator(".outcome").all_inner_texts()
        assert sorted(outcomes) == ["1–0", "½–½"], outcomes
        screenshot(td, "swiss-round")
        assert axe_violations(td, axe_source) == []
        td.get_by_role("link", name="Crosstable").click()
        td.wait_for_url(re.compile(f"/tournaments/{ID}/crosstable$"))
        rows = td.locator("table.crosstable tbody tr")
        expect(rows).to_have_count(4)
        cells = [rows.nth(i).locator("td").nth(3).inner_text() for i in range(4)]
        assert all(re.fullmatch(r"[1-4][wb][1½0]", c) for c in cells), cells
        assert rows.first.locator("td").nth(2).inner_text() == "1", "the winner leads"
        screenshot(td, "swiss-crosstable")
        assert axe_violations(td, axe_source) == []

        # The player's dashboard: the followed tournament and notifications, live.
        pia.goto(api.base + "/me")
        pia_id = pia.locator("#notifications").get_attribute("data-user")
        followed = pia.get_by_role("region", name="Followed tournaments")
        expect(followed.get_by_role("link", name="Forms Open 2027")).to_be_visible()
        notes = pia.locator("#notifications li")
        expect(notes.first).to_contain_text("Round 2: your match")
        before = notes.count()
        game = next(g for g in api.ok("GET", f"/v1/tournaments/{ID}/rounds/2/pairings")["pairings"]
                    if pia_id in g["sides"])
        session_call(api, td, "POST", f"/v1/tournaments/{ID}/matches/{game['match_id']}/result",
                     {"type": "win", "winner": pia_id})
        expect(notes).to_have_count(before + 1, timeout=3000)
        expect(notes.first).to_contain_text("won by Pia Forms")
        screenshot(pia, "me-dashboard")
        assert axe_violations(pia, axe_source) == []
        pia.get_by_role("button", name="Mark all read").click()
        pia.wait_for_url(re.compile(r"/me$"))
        assert pia.locator("#notifications li.unread").count() == 0
    finally:
        director.close()
        player.close()
        visitor.close()
    assert not problems, problems

    # Addresses that name nothing answer the 404 page.
    for path in (f"/tournaments/{ID}/rounds/9", f"/tournaments/{ID}/rounds/x",
                 "/tournaments/nope/crosstable", "/tournaments/nope/rounds/1"):
        assert status_of(api.base + path) == 404, path
