"""Browser pages of the pme app: isolation on every route, forms, timeline, follow-up, funnel."""

import datetime as dt
import itertools

import pytest
from django.core.cache import cache
from django.urls import reverse

from alize.accounts.models import Role
from alize.indicators import facts
from alize.tenancy import scope
from pme import services
from pme.models import Company, JobsFollowUp, Project, Stage, StageTransition
from tests.factories import (
    CompanyFactory,
    DispositifFactory,
    OrganisationFactory,
    ProjectFactory,
    RoleAssignmentFactory,
    SkillFactory,
    project_at,
    user_with_role,
)
from tests.query_counts import assert_queries_do_not_grow
from tests.view_base import ViewIsolationTestBase, WebAnonymousMixin, WebListMixin

_numbers = itertools.count(1)

COMPANY_POST = {
    "siren": "552 100 554",
    "siret": "",
    "name": "Forges de l'Escaut",
    "naf_code": "2562b",
    "creation_date": "2010-05-01",
    "headcount": "42",
    "turnover": "",
    "commune_code": "59606",
    "commune_name": "Valenciennes",
    "contact_name": "Mme Leroy",
    "contact_role": "Gérante",
    "contact_email": "leroy@example.org",
    "contact_phone": "03 27 00 00 00",
}


def snapshot(model, pk):
    """The row as stored, read without any scope (the test's referee)."""
    return model.unscoped_objects.filter(pk=pk).values().first()


def project_post(company, **overrides):
    data = {
        "company": company.pk,
        "title": "Nouvelle ligne de production",
        "project_type": "investment",
        "description": "Automatiser la découpe.",
        "referred_by": "",
        "referred_on": "2026-01-15",
        "total_budget": "250000",
        "financing_plan": "Prêt bancaire 150 k€, fonds propres 100 k€.",
        "jobs_at_start": "20",
        "jobs_planned_3y": "26",
        "requested_advance": "12000",
    }
    return data | overrides


# =======================================================================================
# Companies


