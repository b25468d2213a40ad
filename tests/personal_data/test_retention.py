"""The retention job (docs/personal-data.md, "Retention"): beat runs it nightly; it erases
the directory's experts and users inactive for ``RETENTION_YEARS`` and fans out to each
dispositif for the contacts of SMEs whose last project ended that long ago; it leaves the
recent ones, reports what it erased per kind, and a second run erases nobody."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from alize.accounts.models import Role, User
from alize.models import ErasureOrigin, ErasureRecord, RetentionReport
from alize.tasks import apply_retention, apply_retention_in_dispositif
from alize.tenancy import scope
from partners.models import Expert
from pme.models import Company, Project
from tests.clock import NOW, TODAY
from tests.factories import CompanyFactory, SkillFactory, UserFactory, project_at, user_with_role
from tests.missions.conftest import approved_decision, log, make_expert, running_mission

LONG_AGO = NOW - dt.timedelta(days=365 * 6)  # beyond five years
LAST_YEAR = NOW - dt.timedelta(days=365)


def contact(dispositif, name):
    return CompanyFactory(
        dispositif=dispositif,
        name=f"PME de {name}",
        contact_name=name,
        contact_email=f"{name.split()[0].lower()}@pme.test",
    )


def ended_at(company, stage, when):
    project = project_at(stage, company=company)
    with scope(every_dispositif=True, reason="test setup"):
        Project.objects.filter(pk=project.pk).update(stage_changed_at=when)
    return project


def aged(model, pk, **dates):
    with scope(every_dispositif=True, reason="test setup"):
        model.objects.filter(pk=pk).update(**dates)


@pytest.fixture
def people(world):
    """Old and recent persons of every kind."""
    assert settings.RETENTION_YEARS == 5
    old_closed = contact(world.a, "Albert Ancien")
    ended_at(old_closed, "abandoned", LONG_AGO)
    old_idle = contact(world.a, "Bernadette Oubliée")  # no project, untouched for six years
    aged(Company, old_idle.pk, updated_at=LONG_AGO)
    recent = contact(world.a, "Carine Récente")
    ended_at(recent, "rejected", LAST_YEAR)
    running = contact(world.a, "Denis Encours")
    ended_at(running, "qualified", LONG_AGO)  # old, but still under way
    aged(Company, running.pk, updated_at=LONG_AGO)
    in_b = contact(world.b, "Estelle Ailleurs")
    ended_at(in_b, "abandoned", LONG_AGO)

    old_account = UserFactory(full_name="Fernand Dormant", email="fernand@partenaire.test")
    aged(User, old_account.pk, date_joined=LONG_AGO, last_login=LONG_AGO)
    old_expert = make_expert(
        world.firm_a, user=old_account, first_name="Fernand", last_name="Dormant"
    )
    aged(Expert, old_expert.pk, updated_at=LONG_AGO)
    # Gisèle's account has not signed in for years, but she worked today: both are kept.
    working_account = user_with_role(Role.EXPERT, organisation=world.firm_a)
    working = make_expert(
        world.firm_a, user=working_account, first_name="Gisèle", last_name="Active"
    )
    mission = running_mission(
        approved_decision(world.a),
        world.firm_a,
        SkillFactory(name="Export retenue", slug="export-retenue"),
        animateur=world.animateur_a,
        correspondent=world.correspondent_a,
        experts=[working],
    )
    log(mission, working, TODAY, "4")
    aged(Expert, working.pk, updated_at=LONG_AGO)
    aged(User, working_account.pk, date_joined=LONG_AGO, last_login=LONG_AGO)
    idle_user = UserFactory(full_name="Hugues Absent", email="hugues@example.org")
    aged(User, idle_user.pk, date_joined=LONG_AGO, last_login=LONG_AGO)
    machine = user_with_role(Role.API_CLIENT, region="84")
    aged(User, machine.pk, date_joined=LONG_AGO, last_login=None)
    return {
        "erased": {
            "sme_contact": {old_closed.pk, old_idle.pk},
            "expert": {old_expert.pk},
            "user": {old_account.pk, idle_user.pk},
        },
        "kept": {
            "sme_contact": {recent.pk, running.pk},
            "expert": {working.pk},
            "user": {machine.pk, working_account.pk, world.coordinator.pk, world.expert_a.pk},
        },
        "in_b": in_b,
    }


def erased_ids(kind):
    return set(ErasureRecord.objects.filter(kind=kind).values_list("person_id", flat=True))


def test_the_job_erases_the_old_leaves_the_recent_and_reports_counts(world, people):
    assert settings.CELERY_BEAT_SCHEDULE["personal-data-retention"]["task"] == apply_retention.name

    counts = apply_retention.apply(kwargs={"today": TODAY.isoformat()}).get()

    assert counts == {"expert": 1, "user": 2}
    in_b = people["in_b"].pk
    for kind, ids in people["erased"].items():
        expected = ids | ({in_b} if kind == "sme_contact" else set())
        assert erased_ids(kind) == expected, kind
    for kind, ids in people["kept"].items():
        assert not (erased_ids(kind) & ids), kind
    assert set(ErasureRecord.objects.values_list("origin", flat=True)) == {ErasureOrigin.RETENTION}
    assert not ErasureRecord.objects.exclude(by=None).exists()
    with scope(every_dispositif=True, reason="test referee"):
        old = Company.objects.get(pk=min(people["erased"]["sme_contact"]))
        assert old.contact_name.startswith("Personne effacée #") and old.contact_email == ""
        kept = Company.objects.filter(pk__in=people["kept"]["sme_contact"])
        assert all(company.contact_email.endswith("@pme.test") for company in kept)
    # One report for the directory, one per dispositif, visible to the coordination.
    reports = {report.dispositif_id: report for report in RetentionReport.objects.all()}
    assert reports[None].counts == {"expert": 1, "user": 2}
    assert reports[world.a.pk].counts == {"sme_contact": 2}
    assert reports[world.b.pk].counts == {"sme_contact": 1}
    assert reports[None].cutoff == dt.date(2021, 6, 10) and reports[None].years == 5


def test_a_second_run_erases_nobody(world, people):
    apply_retention.apply(kwargs={"today": TODAY.isoformat()}).get()
    erased = ErasureRecord.objects.count()

    assert apply_retention.apply(kwargs={"today": TODAY.isoformat()}).get() == {
        "expert": 0,
        "user": 0,
    }
    assert ErasureRecord.objects.count() == erased
    latest = RetentionReport.objects.filter(dispositif_id=world.a.pk).order_by("-pk").first()
    assert latest.counts == {"sme_contact": 0}


def test_one_dispositif_at_a_time(world, people):
    fanned_out = apply_retention_in_dispositif.apply(kwargs={"today": TODAY.isoformat()}).get()
    assert {dispositif_id for dispositif_id, _task in fanned_out} == {world.a.pk, world.b.pk}
    assert erased_ids("sme_contact") == people["erased"]["sme_contact"] | {people["in_b"].pk}
    assert erased_ids("expert") == set()  # the directory is the national job's own part
