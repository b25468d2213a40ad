"""Quality gates that run with the suite: lint, format, checks, migrations, deploy, compose."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
PYTHON_BIN = Path(sys.executable).parent


def run(*command, env=None):
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=300, check=False
    )
    return result.returncode, result.stdout + result.stderr


def test_ruff_lint():
    code, output = run(str(PYTHON_BIN / "ruff"), "check", ".")
    assert code == 0, output


def test_ruff_format():
    code, output = run(str(PYTHON_BIN / "ruff"), "format", "--check", ".")
    assert code == 0, output


def test_system_checks():
    call_command("check", fail_level="WARNING")


def test_no_missing_migrations(db):
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


def test_deploy_checks_on_production_settings():
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "alize.settings.production",
        "DJANGO_SECRET_KEY": "ci-" + "x" * 60 + "-not-a-real-secret-just-long-and-random-enough",
        "ALLOWED_HOSTS": "alize.example.org",
    }
    code, output = run(
        sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env
    )
    assert code == 0, output


def test_docker_compose_file():
    compose = ROOT / "docker-compose.yml"
    data = yaml.safe_load(compose.read_text())
    services = data["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    images = {
        (str(services[name].get("build")), services[name].get("image"))
        for name in ("web", "worker", "beat")
    }
    assert len(images) == 1, "web, worker and beat share one image definition"
    assert services["web"].get("build") or services["web"].get("image")
    if shutil.which("docker-compose"):
        code, output = run("docker-compose", "-f", str(compose), "config", "--quiet")
        assert code == 0, output
