"""Date bounds (issue: a committee dated 9999-12-31, held, with a project approved, made
``follow_up_due_date`` raise « year 10000 »: the project page answered 500 and the national
follow-up job failed in every dispositif)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alize.models import JobFailure
from alize.tenancy import scope
from alize.validators import validate_creation_date, validate_past_date, validate_plausible_date
from committees import services as committee_services
from committees.models import Committee
from pme import services
from pme.models import FollowUpReminder, Project, Stage
from pme.tasks import refresh_due_follow_ups
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import CompanyFactory, MembershipFactory, project_at

FAR = dt.date(9999, 12, 31)


def test_the_bounds_of_each_kind_of_date():
    for validator in (validate_plausible_date, validate_past_date):
        with pytest.raises(ValidationError) as refused:
            validator(dt.date(1899, 12, 31))
        assert refused.value.code == "date_too_early"
        validator(dt.date(1900, 1, 1))
    validate_creation_date(dt.date(1850, 6, 1))
    validate_plausible_date(dt.date(2035, 6, 8))  # nine years (of 365 days) ahead
    for validator in (validate_plausible_date, validate_past_date, validate_creation_date):
        with pytest.raises(ValidationError):
            validator(FAR)
    for validator in (validate_past_date, validate_creation_date):
        validator(dt.date(2026, 6, 10))
        with pytest.raises(ValidationError) as refused:
            validator(dt.date(2026, 6, 11))
        assert refused.value.code == "date_in_future"


def test_a_committee_in_year_9999_is_refused_by_the_service_with_a_field_error(world):
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        committee_services.committee_schedule(dispositif=world.a, date=FAR)
    assert "date" in refused.value.message_dict
    assert not Committee.unscoped_objects.filter(date=FAR).exists()


def test_a_committee_in_year_9999_is_refused_by_the_api(world):
    host = MembershipFactory(dispositif=world.a).organisation
    payload = {"dispositif": world.a.slug, "date": str(FAR), "host": host.pk, "place": "CCI"}
    response = api_client_for(world.animateur_a).post(
        reverse("api:committee-list"), payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert "dix ans à venir" in response.content.decode()
    assert not Committee.unscoped_objects.filter(date=FAR).exists()


def test_future_creation_and_referral_dates_are_refused(world):
    company = CompanyFactory(dispositif=world.a)
    tomorrow = dt.date(2026, 6, 11)
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.company_update(company=company, creation_date=tomorrow)
        assert "creation_date" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            services.project_create(
                company=company,
                by=None,
                title="Projet daté de demain",
                project_type="development",
                jobs_at_start=10,
                jobs_planned_3y=12,
                referred_on=tomorrow,
            )
        assert "referred_on" in refused.value.message_dict


def test_membership_dates_are_bounded(world):
    membership = MembershipFactory(dispositif=world.a)
    membership.joined_on = dt.date(1, 1, 1)
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        membership.full_clean()
    assert "joined_on" in refused.value.message_dict


def far_approved_project(world):
    """A project approved at a committee dated 9999-12-31, as stored before the bounds."""
    project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
    Project.unscoped_objects.filter(pk=project.pk).update(approved_on=FAR)
    Committee.unscoped_objects.filter(items__project=project).update(date=FAR)
    return project


def test_follow_up_due_date_does_not_overflow(world):
    project = far_approved_project(world)
    project.refresh_from_db()
    assert services.follow_up_due_date(project, 1) is None
    project.approved_on = dt.date(2024, 2, 29)
    assert services.follow_up_due_date(project, 1) == dt.date(2025, 2, 28)
    assert services.follow_up_due_date(project, 4) == dt.date(2028, 2, 29)
    project.approved_on = dt.date(2023, 7, 14)
    assert services.follow_up_due_date(project, 3) == dt.date(2026, 7, 14)


def test_the_project_page_of_a_far_approval_answers(world, client):
    project = far_approved_project(world)
    client.force_login(world.animateur_a)
    response = client.get(reverse("pme:project-detail", args=[project.pk]))
    assert response.status_code == 200


def test_the_national_job_runs_despite_a_far_approval(world):
    far_approved_project(world)
    due = project_at(Stage.IN_PROGRESS, dispositif=world.b)
    Project.unscoped_objects.filter(pk=due.pk).update(approved_on=TODAY - dt.timedelta(days=400))
    refresh_due_follow_ups.apply()
    assert not JobFailure.objects.exists()
    assert FollowUpReminder.unscoped_objects.filter(project=due, year=1).exists()
