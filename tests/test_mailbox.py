"""The /mailbox/ pages: the local SMTP server's mailbox, for coordinators, only where the
local settings name a mailbox folder; messages written by the stack's own SMTP server."""

from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.urls import reverse

from alize import mailbox
from tests.query_counts import assert_queries_do_not_grow
from tests.view_base import WebDetailMixin, WebListMixin

ROOT = Path(__file__).resolve().parents[1]


def load_mailserver():
    import importlib.util

    spec = importlib.util.spec_from_file_location("mailserver", ROOT / "devstack/mailserver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def finish(coroutine):
    """The result of a coroutine that never waits (the handler writes a file and returns),
    also where an event loop already runs (the browser tests)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("the handler waited on something")


def deliver(folder: Path, *, subject: str, to: str = "someone@example.org", attachment=None):
    """Hand a message to the local server's handler, as the SMTP server does; returns the
    stored message's name."""
    message = EmailMessage()
    message["Subject"], message["From"], message["To"] = subject, "noreply@alize.fr", to
    message["Date"] = "Sat, 28 Nov 2026 04:00:00 +0000"
    message.set_content(f"Corps de « {subject} » & suite.")
    if attachment:
        message.add_attachment(
            attachment[1], maintype="application", subtype="pdf", filename=attachment[0]
        )
    before = set(folder.glob("*.eml"))
    handler = load_mailserver().MailboxHandler(folder)
    envelope = SimpleNamespace(original_content=message.as_bytes())
    assert finish(handler.handle_DATA(None, None, envelope)).startswith("250")
    (stored,) = set(folder.glob("*.eml")) - before
    return stored.stem


@pytest.fixture
def mail_dir(tmp_path, settings):
    settings.DEMO_MAILBOX_DIR = tmp_path
    return tmp_path


class TestMailboxRoutes(WebListMixin, WebDetailMixin):
    """Read by the coordinator only: a mail "of" dispositif A or B is just a message whose
    subject names it."""

    readers = frozenset({"coordinator"})
    list_url_name = "mailbox"
    detail_url_name = "mailbox-message"

    @pytest.fixture(autouse=True)
    def _mailbox(self, mail_dir):
        self.folder = mail_dir

    def make(self, world, dispositif):
        name = deliver(self.folder, subject=f"Ordre du jour {dispositif.name}")
        return SimpleNamespace(pk=name, label=f"Ordre du jour {dispositif.name}")

    def label(self, instance):
        return instance.label

    def make_in(self, world, dispositif, count=1):
        return [self.make(world, dispositif) for _ in range(count)]

    def viewer(self, world):
        return world.coordinator

    def test_list_query_count_does_not_grow(self, world, client):
        self.login(client, world)
        url = reverse(self.list_url_name)
        self.make_in(world, world.a, count=2)
        assert_queries_do_not_grow(
            self.list_url_name, lambda: client.get(url), lambda: self.make_in(world, world.a, 6)
        )


def test_anonymous_is_sent_to_login(db, client, mail_dir):
    name = deliver(mail_dir, subject="Bonjour", attachment=("a.pdf", b"%PDF"))
    for url in (
        reverse("mailbox"),
        reverse("mailbox-message", args=[name]),
        reverse("mailbox-attachment", args=[name, 0]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_message_shows_its_headers_text_and_attachments(world, client, mail_dir):
    name = deliver(mail_dir, subject="Comité de mars", attachment=("odj.pdf", b"%PDF-1.4 odj"))
    client.force_login(world.coordinator)
    page = client.get(reverse("mailbox-message", args=[name])).content.decode()
    assert "Comité de mars" in page and "someone@example.org" in page
    assert "Corps de « Comité de mars » &amp; suite." in page
    assert "odj.pdf" in page and "application/pdf" in page

    download = client.get(reverse("mailbox-attachment", args=[name, 0]))
    assert download.status_code == 200 and download.content == b"%PDF-1.4 odj"
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="odj.pdf"'
    assert client.get(reverse("mailbox-attachment", args=[name, 1])).status_code == 404
    assert client.get(reverse("mailbox-message", args=[".."])).status_code == 404
    assert (
        client.get(reverse("mailbox-message", args=["20260101-000000-000000-deadbeef"])).status_code
        == 404
    )


def test_the_list_is_newest_first_and_paginated(world, client, mail_dir):
    names = [deliver(mail_dir, subject=f"Message {i:02d}") for i in range(27)]
    assert mailbox.message_names() == sorted(names, reverse=True)
    client.force_login(world.coordinator)
    first = client.get(reverse("mailbox")).content.decode()
    assert "Message 26" in first and "Message 02" in first and "Message 01" not in first
    assert first.index("Message 26") < first.index("Message 25")
    second = client.get(reverse("mailbox"), {"page": 2}).content.decode()
    assert "Message 01" in second and "Message 00" in second


def test_the_mailbox_is_off_without_a_folder_even_for_coordinators(world, client, settings):
    settings.DEMO_MAILBOX_DIR = None
    client.force_login(world.coordinator)
    assert client.get(reverse("mailbox")).status_code == 404
    assert reverse("mailbox") not in client.get(reverse("home")).content.decode()


def test_the_menu_shows_the_mailbox_to_coordinators_only(world, client, mail_dir):
    client.force_login(world.coordinator)
    assert reverse("mailbox") in client.get(reverse("home")).content.decode()
    client.force_login(world.animateur_a)
    assert reverse("mailbox") not in client.get(reverse("home")).content.decode()


def test_production_settings_have_no_mailbox():
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "alize.settings.production"}
    env.setdefault("DJANGO_SECRET_KEY", "x" * 60)
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DEMO_MAILBOX_DIR)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert result.stdout.strip() == "None"