class TestCompanyViews(ViewIsolationTestBase):
    # API clients read companies (never their contacts), as through the API.
    readers = frozenset({"coordinator", "animateur", "api_client"})

    list_url_name = "pme:company-list"
    detail_url_name = "pme:company-detail"

    def anonymous_routes(self, world, instance):
        return [
            *super().anonymous_routes(world, instance),
            ("pme:company-create", []),
            ("pme:company-update", [instance.pk]),
            ("pme:company-exception", [instance.pk]),
        ]

    def make(self, world, dispositif):
        return CompanyFactory(
            dispositif=dispositif, name=f"Société {dispositif.slug} {next(_numbers)}"
        )

    def label(self, instance):
        return instance.name

    def test_anonymous_writes_are_sent_to_login(self, world, client):
        (company,) = self.make_in(world, world.a)
        before = snapshot(Company, company.pk)
        for name, args in (
            ("pme:company-create", []),
            ("pme:company-update", [company.pk]),
            ("pme:company-exception", [company.pk]),
        ):
            for method in (client.get, client.post):
                response = method(reverse(name, args=args), {"exception_reason": "x" * 20})
                assert response.status_code == 302 and reverse("login") in response["Location"]
        assert snapshot(Company, company.pk) == before
        assert Company.unscoped_objects.count() == 1

    def test_roles_without_pipeline_get_404(self, world, client):
        (company,) = self.make_in(world, world.a)
        firm_user = user_with_role(Role.FIRM_CORRESPONDENT, organisation=OrganisationFactory())
        for user in (world.member_a, firm_user):
            client.force_login(user)
            for url in (
                reverse("pme:company-list"),
                reverse("pme:company-create"),
                reverse("pme:company-detail", args=[company.pk]),
                reverse("pme:company-update", args=[company.pk]),
            ):
                assert client.get(url).status_code == 404, (user, url)

    def test_api_client_reads_companies_without_contacts_and_never_writes(self, world, client):
        (company,) = self.make_in(world, world.a)
        with scope([world.a]):
            Company.objects.filter(pk=company.pk).update(
                contact_name="Jeanne Contact", contact_email="jeanne@pme.test"
            )
        client.force_login(world.api_client_user)
        page = client.get(reverse("pme:company-detail", args=[company.pk])).content.decode()
        assert company.name in page
        assert "Jeanne Contact" not in page and "jeanne@pme.test" not in page
        for url in (
            reverse("pme:company-create"),
            reverse("pme:company-update", args=[company.pk]),
        ):
            assert client.get(url).status_code == 404, url

    def test_detail_shows_each_eligibility_criterion(self, world, web_a):
        company = CompanyFactory(
            dispositif=world.a, commune_code="75056", creation_date=dt.date(2026, 6, 10)
        )
        page = web_a.get(reverse("pme:company-detail", args=[company.pk])).content.decode()
        assert 'data-check="age" data-passed="false"' in page
        assert 'data-check="size" data-passed="true"' in page
        assert 'data-check="perimeter" data-passed="false"' in page
        assert "Non éligible" in page and "Accorder une dérogation" in page

    # --- create ------------------------------------------------------------------------

    def test_create_with_implicit_dispositif(self, world, web_a):
        form = web_a.get(reverse("pme:company-create")).context["form"]
        assert "dispositif" not in form.fields
        # A dispositif slipped into the POST is ignored: the only one run is implicit.
        response = web_a.post(
            reverse("pme:company-create"), COMPANY_POST | {"dispositif": world.b.slug}
        )
        assert response.status_code == 302
        company = Company.unscoped_objects.get(siren="552100554")
        assert (company.dispositif, company.naf_code) == (world.a, "25.62B")
        assert response["Location"] == reverse("pme:company-detail", args=[company.pk])

    def test_invalid_siret_is_a_field_error_and_nothing_is_saved(self, world, web_a):
        response = web_a.post(
            reverse("pme:company-create"), COMPANY_POST | {"siret": "55210055400012"}
        )
        assert response.status_code == 400
        errors = response.context["form"].errors
        assert list(errors) == ["siret"]
        assert "n'est pas un SIRET valide" in errors["siret"][0]
        assert 'data-field="siret"' in response.content.decode()
        assert not Company.unscoped_objects.exists()

    def test_siret_of_another_siren_and_bad_siren(self, world, web_a):
        response = web_a.post(
            reverse("pme:company-create"),
            COMPANY_POST | {"siren": "552100555", "headcount": "-1"},
        )
        assert response.status_code == 400
        assert set(response.context["form"].errors) == {"siren", "headcount"}
        response = web_a.post(
            reverse("pme:company-create"), COMPANY_POST | {"siret": "73282932000074"}
        )
        assert response.status_code == 400
        assert response.context["form"].errors["siret"] == [
            "Le SIRET doit commencer par le SIREN de l'entreprise."
        ]
        assert not Company.unscoped_objects.exists()

    def test_duplicate_siren_in_the_dispositif_is_refused_on_the_field(self, world, web_a):
        CompanyFactory(dispositif=world.a, siren="552100554", name="Forges historiques")
        CompanyFactory(dispositif=world.b, siren="732829320")
        response = web_a.post(reverse("pme:company-create"), COMPANY_POST)
        assert response.status_code == 400
        assert response.context["form"].errors["siren"] == [
            "Le SIREN 552100554 est déjà enregistré dans ce dispositif (Forges historiques)."
        ]
        # A SIREN known only in another dispositif is no obstacle (and not revealed).
        ok = web_a.post(reverse("pme:company-create"), COMPANY_POST | {"siren": "732829320"})
        assert ok.status_code == 302
        assert Company.unscoped_objects.filter(siren="732829320").count() == 2

    def test_dispositif_choice_is_limited_to_the_ones_managed(self, world, client):
        c = DispositifFactory(name="Alizé Saumur test", slug="saumur-test")
        user = user_with_role(Role.ANIMATEUR, dispositif=world.a)
        RoleAssignmentFactory(user=user, role=Role.ANIMATEUR, dispositif=c)
        client.force_login(user)
        page = client.get(reverse("pme:company-create")).content.decode()
        assert 'value="saumur-test"' in page and 'value="chambery-test"' not in page
        response = client.post(
            reverse("pme:company-create"), COMPANY_POST | {"dispositif": world.b.slug}
        )
        assert response.status_code == 400
        assert "dispositif" in response.context["form"].errors
        assert not Company.unscoped_objects.exists()
        response = client.post(
            reverse("pme:company-create"), COMPANY_POST | {"dispositif": "saumur-test"}
        )
        assert response.status_code == 302
        assert Company.unscoped_objects.get().dispositif == c

    def test_coordinator_creates_in_any_dispositif(self, world, client):
        client.force_login(world.coordinator)
        response = client.post(
            reverse("pme:company-create"), COMPANY_POST | {"dispositif": world.b.slug}
        )
        assert response.status_code == 302
        assert Company.unscoped_objects.get().dispositif == world.b

    # --- update ------------------------------------------------------------------------

    def test_update_own_and_other_is_404(self, world, web_a):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        url = reverse("pme:company-update", args=[own.pk])
        assert web_a.get(url).status_code == 200
        data = COMPANY_POST | {"siren": own.siren, "name": "Nouveau nom"}
        assert web_a.post(url, data).status_code == 302
        assert snapshot(Company, own.pk)["name"] == "Nouveau nom"

        before = snapshot(Company, other.pk)
        other_url = reverse("pme:company-update", args=[other.pk])
        assert web_a.get(other_url).status_code == 404
        assert web_a.post(other_url, data | {"siren": other.siren}).status_code == 404
        assert snapshot(Company, other.pk) == before

    def test_update_with_invalid_data_changes_nothing(self, world, web_a):
        (own,) = self.make_in(world, world.a)
        before = snapshot(Company, own.pk)
        response = web_a.post(
            reverse("pme:company-update", args=[own.pk]),
            COMPANY_POST | {"siren": own.siren, "naf_code": "métallurgie"},
        )
        assert response.status_code == 400 and "naf_code" in response.context["form"].errors
        assert snapshot(Company, own.pk) == before

    # --- exception ---------------------------------------------------------------------

    def test_exception_needs_justification_and_is_recorded(self, world, web_a):
        company = CompanyFactory(dispositif=world.a, commune_code="75056")
        url = reverse("pme:company-exception", args=[company.pk])
        assert web_a.get(url).status_code == 405
        short = web_a.post(url, {"exception_reason": "trop court"[:5]})
        assert short.status_code == 400
        assert "exception_reason" in short.context["exception_form"].errors
        assert snapshot(Company, company.pk)["eligibility_exception"] is False

        reason = "Seule fonderie du bassin, reprise par les salariés."
        assert web_a.post(url, {"exception_reason": reason}).status_code == 302
        stored = snapshot(Company, company.pk)
        assert stored["eligibility_exception"] is True
        assert stored["exception_by_id"] == world.animateur_a.pk
        page = web_a.get(reverse("pme:company-detail", args=[company.pk])).content.decode()
        assert "Éligible par dérogation" in page and reason in page
        list_page = web_a.get(reverse("pme:company-list"), {"eligibility": "exception"})
        assert company.name in list_page.content.decode()

        assert web_a.post(url, {"action": "clear"}).status_code == 302
        assert snapshot(Company, company.pk)["eligibility_exception"] is False

    def test_exception_on_other_dispositif_is_404_and_changes_nothing(self, world, web_a):
        (other,) = self.make_in(world, world.b)
        response = web_a.post(
            reverse("pme:company-exception", args=[other.pk]),
            {"exception_reason": "Une justification assez longue."},
        )
        assert response.status_code == 404
        assert snapshot(Company, other.pk)["eligibility_exception"] is False

    # --- list --------------------------------------------------------------------------

    def test_list_filters(self, world, web_a):
        ok = CompanyFactory(dispositif=world.a, name="Eligible SA", naf_code="25.62B")
        CompanyFactory(
            dispositif=world.a,
            name="Lointaine SARL",
            commune_code="75056",
            commune_name="Paris",
            naf_code="16.23Z",
        )
        derog = CompanyFactory(dispositif=world.a, name="Derogation SAS", headcount=300)
        with scope([world.a]):
            services.company_record_exception(
                company=derog, reason="Groupe familial en difficulté", by=None
            )
        CompanyFactory(dispositif=world.b, name="Chambérienne")
        url = reverse("pme:company-list")

        def names(**params):
            response = web_a.get(url, params)
            assert response.status_code == 200
            return {c.name for c in response.context["object_list"]}

        assert names() == {"Eligible SA", "Lointaine SARL", "Derogation SAS"}
        assert names(eligibility="eligible") == {"Eligible SA", "Derogation SAS"}
        assert names(eligibility="not_eligible") == {"Lointaine SARL"}
        assert names(eligibility="exception") == {"Derogation SAS"}
        assert names(commune="Paris") == {"Lointaine SARL"}
        assert names(commune="75056") == {"Lointaine SARL"}
        assert names(naf_code="16") == {"Lointaine SARL"}
        assert names(q=ok.siren) == {"Eligible SA"}
        assert names(q="sarl") == {"Lointaine SARL"}
        assert names(dispositif=world.a.slug) == {"Eligible SA", "Lointaine SARL", "Derogation SAS"}
        # Another dispositif's slug is not a valid choice: nothing is listed.
        assert names(dispositif=world.b.slug) == set()

    def test_dispositif_filter_shown_only_to_those_with_several(self, world, web_a, client):
        page = web_a.get(reverse("pme:company-list")).content.decode()
        assert '<select name="dispositif"' not in page
        client.force_login(world.coordinator)
        page = client.get(reverse("pme:company-list")).content.decode()
        assert '<select name="dispositif"' in page
        assert world.a.name in page and world.b.name in page

    def test_list_sorts_and_paginates(self, world, web_a):
        for headcount in range(30):
            CompanyFactory(dispositif=world.a, headcount=headcount + 1)
        response = web_a.get(reverse("pme:company-list"), {"sort": "-headcount"})
        counts = [c.headcount for c in response.context["object_list"]]
        assert counts == sorted(counts, reverse=True) and counts[0] == 30 and len(counts) == 25
        assert response.context["paginator"].count == 30
        page2 = web_a.get(reverse("pme:company-list"), {"sort": "-headcount", "page": 2})
        assert [c.headcount for c in page2.context["object_list"]] == [5, 4, 3, 2, 1]

    def test_coordinator_sees_every_dispositif(self, world, client):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        client.force_login(world.coordinator)
        page = client.get(reverse("pme:company-list")).content.decode()
        assert own.name in page and other.name in page
        assert client.get(reverse("pme:company-detail", args=[other.pk])).status_code == 200


