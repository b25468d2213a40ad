"""The follow-up reminder job: the service and task (synchronously and on a real Celery
worker) and the home-page panel that lists the open reminders."""

import datetime as dt

import pytest
from celery.result import AsyncResult
from django.conf import settings
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from alize.tenancy import scope, scope_for_user
from dispositifs.models import Dispositif
from pme import services
from pme.models import FollowUpReminder, Project, Stage
from pme.panels import due_follow_ups_panel
from pme.tasks import refresh_due_follow_ups
from tests.celery_worker import WORKER_TIMEOUT, real_worker
from tests.clock import NOW, TODAY
from tests.factories import project_at
from tests.query_counts import assert_queries_do_not_grow

# Approved on 1 January last year: exactly the first yearly follow-up is due, on 1 January.
JANUARY_LAST_YEAR = dt.date(2025, 1, 1)


def approved_project(dispositif, days_ago=None, on=None, **kwargs):
    """A project in progress whose approval is backdated by ``days_ago`` days (or ``on``)."""
    project = project_at(Stage.IN_PROGRESS, dispositif=dispositif, **kwargs)
    with scope([dispositif]):
        Project.objects.filter(pk=project.pk).update(
            approved_on=on or TODAY - dt.timedelta(days=days_ago)
        )
        project.refresh_from_db()
    return project


def anniversary(today: dt.date, days: int, years: int) -> dt.date:
    """The ``years``-th anniversary of ``today + days`` (28 February for a 29 February)."""
    day = today + dt.timedelta(days=days)
    leap_day = (day.month, day.day) == (2, 29)
    return dt.date(day.year + years, day.month, 28 if leap_day else day.day)


def refresh() -> int:
    """Run the national job synchronously (its fan-out too): how many reminders it added."""
    before = FollowUpReminder.unscoped_objects.count()
    fanned_out = refresh_due_follow_ups.apply().get()
    every = Dispositif.unscoped_objects.order_by("pk").values_list("pk", flat=True)
    assert [dispositif_id for dispositif_id, _task in fanned_out] == list(every)
    return FollowUpReminder.unscoped_objects.count() - before


def open_reminders(**filters):
    return FollowUpReminder.unscoped_objects.filter(resolved_at__isnull=True, **filters)


# The service and the task, run synchronously ---------------------------------------------
def test_task_creates_due_reminders_once_in_every_dispositif(world):
    two_years = approved_project(world.a, days_ago=2 * 365 + 20)
    recent = approved_project(world.a, days_ago=100)
    elsewhere = approved_project(world.b, on=JANUARY_LAST_YEAR)
    assert refresh() == 3
    assert sorted(open_reminders(project=two_years).values_list("year", flat=True)) == [1, 2]
    assert not open_reminders(project=recent).exists()
    assert list(open_reminders(project=elsewhere).values_list("year", flat=True)) == [1]
    due = open_reminders(project=elsewhere).get().due_on
    assert due == dt.date(2026, 1, 1)
    assert refresh() == 0
    assert FollowUpReminder.unscoped_objects.count() == 3


def test_recording_the_follow_up_resolves_its_reminder_for_good(world):
    project = approved_project(world.a, days_ago=400)
    refresh()
    with scope([world.a]):
        services.follow_up_record(
            project=project,
            year=1,
            headcount=15,
            jobs_created=3,
            jobs_maintained=12,
            source="declared",
            by=world.animateur_a,
        )
    reminder = FollowUpReminder.unscoped_objects.get(project=project, year=1)
    assert reminder.resolved_at is not None
    assert refresh() == 0
    assert not open_reminders(project=project).exists()


def test_a_recorded_year_is_never_reminded(world):
    project = approved_project(world.a, days_ago=400)
    with scope([world.a]):
        services.follow_up_record(
            project=project,
            year=1,
            headcount=15,
            jobs_created=3,
            jobs_maintained=12,
            source="verified",
            by=None,
        )
    assert refresh() == 0
    assert not FollowUpReminder.unscoped_objects.filter(project=project).exists()


