"""REST endpoints of the pme app: companies, projects and their timeline, follow-ups."""

import datetime as dt
import itertools

from django.core.management import call_command
from django.urls import reverse
from drf_spectacular.drainage import GENERATOR_STATS

from alize.accounts.models import Role
from alize.tenancy import scope
from pme import services
from pme.models import (
    Company,
    FollowUpReminder,
    JobsFollowUp,
    Project,
    Stage,
    StageTransition,
)
from tests.api_base import (
    APIEndpointTestBase,
    APIReadOnlyTestBase,
    PersonalDataMixin,
    count_rows,
    snapshot,
)
from tests.conftest import api_client_for
from tests.factories import (
    CompanyFactory,
    ProjectFactory,
    SkillFactory,
    _siren,
    project_at,
    user_with_role,
)

_numbers = itertools.count(50_000)


def company_payload(dispositif, **extra):
    return {
        "dispositif": dispositif.slug,
        "siren": _siren(next(_numbers)),
        "name": "Tôlerie du Hainaut",
        "naf_code": "25.62B",
        "creation_date": "2012-05-01",
        "headcount": 32,
        "commune_code": (dispositif.perimeter or ["59606"])[0],
        "commune_name": "Valenciennes",
    } | extra


class TestCompanyAPI(APIEndpointTestBase, PersonalDataMixin):
    basename = "company"
    model = Company
    # The web shows companies to their managers only.
    readers = frozenset({"coordinator", "animateur", "api_client"})

    def make(self, world, dispositif):
        return CompanyFactory(dispositif=dispositif)

    def create_payload(self, world, dispositif):
        return company_payload(dispositif)

    def cross_tenant_payload(self, world):
        return company_payload(world.a) | {"dispositif": world.b.slug}

    def update_payload(self, world, instance):
        return {"headcount": 41, "contact_name": "Claire Dubois"}

    def test_eligibility_is_exposed_with_reasons(self, world):
        young = company_payload(world.a, creation_date="2026-06-01")
        api = api_client_for(world.animateur_a)
        response = api.post(self.list_url(), young, format="json")
        assert response.status_code == 201, response.content
        eligibility = response.json()["eligibility"]
        assert eligibility["criteria_met"] is False and eligibility["eligible"] is False
        checks = {check["code"]: check for check in eligibility["checks"]}
        assert set(checks) == {"age", "size", "perimeter"}
        assert checks["age"]["passed"] is False and checks["age"]["message"]
        # No turnover given: the size check is « to be checked », neither passed nor failed.
        assert checks["size"]["status"] == "unknown" and checks["size"]["passed"] is False
        assert checks["perimeter"]["passed"] and eligibility["to_check"] is False
        assert response.json()["age_years"] == 0

    def test_eligibility_exception_is_read_only(self, world):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.animateur_a)
        payload = {"eligibility_exception": True, "exception_reason": "Parce que."}
        response = api.patch(self.detail_url(own), payload, format="json")
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"eligibility_exception", "exception_reason"}
        assert snapshot(own)["eligibility_exception"] is False

    def test_invalid_and_duplicate_siren_name_the_field(self, world):
        api = api_client_for(world.animateur_a)
        before = count_rows(Company)
        response = api.post(
            self.list_url(), company_payload(world.a, siren="123456789"), format="json"
        )
        assert response.status_code == 400
        assert "siren" in response.json()["fields"]
        payload = company_payload(world.a)
        assert api.post(self.list_url(), payload, format="json").status_code == 201
        response = api.post(self.list_url(), payload | {"name": "Doublon"}, format="json")
        assert response.status_code == 400, response.content
        assert "siren" in response.json()["fields"]
        assert count_rows(Company) == before + 1

    def test_same_siren_in_another_dispositif_is_allowed(self, world):
        payload = company_payload(world.a)
        assert (
            api_client_for(world.animateur_a)
            .post(self.list_url(), payload, format="json")
            .status_code
            == 201
        )
        other = payload | {"dispositif": world.b.slug, "commune_code": "73065"}
        response = api_client_for(world.animateur_b).post(self.list_url(), other, format="json")
        assert response.status_code == 201, response.content

    def test_company_with_projects_is_not_deleted(self, world):
        project = project_at(Stage.QUALIFIED, dispositif=world.a)
        api = api_client_for(world.animateur_a)
        response = api.delete(self.detail_url(project.company))
        assert response.status_code == 400
        body = response.json()
        assert body["message"] and body["code"] == "invalid"
        assert count_rows(Company, pk=project.company_id) == 1

    def test_committee_member_reads_no_company_as_on_the_web(self, world, client):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.member_a)
        assert api.get(self.detail_url(own)).status_code == 404
        assert own.pk not in self.ids(api.get(self.list_url()))
        client.force_login(world.member_a)
        assert client.get(reverse("pme:company-detail", args=[own.pk])).status_code == 404
        assert api.patch(self.detail_url(own), {"headcount": 1}, format="json").status_code == 403
        assert snapshot(own)["headcount"] == own.headcount

    def test_animateur_elsewhere_cannot_write_where_they_only_sit(self, world):
        """An animateur of B who also sits on A's committee reads A's rows, never writes them."""
        from tests.factories import RoleAssignmentFactory

        RoleAssignmentFactory(
            user=world.animateur_b,
            role=Role.COMMITTEE_MEMBER,
            dispositif=world.a,
            organisation=world.member_organisation_a,
        )
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.animateur_b)
        assert api.get(self.detail_url(own)).status_code == 404
        assert api.patch(self.detail_url(own), {"headcount": 1}, format="json").status_code == 404
        assert api.delete(self.detail_url(own)).status_code == 404
        response = api.post(self.list_url(), company_payload(world.a), format="json")
        assert response.status_code == 400
        assert "dispositif" in response.json()["fields"]
        assert count_rows(Company, pk=own.pk) == 1

    def test_filters(self, world):
        with scope([world.a]):
            CompanyFactory(dispositif=world.a, name="Boulangerie Martin", naf_code="10.71C")
            CompanyFactory(dispositif=world.a, name="Mécanique Lefebvre", naf_code="25.62B")
        api = api_client_for(world.animateur_a)
        names = {r["name"] for r in api.get(self.list_url(), {"q": "boulang"}).json()["results"]}
        assert names == {"Boulangerie Martin"}
        rows = api.get(self.list_url(), {"naf_code": "10"}).json()["results"]
        assert [r["name"] for r in rows] == ["Boulangerie Martin"]


