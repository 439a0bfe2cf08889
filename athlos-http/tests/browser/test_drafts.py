"""The live draft board in real browsers: two managers and a spectator watch one draft; the
manager on the clock picks with the "Pick" form and the other manager's board shows the pick
within a second and now offers them the form; the time left counts down; a pick posted from a
stale board is refused with the server's reason and status; a manager keeps their queue; a
spectator sees no form; an unknown draft answers the 404 page."""

import re

import pytest
from playwright.sync_api import expect

from conftest import screenshot
from test_accounts import PASSWORD
from test_pages import axe_violations

DRAFT = "board-league"


def account(api, username, display_name):
    """A new account, made through the API: its id."""
    made = api.ok("POST", "/v1/accounts",
                  body={"username": username, "password": PASSWORD, "display_name": display_name})
    return made["id"]


def sign_in(page, base, username):
    page.goto(base + "/sign-in")
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/me$"))


def watched(context, problems, allowed=()):
    """A page of `context` whose console errors and error statuses land in `problems`."""
    page = context.new_page()

    def console(message):
        if message.type == "error" and not any(f"status of {s}" in message.text for s in allowed):
            problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("response", lambda r: r.status >= 400 and r.status not in allowed
            and problems.append(f"{r.status}: {r.url}"))
    return page


def league(managers):
    """Two teams, three rounds, snake (A B | B A | A B): one goalkeeper at most per roster,
    forwards for the rest."""
    pool = [{"id": f"keeper{n}", "position": "GK", "rank": n} for n in range(1, 4)]
    pool += [{"id": f"forward{n}", "position": "FW", "rank": 10 + n} for n in range(1, 7)]
    return {
        "id": DRAFT, "teams": 2, "rounds": 3, "order": "snake", "seconds_per_pick": 600,
        "roster": [{"position": "GK", "starters": 1, "max": 1},
                   {"position": "FW", "starters": 1}],
        "pool": pool, "managers": managers,
    }


def pick_form(page):
    return page.get_by_role("form", name="Pick")


