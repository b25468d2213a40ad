"""The local settings (`make run`): links in e-mails name the stack's own port."""

import os
import subprocess
import sys

import pytest


def site_url(**env) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    environ.update(env, DJANGO_SETTINGS_MODULE="alize.settings.local")
    code = (
        "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"PORT": "8430"}, "http://127.0.0.1:8430"),
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8430", "SITE_URL": "https://alize.example"}, "https://alize.example"),
    ],
)
def test_mail_links_lead_to_the_local_stacks_port(env, expected):
    assert site_url(**env) == expected