class TestProjectAPI(APIEndpointTestBase, PersonalDataMixin):
    basename = "project"
    model = Project
    managers_receive_personal_data = False  # the contact is read on the company

    def make(self, world, dispositif):
        project = ProjectFactory(company=CompanyFactory(dispositif=dispositif))
        project.needs.set([SkillFactory(slug="qualite", name="Qualité")])
        return project

    def create_payload(self, world, dispositif):
        company = CompanyFactory(dispositif=dispositif)
        return {
            "company": company.pk,
            "title": "Nouvelle ligne d'usinage",
            "project_type": "investment",
            "jobs_at_start": 18,
            "jobs_planned_3y": 24,
            "requested_advance": "12000.00",
            "needs": [SkillFactory(slug="lean", name="Lean").pk],
        }

    def cross_tenant_payload(self, world):
        return self.create_payload(world, world.a) | {
            "company": CompanyFactory(dispositif=world.b).pk
        }

    def update_payload(self, world, instance):
        return {"title": "Ligne d'usinage à commande numérique", "jobs_planned_3y": 30}

    def transition_url(self, project):
        return reverse("api:project-transition", args=[project.pk])

    def test_create_starts_the_timeline(self, world):
        api = api_client_for(world.animateur_a)
        response = api.post(self.list_url(), self.create_payload(world, world.a), format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["stage"] == Stage.REFERRED
        assert body["dispositif"] == world.a.slug
        assert body["allowed_next_stages"] == [Stage.QUALIFIED, Stage.ABANDONED]
        transitions = StageTransition.unscoped_objects.filter(project_id=body["id"])
        assert [(t.to_stage, t.by) for t in transitions] == [(Stage.REFERRED, world.animateur_a)]

    def test_stage_and_company_are_not_writable(self, world):
        (own,) = self.make_in(world, world.a)
        other_company = CompanyFactory(dispositif=world.a)
        api = api_client_for(world.animateur_a)
        response = api.patch(
            self.detail_url(own),
            {"stage": Stage.CLOSED, "company": other_company.pk},
            format="json",
        )
        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"stage", "company"}
        stored = Project.unscoped_objects.get(pk=own.pk)
        assert (stored.stage, stored.company_id) == (Stage.REFERRED, own.company_id)

    def test_advance_outside_bounds_names_the_field(self, world):
        api = api_client_for(world.animateur_a)
        before = count_rows(Project)
        payload = self.create_payload(world, world.a) | {"requested_advance": "40000.00"}
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "requested_advance" in response.json()["fields"]
        assert count_rows(Project) == before

    def test_legal_transition_is_recorded(self, world):
        project = project_at(Stage.QUALIFIED, dispositif=world.a)
        api = api_client_for(world.animateur_a)
        response = api.post(
            self.transition_url(project),
            {"to_stage": Stage.IN_INSTRUCTION, "comment": "Dossier complet"},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["stage"] == Stage.IN_INSTRUCTION
        last = StageTransition.unscoped_objects.filter(project=project).last()
        assert (last.from_stage, last.to_stage, last.by, last.comment) == (
            Stage.QUALIFIED,
            Stage.IN_INSTRUCTION,
            world.animateur_a,
            "Dossier complet",
        )

    def test_illegal_transition_is_refused_with_the_field(self, world):
        project = project_at(Stage.REFERRED, dispositif=world.a)
        api = api_client_for(world.animateur_a)
        before = count_rows(StageTransition, project=project)
        for target in (Stage.CLOSED, Stage.APPROVED, Stage.ON_AGENDA, "teleported"):
            response = api.post(self.transition_url(project), {"to_stage": target}, format="json")
            assert response.status_code == 400, (target, response.content)
            assert "to_stage" in response.json()["fields"]
        assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.REFERRED
        assert count_rows(StageTransition, project=project) == before

    def test_transition_of_other_dispositif_is_404(self, world):
        other = project_at(Stage.REFERRED, dispositif=world.b)
        api = api_client_for(world.animateur_a)
        response = api.post(self.transition_url(other), {"to_stage": "qualified"}, format="json")
        assert response.status_code == 404
        assert Project.unscoped_objects.get(pk=other.pk).stage == Stage.REFERRED

    def test_readers_cannot_transition(self, world):
        project = project_at(Stage.REFERRED, dispositif=world.a)
        for user in (world.api_client_user, world.member_a):
            response = api_client_for(user).post(
                self.transition_url(project), {"to_stage": "qualified"}, format="json"
            )
            assert response.status_code == 403
        assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.REFERRED

    def test_project_past_referral_is_abandoned_not_deleted(self, world):
        project = project_at(Stage.QUALIFIED, dispositif=world.a)
        response = api_client_for(world.animateur_a).delete(self.detail_url(project))
        assert response.status_code == 400
        assert "stage" in response.json()["fields"]
        assert count_rows(Project, pk=project.pk) == 1

    def test_stage_filter(self, world):
        qualified = project_at(Stage.QUALIFIED, dispositif=world.a)
        referred = project_at(Stage.REFERRED, dispositif=world.a)
        api = api_client_for(world.animateur_a)
        ids = self.ids(api.get(self.list_url(), {"stage": "qualified"}))
        assert qualified.pk in ids and referred.pk not in ids


class TestStageTransitionAPI(APIReadOnlyTestBase):
    basename = "stage-transition"
    model = StageTransition

    def make(self, world, dispositif):
        project = project_at(Stage.QUALIFIED, dispositif=dispositif)
        return StageTransition.unscoped_objects.filter(project=project).last()

    def test_timeline_of_a_project(self, world):
        project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        api = api_client_for(world.animateur_a)
        rows = api.get(self.list_url(), {"project": project.pk, "ordering": "at"}).json()
        assert [r["to_stage"] for r in rows["results"]] == [
            Stage.REFERRED,
            Stage.QUALIFIED,
            Stage.IN_INSTRUCTION,
        ]


class TestJobsFollowUpAPI(APIEndpointTestBase):
    basename = "follow-up"
    model = JobsFollowUp

    def make(self, world, dispositif):
        project = project_at(Stage.IN_PROGRESS, dispositif=dispositif)
        return services.follow_up_record(
            project=project,
            year=1,
            headcount=14,
            jobs_created=3,
            jobs_maintained=11,
            source="declared",
            by=None,
        )

    def create_payload(self, world, dispositif):
        project = project_at(Stage.APPROVED, dispositif=dispositif)
        return {
            "project": project.pk,
            "year": 1,
            "headcount": 13,
            "jobs_created": 2,
            "jobs_maintained": 11,
            "source": "verified",
        }

    def cross_tenant_payload(self, world):
        project = project_at(Stage.APPROVED, dispositif=world.b)
        return self.create_payload(world, world.a) | {"project": project.pk}

    def update_payload(self, world, instance):
        return {"headcount": 16, "jobs_created": 5, "note": "DSN de janvier"}

    def test_recording_resolves_the_reminder_and_shows_planned_jobs(self, world):
        project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
        approved = dt.date(2025, 1, 1)
        with scope([world.a]):
            Project.objects.filter(pk=project.pk).update(approved_on=approved)
            project.refresh_from_db()
            assert services.follow_up_reminders_refresh() == 1
        payload = self.create_payload(world, world.a) | {"project": project.pk}
        response = api_client_for(world.animateur_a).post(self.list_url(), payload, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["jobs_planned_3y"] == project.jobs_planned_3y
        assert response.json()["as_of"] == "2026-01-01"
        reminder = FollowUpReminder.unscoped_objects.get(project=project, year=1)
        assert reminder.resolved_at is not None

    def test_year_twice_and_unapproved_project_name_the_field(self, world):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.animateur_a)
        before = count_rows(JobsFollowUp)
        payload = self.create_payload(world, world.a) | {"project": own.project_id}
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "year" in response.json()["fields"]
        referred = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        payload = self.create_payload(world, world.a) | {"project": referred.pk}
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "year" in response.json()["fields"]
        payload = self.create_payload(world, world.a) | {"year": 7}
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "year" in response.json()["fields"]
        assert count_rows(JobsFollowUp) == before

    def test_project_and_year_are_not_changed_by_update(self, world):
        (own,) = self.make_in(world, world.a)
        response = api_client_for(world.animateur_a).patch(
            self.detail_url(own), {"year": 2, "headcount": 20}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["year"]
        stored = snapshot(own)
        assert (stored["year"], stored["headcount"]) == (1, 14)
        response = api_client_for(world.animateur_a).patch(
            self.detail_url(own), {"year": 1, "headcount": 20}, format="json"
        )
        assert response.status_code == 200
        stored = snapshot(own)
        assert (stored["year"], stored["headcount"]) == (1, 20)


def test_openapi_schema_generates_without_warnings(world, tmp_path):
    GENERATOR_STATS.reset()
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    for route in ("/api/v1/companies/", "/api/v1/projects/{id}/transition/", "/api/v1/follow-ups/"):
        assert route in text
    api = api_client_for(user_with_role(Role.ANIMATEUR, dispositif=world.a))
    assert api.get(reverse("api-schema")).status_code == 200
