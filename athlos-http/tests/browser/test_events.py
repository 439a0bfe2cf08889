"""An event and its divisions in a real browser: the director generates every bracket from
the event page and watches the jobs' progress live, previews a division with an override
(quality report and diff before anything is saved), saves exactly that bracket, and locks
it; a refused override is shown with its reason; a spectator sees the same pages without a
single form. axe-core finds no serious violation; screenshots go to target/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from conftest import screenshot
from test_accounts import sign_up
from test_pages import axe_violations
from test_play import session_call

EVENT = "spring-judo"
FIELD = [
    {"id": f"j{n}", "name": f"Judoka {n}", "rating": 2000 - 37 * n,
     "club": ["Kodokan", "Budokwai", "Tora"][n % 3]}
    for n in range(1, 9)
]


def make_event(api, page):
    """The event, as the signed-in director of `page`: two divisions with their fields."""
    session_call(api, page, "POST", "/v1/events", {"id": EVENT, "name": "Spring Judo <Open>"})
    divisions = [("u60", "Under 60 kg", "single_elimination", FIELD),
                 ("u66", "Under 66 kg", "round_robin", FIELD[:4])]
    for division, name, format_, field in divisions:
        session_call(api, page, "POST", f"/v1/events/{EVENT}/divisions",
                     {"id": division, "name": name, "rules": {"format": format_}, "seed": 3})
        session_call(api, page, "POST",
                     f"/v1/events/{EVENT}/divisions/{division}/participants", field)


def bracket_states(page):
    rows = page.get_by_role("region", name="Divisions").locator("tbody tr")
    return {row.get_attribute("data-division"): row.locator(".bracket-state").inner_text()
            for row in rows.all()}


@pytest.mark.allow_status(422)
def test_director_generates_previews_saves_and_locks(page, api, axe_source, browser):
    sign_up(page, api.base, "evdir", "Eve Director")
    make_event(api, page)

    page.goto(api.base + f"/events/{EVENT}")
    assert page.get_by_role("heading", level=1).inner_text() == "Spring Judo <Open>"
    assert bracket_states(page) == {"u60": "none", "u66": "none"}
    form = page.get_by_role("form", name="Brackets")
    form.get_by_role("button", name="Generate all brackets").click()
    page.wait_for_url(re.compile(rf"/events/{EVENT}\?jobs=\d+,\d+$"))
    # The progress element follows the jobs until both are done, then the page shows the
    # divisions' new states.
    progress = page.get_by_role("status")
    expect(progress).to_contain_text("Done: 2 of 2", timeout=20000)
    expect(page.locator('tr[data-division="u60"] .bracket-state')).to_have_text("generated")
    assert bracket_states(page) == {"u60": "generated", "u66": "generated"}
    assert page.locator("progress").get_attribute("value") == "2"
    screenshot(page, "events")
    assert axe_violations(page, axe_source) == []

    # A division: its field, its bracket picture, its versions, the director's forms.
    page.get_by_role("link", name="Under 60 kg").click()
    page.wait_for_url(re.compile(rf"/events/{EVENT}/divisions/u60$"))
    assert page.get_by_role("heading", level=1).inner_text() == "Under 60 kg"
    picture = page.get_by_role("img", name="The bracket of Under 60 kg")
    assert picture.get_attribute("src") == f"/v1/events/{EVENT}/divisions/u60/bracket.svg"
    expect(picture).to_have_js_property("complete", True)
    assert picture.evaluate("img => img.naturalWidth") > 0
    assert page.get_by_role("region", name="Participants").locator("tbody tr").count() == 8
    versions = page.get_by_role("region", name="Versions").get_by_role("listitem")
    assert versions.count() == 1
    assert page.get_by_role("form", name="Lock").count() == 1
    screenshot(page, "division")
    assert axe_violations(page, axe_source) == []

    # A bad override is refused by the core, shown with its reason, nothing saved.
    preview = page.get_by_role("form", name="Preview")
    preview.get_by_label("Seeds placed (max_seeds)").fill("lots")
    with page.expect_response(re.compile(r"/preview$")) as refused:
        preview.get_by_role("button", name="Preview").click()
    assert refused.value.status == 422
    assert "invalid overrides" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Seeds placed (max_seeds)").input_value() == "lots"
    assert page.get_by_role("form", name="Save this bracket").count() == 0

    # A preview with overrides: the quality report and the diff, before saving.
    preview = page.get_by_role("form", name="Preview")
    preview.get_by_label("Seeds placed (max_seeds)").fill("2")
    preview.get_by_label("Draw seed").fill("99")
    preview.get_by_label("Third-place match").select_option("yes")
    preview.get_by_role("button", name="Preview").click()
    result = page.get_by_role("region", name="Previewed bracket (not saved)")
    report = result.get_by_role("region", name="Quality report")
    assert "Quality score" in report.inner_text()
    diff = result.get_by_role("region", name="Changes from the current bracket")
    assert "Rules" in diff.inner_text()
    assert "+++ preview" in diff.locator("pre").inner_text()
    screenshot(page, "division-preview")
    assert axe_violations(page, axe_source) == []
    # What the preview drew, from the API with the same overrides, is what gets saved.
    expected = session_call(api, page, "POST",
                            f"/v1/events/{EVENT}/divisions/u60/preview-bracket",
                            {"overrides": {"rules": {"max_seeds": 2, "third_place": True},
                                           "seed": 99}})["bracket"]
    page.get_by_role("form", name="Save this bracket").get_by_role("button").click()
    page.wait_for_url(re.compile(rf"/events/{EVENT}/divisions/u60$"))
    assert versions.count() == 2
    assert "(current)" in versions.nth(1).inner_text()
    saved = api.ok("GET", f"/v1/events/{EVENT}/divisions/u60/bracket")["bracket"]
    assert saved == expected

    # Lock: the forms go, the state says so.
    page.get_by_role("form", name="Lock").get_by_role("button", name="Lock").click()
    page.wait_for_url(re.compile(rf"/events/{EVENT}/divisions/u60$"))
    assert "locked" in page.locator(".bracket-state").inner_text()
    assert page.get_by_role("form", name="Preview").count() == 0
    assert page.get_by_role("form", name="Lock").count() == 0
    assert api.ok("GET", f"/v1/events/{EVENT}/divisions/u60")["state"] == "locked"

    # Without JavaScript the button still posts, and the page it comes back to shows the
    # jobs as they stand (the locked division's job fails with the core's reason).
    plain = browser.new_context(java_script_enabled=False)
    try:
        plain.add_cookies(page.context.cookies())
        still = plain.new_page()
        still.goto(api.base + f"/events/{EVENT}")
        still.get_by_role("button", name="Generate all brackets").click()
        still.wait_for_url(re.compile(rf"/events/{EVENT}\?jobs=\d+,\d+$"))
        assert re.search(r"\d of 2 brackets", still.get_by_role("status").inner_text())
        assert still.get_by_role("region", name="Generation").get_by_role("listitem").count() == 2
    finally:
        plain.close()

    # A spectator (signed out) sees both pages and no form at all.
    spectator = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        look = spectator.new_page()
        look.goto(api.base + f"/events/{EVENT}")
        assert bracket_states(look) == {"u60": "locked", "u66": "generated"}
        assert look.locator("main form").count() == 0
        assert axe_violations(look, axe_source) == []
        look.goto(api.base + f"/events/{EVENT}/divisions/u66")
        assert look.get_by_role("img", name="The bracket of Under 66 kg").count() == 1
        assert look.locator("main form").count() == 0
        assert axe_violations(look, axe_source) == []
        response = look.goto(api.base + f"/events/{EVENT}/divisions/nope")
        assert response.status == 404
        assert look.get_by_role("heading", level=1).inner_text() == "Not found"
    finally:
        spectator.close()
