"""REST endpoints of committees: scheduling, status, agenda, decisions, and the read-only
agenda items, partner commitments and decisions."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from alize.tenancy import scope
from committees import services
from committees.models import (
    AgendaItem,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
    PartnerCommitment,
)
from partners.models import OrganisationKind
from pme.models import Project, Stage
from tests.api_base import APIEndpointTestBase, APIReadOnlyTestBase, count_rows
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
    record_quorum,
)
from tests.query_counts import assert_queries_do_not_grow


def stage_of(project):
    return Project.unscoped_objects.get(pk=project.pk).stage


def on_agenda(dispositif, committee=None):
    """An agenda item of ``committee`` (a new one when not given, its quorum present) for a
    project in instruction."""
    project = project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
    with scope([dispositif]):
        if committee is None:
            committee = CommitteeFactory(dispositif=dispositif, date=TODAY)
            record_quorum(committee)
        return services.agenda_add_project(committee=committee, project=project, by=None)


class TestCommitteeAPI(APIEndpointTestBase):
    basename = "committee"
    model = Committee

    def make(self, world, dispositif):
        return CommitteeFactory(dispositif=dispositif)

    def create_payload(self, world, dispositif):
        host = MembershipFactory(dispositif=dispositif).organisation
        return {
            "dispositif": dispositif.slug,
            "date": "2026-07-01",
            "start_time": "14:30",
            "host": host.pk,
            "place": "Salle du conseil, CCI",
        }

    def cross_tenant_payload(self, world):
        host = MembershipFactory(dispositif=world.b).organisation
        return self.create_payload(world, world.a) | {"host": host.pk}

    def update_payload(self, world, instance):
        return {"place": "Usine du partenaire, salle B", "minutes": "Compte rendu provisoire."}

    def url(self, name, committee):
        return reverse(f"api:committee-{name}", args=[committee.pk])

    # scheduling -----------------------------------------------------------------------
    def test_host_must_sit_at_the_tour_de_table(self, world):
        api = api_client_for(world.animateur_a)
        before = count_rows(Committee)
        stranger = OrganisationFactory()
        payload = self.create_payload(world, world.a) | {"host": stranger.pk}
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "host" in response.json()["fields"]
        assert count_rows(Committee) == before

    def test_committee_with_agenda_is_not_deleted(self, world):
        item = on_agenda(world.a)
        response = api_client_for(world.animateur_a).delete(self.detail_url(item.committee))
        assert response.status_code == 400
        assert count_rows(Committee, pk=item.committee_id) == 1

    # status -------------------------------------------------------------------------------
    def test_status_moves_forward_only(self, world):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.animateur_a)
        response = api.post(self.url("status", own), {"status": "agenda_sent"}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == CommitteeStatus.AGENDA_SENT
        response = api.post(self.url("status", own), {"status": "planned"}, format="json")
        assert response.status_code == 400
        assert "status" in response.json()["fields"]
        assert Committee.unscoped_objects.get(pk=own.pk).status == CommitteeStatus.AGENDA_SENT

    # agenda -------------------------------------------------------------------------------
    def test_agenda_puts_a_project_on_it(self, world):
        (own,) = self.make_in(world, world.a)
        project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        api = api_client_for(world.animateur_a)
        response = api.post(self.url("agenda", own), {"project": project.pk}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["order"] == 1
        assert stage_of(project) == Stage.ON_AGENDA
        agenda = api.get(self.detail_url(own)).json()["agenda"]
        assert [row["project"] for row in agenda] == [project.pk]

    def test_agenda_refuses_a_project_not_ready(self, world):
        (own,) = self.make_in(world, world.a)
        project = project_at(Stage.QUALIFIED, dispositif=world.a)
        response = api_client_for(world.animateur_a).post(
            self.url("agenda", own), {"project": project.pk}, format="json"
        )
        assert response.status_code == 400
        assert "project" in response.json()["fields"]
        assert count_rows(AgendaItem) == 0
        assert stage_of(project) == Stage.QUALIFIED

    def test_agenda_with_a_project_of_another_dispositif_is_400(self, world):
        (own,) = self.make_in(world, world.a)
        other = project_at(Stage.IN_INSTRUCTION, dispositif=world.b)
        for user in (world.animateur_a, world.coordinator):
            response = api_client_for(user).post(
                self.url("agenda", own), {"project": other.pk}, format="json"
            )
            assert response.status_code == 400, response.content
            assert "project" in response.json()["fields"]
        assert count_rows(AgendaItem) == 0
        assert stage_of(other) == Stage.IN_INSTRUCTION

    # decisions ----------------------------------------------------------------------------
    def test_approval_moves_the_project_in_the_same_request(self, world):
        item = on_agenda(world.a)
        api = api_client_for(world.animateur_a)
        response = api.post(
            self.url("decisions", item.committee),
            {
                "item": item.pk,
                "outcome": "approved",
                "missions_granted": 2,
                "missions_description": "Qualité, lean",
                "advance_amount": "12000.00",
                "conditions": "Prêt bancaire obtenu",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["advance_amount"] == "12000.00"
        project = Project.unscoped_objects.get(pk=item.project_id)
        assert project.stage == Stage.APPROVED
        assert project.approved_on == item.committee.date
        decision = Decision.unscoped_objects.get(item=item)
        assert decision.decided_by == world.animateur_a
        assert decision.advance_amount == Decimal("12000.00")

    def test_deferral_and_rejection(self, world):
        first = on_agenda(world.a)
        second = on_agenda(world.a, committee=first.committee)
        api = api_client_for(world.animateur_a)
        url = self.url("decisions", first.committee)
        assert (
            api.post(url, {"item": first.pk, "outcome": "deferred"}, format="json").status_code
            == 201
        )
        assert (
            api.post(url, {"item": second.pk, "outcome": "rejected"}, format="json").status_code
            == 201
        )
        assert stage_of(first.project) == Stage.DEFERRED
        assert stage_of(second.project) == Stage.REJECTED

    def test_bad_decision_names_the_field_and_saves_nothing(self, world):
        item = on_agenda(world.a)
        api = api_client_for(world.animateur_a)
        url = self.url("decisions", item.committee)
        for payload, field in (
            ({"outcome": "approved", "advance_amount": "40000.00"}, "advance_amount"),
            ({"outcome": "rejected", "advance_amount": "12000.00"}, "advance_amount"),
            ({"outcome": "deferred", "missions_granted": 2}, "missions_granted"),
            ({"outcome": "maybe"}, "outcome"),
        ):
            response = api.post(url, {"item": item.pk} | payload, format="json")
            assert response.status_code == 400, response.content
            assert field in response.json()["fields"]
        assert count_rows(Decision) == 0
        assert stage_of(item.project) == Stage.ON_AGENDA

    def test_second_decision_on_a_dossier_is_refused(self, world):
        item = on_agenda(world.a)
        api = api_client_for(world.animateur_a)
        url = self.url("decisions", item.committee)
        first = api.post(url, {"item": item.pk, "outcome": "deferred"}, format="json")
        assert first.status_code == 201
        response = api.post(url, {"item": item.pk, "outcome": "approved"}, format="json")
        assert response.status_code == 400
        assert "outcome" in response.json()["fields"]
        assert stage_of(item.project) == Stage.DEFERRED

    def test_decision_on_a_dossier_of_another_committee_or_dispositif_is_400(self, world):
        item = on_agenda(world.a)
        elsewhere = on_agenda(world.a)
        other = on_agenda(world.b)
        for user in (world.animateur_a, world.coordinator):
            api = api_client_for(user)
            for foreign in (elsewhere, other):
                response = api.post(
                    self.url("decisions", item.committee),
                    {"item": foreign.pk, "outcome": "approved"},
                    format="json",
                )
                assert response.status_code == 400, response.content
                assert "item" in response.json()["fields"]
        assert count_rows(Decision) == 0
        assert stage_of(elsewhere.project) == Stage.ON_AGENDA
        assert stage_of(other.project) == Stage.ON_AGENDA

    def test_actions_on_another_dispositif_are_404(self, world):
        other = on_agenda(world.b)
        project = project_at(Stage.IN_INSTRUCTION, dispositif=world.b)
        api = api_client_for(world.animateur_a)
        committee = other.committee
        assert (
            api.post(self.url("status", committee), {"status": "held"}, format="json").status_code
            == 404
        )
        assert (
            api.post(
                self.url("agenda", committee), {"project": project.pk}, format="json"
            ).status_code
            == 404
        )
        assert (
            api.post(
                self.url("decisions", committee),
                {"item": other.pk, "outcome": "approved"},
                format="json",
            ).status_code
            == 404
        )
        assert Committee.unscoped_objects.get(pk=committee.pk).status == CommitteeStatus.PLANNED
        assert count_rows(AgendaItem, committee=committee) == 1
        assert count_rows(Decision) == 0

    def test_readers_cannot_use_the_actions(self, world):
        item = on_agenda(world.a)
        project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        for user in (world.api_client_user, world.member_a):
            api = api_client_for(user)
            assert api.get(self.detail_url(item.committee)).status_code == 200
            for name, payload in (
                ("status", {"status": "held"}),
                ("agenda", {"project": project.pk}),
                ("decisions", {"item": item.pk, "outcome": "approved"}),
            ):
                response = api.post(self.url(name, item.committee), payload, format="json")
                assert response.status_code == 403, (name, response.content)
        status = Committee.unscoped_objects.get(pk=item.committee_id).status
        assert status == CommitteeStatus.PLANNED
        assert count_rows(Decision) == 0 and count_rows(AgendaItem) == 1

    # dates and statuses ----------------------------------------------------------------
    def test_scheduling_in_the_past_and_holding_in_the_future_are_refused(self, world):
        api = api_client_for(world.animateur_a)
        past = self.create_payload(world, world.a) | {"date": "2020-01-15"}
        response = api.post(self.list_url(), past, format="json")
        assert response.status_code == 400
        assert "date" in response.json()["fields"]
        assert count_rows(Committee) == 0
        item = on_agenda(world.a, committee=CommitteeFactory(dispositif=world.a))
        response = api.post(self.url("status", item.committee), {"status": "held"}, format="json")
        assert response.status_code == 400
        assert "status" in response.json()["fields"]
        response = api.post(
            self.url("decisions", item.committee),
            {"item": item.pk, "outcome": "approved"},
            format="json",
        )
        assert response.status_code == 400
        assert "outcome" in response.json()["fields"]
        assert Committee.unscoped_objects.get(pk=item.committee_id).status == "planned"
        assert stage_of(item.project) == Stage.ON_AGENDA and count_rows(Decision) == 0

    def test_record_a_past_committee(self, world):
        projects = [project_at(Stage.IN_INSTRUCTION, dispositif=world.a) for _ in range(2)]
        host = MembershipFactory(dispositif=world.a).organisation
        day = dt.date(2026, 3, 12)
        payload = {
            "dispositif": world.a.slug,
            "date": str(day),
            "host": host.pk,
            "place": "CCI",
            "minutes": "Deux dossiers.",
            "projects": [p.pk for p in projects],
        }
        api = api_client_for(world.animateur_a)
        url = reverse("api:committee-record-past")
        future = payload | {"date": "2026-06-11"}
        response = api.post(url, future, format="json")
        assert response.status_code == 400 and "date" in response.json()["fields"]
        foreign = project_at(Stage.IN_INSTRUCTION, dispositif=world.b)
        response = api.post(url, payload | {"projects": [foreign.pk]}, format="json")
        assert response.status_code == 400 and "projects" in response.json()["fields"]
        assert count_rows(Committee) == 0
        for user in (world.member_a, world.api_client_user):
            assert api_client_for(user).post(url, payload, format="json").status_code == 403
        response = api.post(url, payload, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["status"], body["date"]) == ("held", str(day))
        assert [row["project"] for row in body["agenda"]] == [p.pk for p in projects]
        recorded = Committee.unscoped_objects.get(pk=body["id"])
        record_quorum(recorded)
        response = api.post(
            self.url("decisions", recorded),
            {"item": body["agenda"][0]["id"], "outcome": "approved"},
            format="json",
        )
        assert response.status_code == 201, response.content
        project = Project.unscoped_objects.get(pk=projects[0].pk)
        assert (project.stage, project.approved_on) == (Stage.APPROVED, day)

    def test_list_with_agendas_runs_constant_queries(self, world):
        api = api_client_for(world.animateur_a)
        on_agenda(world.a)

        def more_rows():
            for _ in range(3):
                item = on_agenda(world.a)
                on_agenda(world.a, committee=item.committee)
                with scope([world.a]):
                    record_quorum(item.committee)
                    services.committee_record_decision(item=item, outcome="deferred", by=None)

        response = assert_queries_do_not_grow(
            "api:committee-list with agendas", lambda: api.get(self.list_url()), more_rows
        )
        rows = response.json()["results"]
        assert sum(len(row["agenda"]) for row in rows) == 7


class TestAgendaItemAPI(APIReadOnlyTestBase):
    basename = "agenda-item"
    model = AgendaItem

    def make(self, world, dispositif):
        return on_agenda(dispositif)


class TestCommitmentAPI(APIReadOnlyTestBase):
    basename = "commitment"
    model = PartnerCommitment

    def make(self, world, dispositif):
        item = on_agenda(dispositif)
        bank = MembershipFactory(
            dispositif=dispositif,
            organisation=OrganisationFactory(kind=OrganisationKind.BANK),
            kind="financial_partner",
        ).organisation
        with scope([dispositif]):
            return services.commitment_record(
                item=item, organisation=bank, tool="Prêt d'équipement", amount=80000, by=None
            )

    def test_large_firms_come_last(self, world):
        commitment = self.make_in(world, world.a)[0]
        firm = MembershipFactory(dispositif=world.a).organisation
        with scope([world.a]):
            services.commitment_record(
                item=commitment.item,
                organisation=firm,
                tool="Mission qualité",
                amount=None,
                by=None,
            )
            region = MembershipFactory(
                dispositif=world.a,
                organisation=OrganisationFactory(kind=OrganisationKind.PUBLIC_BODY),
                kind="public_body",
            ).organisation
            services.commitment_record(
                item=commitment.item, organisation=region, tool="Subvention", amount=5000, by=None
            )
            services.commitment_record(
                item=commitment.item, organisation=firm, tool="Mécénat", amount=None, by=None
            )
        api = api_client_for(world.animateur_a)
        query = {"project": commitment.item.project_id}
        rows = api.get(self.list_url(), query).json()["results"]
        tour_de_table = [
            ("Prêt d'équipement", False),
            ("Subvention", False),
            ("Mission qualité", True),
            ("Mécénat", True),
        ]
        assert [(row["tool"], row["firm_last"]) for row in rows] == tour_de_table

        paged, url, params = [], self.list_url(), query | {"page_size": 1}
        while url:
            page = api.get(url, params).json()
            paged += [row["tool"] for row in page["results"]]
            url, params = page["next"], None
        assert paged == [tool for tool, _ in tour_de_table]


class TestDecisionAPI(APIReadOnlyTestBase):
    basename = "decision"
    model = Decision

    def make(self, world, dispositif):
        project = project_at(Stage.APPROVED, dispositif=dispositif)
        return Decision.unscoped_objects.get(item__project=project)

    def test_filters_by_outcome(self, world):
        approved = self.make_in(world, world.a)[0]
        rejected = project_at(Stage.REJECTED, dispositif=world.a)
        api = api_client_for(world.api_client_user)
        rows = api.get(self.list_url(), {"outcome": "approved"}).json()["results"]
        assert [row["id"] for row in rows] == [approved.pk]
        assert rows[0]["project"] == approved.item.project_id
        assert rejected.pk not in {row["project"] for row in rows}

    def test_correct_a_decision(self, world):
        decision = self.make_in(world, world.a)[0]
        project = decision.item.project
        url = reverse("api:decision-correct", args=[decision.pk])
        payload = {"outcome": "deferred", "reason": "Le comité avait ajourné le dossier."}
        for user in (world.member_a, world.api_client_user):
            assert api_client_for(user).post(url, payload, format="json").status_code == 403
        assert api_client_for(world.animateur_b).post(url, payload, format="json").status_code in (
            403,
            404,
        )
        api = api_client_for(world.animateur_a)
        response = api.post(url, {"outcome": "deferred", "reason": ""}, format="json")
        assert response.status_code == 400 and "reason" in response.json()["fields"]
        assert stage_of(project) == Stage.APPROVED and count_rows(DecisionCorrection) == 0
        response = api.post(url, payload, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["outcome"] == "deferred"
        assert [
            (c["previous_outcome"], c["outcome"], c["reason"]) for c in body["corrections"]
        ] == [("approved", "deferred", "Le comité avait ajourné le dossier.")]
        stored = Project.unscoped_objects.get(pk=project.pk)
        assert (stored.stage, stored.approved_on) == (Stage.DEFERRED, None)
