"""Error reporting (alize/error_reporting.py) to a real HTTP server standing for a
Sentry-compatible service: an error in a request is reported with its type, its place and
the request's id, and without personal data (no e-mail, cookie, body, query string,
address or name; the user by id at most), tagged with the request's id. With no DSN,
nothing is set up."""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import brotli
import pytest
import sentry_sdk
from django.test import Client

from alize.error_reporting import init_error_reporting, scrub_event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EMAIL = "anne.martin@example.org"


class Collector(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):  # noqa: N802 - http.server's hook name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        encoding = self.headers.get("Content-Encoding", "")
        if encoding == "br":
            body = brotli.decompress(body)
        elif encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        self.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_server():
    Collector.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    init_error_reporting(f"http://clef-publique@127.0.0.1:{server.server_port}/1")
    try:
        yield Collector
    finally:
        client = sentry_sdk.get_client()
        client.close(timeout=2)
        sentry_sdk.init()  # no DSN: nothing is sent by the next tests
        server.shutdown()
        server.server_close()


def events(received: list[bytes]) -> list[dict]:
    found = []
    for envelope in received:
        lines = envelope.split(b"\n")
        for header, payload in zip(lines[1::2], lines[2::2], strict=False):
            if json.loads(header).get("type") == "event":
                found.append(json.loads(payload))
    return found


@pytest.mark.urls("tests.error_urls")
def test_an_error_is_reported_without_personal_data(sentry_server):
    user = UserFactory(email=EMAIL, full_name="Anne Martin")
    web = Client(raise_request_exception=False)
    web.force_login(user)
    response = web.post(
        f"/echec/?email={EMAIL}",
        {"email": EMAIL, "telephone": "06 12 34 56 78"},
        HTTP_X_REQUEST_ID="req-echec-0123456789",
        HTTP_USER_AGENT="Navigateur d'Anne",
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 500
    sentry_sdk.get_client().flush(timeout=5)

    (event,) = events(sentry_server.received)
    text = json.dumps(event)
    for personal in (EMAIL, "06 12 34 56 78", "Anne", "10.1.2.3", "sessionid", "csrftoken"):
        assert personal not in text, personal
    (error,) = event["exception"]["values"]
    assert error["type"] == "RuntimeError"
    assert error["value"] == "Relance impossible pour [adresse]"
    assert all("vars" not in frame for frame in error["stacktrace"]["frames"])
    assert (
        event["user"] == {"id": str(user.pk)}
        or event["user"] == {"id": user.pk}
        or (event["user"] == {})
    )
    assert set(event["user"]) <= {"id"}
    assert not {"data", "cookies", "query_string", "env"} & set(event.get("request", {}))
    # The request's id, to find its log lines (alize/logs.py).
    assert event["tags"]["request_id"] == "req-echec-0123456789"


def test_scrubbing_keeps_the_user_id_only_and_drops_what_may_be_personal():
    event = {
        "user": {"id": 5, "email": EMAIL, "ip_address": "10.1.2.3", "username": "anne"},
        "request": {
            "url": f"https://alize.example.org/pme/?q={EMAIL}",
            "data": {"email": EMAIL},
            "cookies": {"sessionid": "x"},
            "query_string": f"q={EMAIL}",
            "env": {"REMOTE_ADDR": "10.1.2.3"},
            "headers": {"Cookie": "sessionid=x", "X-Request-ID": "r-1", "User-Agent": "UA"},
        },
        "breadcrumbs": {"values": [{"message": f"mail à {EMAIL}", "data": {"to": EMAIL}}]},
        "logentry": {"message": "Relance de %s", "params": [EMAIL], "formatted": EMAIL},
        "extra": {"email": EMAIL},
    }
    scrubbed = scrub_event(event)
    assert EMAIL not in json.dumps(scrubbed)
    assert scrubbed["user"] == {"id": 5}
    assert scrubbed["request"] == {
        "url": "https://alize.example.org/pme/",
        "headers": {"X-Request-ID": "r-1"},
    }


def test_without_a_dsn_nothing_is_set_up_to_send():
    assert getattr(sentry_sdk.get_client(), "transport", None) is None