# =======================================================================================
# Projects


class TestProjectViews(ViewIsolationTestBase):
    list_url_name = "pme:project-list"
    detail_url_name = "pme:project-detail"
    readers = frozenset({"coordinator", "animateur", "member", "api_client"})

    def anonymous_routes(self, world, instance):
        return [
            *super().anonymous_routes(world, instance),
            ("pme:project-create", []),
            *(
                (name, [instance.pk])
                for name in (
                    "pme:project-update",
                    "pme:project-transition",
                    "pme:project-follow-up",
                )
            ),
        ]

    def make(self, world, dispositif):
        company = CompanyFactory(dispositif=dispositif)
        return ProjectFactory(
            company=company,
            title=f"Projet {dispositif.slug} {next(_numbers)}",
            referred_by=OrganisationFactory(),
        )

    def label(self, instance):
        return instance.title

    # --- reading -----------------------------------------------------------------------

    def test_anonymous_writes_are_sent_to_login(self, world, client):
        project = project_at(Stage.APPROVED, dispositif=world.a)
        before = snapshot(Project, project.pk)
        for name, args in (
            ("pme:project-create", []),
            ("pme:project-update", [project.pk]),
            ("pme:project-transition", [project.pk]),
            ("pme:project-follow-up", [project.pk]),
        ):
            for method in (client.get, client.post):
                response = method(reverse(name, args=args), {"to_stage": "in_progress"})
                assert response.status_code == 302 and reverse("login") in response["Location"]
        assert snapshot(Project, project.pk) == before

    def test_committee_member_reads_own_dispositif_dossiers_only(self, world, client):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        client.force_login(world.member_a)
        page = client.get(reverse("pme:project-list")).content.decode()
        assert own.title in page and other.title not in page
        detail = client.get(reverse("pme:project-detail", args=[own.pk]))
        assert detail.status_code == 200
        assert detail.context["can_manage"] is False
        assert reverse("pme:project-transition", args=[own.pk]) not in detail.content.decode()
        assert reverse("pme:company-detail", args=[own.company.pk]) not in detail.content.decode()
        assert client.get(reverse("pme:project-detail", args=[other.pk])).status_code == 404
        # Read-only: every write answers 404 and changes nothing.
        before = snapshot(Project, own.pk)
        for name, data in (
            ("pme:project-transition", {"to_stage": "qualified"}),
            ("pme:project-update", {"title": "Changé"}),
        ):
            assert client.post(reverse(name, args=[own.pk]), data).status_code == 404
        assert client.get(reverse("pme:project-create")).status_code == 404
        assert snapshot(Project, own.pk) == before

    def test_firm_correspondent_of_a_member_firm_sees_nothing(self, world, client):
        from tests.factories import MembershipFactory

        firm = OrganisationFactory()
        MembershipFactory(dispositif=world.a, organisation=firm)
        (own,) = self.make_in(world, world.a)
        client.force_login(user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm))
        assert client.get(reverse("pme:project-list")).status_code == 404
        assert client.get(reverse("pme:project-detail", args=[own.pk])).status_code == 404

    def test_detail_shows_plan_timeline_and_history(self, world, web_a):
        skill = SkillFactory(name="Lean management")
        cci = OrganisationFactory(name="CCI Grand Hainaut test", kind="consular")
        company = CompanyFactory(dispositif=world.a)
        response = web_a.post(
            reverse("pme:project-create"),
            project_post(company, referred_by=cci.pk, needs=[skill.pk]),
        )
        project = Project.unscoped_objects.get()
        assert response["Location"] == reverse("pme:project-detail", args=[project.pk])
        web_a.post(
            reverse("pme:project-update", args=[project.pk]),
            project_post(company, jobs_planned_3y="30", referred_by=cci.pk, needs=[skill.pk]),
        )
        web_a.post(
            reverse("pme:project-transition", args=[project.pk]),
            {"to_stage": "qualified", "comment": "Visite faite le 3 mars."},
        )
        page = web_a.get(reverse("pme:project-detail", args=[project.pk])).content.decode()
        for text in (
            "Lean management",
            "CCI Grand Hainaut test",
            "Prêt bancaire 150 k€",
            "Visite faite le 3 mars.",
            "Signalé → Qualifié",
            str(world.animateur_a),
            'data-stage="qualified"',
        ):
            assert text in page, text
        history = web_a.get(reverse("pme:project-detail", args=[project.pk])).context["history"]
        changes = [(c.label, c.old, c.new) for entry in history for c in entry.changes]
        assert ("Emplois prévus à 3 ans", "26", "30") in changes
        assert ("Étape", "Signalé", "Qualifié") in changes
        assert all(entry.user == world.animateur_a for entry in history)
        assert history[-1].created

    def test_detail_shows_committee_passages_read_only(self, world, web_a):
        project = project_at(Stage.APPROVED, dispositif=world.a)
        with scope([world.a]):
            item = project.agenda_items.get()
        response = web_a.get(reverse("pme:project-detail", args=[project.pk]))
        page = response.content.decode()
        assert reverse("committees:detail", args=[item.committee.pk]) in page
        assert "Accepté" in page
        (panel,) = [p for p in response.context["panels"] if "passages" in p]
        assert [p.pk for p in panel["passages"]] == [item.pk]

    # --- create / update ---------------------------------------------------------------

    def test_create_for_own_company(self, world, web_a):
        company = CompanyFactory(dispositif=world.a)
        form = web_a.get(reverse("pme:project-create"), {"company": company.pk}).context["form"]
        assert form.initial["company"] == company.pk
        response = web_a.post(reverse("pme:project-create"), project_post(company))
        assert response.status_code == 302
        project = Project.unscoped_objects.get()
        assert (project.dispositif, project.stage, project.created_by) == (
            world.a,
            Stage.REFERRED,
            world.animateur_a,
        )
        assert StageTransition.unscoped_objects.filter(project=project).count() == 1

    def test_create_for_other_dispositif_company_is_400_and_saves_nothing(self, world, web_a):
        other_company = CompanyFactory(dispositif=world.b)
        response = web_a.post(reverse("pme:project-create"), project_post(other_company))
        assert response.status_code == 400
        assert "company" in response.context["form"].errors
        assert other_company.name not in response.content.decode()
        assert not Project.unscoped_objects.exists()

    def test_requested_advance_outside_bounds_is_a_field_error(self, world, web_a):
        company = CompanyFactory(dispositif=world.a)
        response = web_a.post(
            reverse("pme:project-create"), project_post(company, requested_advance="20000")
        )
        assert response.status_code == 400
        assert response.context["form"].errors["requested_advance"] == [
            "L'avance doit être comprise entre 10\xa0000,00\xa0€ et 15\xa0000,00\xa0€ "
            "dans ce dispositif."
        ]
        assert not Project.unscoped_objects.exists()

    def test_update_own_and_other_is_404(self, world, web_a):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        url = reverse("pme:project-update", args=[own.pk])
        assert web_a.get(url).status_code == 200
        response = web_a.post(url, project_post(own.company, title="Titre revu"))
        assert response.status_code == 302
        assert snapshot(Project, own.pk)["title"] == "Titre revu"

        before = snapshot(Project, other.pk)
        other_url = reverse("pme:project-update", args=[other.pk])
        assert web_a.get(other_url).status_code == 404
        assert web_a.post(other_url, project_post(other.company)).status_code == 404
        assert snapshot(Project, other.pk) == before

    def test_update_with_advance_out_of_bounds_changes_nothing(self, world, web_a):
        (own,) = self.make_in(world, world.a)
        before = snapshot(Project, own.pk)
        response = web_a.post(
            reverse("pme:project-update", args=[own.pk]),
            project_post(own.company, requested_advance="5000", title="Autre"),
        )
        assert response.status_code == 400
        assert "requested_advance" in response.context["form"].errors
        assert snapshot(Project, own.pk) == before

    # --- transitions -------------------------------------------------------------------

    def test_manual_stages_offered_exclude_committee_moves(self, world, web_a):
        in_instruction = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        on_agenda = project_at(Stage.ON_AGENDA, dispositif=world.a)
        context = web_a.get(reverse("pme:project-detail", args=[in_instruction.pk])).context
        moves = context["moves"]
        assert (moves.forward, moves.backward, moves.reopen_to, moves.can_abandon) == (
            [], ["qualified"], None, True,
        )  # fmt: skip
        moves = web_a.get(reverse("pme:project-detail", args=[on_agenda.pk])).context["moves"]
        assert (moves.forward, moves.backward, moves.reopen_to, moves.can_abandon) == (
            [], [], None, True,
        )  # fmt: skip

    def test_legal_transition_is_recorded_with_comment(self, world, web_a):
        (own,) = self.make_in(world, world.a)
        with scope([world.a]):
            services.project_transition(project=own, to_stage="qualified", by=None)
        response = web_a.post(
            reverse("pme:project-transition", args=[own.pk]),
            {"to_stage": "in_instruction", "comment": "Dossier complet"},
        )
        assert response.status_code == 302
        assert snapshot(Project, own.pk)["stage"] == "in_instruction"
        last = StageTransition.unscoped_objects.filter(project=own).last()
        assert (last.from_stage, last.to_stage, last.by, last.comment) == (
            "qualified",
            "in_instruction",
            world.animateur_a,
            "Dossier complet",
        )

    @pytest.mark.parametrize(
        ("stage", "target", "message"),
        [
            (Stage.REFERRED, "approved", "Un projet « Signalé » ne peut pas passer à « Accepté »."),
            (
                Stage.IN_INSTRUCTION,
                "on_agenda",
                "Inscrivez le projet à l&#x27;ordre du jour d&#x27;un comité.",
            ),
            (Stage.REFERRED, "nowhere", "Sélectionnez un choix valide"),
        ],
    )
    def test_illegal_transition_shows_the_message_and_changes_nothing(
        self, world, web_a, stage, target, message
    ):
        project = project_at(stage, dispositif=world.a)
        count = StageTransition.unscoped_objects.filter(project=project).count()
        response = web_a.post(
            reverse("pme:project-transition", args=[project.pk]), {"to_stage": target}
        )
        assert response.status_code == 400
        assert message in response.content.decode()
        assert snapshot(Project, project.pk)["stage"] == stage
        assert StageTransition.unscoped_objects.filter(project=project).count() == count

    def test_transition_of_other_dispositif_project_is_404(self, world, web_a):
        (other,) = self.make_in(world, world.b)
        url = reverse("pme:project-transition", args=[other.pk])
        assert web_a.get(url).status_code in (404, 405)
        assert web_a.post(url, {"to_stage": "qualified"}).status_code == 404
        assert snapshot(Project, other.pk)["stage"] == "referred"
        assert StageTransition.unscoped_objects.filter(project=other).count() == 0

    # --- jobs follow-up ----------------------------------------------------------------

    def follow_up_post(self, **overrides):
        data = {
            "year": "1",
            "as_of": "",
            "headcount": "13",
            "jobs_created": "3",
            "jobs_maintained": "10",
            "source": "declared",
            "note": "",
        }
        return data | overrides

    def test_follow_up_recorded_then_corrected(self, world, web_a):
        project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
        url = reverse("pme:project-follow-up", args=[project.pk])
        response = web_a.post(url, self.follow_up_post())
        assert response.status_code == 302
        record = JobsFollowUp.unscoped_objects.get(project=project)
        assert (record.year, record.jobs_created, record.recorded_by) == (1, 3, world.animateur_a)

        detail = web_a.get(reverse("pme:project-detail", args=[project.pk]), {"annee": 1})
        assert detail.context["follow_up_form"].initial["jobs_created"] == 3
        rows = detail.context["follow_ups"]
        assert [(r.year, r.record is not None) for r in rows] == [(1, True), (2, False), (3, False)]
        assert rows[0].planned_created == 4 and rows[0].gap == -1

        web_a.post(url, self.follow_up_post(jobs_created="5", source="verified"))
        record = JobsFollowUp.unscoped_objects.get(project=project)
        assert (record.jobs_created, record.source) == (5, "verified")
        history = web_a.get(reverse("pme:project-detail", args=[project.pk])).context["history"]
        changes = [(c.label, c.old, c.new) for entry in history for c in entry.changes]
        assert ("Emplois créés", "3", "5") in changes

    def test_follow_up_year_out_of_range_and_unapproved_project(self, world, web_a):
        project = project_at(Stage.APPROVED, dispositif=world.a)
        response = web_a.post(
            reverse("pme:project-follow-up", args=[project.pk]), self.follow_up_post(year="4")
        )
        assert response.status_code == 400
        assert "year" in response.context["follow_up_form"].errors
        referred = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        response = web_a.post(
            reverse("pme:project-follow-up", args=[referred.pk]), self.follow_up_post()
        )
        assert response.status_code == 400
        assert "Seul un projet accepté en comité a un suivi des emplois." in (
            response.content.decode().replace("&#x27;", "'")
        )
        assert not JobsFollowUp.unscoped_objects.exists()

    def test_follow_up_of_other_dispositif_is_404(self, world, web_a):
        other = project_at(Stage.APPROVED, dispositif=world.b)
        response = web_a.post(
            reverse("pme:project-follow-up", args=[other.pk]), self.follow_up_post()
        )
        assert response.status_code == 404
        assert not JobsFollowUp.unscoped_objects.exists()

    # --- list --------------------------------------------------------------------------

    def test_list_filters(self, world, web_a):
        cci = OrganisationFactory(name="CCI test")
        company = CompanyFactory(dispositif=world.a, name="Forges SA")
        first = ProjectFactory(company=company, title="Export Belgique", referred_by=cci)
        second = project_at(Stage.QUALIFIED, dispositif=world.a)
        (other,) = self.make_in(world, world.b)
        url = reverse("pme:project-list")

        def titles(**params):
            response = web_a.get(url, params)
            assert response.status_code == 200
            return {p.pk for p in response.context["object_list"]}

        assert titles() == {first.pk, second.pk}
        assert titles(stage="qualified") == {second.pk}
        assert titles(referred_by=cci.pk) == {first.pk}
        assert titles(company=company.pk) == {first.pk}
        assert titles(q="belgique") == {first.pk}
        assert titles(q="forges") == {first.pk}
        assert titles(project_type="development") == {first.pk, second.pk}
        # Pointing a filter into another dispositif lists nothing.
        assert titles(company=other.company.pk) == set()
        assert titles(dispositif=world.b.slug) == set()

    def test_list_sorts_and_paginates(self, world, web_a):
        company = CompanyFactory(dispositif=world.a)
        for jobs in range(27):
            ProjectFactory(company=company, jobs_planned_3y=jobs)
        response = web_a.get(reverse("pme:project-list"), {"sort": "jobs"})
        jobs = [p.jobs_planned_3y for p in response.context["object_list"]]
        assert jobs == list(range(25))
        assert web_a.get(reverse("pme:project-list"), {"page": 2}).status_code == 200


