"""The web pages in a real browser (Playwright driving Debian's chromium) against a live
`athlos serve` on SQLite: what each page shows in each tournament state, the filters, the 404
page, escaping, phone width, keyboard use, no console errors, and an axe-core scan with no
serious or critical violation. Every page visited is also saved under target/screenshots/."""

import re
import urllib.request

import pytest

from conftest import screenshot

RULES = {"options": {"format": "single_elimination"}, "min_entries": 2, "seed": 11}


def create(api, director, tid, name, entries=0, start=False, results=0, advance=False):
    api.ok("POST", "/v1/tournaments", director, {"id": tid, "name": name, "rules": RULES})
    if entries:
        api.ok("POST", f"/v1/tournaments/{tid}/publish", director)
        for n in range(1, entries + 1):
            api.ok("POST", f"/v1/tournaments/{tid}/join", api.token(f"{tid}-bot{n}", "bot"), {})
    if start:
        api.ok("POST", f"/v1/tournaments/{tid}/start", director)
    for _ in range(results):
        t = api.ok("GET", f"/v1/tournaments/{tid}")
        pairings = api.ok("GET", f"/v1/tournaments/{tid}/rounds/{t['round']}/pairings")
        ready = [p for p in pairings["pairings"] if p["status"] == "ready"]
        match = ready[0]
        api.ok("POST", f"/v1/tournaments/{tid}/matches/{match['match_id']}/result", director,
               {"type": "win", "winner": match["sides"][0]})
    if advance:
        api.ok("POST", f"/v1/tournaments/{tid}/advance", director)


@pytest.fixture(scope="module")
def world(api):
    director = api.token("td", "director")
    create(api, director, "winter", "Winter Draft")
    create(api, director, "spring", "Spring Open", entries=3)
    create(api, director, "summer", "Summer Cup", entries=4, start=True, results=1)
    create(api, director, "autumn", "Autumn Final", entries=2, start=True, results=1,
           advance=True)
    create(api, director, "tags", "<b>Bold</b> & <script>alert(1)</script>")
    return api


def axe_violations(page, axe_source):
    """The serious and critical axe-core violations of the page as it is now."""
    page.evaluate(axe_source)
    violations = page.evaluate(
        "async () => (await axe.run(document)).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return violations


def visit(page, world, path, name, axe_source):
    response = page.goto(world.base + path)
    assert response is not None
    screenshot(page, name)
    assert axe_violations(page, axe_source) == [], path
    return response


def test_home_counts_and_cards(page, world, axe_source):
    response = visit(page, world, "/", "home", axe_source)
    assert response.status == 200
    assert page.get_by_role("heading", level=1).inner_text() == "Tournaments at a glance"
    live = page.get_by_role("region", name="Live now")
    assert live.get_by_role("link", name="Summer Cup").count() == 1
    upcoming = page.get_by_role("region", name="Open for registration")
    assert upcoming.get_by_role("link", name="Spring Open").count() == 1
    recent = page.get_by_role("region", name="Recent results")
    assert recent.get_by_role("link", name="Autumn Final").count() == 1
    # A count links to the list filtered by its state.
    page.get_by_role("region", name="Counts").get_by_role("link").first.click()
    assert re.search(r"/tournaments\?state=\w+", page.url)


def test_list_filters_by_state_and_text(page, world, axe_source):
    visit(page, world, "/tournaments", "tournaments", axe_source)
    search = page.get_by_role("search", name="Filter tournaments")
    search.get_by_label("State").select_option("active")
    search.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"state=active"))
    screenshot(page, "tournaments-active")
    names = page.locator("main ul.cards li a").all_inner_texts()
    assert names == ["Summer Cup"]
    search = page.get_by_role("search", name="Filter tournaments")
    search.get_by_label("State").select_option("")
    search.get_by_label("Search").fill("open")
    search.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"q=open"))
    assert page.locator("main ul.cards li a").all_inner_texts() == ["Spring Open"]


@pytest.mark.parametrize(
    "tid, state, sections",
    [
        ("winter", "draft", []),  # not open yet: nothing of it to see
        ("spring", "registration", ["Entries"]),
        ("summer", "active", ["Round 1", "Standings", "Bracket", "Entries"]),
        ("autumn", "completed", ["Final standings", "Bracket", "Entries"]),
    ],
)
def test_tournament_page_follows_its_state(page, world, axe_source, tid, state, sections):
    response = visit(page, world, f"/tournaments/{tid}", f"tournament-{state}", axe_source)
    assert response.status == 200
    assert page.locator(".state").text_content() == state
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings == sections
    if state == "draft":
        assert "has not opened yet" in page.get_by_role("main").inner_text()
    if "Bracket" in sections:
        image = page.get_by_role("img", name=re.compile("The bracket of"))
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    if state == "active":
        rows = page.get_by_role("region", name="Round 1").locator("tbody tr")
        assert rows.count() == 2


def test_unknown_addresses_answer_the_404_page(browser, world, axe_source):
    context = browser.new_context()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    try:
        for path, name in [("/tournaments/nobody", "not-found-tournament"),
                           ("/no/such/page", "not-found")]:
            response = page.goto(world.base + path)
            assert response.status == 404
            assert "text/html" in response.headers["content-type"]
            screenshot(page, name)
            assert axe_violations(page, axe_source) == []
            assert page.get_by_role("heading", level=1).inner_text() == "Not found"
    finally:
        context.close()
    # The browser reports the 404 itself on the console; nothing else may appear there.
    assert [e for e in errors if "status of 404" not in e] == []


def test_names_are_text_never_markup(page, world):
    page.goto(world.base + "/tournaments/tags")
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "<b>Bold</b> & <script>alert(1)</script>"
    assert heading.locator("b, script").count() == 0


def test_pages_fit_a_phone(browser, world):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    try:
        for path, name in [("/", "home"), ("/tournaments", "tournaments"),
                           ("/tournaments/summer", "tournament-active")]:
            page.goto(world.base + path)
            screenshot(page, f"phone-{name}")
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} is {overflow}px wider than the phone"
    finally:
        context.close()


def test_keyboard_reaches_the_content_first(page, world):
    page.goto(world.base + "/tournaments")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")


def test_pages_carry_a_policy_without_inline_script(world):
    with urllib.request.urlopen(world.base + "/tournaments/summer", timeout=10) as response:
        policy = response.headers["content-security-policy"]
        body = response.read().decode()
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in body and " style=" not in body
