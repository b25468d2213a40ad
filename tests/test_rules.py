"""Architecture rules as data, checked over the code (in the manner of Zulip's custom_check).

Each rule has a pattern, the files it applies to, the files allowed to break it (with the
reason), and a good and a bad line that prove the pattern itself works. A violation fails
the test with the file, the line and the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIPPED_PARTS = {".venv", ".local", "migrations", "tests", "node_modules", "staticfiles"}


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    reason: str
    applies_to: tuple[str, ...] = ("*.py",)
    # Where the rule does not apply at all, e.g. API viewsets, which only declare a queryset
    # that their base class narrows with the access policy.
    not_applies_to: tuple[str, ...] = ()
    allowed: dict[str, str] = field(default_factory=dict)
    good: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()
    # The rule reads the test suite instead of the application code.
    in_tests: bool = False

    def matches(self, line: str) -> bool:
        return re.search(self.pattern, line) is not None


RULES = [
    Rule(
        name="unscoped-objects",
        pattern=r"\.unscoped_objects\b",
        reason="Only the tenancy core and the access policy may read around the scope.",
        allowed={
            "alize/tenancy.py": "the tenancy core itself",
            "dispositifs/access.py": "the access policy resolves scopes before one exists",
        },
        good=("Project.objects.for_user(user, Action.VIEW_PROJECT)",),
        bad=("Project.unscoped_objects.all()",),
    ),
    Rule(
        name="queries-in-views-and-panels",
        pattern=r"\.objects\b",
        reason="Views, panels and template tags read through selectors, never a manager.",
        applies_to=(
            "*/views.py",
            "*/views/*.py",
            "*/panels.py",
            "*/templatetags/*.py",
            "alize/web.py",
        ),
        not_applies_to=("*/api/*",),
        good=("return selectors.project_list(self.request.user)",),
        bad=("Project.objects.filter(dispositif=dispositif)",),
    ),
    Rule(
        name="scope-over-every-dispositif",
        pattern=r"every_dispositif\s*=\s*True",
        reason="A scope over every dispositif appears only in the allow-list, with its reason.",
        allowed={
            "alize/tenancy.py": "management commands without --dispositif run network-wide",
            "alize/tasks.py": "a national job runs network-wide (and fans out)",
            "reporting/runner.py": "the national annual report reads every dispositif",
            "bench/documents.py": "the benchmark builds the national report on its own data",
            "bench/statements.py": "the benchmark picks the national fund with most instalments",
            "alize/demo.py": "the demo seed writes every demo dispositif",
            "alize/management/commands/seed_demo.py": "the demo seed prints the API token",
            "alize/backup.py": "a backup's figures (the ledger's balances) are the whole base's",
            "dispositifs/access.py": "the access policy reads the seats of every dispositif",
            "missions/services/hours.py": "the 12-hour rule sums a person's hours everywhere",
            "missions/selectors/figures.py": "a firm's contribution figures are national totals",
            "alize/indicators/facts.py": "the indicators' refresh and check walk every dispositif",
            "alize/indicators/wiring.py": "a national rate changes every dispositif's figures",
            "reporting/publication.py": "secrecy is decided over whole regions, whoever asks",
            "reporting/dashboards.py": "the network median reads every dispositif's kept facts",
            "reporting/selectors.py": "a partner firm's year in a report is a national total",
            "alize/personal_data/selectors.py": "a person's export reads every dispositif",
            "alize/personal_data/services.py": "an erasure rewrites every dispositif's rows",
            "pme/door/selectors.py": "the public door lists the active dispositifs' public texts",
        },
        good=("with scope([dispositif_id]):",),
        bad=('with scope(every_dispositif=True, reason="why not"):',),
    ),
    Rule(
        name="public-door-scope",
        pattern=r"\bpublic_door_scope\s*\(|\bimport\b.*\bpublic_door_scope\b",
        reason=(
            "The one anonymous path into tenant data (docs/architecture.md §3.6, §16): only "
            "the public doors enter it, for the one dispositif their URL or signed token names."
        ),
        allowed={
            "alize/tenancy.py": "the tenancy core defines it",
            "pme/door/views.py": "the public door: submit to, and confirm in, one dispositif",
            "pme/views/follow_up_declarations.py": (
                "an SME's signed follow-up link writes the one declaration it names"
            ),
        },
        good=(
            "with scope([dispositif_id]):",
            "the views enter ``alize.tenancy.public_door_scope`` for the one dispositif",
            "link = link_open(PURPOSE, token)",
        ),
        bad=(
            "with public_door_scope(dispositif.pk, door='x'):",
            "from alize.tenancy import public_door_scope",
            "from alize.tenancy import ScopeError, public_door_scope, scope",
            "door = tenancy.public_door_scope (",
        ),
    ),
    Rule(
        name="no-serializer-save-in-api-views",
        pattern=r"\bserializer\.save\(",
        reason="API views hand validated data to a service; serializer.save() bypasses it.",
        applies_to=("*/api/views.py", "alize/api/*.py"),
        good=("serializer.instance = services.company_create(**serializer.validated_data)",),
        bad=("serializer.save()",),
    ),
    Rule(
        name="service-refusals-through-service-call",
        pattern=(
            r"except\b.*\b(SERVICE_ERRORS|ApplicationError)\b"
            r"|\bapply_service_error\(|^\s*SERVICE_ERRORS\s*(:[^=]*)?="
        ),
        reason="Views catch a service refusal with alize.web.ServiceCall, never by hand.",
        applies_to=("*views.py", "*/views/*.py"),
        good=("with ServiceCall(form) as call:", "if call.refused:", "except ValueError:"),
        bad=(
            "except SERVICE_ERRORS as error:",
            "apply_service_error(form, error)",
            "SERVICE_ERRORS: tuple = (ValidationError, ApplicationError)",
            "except (ValidationError, ApplicationError) as error:",
        ),
    ),
    Rule(
        name="no-real-clock-in-tests",
        pattern=(
            r"\b(?:date|datetime)\.(?:today|now|utcnow)\("
            r"|\btimezone\.(?:now|localdate|localtime)\(\)"
            r"|\btime\.time(?:_ns)?\(\)"
            r"|\bfrom django\.utils\.timezone import\b.*\b(?:now|localdate|localtime)\b"
        ),
        reason=(
            "Tests run on the fixed clock of tests/clock.py: a date is written out or taken "
            "from TODAY / NOW, and a test moves the clock with time_machine, never reads it."
        ),
        applies_to=("tests/*.py",),
        allowed={
            "tests/test_rules.py": "this rule's own examples of bad lines",
            "tests/ops/test_stack_jobs.py": (
                "a script run by the local stack's own process (make run), on its real clock"
            ),
        },
        good=(
            "committee = CommitteeFactory(dispositif=world.a, date=TODAY)",
            'assert due == dt.date(2026, 1, 1) and "01/01/2026" in page',
            "time_machine.shift(settings.LOGIN_FAILURE_WINDOW)",
            "deadline = time.monotonic() + timeout",
            "day = timezone.localtime(log.created_at).date()",
            "time.sleep(0.5)  # the second import now waits on the unique index",
        ),
        bad=(
            "today = dt.date.today()",
            "now = timezone.now()",
            "TODAY = timezone.localdate()",
            "stamp = dt.datetime.now(PARIS)",
            "started = time.time()",
            "from django.utils.timezone import localdate, now",
        ),
        in_tests=True,
    ),
]


def source_files() -> list[Path]:
    return [
        path for path in ROOT.rglob("*.py") if not SKIPPED_PARTS & set(path.relative_to(ROOT).parts)
    ]


def suite_files() -> list[Path]:
    return sorted((ROOT / "tests").rglob("*.py"))


def files_for(rule: Rule) -> list[Path]:
    return suite_files() if rule.in_tests else source_files()


def violations(rule: Rule, files) -> list[str]:
    found = []
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if not any(fnmatch(relative, pattern) for pattern in rule.applies_to):
            continue
        if any(fnmatch(relative, pattern) for pattern in rule.not_applies_to):
            continue
        if relative in rule.allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if rule.matches(line):
                found.append(f"{relative}:{number}: {line.strip()}  [{rule.reason}]")
    return found


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_holds(rule):
    assert violations(rule, files_for(rule)) == []


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_pattern_tells_good_from_bad(rule):
    assert rule.good and rule.bad
    assert not any(rule.matches(line) for line in rule.good)
    assert all(rule.matches(line) for line in rule.bad)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_rule_catches_a_planted_violation(rule):
    """A file that breaks the rule, planted where the rule applies, is reported."""
    target = rule.applies_to[0].replace("*", "planted")
    found = violations(rule, [_Planted(ROOT / target, rule.bad[0])])
    assert len(found) == 1 and found[0].startswith(target)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.name)
def test_allowed_files_exist_and_need_their_exemption(rule):
    """An allow-list entry for a file that is gone, or that no longer breaks the rule, is
    stale and must go."""
    for relative in rule.allowed:
        path = ROOT / relative
        assert path.exists(), relative
        assert any(rule.matches(line) for line in path.read_text().splitlines()), relative


class _Planted:
    """A stand-in for a source file holding one line."""

    def __init__(self, path: Path, line: str):
        self._path = path
        self._line = line

    def relative_to(self, root):
        return self._path.relative_to(root)

    def read_text(self):
        return self._line + "\n"
