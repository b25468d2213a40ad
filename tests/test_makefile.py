"""`make venv` (behind `make run` and `make test`) installs the lock with uv when it can have
one and falls back to pip otherwise. Each case runs the real Makefile in a scratch folder
with an empty lock, so nothing is downloaded and the project's own .venv is never touched."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
UV = shutil.which("uv")
# The interpreter a newcomer has (the tests run inside a virtualenv without pip).
BOOT = getattr(sys, "_base_executable", sys.executable)


def scratch(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "requirements-dev.lock").write_text("# nothing to install\n")
    return tmp_path


def make_venv(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "venv", f"PYTHON_BOOT={BOOT}", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_dry_run_installs_with_uv_and_keeps_pip_as_the_fallback(tmp_path):
    folder = scratch(tmp_path)
    dry = subprocess.run(
        ["make", "-n", "venv"], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    assert (
        "pip install -q --compile-bytecode --python .venv/bin/python -r requirements-dev.lock"
        in dry.stdout
    )
    assert "-m pip install -q --target .local/bootstrap uv" in dry.stdout
    assert ".venv/bin/python -m pip install -q -r requirements-dev.lock" in dry.stdout
    assert not (folder / ".venv").exists()


@pytest.mark.skipif(UV is None, reason="uv is not installed here")
def test_uv_installs_the_lock_when_given(tmp_path):
    folder = scratch(tmp_path)
    result = make_venv(folder, f"UV={UV}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"with uv ({UV})" in result.stdout
    assert (folder / ".venv" / ".installed").exists()
    assert (folder / ".venv" / "bin" / "pip").exists()  # seeded: pip still works in the venv


def test_a_uv_that_fails_falls_back_to_pip(tmp_path):
    folder = scratch(tmp_path)
    result = make_venv(folder, "UV=false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "uv could not install the lock: installing with pip" in result.stdout
    assert (folder / ".venv" / ".installed").exists()


def test_without_uv_pip_installs_the_lock(tmp_path):
    folder = scratch(tmp_path)
    result = make_venv(folder, "UV=none")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "with uv" not in result.stdout
    assert (folder / ".venv" / ".installed").exists()
