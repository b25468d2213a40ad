"""Company, project and follow-up services: validation, messages and what they record."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from stdnum import luhn

from alize.errors import ApplicationError
from alize.tenancy import scope
from pme import selectors, services
from pme.models import Company, FollowUpReminder, JobsFollowUp, Project, Stage, StageTransition
from tests.clock import TODAY
from tests.factories import CompanyFactory, project_at


def siret_for(siren: str, nic: str = "0001") -> str:
    base = siren + nic
    return base + luhn.calc_check_digit(base)


def company_fields(**overrides):
    fields = {
        "siren": "552100554",
        "name": "Forges de l'Escaut",
        "naf_code": "25.62B",
        "creation_date": dt.date(2010, 5, 1),
        "headcount": 42,
        "commune_code": "59606",
        "commune_name": "Valenciennes",
    }
    return fields | overrides


# --- eligibility -----------------------------------------------------------------------


def eligibility_of(world, **fields):
    company = CompanyFactory(dispositif=world.a, **fields)
    with scope([world.a]):
        return {c.code: c for c in company.eligibility().checks}, company


def test_eligible_company_passes_every_criterion(world):
    checks, company = eligibility_of(world)
    assert all(check.passed for check in checks.values())
    assert "dans" in str(checks["perimeter"].message)


@pytest.mark.parametrize(
    ("fields", "failing"),
    [
        ({"creation_date": TODAY - dt.timedelta(days=365)}, "age"),
        ({"headcount": 250}, "size"),
        ({"turnover": Decimal("60000000")}, "size"),
        ({"commune_code": "75056"}, "perimeter"),
    ],
)
def test_each_failed_criterion_is_reported_with_its_reason(world, fields, failing):
    checks, company = eligibility_of(world, **fields)
    assert [code for code, check in checks.items() if not check.passed] == [failing]
    with scope([world.a]):
        eligibility = company.eligibility()
        assert not eligibility.eligible
        assert eligibility.failures[0].code == failing
    if failing == "age":
        assert str(checks["age"].message) == "Créée il y a 1 an (au moins 3 requis)."
    if failing == "perimeter":
        assert "hors du périmètre" in str(checks["perimeter"].message)


def test_database_eligibility_agrees_with_the_model(world):
    CompanyFactory(dispositif=world.a, name="ok")
    CompanyFactory(dispositif=world.a, name="young", creation_date=TODAY - dt.timedelta(days=30))
    CompanyFactory(dispositif=world.a, name="big", headcount=400)
    CompanyFactory(dispositif=world.a, name="rich", turnover=Decimal("50000000.01"))
    CompanyFactory(dispositif=world.a, name="away", commune_code="13055")
    with scope([world.a]):
        annotated = selectors.with_eligibility(Company.objects.select_related("dispositif"))
        pairs = {c.name: (c.criteria_met, c.eligibility().criteria_met) for c in annotated}
    assert pairs == {
        "ok": (True, True),
        "young": (False, False),
        "big": (False, False),
        "rich": (False, False),
        "away": (False, False),
    }


def test_exception_needs_a_justification_and_makes_the_company_eligible(world):
    company = CompanyFactory(dispositif=world.a, commune_code="75056")
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.company_record_exception(company=company, reason="  court ", by=None)
        assert "exception_reason" in refused.value.message_dict
        company.refresh_from_db()
        assert company.eligibility_exception is False

        services.company_record_exception(
            company=company,
            reason="Seule fonderie du bassin, reprise en cours",
            by=world.animateur_a,
        )
        company.refresh_from_db()
        assert company.eligibility_exception and company.exception_by == world.animateur_a
        assert company.eligibility().eligible and not company.eligibility().criteria_met
        assert selectors.pipeline_funnel({world.a.pk}).exceptions == 1

        services.company_clear_exception(company=company)
        company.refresh_from_db()
        assert not company.eligibility().eligible
        assert selectors.pipeline_funnel({world.a.pk}).exceptions == 0


# --- companies -------------------------------------------------------------------------


def test_company_create_and_update(world):
    with scope([world.a]):
        company = services.company_create(
            dispositif=world.a, siret=siret_for("552100554"), **company_fields()
        )
        services.company_update(company=company, headcount=50, contact_name="Mme Leroy")
        company.refresh_from_db()
    assert (company.dispositif, company.headcount, company.contact_name) == (
        world.a,
        50,
        "Mme Leroy",
    )


def test_duplicate_siren_is_refused_on_the_siren_field_naming_the_holder(world):
    with scope([world.a, world.b]):
        services.company_create(dispositif=world.a, **company_fields())
        with pytest.raises(ValidationError) as refused:
            services.company_create(dispositif=world.a, **company_fields(name="Autre nom"))
        assert refused.value.message_dict == {
            "siren": [
                "Le SIREN 552100554 est déjà enregistré dans ce dispositif (Forges de l'Escaut)."
            ]
        }
        # Another dispositif may support the same company.
        services.company_create(dispositif=world.b, **company_fields(commune_code="73065"))
        other = services.company_create(dispositif=world.a, **company_fields(siren="732829320"))
        with pytest.raises(ValidationError) as refused:
            services.company_update(company=other, siren="552100554")
        assert list(refused.value.message_dict) == ["siren"]
    assert Company.unscoped_objects.filter(siren="552100554").count() == 2


def test_invalid_identifiers_are_refused_by_field(world):
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.company_create(dispositif=world.a, **company_fields(siren="552100555"))
        assert "n'est pas un SIREN valide" in refused.value.message_dict["siren"][0]
        with pytest.raises(ValidationError) as refused:
            services.company_create(dispositif=world.a, siret="55210055400012", **company_fields())
        assert "n'est pas un SIRET valide" in refused.value.message_dict["siret"][0]
    assert not Company.unscoped_objects.exists()


def test_siret_must_start_with_the_siren(world):
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        services.company_create(
            dispositif=world.a, siret=siret_for("732829320"), **company_fields()
        )
    assert refused.value.message_dict == {
        "siret": ["Le SIRET doit commencer par le SIREN de l'entreprise."]
    }
    assert not Company.unscoped_objects.exists()


def test_several_field_errors_are_reported_together(world):
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        services.company_create(
            dispositif=world.a, **company_fields(naf_code="2562", commune_code="1")
        )
    assert {"naf_code", "commune_code"} <= set(refused.value.message_dict)


# --- projects --------------------------------------------------------------------------


def test_project_create_starts_referred_with_its_first_timeline_entry(world):
    company = CompanyFactory(dispositif=world.a)
    with scope([world.a]):
        project = services.project_create(
            company=company,
            by=world.animateur_a,
            title="Nouvelle ligne d'usinage",
            project_type="investment",
            jobs_at_start=12,
            jobs_planned_3y=18,
            requested_advance=Decimal("12000"),
        )
        steps = list(StageTransition.objects.filter(project=project))
    assert project.dispositif == world.a and project.stage == Stage.REFERRED
    assert [(s.from_stage, s.to_stage, s.by) for s in steps] == [
        ("", Stage.REFERRED, world.animateur_a)
    ]


@pytest.mark.parametrize("amount", ["9999.99", "15000.01"])
def test_requested_advance_outside_the_dispositif_bounds_is_refused(world, amount):
    company = CompanyFactory(dispositif=world.a)
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.project_create(
                company=company,
                by=None,
                title="Export",
                project_type="export",
                requested_advance=Decimal(amount),
            )
        assert (
            "entre 10\xa0000,00\xa0€ et 15\xa0000,00\xa0€"
            in refused.value.message_dict["requested_advance"][0]
        )
        project = services.project_create(
            company=company, by=None, title="Export", project_type="export"
        )
        with pytest.raises(ValidationError):
            services.project_update(project=project, requested_advance=Decimal(amount))
        project.refresh_from_db()
        assert project.requested_advance is None
        services.project_update(project=project, requested_advance=Decimal("15000"))
    assert Project.unscoped_objects.count() == 1


# --- jobs follow-up --------------------------------------------------------------------


@pytest.mark.parametrize("stage", [Stage.REFERRED, Stage.IN_INSTRUCTION, Stage.DEFERRED])
def test_follow_up_only_for_an_approved_project(world, stage):
    project = project_at(stage, dispositif=world.a)
    with scope([world.a]), pytest.raises(ApplicationError) as refused:
        services.follow_up_record(
            project=project,
            year=1,
            headcount=20,
            jobs_created=2,
            jobs_maintained=18,
            source="declared",
            by=None,
        )
    assert refused.value.field == "year"
    assert not JobsFollowUp.unscoped_objects.exists()


@pytest.mark.parametrize("year", [0, 4])
def test_follow_up_year_must_lie_in_the_dispositif_range(world, year):
    project = project_at(Stage.APPROVED, dispositif=world.a)
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        services.follow_up_record(
            project=project,
            year=year,
            headcount=20,
            jobs_created=2,
            jobs_maintained=18,
            source="declared",
            by=None,
        )
    assert refused.value.message_dict == {"year": ["L'année de suivi va de 1 à 3."]}
    assert not JobsFollowUp.unscoped_objects.exists()


@pytest.mark.parametrize(
    "approved_on, year, due_on",
    [
        (dt.date(2023, 6, 14), 1, dt.date(2024, 6, 14)),
        (dt.date(2023, 6, 14), 3, dt.date(2026, 6, 14)),
        (dt.date(2024, 2, 29), 1, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 3, dt.date(2027, 2, 28)),
        (dt.date(2023, 2, 28), 1, dt.date(2024, 2, 28)),
    ],
)
def test_follow_up_due_date_is_the_approval_anniversary(approved_on, year, due_on):
    assert services.follow_up_due_date(Project(approved_on=approved_on), year) == due_on


def test_follow_up_due_date_needs_an_approval():
    assert services.follow_up_due_date(Project(approved_on=None), 1) is None


def test_follow_up_recorded_corrected_and_its_reminder_resolved(world):
    project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
    Project.unscoped_objects.filter(pk=project.pk).update(approved_on=dt.date(2024, 2, 29))
    project.refresh_from_db()
    due = dt.date(2025, 2, 28)
    with scope([world.a]):
        assert services.follow_up_reminders_refresh(today=due - dt.timedelta(days=1)) == 0
        assert services.follow_up_reminders_refresh(today=due) == 1
        assert services.follow_up_reminders_refresh(today=due) == 0
        first = services.follow_up_record(
            project=project,
            year=1,
            headcount=12,
            jobs_created=2,
            jobs_maintained=10,
            source="declared",
            by=world.animateur_a,
        )
        assert first.as_of == due
        reminder = FollowUpReminder.objects.get(project=project, year=1)
        assert reminder.resolved_at is not None
        corrected = services.follow_up_record(
            project=project,
            year=1,
            headcount=13,
            jobs_created=3,
            jobs_maintained=10,
            source="verified",
            by=world.animateur_a,
        )
        table = selectors.project_follow_up_table(project)
    assert corrected.pk == first.pk
    assert JobsFollowUp.unscoped_objects.filter(project=project).count() == 1
    assert [(row.year, row.record and row.record.jobs_created) for row in table] == [
        (1, 3),
        (2, None),
        (3, None),
    ]
    assert table[0].planned_created == 4 and table[0].gap == -1
    assert corrected.history.count() == 2


def test_duplicate_siren_message_is_available_to_forms(world):
    CompanyFactory(dispositif=world.a, siren="552100554", name="Forges")
    with scope([world.a]):
        probe = Company(dispositif=world.a, siren="552100554")
        assert "Forges" in services.duplicate_siren_message(probe)
        assert (
            services.duplicate_siren_message(Company(dispositif=world.b, siren="552100554")) is None
        )


# --- unknown turnover ------------------------------------------------------------------


def test_unknown_turnover_is_to_be_checked_neither_passed_nor_failed(world):
    checks, company = eligibility_of(world, turnover=None)
    size = checks["size"]
    assert (size.status, size.passed, size.unknown) == ("unknown", False, True)
    assert "inconnu" in str(size.message)
    with scope([world.a]):
        eligibility = company.eligibility()
    assert eligibility.to_check and eligibility.failures == []
    assert not eligibility.criteria_met and not eligibility.eligible


def test_unknown_turnover_with_a_failing_criterion_is_not_to_be_checked(world):
    checks, company = eligibility_of(world, turnover=None, headcount=300)
    assert checks["size"].status == "failed"
    with scope([world.a]):
        assert not company.eligibility().to_check


def test_database_and_model_agree_on_unknown_turnover(world):
    CompanyFactory(dispositif=world.a, name="known", turnover=Decimal("1000000"))
    CompanyFactory(dispositif=world.a, name="unknown", turnover=None)
    CompanyFactory(dispositif=world.a, name="unknown-away", turnover=None, commune_code="13055")
    CompanyFactory(dispositif=world.a, name="limit", turnover=Decimal("50000000"))
    with scope([world.a]):
        annotated = selectors.with_eligibility(Company.objects.select_related("dispositif"))
        rows = {c.name: (c.criteria_met, c.criteria_to_check) for c in annotated}
        model = {
            c.name: (c.eligibility().criteria_met, c.eligibility().to_check) for c in annotated
        }
    assert (
        rows
        == model
        == {
            "known": (True, False),
            "unknown": (False, True),
            "unknown-away": (False, False),
            "limit": (True, False),
        }
    )
