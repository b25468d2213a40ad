"""The local settings (`make run`): links in e-mails name the stack's own port, and
`manage.py` (dbshell included) reaches the stack's own database."""

import json
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


def dbshell_command(database_url: str) -> list[str]:
    """The psql command line ``manage.py dbshell`` would run for this DATABASE_URL."""
    environ = {**os.environ, "DATABASE_URL": database_url}
    environ["DJANGO_SETTINGS_MODULE"] = "alize.settings.local"
    code = (
        "import django, json; django.setup();"
        "from django.db import connection;"
        "args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, []);"
        "print(json.dumps(args))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=environ, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_dbshell_reaches_the_stacks_socket_not_the_systems(tmp_path):
    # The local stack records its embedded server as a unix-socket URL; psql must be given
    # that socket directory, or it would open the system's default socket (another server).
    socket_dir = str(tmp_path / "pgdata")
    args = dbshell_command(f"postgres://postgres@/alize?host={socket_dir}")
    assert args[args.index("-h") + 1] == socket_dir
    assert args[-1] == "alize"


def test_dbshell_of_a_tcp_url_keeps_its_host_and_port():
    args = dbshell_command("postgres://postgres@127.0.0.1:5433/alize")
    assert args[args.index("-h") + 1] == "127.0.0.1"
    assert args[args.index("-p") + 1] == "5433"
