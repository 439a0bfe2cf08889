"""The browser tests' fixtures: a live `athlos serve`, tokens, and Debian's chromium driven by
Playwright.

Without chromium, Playwright or the `athlos` binary the tests skip with the reason printed;
under CI=true (where ./scripts/test installs them) they fail instead.
"""

import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

CHROMIUM = "/usr/bin/chromium"
SECRET = "browser-test-secret"
ROOT = pathlib.Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "target" / "screenshots"


def missing(what):
    """Skip loudly, or fail under CI=true."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (required under CI=true)")
    print(f"\nSKIPPED browser tests: {what}")
    pytest.skip(what)


@pytest.fixture(scope="session")
def athlos_bin():
    path = os.environ.get("ATHLOS_BIN")
    if not path or not os.access(path, os.X_OK):
        missing("ATHLOS_BIN does not name the athlos binary")
    return path


@pytest.fixture(scope="session")
def axe_source():
    """axe-core (npm), read from ATHLOS_AXE, to be evaluated in pages."""
    path = os.environ.get("ATHLOS_AXE")
    if not path or not os.path.isfile(path):
        missing("ATHLOS_AXE does not name axe-core's axe.min.js")
    return pathlib.Path(path).read_text()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """The JSON API of the server under test."""

    def __init__(self, base, athlos_bin):
        self.base = base
        self.athlos_bin = athlos_bin

    def token(self, sub, role):
        env = dict(os.environ, ATHLOS_JWT_SECRET=SECRET)
        out = subprocess.run(
            [self.athlos_bin, "token", "--sub", sub, "--role", role],
            env=env, check=True, capture_output=True, text=True,
        )
        return out.stdout.strip()

    def call(self, method, path, token=None, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                return response.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def ok(self, method, path, token=None, body=None):
        status, answer = self.call(method, path, token, body)
        assert 200 <= status < 300, f"{method} {path}: {status} {answer}"
        return answer


@pytest.fixture(scope="session")
def api(athlos_bin):
    port = free_port()
    work = tempfile.mkdtemp(prefix="athlos-browser-")
    env = dict(os.environ, ATHLOS_JWT_SECRET=SECRET, RUST_LOG="warn")
    process = subprocess.Popen(
        [athlos_bin, "serve", "--address", f"127.0.0.1:{port}",
         "--database", f"sqlite://{work}/athlos.db"],
        env=env, stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/ready", timeout=1)
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("athlos serve did not become ready")
            time.sleep(0.1)
    yield Api(base, athlos_bin)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright for Python is not installed (pip install playwright)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh page that records console errors, failed requests and error statuses; the
    test fails if any occurred, except the statuses its `allow_status` mark names (a form
    refused on purpose)."""
    mark = request.node.get_closest_marker("allow_status")
    allowed = set(mark.args) if mark else set()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = []

    def console(message):
        expected = any(f"status of {status}" in message.text for status in allowed)
        if message.type == "error" and not expected:
            problems.append(f"console: {message.text}")

    page.on("console", console)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # An event stream still open when the page is left is cut by the browser: not a fault.
    page.on("requestfailed", lambda r: (r.failure == "net::ERR_ABORTED" and "/stream" in r.url)
            or problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and r.status not in allowed
            and problems.append(f"{r.status}: {r.url}"))
    yield page
    context.close()
    assert not problems, problems


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "allow_status(*codes): error statuses the test provokes on purpose")


def screenshot(page, name, full_page=True):
    """Writes target/screenshots/<name>.png for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
