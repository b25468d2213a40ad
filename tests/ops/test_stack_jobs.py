"""No job is lost, on the local stack (`make run`) and its real processes: the worker's main
process SIGKILLed while a document builds and while its agenda is being mailed, and Redis
SIGKILLed with twelve annual reports queued. The stack's supervisor restarts what died; the
job outbox's sweeper (every few seconds here, ``stack_env``) sends again what was lost, and
every document is then built once and every committee member has one mail in the stack's
SMTP mailbox, within the sweeper's period plus the jobs' time.
"""

import email
import email.policy
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from tests.ops.stack_helpers import (
    JOBS_ENV,
    LOCAL,
    PYTHON,
    ROOT,
    Stack,
    children,
    leftovers,
    stack_env,
    stale_state,
    wait_until,
)

pytestmark = pytest.mark.stack

STEP_PAUSE = 0.6  # seconds per build step and after each mail (REPORTING_STEP_PAUSE)
SLUG = "chambery"
MEMBERS = 3  # committee members added to the demo one, so that a mailing takes a while
# A lost job is sent again within the heartbeat timeout and a sweep period (the worker's
# restart, 1 to 2 s, fits in between); then it runs.
RECOVERY = JOBS_ENV["ALIZE_JOBS_HEARTBEAT_TIMEOUT"] + JOBS_ENV["ALIZE_JOBS_SWEEP_SECONDS"] + 2
MAILBOX = LOCAL / "mail"


@pytest.fixture(scope="module")
def stack():
    """A full `make run` whose document builds and mailings go step by step."""
    assert not leftovers(), "a test stack from an earlier run is still running"
    running = Stack(env={"REPORTING_STEP_PAUSE": str(STEP_PAUSE)})
    try:
        running.wait_for("Alizé is running", timeout=300)
        yield running
    finally:
        running.sigterm_group()
        running.wait_exit()
    assert wait_until(lambda: not leftovers(), 10), leftovers()
    assert stale_state() == {}


def django(stack: Stack, code: str):
    """Run ``code`` in ``manage.py shell`` against the stack; it prints one JSON value last."""
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=stack_env(stack.port),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def rows(query: str, *params) -> list[tuple]:
    url = json.loads((LOCAL / "stack.json").read_text())["postgres"]["url"]
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(query, params).fetchall()


def documents(ids: list[int]) -> dict[int, tuple]:
    """id → (status, progress, attempts, file name)."""
    found = rows(
        "SELECT id, status, progress, attempts, file FROM reporting_document WHERE id = ANY(%s)",
        ids,
    )
    return {row[0]: row[1:] for row in found}


def build_jobs(ids: list[int]) -> dict[int, tuple]:
    """document id → (status, attempts) of its build in the outbox."""
    keys = [f"reporting.build:{pk}" for pk in ids]
    found = rows(
        "SELECT dedup_key, status, attempts FROM alize_job WHERE dedup_key = ANY(%s)", keys
    )
    return {int(key.split(":")[1]): (status, attempts) for key, status, attempts in found}


def all_done(ids: list[int]):
    states = documents(ids)
    return all(state[0] == "done" for state in states.values()) and states


def new_mail(before: set[Path], link: str) -> list[email.message.EmailMessage]:
    """The mails that arrived since ``before`` and give ``link`` (one document's)."""
    found = []
    for path in sorted(set(MAILBOX.glob("*.eml")) - before):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if link in message.get_body(preferencelist=("plain",)).get_content():
            found.append(message)
    return found


def kill_worker_main_process() -> int:
    """SIGKILL the Celery worker's main process only (its pool child dies with its group,
    when the supervisor notices); returns its pid."""
    pid = children()["worker"]
    os.kill(pid, signal.SIGKILL)
    return pid


ASK_FOR_THE_AGENDA = f"""
import json
from django.db.models import Count
from django.urls import reverse
from alize.accounts.models import Role, RoleAssignment, User
from alize.tenancy import scope
from committees.models import Committee
from dispositifs.models import Dispositif
from reporting import services
from reporting.models import DocumentKind

with scope(every_dispositif=True, reason="stack test"):
    dispositif = Dispositif.objects.get(slug="{SLUG}")
    demo = RoleAssignment.objects.get(
        role=Role.COMMITTEE_MEMBER, user__email="membre.{SLUG}@demo.alize.fr"
    )
    for n in range({MEMBERS}):
        user, _ = User.objects.get_or_create(
            email=f"membre-{{n}}.stack-tests@demo.alize.fr",
            defaults={{"full_name": f"Membre de test {{n}}"}},
        )
        RoleAssignment.objects.get_or_create(
            user=user,
            role=Role.COMMITTEE_MEMBER,
            dispositif=dispositif,
            organisation_id=demo.organisation_id,
        )
    animateur = User.objects.get(email="animateur.{SLUG}@demo.alize.fr")
    committee = (
        Committee.objects.filter(dispositif=dispositif)
        .annotate(dossiers=Count("items"))
        .order_by("-dossiers", "-date")
        .first()
    )
    document = services.document_request(
        kind=DocumentKind.AGENDA, committee=committee, by=animateur, regenerate=True
    )
    members = sorted(
        RoleAssignment.objects.filter(
            role=Role.COMMITTEE_MEMBER, dispositif=dispositif, user__is_active=True
        ).values_list("user__email", flat=True).distinct()
    )
link = reverse("reporting:download", args=[document.pk])
print(json.dumps({{"document": document.pk, "link": link, "members": members}}))
"""