def test_service_stays_inside_the_callers_scope(world):
    approved_project(world.a, days_ago=400)
    other = approved_project(world.b, days_ago=400)
    with scope([world.a]):
        assert services.follow_up_reminders_refresh() == 1
    assert not FollowUpReminder.unscoped_objects.filter(project=other).exists()


def test_task_is_scheduled_by_beat():
    schedule = settings.CELERY_BEAT_SCHEDULE["pme-due-follow-ups"]
    assert schedule["task"] == refresh_due_follow_ups.name == "pme.tasks.refresh_due_follow_ups"


# The home-page panel ---------------------------------------------------------------------
def test_animateur_sees_own_open_reminders_with_a_link(world, client):
    own = approved_project(world.a, on=JANUARY_LAST_YEAR)
    resolved = approved_project(world.a, days_ago=380)
    other = approved_project(world.b, days_ago=400)
    refresh()
    FollowUpReminder.unscoped_objects.filter(project=resolved).update(resolved_at=NOW)
    for project, title in ((own, "Usinage de précision"), (resolved, "Atelier de peinture")):
        Project.unscoped_objects.filter(pk=project.pk).update(title=title)
    Project.unscoped_objects.filter(pk=other.pk).update(title="Ligne savoyarde")

    client.force_login(world.animateur_a)
    page = client.get(reverse("home")).content.decode()
    assert 'id="panel-follow-ups"' in page
    assert "Usinage de précision" in page
    assert reverse("pme:project-detail", args=[own.pk]) in page
    assert own.company.name in page
    assert "01/01/2026" in page
    assert "Atelier de peinture" not in page
    assert "Ligne savoyarde" not in page


def test_coordinator_sees_every_dispositif_and_members_see_no_panel(world, client):
    own = approved_project(world.a, days_ago=400)
    other = approved_project(world.b, days_ago=400)
    refresh()
    client.force_login(world.coordinator)
    page = client.get(reverse("home")).content.decode()
    for project in (own, other):
        assert reverse("pme:project-detail", args=[project.pk]) in page
    assert world.b.name in page
    client.force_login(world.member_a)
    assert 'id="panel-follow-ups"' not in client.get(reverse("home")).content.decode()


def panel_html(user):
    request = RequestFactory().get("/")
    request.user = user
    with scope(
        scope_for_user(user).dispositif_ids,
        every_dispositif=scope_for_user(user).everything,
        reason="home panel test",
    ):
        panel = due_follow_ups_panel(request)
        return panel, render_to_string(panel["template"], {"panel": panel})


def test_panel_query_count_does_not_grow(world):
    approved_project(world.a, days_ago=400)
    refresh()
    assert panel_html(world.animateur_a)[0]["total"] == 1

    def more_rows():
        for _ in range(4):
            approved_project(world.a, days_ago=800)
        refresh()

    panel, html = assert_queries_do_not_grow(
        "home panel: due follow-ups", lambda: panel_html(world.animateur_a), more_rows
    )
    assert panel["total"] == 9 and html.count("<tr>") == 10


# A real Celery worker --------------------------------------------------------------------
@pytest.mark.celery
def test_real_worker_creates_the_reminders(world, transactional_db, tmp_path):
    """The worker runs on the real clock, not the tests' fixed one: approvals old enough for
    every follow-up year to have passed on either day (A follows up 2 years, B 1)."""
    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(follow_up_years=2)
    Dispositif.unscoped_objects.filter(pk=world.b.pk).update(follow_up_years=1)
    project = approved_project(world.a, on=dt.date(2021, 3, 1))
    other = approved_project(world.b, on=dt.date(2021, 3, 1))
    log = tmp_path / "worker.log"
    with real_worker(log):
        fanned_out = refresh_due_follow_ups.delay().get(timeout=WORKER_TIMEOUT)
        created = {
            dispositif_id: AsyncResult(task_id).get(timeout=WORKER_TIMEOUT)
            for dispositif_id, task_id in fanned_out
        }
    assert created == {world.a.pk: 2, world.b.pk: 1}, log.read_text()
    assert sorted(open_reminders(project=project).values_list("year", flat=True)) == [1, 2]
    assert list(open_reminders(project=other).values_list("year", flat=True)) == [1]
    assert "refresh_due_follow_ups" in log.read_text()
