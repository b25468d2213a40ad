"""Quality gates that run with the suite: lint, format, checks, migrations, deploy, compose."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
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


COMPOSE_ENV = {
    "POSTGRES_PASSWORD": "compose-test-password",
    "POSTGRES_APP_PASSWORD": "compose-test-app-password",
    "DJANGO_SECRET_KEY": "compose-test-secret",
    "SITE_DOMAIN": "alize.example.org",
}


def load_compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_docker_compose_file_structure():
    """Runs everywhere (no docker-compose needed): the YAML itself is checked."""
    text = (ROOT / "docker-compose.yml").read_text()
    data = load_compose()
    services = data["services"]
    workers = [f"worker-{queue}" for queue in settings.ALIZE_QUEUES]
    assert {"proxy", "postgres", "redis", "migrate", "web", "beat", "backup", *workers} == set(
        services
    )

    # One anchor defines the application image and environment for every app service.
    assert "x-app: &app" in text
    app = data["x-app"]
    for name in ("migrate", "web", "beat", *workers):
        assert services[name]["image"] == app["image"]
        assert services[name]["build"] == app["build"]
        assert services[name]["environment"] == app["environment"]

    # No default secrets: compose refuses to start without them.
    environment = app["environment"]
    assert "${POSTGRES_PASSWORD:?" in environment["DATABASE_URL"]
    # The application connects as its own role, restricted by row-level security.
    assert environment["DATABASE_APP_USER"] == "alize_app"
    assert environment["DATABASE_APP_PASSWORD"].startswith("${POSTGRES_APP_PASSWORD:?")
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith(
        "${POSTGRES_PASSWORD:?"
    )
    assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")
    assert environment["ALLOWED_HOSTS"].startswith("${SITE_DOMAIN:?")
    assert ":-" not in text, "no default value may stand in for a required variable"

    # Redis persists the broker's queue; PostgreSQL and Redis have health checks.
    redis_command = services["redis"]["command"]
    assert redis_command[redis_command.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in services["redis"]["volumes"])
    # Every long-running service has a health check (the one-shot migrate and backup have none).
    for name, service in services.items():
        if name not in ("migrate", "backup"):
            assert service["healthcheck"]["test"], name
    assert "/health/" in str(services["web"]["healthcheck"]["test"])

    # Migrations run once, in a one-shot service that the app services wait for.
    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    assert services["migrate"]["restart"] == "no"
    assert "migrate" not in str(services["web"]["command"])
    for name in ("web", "beat", *workers):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
        assert depends["postgres"]["condition"] == "service_healthy", name

    # Only the reverse proxy is published; the application trusts proxy headers behind it.
    assert "ports" not in services["web"]
    assert services["web"]["expose"] == ["8000"]
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])
    assert "web:8000" in services["proxy"]["command"]
    assert services["proxy"]["depends_on"]["web"]["condition"] == "service_healthy"
    assert environment["BEHIND_PROXY"] == "1"
    for name, service in services.items():
        if name != "proxy":
            assert "ports" not in service, name


def test_docker_compose_runs_one_worker_service_per_queue_class():
    """Each queue class (alize/settings/base.py) has its worker service, serving it alone, with
    its own concurrency, memory limit and a health check pinging that very worker; beat is
    one container whose health check reads its heartbeat."""
    services = load_compose()["services"]
    served = []
    for queue in settings.ALIZE_QUEUES:
        service = services[f"worker-{queue}"]
        command = service["command"]
        assert command[:4] == ["celery", "-A", "alize", "worker"], queue
        assert command[command.index("--queues") + 1] == queue
        served.append(queue)
        assert command[command.index("--hostname") + 1] == f"{queue}@%h"
        assert int(command[command.index("--concurrency") + 1]) >= 1
        assert service["mem_limit"], queue
        ping = " ".join(service["healthcheck"]["test"])
        assert "inspect ping" in ping and f"--destination {queue}@$$HOSTNAME" in ping, queue
        assert "deploy" not in service  # one container unless scaled by hand
    routed = {route["queue"] for route in settings.CELERY_TASK_ROUTES.values()}
    assert set(served) == routed | {settings.CELERY_TASK_DEFAULT_QUEUE}
    mail = services["worker-mail"]["command"]
    documents = services["worker-documents"]["command"]
    assert int(mail[mail.index("--concurrency") + 1]) > int(
        documents[documents.index("--concurrency") + 1]
    )
    assert "--max-memory-per-child" in documents

    beat = services["beat"]
    assert beat["command"][:4] == ["celery", "-A", "alize", "beat"]
    assert "alize-beat.heartbeat" in " ".join(beat["healthcheck"]["test"])


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_docker_compose_config_validates():
    env = {**os.environ, **COMPOSE_ENV}
    code, output = run("docker-compose", "-f", "docker-compose.yml", "config", "--quiet", env=env)
    assert code == 0, output


@pytest.mark.skipif(not shutil.which("docker-compose"), reason="docker-compose is not installed")
def test_docker_compose_refuses_to_start_without_the_secrets():
    for missing in COMPOSE_ENV:
        env = {k: v for k, v in {**os.environ, **COMPOSE_ENV}.items() if k != missing}
        code, output = run(
            "docker-compose", "-f", "docker-compose.yml", "config", "--quiet", env=env
        )
        assert code != 0, missing
        assert missing in output
