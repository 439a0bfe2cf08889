"""Webhooks from a live `athlos serve`, checked with the reference Standard Webhooks package:
its verifier accepts every delivery and rejects tampered ones."""

import http.server
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET = "python-webhook-test-secret"


class Receiver(http.server.ThreadingHTTPServer):
    """Records every POST: its path, headers and raw body."""

    def __init__(self):
        self.deliveries = []
        self.lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):  # noqa: N802 (http.server's naming)
                length = int(handler.headers.get("content-length", "0"))
                body = handler.rfile.read(length)
                with self.lock:
                    self.deliveries.append(
                        {"path": handler.path, "headers": dict(handler.headers), "body": body}
                    )
                handler.send_response(204)
                handler.end_headers()

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)

    def received(self):
        with self.lock:
            return list(self.deliveries)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token=None, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            text = response.read()
            return response.status, (json.loads(text) if text else None)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.fixture
def server(athlos_bin):
    port = free_port()
    env = dict(
        os.environ,
        ATHLOS_JWT_SECRET=SECRET,
        ATHLOS_WEBHOOK_ALLOW_PRIVATE="true",
        RUST_LOG="warn",
    )
    process = subprocess.Popen(
        [athlos_bin, "serve", "--address", f"127.0.0.1:{port}", "--database", "memory://"],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("athlos serve did not start")
            time.sleep(0.05)
    yield base
    process.kill()
    process.wait()


def token(athlos_bin, sub, role):
    out = subprocess.run(
        [athlos_bin, "token", "--sub", sub, "--role", role, "--jwt-secret", SECRET],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def test_reference_verifier_accepts_every_delivery_and_rejects_tampering(server, athlos_bin):
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    hook_url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    director = token(athlos_bin, "py-director", "director")
    rules = {"options": {"format": "round_robin"}, "min_entries": 4, "seed": 2}
    status, _ = call(
        server, "POST", "/v1/tournaments", director, {"id": "py", "name": "Py", "rules": rules}
    )
    assert status == 201
    status, created = call(server, "POST", "/v1/tournaments/py/webhooks", director, {"url": hook_url})
    assert status == 201
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert call(server, "POST", "/v1/tournaments/py/publish", director)[0] == 200
    for n in range(1, 5):
        player = token(athlos_bin, f"p{n}", "player")
        body = {"name": f"Player {n}"}
        assert call(server, "POST", "/v1/tournaments/py/join", player, body)[0] == 200
    assert call(server, "POST", "/v1/tournaments/py/start", director)[0] == 200

    deadline = time.time() + 30
    while not any(b"pairing.ready" in d["body"] for d in receiver.received()):
        assert time.time() < deadline, "no deliveries"
        time.sleep(0.05)
    receiver.shutdown()
    deliveries = receiver.received()
    verifier = Webhook(secret)
    types = []
    for delivery in deliveries:
        payload = verifier.verify(delivery["body"], delivery["headers"])
        assert payload["id"] == delivery["headers"]["webhook-id"]
        assert set(payload) >= {"type", "timestamp", "version", "data"}
        types.append(payload["type"])
    assert "tournament.state_changed" in types and "pairing.ready" in types

    sample = deliveries[-1]
    tampered_body = sample["body"].replace(b'"round":1', b'"round":2')
    assert tampered_body != sample["body"]
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered_body, sample["headers"])
    forged = dict(sample["headers"], **{"webhook-id": sample["headers"]["webhook-id"] + "x"})
    with pytest.raises(WebhookVerificationError):
        verifier.verify(sample["body"], forged)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(sample["body"], sample["headers"])

    # The secret is shown once: later reads carry only a hint.
    status, hook = call(server, "GET", f"/v1/webhooks/{created['id']}", director)
    assert status == 200
    assert "secret" not in hook and secret not in json.dumps(hook)