# =======================================================================================
# Funnel


class TestFollowUpListViews(WebAnonymousMixin, WebListMixin):
    """The jobs follow-ups list: read like the projects (their dossiers), scoped the same."""

    list_url_name = "pme:follow-up-list"
    readers = frozenset({"coordinator", "animateur", "member", "api_client"})

    def make(self, world, dispositif):
        project = ProjectFactory(
            company=CompanyFactory(dispositif=dispositif),
            title=f"Projet suivi {dispositif.slug} {next(_numbers)}",
        )
        return JobsFollowUp.objects.create(
            project=project,
            dispositif=dispositif,
            year=1,
            as_of=dt.date(2026, 3, 2),
            headcount=22,
            jobs_created=2,
            jobs_maintained=20,
            source="declared",
        )

    def label(self, instance):
        return instance.project.title

    def test_sorted_and_paginated_with_the_total_of_every_row(self, world, web_a):
        self.make_in(world, world.a, count=27)
        response = web_a.get(reverse(self.list_url_name), {"sort": "-created", "page": 2})
        assert response.status_code == 200
        assert response.context["paginator"].count == 27
        assert len(response.context["object_list"]) == 2
        assert response.context["totals"] == {"jobs_created": 54, "jobs_maintained": 540}


class TestFunnelView:
    def populate(self, world, dispositif, cci):
        project_at(Stage.REFERRED, dispositif=dispositif)
        project_at(Stage.QUALIFIED, dispositif=dispositif)
        project_at(Stage.APPROVED, dispositif=dispositif)
        project_at(Stage.REJECTED, dispositif=dispositif)
        project_at(Stage.ABANDONED, dispositif=dispositif)
        ProjectFactory(company=CompanyFactory(dispositif=dispositif), referred_by=cci)

    def counts(self, funnel):
        return {bar.key: bar.count for bar in [*funnel.stages, *funnel.outside]}

    def test_animateur_sees_own_dispositif_funnel(self, world, web_a):
        cci = OrganisationFactory(name="CCI test")
        self.populate(world, world.a, cci)
        project_at(Stage.APPROVED, dispositif=world.b)
        derog = CompanyFactory(dispositif=world.a, headcount=400)
        with scope([world.a]):
            services.company_record_exception(
                company=derog, reason="Justification valable", by=None
            )
        response = web_a.get(reverse("pme:funnel"))
        assert response.status_code == 200
        funnel = response.context["funnel"]
        assert [bar.key for bar in funnel.stages] == [
            "referred",
            "qualified",
            "in_instruction",
            "on_agenda",
            "approved",
            "in_progress",
            "followed_up",
            "closed",
        ]
        assert self.counts(funnel) == {
            "referred": 2,
            "qualified": 1,
            "in_instruction": 0,
            "on_agenda": 0,
            "approved": 1,
            "in_progress": 0,
            "followed_up": 0,
            "closed": 0,
            "deferred": 0,
            "rejected": 1,
            "abandoned": 1,
        }
        assert funnel.total == 6
        assert {(bar.label, bar.count) for bar in funnel.sources} == {
            ("CCI test", 1),
            ("non renseigné", 5),
        }
        assert funnel.exceptions == 1
        # Two projects went to a committee 14 days after being referred (factory dates): the
        # indicator of the current year, read from the indicators layer once refreshed.
        facts.refresh_stale()
        response = web_a.get(reverse("pme:funnel"))
        assert response.context["projects_to_committee"] == 2
        assert response.context["days_to_committee"].value == 14
        page = response.content.decode()
        assert 'data-stage="referred">2<' in page and "14 j" in page
        assert "Alizé Chambéry test" not in page

    def test_median_days_over_projects_that_went_to_committee(self, world, web_a):
        for days in (10, 20, 60):
            project = project_at(Stage.APPROVED, dispositif=world.a)
            Project.unscoped_objects.filter(pk=project.pk).update(
                first_committee_on=project.referred_on + dt.timedelta(days=days)
            )
        project_at(Stage.QUALIFIED, dispositif=world.a)
        facts.refresh_stale()
        response = web_a.get(reverse("pme:funnel"))
        assert response.context["days_to_committee"].value == 20
        assert response.context["projects_to_committee"] == 3
        page = response.content.decode()
        assert "premier comité en 2026" in page and "20 j" in page

    def test_other_dispositif_is_404_and_all_is_for_the_coordination(self, world, web_a, client):
        assert web_a.get(reverse("pme:funnel"), {"dispositif": world.b.slug}).status_code == 404
        assert web_a.get(reverse("pme:funnel"), {"dispositif": "all"}).status_code == 404
        assert web_a.get(reverse("pme:funnel"), {"dispositif": world.a.slug}).status_code == 200
        project_at(Stage.REFERRED, dispositif=world.a)
        project_at(Stage.REFERRED, dispositif=world.b)
        client.force_login(world.coordinator)
        everything = client.get(reverse("pme:funnel"), {"dispositif": "all"}).context["funnel"]
        assert everything.total == 2
        only_b = client.get(reverse("pme:funnel"), {"dispositif": world.b.slug}).context["funnel"]
        assert only_b.total == 1
        assert client.get(reverse("pme:funnel")).context["selected"] is None

    def test_roles_without_pipeline_get_404(self, world, client):
        for user in (world.member_a, world.api_client_user):
            client.force_login(user)
            assert client.get(reverse("pme:funnel")).status_code == 404
        client.logout()
        response = client.get(reverse("pme:funnel"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_query_count_does_not_grow(self, world, web_a):
        cci = OrganisationFactory(name="CCI test")
        self.populate(world, world.a, cci)

        def more_rows():
            for _ in range(3):
                self.populate(world, world.a, OrganisationFactory())

        def computed_funnel():
            cache.clear()  # the computation is what must not grow, not the cached answer
            return web_a.get(reverse("pme:funnel"))

        assert_queries_do_not_grow("pme:funnel", computed_funnel, more_rows)
