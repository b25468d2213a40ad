"""The architecture as contracts: import-linter holds the layers (docs/architecture.md) and
forbids import circles; mypy (with django-stubs) types the core and the services. Each gate
is run on the tree, and the layer gate is proven on a copy of the tree with a planted upward
import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PYTHON_BIN = Path(sys.executable).parent
APPS = ("alize", "partners", "dispositifs", "pme", "committees", "missions", "loans", "reporting")


def lint_imports(cwd: Path) -> tuple[int, str]:
    result = subprocess.run(
        [str(PYTHON_BIN / "lint-imports"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def test_import_contracts_hold():
    code, output = lint_imports(ROOT)
    assert code == 0, output
    assert "0 broken" in output


@pytest.fixture
def tree_copy(tmp_path):
    """The project's packages and import-linter configuration, copied without their data."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "migrations", "geodata", "data")
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=ignore)
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "planted", "contract"),
    [
        # the directory reaching up into loans
        ("partners/planted.py", "from loans import models\n", "layers"),
        # the core reaching into an app
        ("alize/planted.py", "import pme.models\n", "layers"),
        # two siblings of one layer that must not know each other
        ("missions/planted.py", "from loans.models import Advance\n", "layers"),
        # a lazy import inside a function counts as much as one at the top
        ("pme/planted.py", "def f():\n    from reporting import models\n", "layers"),
    ],
)
def test_a_planted_upward_import_breaks_the_layers(tree_copy, module, planted, contract):
    assert lint_imports(tree_copy)[0] == 0
    (tree_copy / module).write_text(planted)
    code, output = lint_imports(tree_copy)
    assert code != 0, output
    assert "Apps import only the layers below them BROKEN" in output


def test_a_planted_circle_between_packages_breaks_the_circle_contract(tree_copy):
    # loans.api imports loans.services (through its views); a services module importing
    # the API back makes a circle between two packages of one app.
    (tree_copy / "loans" / "planted_up.py").write_text("import loans.api.views\n")
    (tree_copy / "loans" / "api" / "planted_down.py").write_text("import loans.planted_up\n")
    code, output = lint_imports(tree_copy)
    assert code != 0, output
    assert "No import circle between the packages of an app BROKEN" in output


def test_the_core_and_the_services_type_check():
    """mypy with django-stubs on the files that pyproject.toml names (the core and every
    app's services), with the test settings; its cache makes a second run take seconds."""
    result = subprocess.run(
        [str(PYTHON_BIN / "mypy")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_a_planted_type_error_fails_the_type_gate(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text("from alize.tenancy import may\n\nallowed: str = may(None, 'view')\n")
    result = subprocess.run(
        [str(PYTHON_BIN / "mypy"), str(planted)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'expression has type "bool", variable has type "str"' in result.stdout
