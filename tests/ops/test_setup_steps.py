"""The setup steps of ``make run`` (devstack/setup_steps.py): a start stopped during the demo
seed leaves a mark, and the next start completes the demo (``seed_demo --force``) instead of
finding data and seeding nothing."""

import importlib.util

import pytest
from django.conf import settings
from django.core import management
from django.core.management import CommandError

SPEC = importlib.util.spec_from_file_location(
    "setup_steps", settings.BASE_DIR / "devstack" / "setup_steps.py"
)
assert SPEC is not None and SPEC.loader is not None
setup_steps = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(setup_steps)


@pytest.fixture
def commands(tmp_path, monkeypatch):
    """The commands the steps run, recorded instead of run; ``fail`` makes the seed fail."""
    monkeypatch.setenv("ALIZE_LOCAL_DIR", str(tmp_path))
    calls: list[tuple] = []
    state = {"fail": False}

    def call_command(*args, **options):
        calls.append(args)
        if args[0] == "seed_demo" and state["fail"]:
            raise CommandError("demo-seed-2-of-2 failed")

    monkeypatch.setattr(management, "call_command", call_command)
    return calls, state


def test_a_seed_stopped_midway_is_completed_at_the_next_start(tmp_path, commands):
    calls, state = commands
    mark = tmp_path / "demo-seed-unfinished"
    log = tmp_path / "setup.log"

    assert setup_steps.main([str(log)]) == 0
    assert calls[-1] == ("seed_demo", "--later")
    assert not mark.exists()

    state["fail"] = True
    with pytest.raises(CommandError):
        setup_steps.main([str(log)])
    assert mark.exists()

    state["fail"] = False
    assert setup_steps.main([str(log)]) == 0
    assert calls[-1] == ("seed_demo", "--later", "--force")
    assert not mark.exists()

    assert setup_steps.main([str(log)]) == 0
    assert calls[-1] == ("seed_demo", "--later")
    assert [call[0] for call in calls[:4]] == [
        "compile_translations",
        "migrate",
        "sync_schedules",
        "seed_demo",
    ]