def assert_one_agenda_mail_each(before: set[Path], asked: dict, timeout: float):
    members = asked["members"]
    mails = wait_until(lambda: len(new_mail(before, asked["link"])) >= len(members), timeout)
    assert mails, new_mail(before, asked["link"])
    time.sleep(2 * STEP_PAUSE)  # a duplicate would have come by now
    mails = new_mail(before, asked["link"])
    assert sorted(m["To"] for m in mails) == members, "one agenda mail per member"
    for message in mails:
        assert [part.get_filename() for part in message.iter_attachments()], "the PDF attached"


def test_a_document_whose_worker_main_process_is_killed_mid_build_is_built_once(stack):
    before = set(MAILBOX.glob("*.eml"))
    asked = django(stack, ASK_FOR_THE_AGENDA)
    document = asked["document"]
    assert wait_until(lambda: documents([document])[document][1] > 0, 60, step=0.1)
    killed = kill_worker_main_process()
    killed_at = time.monotonic()
    status, progress, attempts, _file = documents([document])[document]
    assert (status, attempts) == ("running", 1) and progress < 100
    assert wait_until(lambda: children()["worker"] != killed, 15)

    done = wait_until(lambda: all_done([document]), RECOVERY + 40, step=0.2)
    elapsed = time.monotonic() - killed_at
    print(f"worker killed at {progress} %; document done {elapsed:.1f} s later")
    status, progress, attempts, file = done[document]
    assert (status, progress, attempts) == ("done", 100, 2), "built again once, after the kill"
    folder = LOCAL / "documents" / str(document)
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == [Path(file).name]
    assert_one_agenda_mail_each(before, asked, timeout=30)
    assert wait_until(lambda: build_jobs([document])[document] == ("done", 2), 10)


def test_an_agenda_whose_worker_main_process_is_killed_mid_mailing_reaches_everyone_once(stack):
    before = set(MAILBOX.glob("*.eml"))
    asked = django(stack, ASK_FOR_THE_AGENDA)
    document = asked["document"]
    assert len(asked["members"]) > 2
    assert wait_until(lambda: new_mail(before, asked["link"]), 90, step=0.05), "mailing"
    kill_worker_main_process()
    killed_at = time.monotonic()
    assert documents([document])[document][0] == "done"
    mailed = len(new_mail(before, asked["link"]))
    assert 0 < mailed < len(asked["members"]), "killed in the middle of the mailing"

    assert_one_agenda_mail_each(before, asked, timeout=RECOVERY + 30)
    print(f"killed after {mailed} mail(s); all sent {time.monotonic() - killed_at:.1f} s later")
    assert documents([document])[document][2] == 1, "the document was built once"
    assert wait_until(lambda: build_jobs([document])[document] == ("done", 2), 10)


ASK_FOR_TWELVE_REPORTS = """
import json
from alize.tenancy import scope
from dispositifs.models import Dispositif
from django.utils import timezone
from reporting import services
from reporting.models import DocumentKind

year = timezone.localdate().year
asked = []
with scope(every_dispositif=True, reason="stack test"):
    # The stack's two demo dispositifs (stack_helpers.DEMO_DISPOSITIFS), six years each.
    for dispositif in Dispositif.objects.order_by("pk")[:2]:
        for back in range(1, 7):
            document = services.document_request(
                kind=DocumentKind.ANNUAL_REPORT,
                dispositif=dispositif,
                year=year - back,
                by=None,
                regenerate=True,
            )
            asked.append(document.pk)
print(json.dumps(asked))
"""


def test_reports_queued_when_redis_is_killed_are_each_built_once(stack):
    asked = django(stack, ASK_FOR_TWELVE_REPORTS)
    assert len(set(asked)) == 12
    redis_pid = int((LOCAL / "redis" / "redis.pid").read_text())
    os.kill(redis_pid, signal.SIGKILL)
    killed_at = time.monotonic()
    states = documents(asked)
    assert sum(state[0] == "queued" for state in states.values()) >= 10, states
    assert wait_until(lambda: "Redis: started again" in stack.text(), 30, step=0.2)

    # Twelve builds one after the other (one worker process), each a few steps long.
    done = wait_until(lambda: all_done(asked), RECOVERY + 12 * 8, step=0.5)
    print(f"Redis killed; the 12 reports were done {time.monotonic() - killed_at:.1f} s later")
    assert done, documents(asked)
    assert {state[2] for state in done.values()} == {1}, "each built once"
    assert set(build_jobs(asked).values()) == {("done", 1)}
    for document, (_status, _progress, _attempts, file) in done.items():
        folder = LOCAL / "documents" / str(document)
        assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == [Path(file).name]