def test_two_managers_and_a_spectator_follow_a_live_draft(browser, api, axe_source):
    ana = account(api, "draft-ana", "Ana Manager")
    ben = account(api, "draft-ben", "Ben Manager")
    commissioner = api.token("draft-commish", "director")
    api.ok("POST", "/v1/drafts", commissioner, league([ana, ben]))
    api.ok("POST", f"/v1/drafts/{DRAFT}/start", commissioner, {})
    url = api.base + f"/drafts/{DRAFT}"

    problems = []
    contexts = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(3)]
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        a = watched(contexts[0], problems, allowed=(409,))
        b = watched(contexts[1], problems)
        watcher = watched(contexts[2], problems, allowed=(404,))
        sign_in(a, api.base, "draft-ana")
        sign_in(b, api.base, "draft-ben")

        # A spectator: the board, no form at all.
        watcher.goto(url)
        assert watcher.get_by_role("heading", level=1).inner_text() == f"Draft {DRAFT}"
        assert watcher.locator("main form").count() == 0
        assert watcher.get_by_role("region", name="Queue").count() == 0
        assert "Team 1" in watcher.locator("#on-clock-team").inner_text()
        assert watcher.get_by_role("region", name="Available players").locator("tbody tr").count() == 9
        screenshot(watcher, "draft-board")
        assert axe_violations(watcher, axe_source) == []

        # The time left counts down, each second.
        timer = watcher.locator("#time-left")
        assert re.fullmatch(r"\d+:\d\d", timer.inner_text())
        assert timer.get_attribute("data-deadline")
        first = timer.inner_text()
        expect(timer).not_to_have_text(first, timeout=2500)

        # Ana (team 1) is on the clock: the pick form; Ben is not: his queue only.
        a.goto(url)
        b.goto(url)
        expect(pick_form(a)).to_have_count(1)
        assert pick_form(b).count() == 0
        assert a.get_by_role("region", name="Queue").count() == 1
        assert b.get_by_role("region", name="Queue").count() == 1
        assert axe_violations(a, axe_source) == []

        # Ben keeps his queue: add two, move the second up, remove one.
        queue = b.get_by_role("region", name="Queue")
        for player in ("forward2", "keeper2"):
            queue.get_by_label("Add to Team 2's queue").select_option(player)
            queue.get_by_role("button", name="Add").click()
            b.wait_for_url(re.compile(rf"/drafts/{DRAFT}(#queue-1)?$"))
            queue = b.get_by_role("region", name="Queue")
        assert queue.get_by_role("listitem").all_inner_texts()[0].startswith("forward2")
        queue.get_by_role("button", name="Move keeper2 up").click()
        b.wait_for_url(re.compile(rf"/drafts/{DRAFT}(#queue-1)?$"))
        items = b.get_by_role("region", name="Queue").get_by_role("listitem")
        assert [t.split(" ")[0] for t in items.all_inner_texts()] == ["keeper2", "forward2"]
        b.get_by_role("region", name="Queue").get_by_role("button", name="Remove forward2").click()
        b.wait_for_url(re.compile(rf"/drafts/{DRAFT}(#queue-1)?$"))
        items = b.get_by_role("region", name="Queue").get_by_role("listitem")
        assert [t.split(" ")[0] for t in items.all_inner_texts()] == ["keeper2"]

        # A second tab of Ana's whose live stream is cut: it keeps the pick form.
        stale = contexts[0].new_page()
        stale.route(re.compile(r"/stream(\?.*)?$"), lambda route: route.abort())
        stale.goto(url)
        expect(pick_form(stale)).to_have_count(1)

        # Ana picks; Ben's board shows it within a second and offers him the form; the
        # control Ben had focused keeps the focus through the refresh.
        b.locator("#queue-add-1").focus()
        form = pick_form(a)
        form.get_by_label(re.compile("Player for pick 1")).select_option("keeper1")
        with a.expect_response(re.compile(rf"/drafts/{DRAFT}/pick$")) as answer:
            form.get_by_role("button", name="Pick").click()
        assert answer.value.status == 303
        a.wait_for_url(re.compile(rf"/drafts/{DRAFT}$"))
        assert pick_form(a).count() == 0, "Ana is not on the clock any more"
        recent = b.get_by_role("region", name="Recent picks")
        expect(recent.locator('tr[data-pick="1"]')).to_contain_text("keeper1", timeout=1000)
        expect(pick_form(b)).to_have_count(1, timeout=1000)
        assert b.evaluate("document.activeElement.id") == "queue-add-1"
        expect(watcher.locator('tr[data-pick="1"]')).to_contain_text("Team 1", timeout=1000)
        assert "Team 2" in b.locator("#on-clock-team").inner_text()
        # Ben cannot take the goalkeeper Ana took; his queue still names keeper2.
        offered = pick_form(b).locator("option").all_inner_texts()
        assert not any(o.startswith("keeper1") for o in offered) and any(
            o.startswith("keeper2") for o in offered)
        screenshot(b, "draft-manager")
        assert axe_violations(b, axe_source) == []
        # The countdown keeps running after the live refresh.
        ticking = b.locator("#time-left").inner_text()
        expect(b.locator("#time-left")).not_to_have_text(ticking, timeout=2500)

        # The stale tab's form is refused: it is not Ana's turn; the board says why.
        with stale.expect_response(re.compile(rf"/drafts/{DRAFT}/pick$")) as answer:
            pick_form(stale).get_by_role("button", name="Pick").click()
        assert answer.value.status == 409
        alert = stale.get_by_role("alert")
        expect(alert).to_contain_text("refused")
        expect(alert).to_contain_text("not on the clock")
        assert pick_form(stale).count() == 0
        screenshot(stale, "draft-pick-refused")

        # The same refusal through the API with the session (as a script would send it).
        token = a.locator("input[name=csrf_token]").first.get_attribute("value")
        refused = a.evaluate(
            """async ([url, token]) => {
                const r = await fetch(url, {method: "POST", credentials: "same-origin",
                    headers: {"content-type": "application/json", "x-csrf-token": token},
                    body: JSON.stringify({pick: 2, team: 0, player: "forward1"})});
                return [r.status, (await r.json()).error];
            }""", [f"/v1/drafts/{DRAFT}/picks", token])
        assert refused[0] == 409 and "does not own pick 2" in refused[1], refused

        # At phone width the board still reads.
        small = phone.new_page()
        small.goto(url)
        assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        screenshot(small, "draft-board-phone")

        # An unknown draft: the 404 page.
        response = watcher.goto(api.base + "/drafts/no-such-draft")
        assert response.status == 404
        assert "no-such-draft" in watcher.get_by_role("main").inner_text()
    finally:
        for context in contexts + [phone]:
            context.close()
    assert not problems, problems
