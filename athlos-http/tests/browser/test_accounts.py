"""The account pages in a real browser: sign up, "me" with API tokens made and revoked,
sign out, a refused sign-in shown with its reason, sign in again; and the refusals a form
post without its CSRF token or from another site gets."""

import re
import urllib.error
import urllib.request

import pytest

from conftest import screenshot
from test_pages import axe_violations

PASSWORD = "correct horse battery"


def sign_up(page, base, username, display_name):
    """Signs up through the sign-up page, which lands on "me"."""
    page.goto(base + "/sign-up")
    form = page.get_by_role("form", name="Create an account")
    form.get_by_label("Username").fill(username)
    form.get_by_label("Display name").fill(display_name)
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/me$"))


@pytest.mark.allow_status(401)
def test_sign_up_tokens_sign_out_and_in(page, api, axe_source):
    page.goto(api.base + "/sign-up")
    screenshot(page, "sign-up")
    assert axe_violations(page, axe_source) == []
    sign_up(page, api.base, "mira", "Mira <K>")
    assert page.get_by_role("heading", level=1).inner_text() == "My account"
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link", name="Mira <K>").count() == 1
    screenshot(page, "me")
    assert axe_violations(page, axe_source) == []

    # An API token: shown once, then listed; it works against the API; revoked, it does not.
    tokens = page.get_by_role("form", name="New API token")
    tokens.get_by_label("Token name").fill("laptop")
    tokens.get_by_role("button", name="Create token").click()
    notice = page.get_by_role("status")
    secret = notice.locator("code").inner_text()
    assert secret.startswith("athlos.")
    screenshot(page, "me-new-token")
    status, me = api.call("GET", "/v1/users/" + user_id(api, secret) + "/tokens", secret)
    assert status == 200 and [t["name"] for t in me["tokens"]] == ["laptop"]
    page.goto(api.base + "/me")
    assert page.get_by_role("status").count() == 0, "the secret is shown once"
    page.get_by_role("form", name="Revoke laptop").get_by_role("button").click()
    page.wait_for_url(re.compile(r"/me$"))
    assert "revoked" in page.get_by_role("region", name="API tokens").inner_text()
    status, refused = api.call("GET", "/v1/users/" + user_id(api, secret) + "/tokens", secret)
    assert status == 401, refused

    # Sign out, a wrong password, then sign in again.
    nav.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/$"))
    assert nav.get_by_role("link", name="Sign in").count() == 1
    page.goto(api.base + "/me")
    page.wait_for_url(re.compile(r"/sign-in$"))
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Username").fill("MIRA")
    form.get_by_label("Password").fill("not the password")
    with page.expect_response(re.compile(r"/sign-in$")) as answer:
        form.get_by_role("button", name="Sign in").click()
    assert answer.value.status == 401
    assert "wrong password" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Username").input_value() == "MIRA"
    assert page.get_by_label("Password").input_value() == ""
    screenshot(page, "sign-in-refused")
    assert axe_violations(page, axe_source) == []
    form = page.get_by_role("form", name="Sign in")
    form.get_by_label("Password").fill(PASSWORD)
    form.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/me$"))


def user_id(api, token):
    """The account id an API token acts for (its first part after the prefix)."""
    return token.split(".")[1]


def post_form(url, fields, headers):
    data = "&".join(f"{k}={v}" for k, v in fields.items()).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    request.add_header("content-type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_form_posts_need_their_csrf_token_and_this_site(browser, api):
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_up(page, api.base, "csrf-test", "C")
        cookie = next(c for c in context.cookies() if c["name"] == "athlos_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        jar = {"cookie": f"athlos_session={cookie['value']}"}
        # Without the token, or with another, the session's forms are refused.
        assert post_form(api.base + "/me/tokens", {"name": "x"}, jar) == 403
        assert post_form(api.base + "/sign-out", {"csrf_token": "forged"}, jar) == 403
        page.goto(api.base + "/me")
        assert page.get_by_role("heading", level=1).inner_text() == "My account"
        # A sign-in posted from another site is refused before any password is checked.
        evil = {"origin": "http://evil.example"}
        assert post_form(api.base + "/sign-in",
                         {"username": "csrf-test", "password": PASSWORD}, evil) == 403
    finally:
        context.close()
