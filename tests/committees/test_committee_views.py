"""Committee pages: isolation between dispositifs on every URL, the committee member's
read-only access with their own commitments, and the animateur's flows."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alize.accounts.models import Role
from alize.tenancy import scope
from committees import services
from committees.models import (
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    PartnerCommitment,
)
from pme.models import Project, Stage
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    DispositifFactory,
    MembershipFactory,
    OrganisationFactory,
    RoleAssignmentFactory,
    project_at,
    record_quorum,
    user_with_role,
)
from tests.view_base import ViewIsolationTestBase

ACTION_URL_NAMES = (
    "committees:create",
    "committees:update",
    "committees:set-status",
    "committees:agenda-add",
    "committees:agenda-remove",
    "committees:agenda-move",
    "committees:attendance",
    "committees:commitment-add",
    "committees:commitment-delete",
    "committees:decision",
)


def seat(dispositif, name, kind="large_firm", **membership):
    organisation = OrganisationFactory(name=name, kind=kind, city=f"{name}-ville")
    MembershipFactory(dispositif=dispositif, organisation=organisation, **membership)
    return organisation


@dataclass
class Side:
    """A dispositif's committee with two dossiers on the agenda, one commitment, a ready
    project and two seated organisations."""

    committee: object
    item: object
    other_item: object
    ready: object
    firm: object
    public: object
    commitment: object


def build(dispositif, by=None, place=None) -> Side:
    slug = dispositif.slug
    firm = seat(dispositif, f"Grande entreprise {slug}")
    public = seat(dispositif, f"Conseil régional {slug}", kind="public_body")
    # The committee sits today: its agenda is open and decisions can be recorded.
    committee = CommitteeFactory(
        dispositif=dispositif, host=public, place=place or f"Salle {slug}", date=TODAY
    )
    first, second, ready = (project_at(Stage.IN_INSTRUCTION, dispositif=dispositif) for _ in "abc")
    for n, project in enumerate((first, second, ready), start=1):
        project.title = f"Projet {n} de {slug} {project.pk}"
        Project.unscoped_objects.filter(pk=project.pk).update(title=project.title)
    with scope([dispositif]):
        item = services.agenda_add_project(committee=committee, project=first, by=by)
        other = services.agenda_add_project(committee=committee, project=second, by=by)
        commitment = services.commitment_record(
            item=item, organisation=firm, tool="Mission qualité", amount=None, by=by
        )
    return Side(committee, item, other, ready, firm, public, commitment)


def snapshot():
    """Every committee-related row, read as referee (no scope)."""
    return {
        "committees": list(Committee.unscoped_objects.order_by("pk").values()),
        "items": list(AgendaItem.unscoped_objects.order_by("pk").values()),
        "commitments": list(PartnerCommitment.unscoped_objects.order_by("pk").values()),
        "decisions": list(Decision.unscoped_objects.order_by("pk").values()),
        "attendances": list(Attendance.unscoped_objects.order_by("pk").values()),
        "stages": list(Project.unscoped_objects.order_by("pk").values_list("pk", "stage")),
    }


def action_requests(side: Side):
    """One valid-looking request per action URL, aimed at ``side``'s objects."""
    c, item, other = side.committee, side.item, side.other_item
    return [
        ("committees:update", [c.pk], {"date": "2031-03-04", "place": "Ailleurs"}),
        ("committees:set-status", [c.pk], {"status": "held", "confirmed": "1"}),
        ("committees:agenda-add", [c.pk], {"project": side.ready.pk}),
        (
            "committees:attendance",
            [c.pk],
            {f"status_{side.public.pk}": "present", f"person_{side.public.pk}": "Mme Roy"},
        ),
        ("committees:agenda-remove", [other.pk], {}),
        ("committees:agenda-move", [other.pk], {"direction": "up"}),
        (
            "committees:commitment-add",
            [item.pk],
            {"organisation": side.public.pk, "tool": "Subvention", "amount": "5000"},
        ),
        ("committees:commitment-delete", [side.commitment.pk], {}),
        ("committees:decision", [item.pk], {"outcome": "rejected", "confirmed": "1"}),
    ]


class TestCommitteeViews(ViewIsolationTestBase):
    """Isolation of every committee URL, member rights, and the animateur's flows."""

    list_url_name = "committees:list"
    detail_url_name = "committees:detail"
    readers = frozenset({"coordinator", "animateur", "member", "api_client"})

    def anonymous_routes(self, world, instance):
        return [
            *super().anonymous_routes(world, instance),
            ("committees:create", []),
            ("committees:update", [instance.pk]),
        ]

    def make(self, world, dispositif):
        count = Committee.unscoped_objects.count()
        return CommitteeFactory(dispositif=dispositif, place=f"Lieu {dispositif.slug} n°{count}")

    def label(self, instance):
        return instance.place

    # --- Isolation ----------------------------------------------------------------------

    def test_other_dispositif_objects_are_404_on_every_url(self, world, client):
        build(world.a)
        theirs = build(world.b)
        before = snapshot()
        client.force_login(world.animateur_a)
        for name in ("committees:detail", "committees:update"):
            assert client.get(reverse(name, args=[theirs.committee.pk])).status_code == 404
        for name, args, data in action_requests(theirs):
            response = client.post(reverse(name, args=args), data)
            assert response.status_code == 404, name
        assert snapshot() == before

    def test_actions_with_get_are_not_allowed(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        for name, args, _data in action_requests(mine):
            # The status move's GET is its confirmation page.
            if name not in (
                "committees:update",
                "committees:commitment-delete",
                "committees:set-status",
            ):
                assert client.get(reverse(name, args=args)).status_code == 405, name

    def test_posts_pointing_into_the_other_dispositif_are_refused(self, world, client):
        mine = build(world.a)
        theirs = build(world.b)
        outsider = OrganisationFactory(name="Jamais membre")
        before = snapshot()
        client.force_login(world.animateur_a)
        refused = [
            ("committees:agenda-add", [mine.committee.pk], {"project": theirs.ready.pk}),
            (
                "committees:commitment-add",
                [mine.item.pk],
                {"organisation": theirs.public.pk, "tool": "Prêt", "amount": "100"},
            ),
            (
                "committees:commitment-add",
                [mine.item.pk],
                {"organisation": outsider.pk, "tool": "Prêt", "amount": "100"},
            ),
            (
                "committees:attendance",
                [mine.committee.pk],
                {f"status_{theirs.firm.pk}": "present", f"person_{theirs.firm.pk}": "M. Durand"},
            ),
            (
                "committees:update",
                [mine.committee.pk],
                {"date": "2031-01-01", "host": theirs.public.pk, "place": "x"},
            ),
            ("committees:create", [], {"date": "2031-01-01", "host": theirs.public.pk}),
        ]
        for name, args, data in refused:
            response = client.post(reverse(name, args=args), data)
            assert response.status_code == 400, name
        assert snapshot() == before

    def test_animateur_of_several_dispositifs_cannot_schedule_in_another(self, world, client):
        third = DispositifFactory(name="Alizé Saumur test", slug="saumur-test")
        RoleAssignmentFactory(user=world.animateur_a, role=Role.ANIMATEUR, dispositif=third)
        host_b = seat(world.b, "Hôte de B")
        host_a = seat(world.a, "Hôte de A")
        client.force_login(world.animateur_a)
        page = client.get(reverse("committees:create"))
        assert page.status_code == 200 and page.context["choose"]
        names = [d.name for d in page.context["dispositifs"]]
        assert names == sorted([world.a.name, third.name])
        form_page = client.get(reverse("committees:create"), {"dispositif": world.a.pk})
        choices = dict(form_page.context["form"].fields["dispositif"].choices)
        assert f'hx-get="{reverse("committees:create")}"' in form_page.content.decode()
        assert set(choices) == {"", str(world.a.pk), str(third.pk)}
        for data in (
            {"dispositif": world.b.pk, "date": "2031-01-01"},
            {"dispositif": world.b.pk, "date": "2031-01-01", "host": host_b.pk},
            {"dispositif": third.pk, "date": "2031-01-01", "host": host_a.pk},
        ):
            response = client.post(reverse("committees:create"), data)
            assert response.status_code == 400
        assert not Committee.unscoped_objects.exists()
        response = client.post(
            reverse("committees:create"),
            {"dispositif": world.a.pk, "date": "2031-01-01", "host": host_a.pk},
        )
        assert response.status_code == 302
        created = Committee.unscoped_objects.get()
        assert (created.dispositif, created.host, created.place) == (
            world.a,
            host_a,
            "Hôte de A, Hôte de A-ville",
        )

    def test_api_client_reads_its_region_committees_and_changes_nothing(self, world, client):
        mine = build(world.a)
        client.force_login(world.api_client_user)
        assert client.get(reverse("committees:list")).status_code == 200
        assert client.get(reverse("committees:detail", args=[mine.committee.pk])).status_code == 200
        before = snapshot()
        for name, args, data in action_requests(mine):
            assert client.post(reverse(name, args=args), data).status_code == 404, name
        assert client.get(reverse("committees:create")).status_code == 404
        assert snapshot() == before

    @pytest.mark.parametrize("role", ["firm_correspondent", "expert"])
    def test_other_roles_have_no_access(self, world, client, role):
        mine = build(world.a)
        client.force_login(user_with_role(role, organisation=mine.firm))
        assert client.get(reverse("committees:list")).status_code == 404
        assert client.get(reverse("committees:detail", args=[mine.committee.pk])).status_code == 404
        before = snapshot()
        for name, args, data in action_requests(mine):
            assert client.post(reverse(name, args=args), data).status_code == 404, name
        assert client.get(reverse("committees:create")).status_code == 404
        assert snapshot() == before

    def test_anonymous_actions_go_to_login(self, world, client):
        mine = build(world.a)
        before = snapshot()
        for name, args, data in action_requests(mine):
            response = client.post(reverse(name, args=args), data)
            assert response.status_code == 302 and reverse("login") in response["Location"]
        assert snapshot() == before

    # --- Committee members --------------------------------------------------------------

    def _member_setup(self, world):
        MembershipFactory(
            dispositif=world.a, organisation=world.member_organisation_a, kind="public_body"
        )
        return build(world.a)

    def test_member_reads_without_management_buttons(self, world, client):
        mine = self._member_setup(world)
        client.force_login(world.member_a)
        response = client.get(reverse("committees:detail", args=[mine.committee.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert mine.item.project.title in page and "Mission qualité" in page
        for name, args, _data in action_requests(mine):
            if name == "committees:commitment-add":
                continue
            assert reverse(name, args=args) not in page, name
        assert reverse("committees:commitment-add", args=[mine.item.pk]) in page
        form = response.context["items"][0].commitment_form
        assert list(form.fields["organisation"].objects) == [str(world.member_organisation_a.pk)]
        assert response.context["attendance_form"] is None
        assert response.context["agenda_form"] is None
        list_page = client.get(reverse("committees:list")).content.decode()
        assert reverse("committees:create") not in list_page

    def test_member_cannot_run_the_committee(self, world, client):
        mine = self._member_setup(world)
        before = snapshot()
        client.force_login(world.member_a)
        for name, args, data in action_requests(mine):
            if name == "committees:commitment-add":
                continue
            assert client.post(reverse(name, args=args), data).status_code == 404, name
        assert client.get(reverse("committees:create")).status_code == 404
        assert client.get(reverse("committees:update", args=[mine.committee.pk])).status_code == 404
        assert snapshot() == before

    def test_member_records_and_deletes_only_their_own_commitment(self, world, client):
        mine = self._member_setup(world)
        own = world.member_organisation_a
        client.force_login(world.member_a)
        url = reverse("committees:commitment-add", args=[mine.item.pk])
        before = snapshot()
        for other in (mine.public, mine.firm):
            response = client.post(url, {"organisation": other.pk, "tool": "Prêt"})
            assert response.status_code == 400
        assert snapshot() == before
        response = client.post(url, {"organisation": own.pk, "tool": "Aide régionale"})
        assert response.status_code == 302
        recorded = PartnerCommitment.unscoped_objects.get(tool="Aide régionale")
        assert (recorded.organisation, recorded.recorded_by) == (own, world.member_a)
        delete_other = reverse("committees:commitment-delete", args=[mine.commitment.pk])
        assert client.post(delete_other).status_code == 404
        assert PartnerCommitment.unscoped_objects.filter(pk=mine.commitment.pk).exists()
        page = client.get(reverse("committees:detail", args=[mine.committee.pk])).content.decode()
        assert reverse("committees:commitment-delete", args=[recorded.pk]) in page
        assert delete_other not in page
        response = client.post(reverse("committees:commitment-delete", args=[recorded.pk]))
        assert response.status_code == 302
        assert not PartnerCommitment.unscoped_objects.filter(pk=recorded.pk).exists()

    def test_member_of_another_dispositif_sees_nothing_here(self, world, client):
        mine = build(world.a)
        member_b = user_with_role(
            Role.COMMITTEE_MEMBER, dispositif=world.b, organisation=mine.public
        )
        client.force_login(member_b)
        assert client.get(reverse("committees:detail", args=[mine.committee.pk])).status_code == 404
        response = client.post(
            reverse("committees:commitment-add", args=[mine.item.pk]),
            {"organisation": mine.public.pk, "tool": "Prêt"},
        )
        assert response.status_code == 404
        assert not PartnerCommitment.unscoped_objects.filter(tool="Prêt").exists()

    # --- Detail page --------------------------------------------------------------------

    def test_detail_shows_agenda_commitments_decision_attendance_and_history(self, world, client):
        mine = build(world.a, by=world.animateur_a)
        bank = seat(world.a, "Banque test", kind="bank")
        with scope([world.a]):
            Project.objects.filter(pk=mine.item.project_id).update(
                requested_advance=Decimal("12000")
            )
            services.commitment_record(
                item=mine.item,
                organisation=bank,
                tool="Prêt bancaire",
                amount=Decimal("80000"),
                by=world.animateur_a,
            )
            services.attendance_record_roster(
                committee=mine.committee,
                lines=[
                    services.RosterLine(
                        organisation=bank, status="present", person_name="Mme Banquière"
                    )
                ],
            )
        client.force_login(world.animateur_a)
        url = reverse("committees:detail", args=[mine.committee.pk])
        page = client.get(url).content.decode()
        first, second = mine.item.project.title, mine.other_item.project.title
        assert page.index(first) < page.index(second)
        assert mine.item.project.company.name in page and "12\xa0000,00\xa0€" in page
        assert "Inscrit en comité" in page and "Éligible" in page
        # Partners first, then the separator, then the large firms.
        assert page.index("Prêt bancaire") < page.index("Entreprises partenaires (en dernier)")
        assert page.index("Entreprises partenaires (en dernier)") < page.index("Mission qualité")
        assert "Mme Banquière" in page
        assert second in page
        assert reverse("pme:project-detail", args=[mine.item.project_id]) in page
        response = client.post(
            reverse("committees:decision", args=[mine.item.pk]),
            {
                "outcome": "approved",
                "missions_granted": "2",
                "advance_amount": "12000",
                "confirmed": "1",
            },
        )
        assert response.status_code == 302
        client.post(reverse("committees:commitment-delete", args=[mine.commitment.pk]))
        response = client.get(url)
        history = response.context["history"]
        actions = [(e.kind, e.action, e.project) for e in history]
        assert ("Décision", "création", first) in actions
        assert ("Engagement", "suppression", first) in actions
        assert ("Engagement", "création", first) in actions
        deleted = next(e for e in history if e.action == "suppression")
        assert deleted.user == world.animateur_a and "Mission qualité" in deleted.summary
        page = response.content.decode()
        assert "suppression" in page and str(world.animateur_a) in page

    def test_detail_query_count_does_not_grow_with_the_agenda(self, world, client):
        small = build(world.a, by=world.animateur_a)
        large = build(world.a, by=world.animateur_a, place="Grande salle")
        with scope([world.a]):
            for _ in range(4):
                project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
                item = services.agenda_add_project(
                    committee=large.committee, project=project, by=world.animateur_a
                )
                for organisation in (large.public, large.firm):
                    services.commitment_record(
                        item=item, organisation=organisation, tool="Outil", amount=None, by=None
                    )
                record_quorum(item.committee)
                services.committee_record_decision(item=item, outcome="deferred", by=None)
                services.attendance_record_roster(
                    committee=large.committee,
                    lines=[
                        services.RosterLine(
                            organisation=large.public, status="present", person_name=f"P{_}"
                        )
                    ],
                )
        for user in (world.animateur_a, world.coordinator):
            client.force_login(user)
            counts = []
            for side in (small, large):
                url = reverse("committees:detail", args=[side.committee.pk])
                client.get(url)
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(url)
                assert response.status_code == 200
                counts.append(len(queries))
            assert len(response.context["items"]) == 6
            assert counts[0] == counts[1], counts

    # --- Schedule and edit --------------------------------------------------------------

    def test_schedule_suggests_the_host_and_its_city(self, world, client):
        hosted = seat(world.a, "A déjà accueilli")
        never = seat(world.a, "Jamais hôte", kind="consular")
        CommitteeFactory(dispositif=world.a, host=hosted, date=TODAY - dt.timedelta(days=90))
        CommitteeFactory(dispositif=world.a, host=world.firm_a, date=TODAY - dt.timedelta(days=30))
        client.force_login(world.animateur_a)
        response = client.get(reverse("committees:create"))
        assert response.status_code == 200
        form = response.context["form"]
        assert "dispositif" not in form.fields
        assert (
            form.initial["host"] == never.pk
            and form.initial["place"] == "Jamais hôte, Jamais hôte-ville"
        )
        page = response.content.decode()
        assert f'<option value="{never.pk}" selected>' in page
        response = client.post(
            reverse("committees:create"),
            {"date": "2031-05-06", "start_time": "14:30", "host": never.pk, "place": ""},
        )
        assert response.status_code == 302
        created = Committee.unscoped_objects.get(host=never)
        assert response["Location"] == reverse("committees:detail", args=[created.pk])
        assert (created.dispositif, created.place, created.date, created.start_time) == (
            world.a,
            "Jamais hôte, Jamais hôte-ville",
            dt.date(2031, 5, 6),
            dt.time(14, 30),
        )

    def test_invalid_schedule_form_is_400_with_field_errors(self, world, client):
        client.force_login(world.animateur_a)
        response = client.post(reverse("committees:create"), {"date": "pas une date"})
        assert response.status_code == 400
        assert "date" in response.context["form"].errors
        assert 'data-field="date"' in response.content.decode()
        assert not Committee.unscoped_objects.exists()

    def test_edit_committee(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        url = reverse("committees:update", args=[mine.committee.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert response.context["form"].initial["host"] == mine.public.pk
        response = client.post(url, {"date": "", "host": mine.firm.pk})
        assert response.status_code == 400 and "date" in response.context["form"].errors
        response = client.post(
            url,
            {"date": "2031-02-03", "host": mine.firm.pk, "place": "", "minutes": "Tout va bien"},
        )
        assert response.status_code == 302
        stored = Committee.unscoped_objects.get(pk=mine.committee.pk)
        assert (stored.date, stored.host, stored.place, stored.minutes) == (
            dt.date(2031, 2, 3),
            mine.firm,
            mine.firm.meeting_place,
            "Tout va bien",
        )

    # --- Status, agenda, attendance, commitments, decisions -----------------------------

    def test_status_buttons_follow_the_machine(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        url = reverse("committees:detail", args=[mine.committee.pk])
        response = client.get(url)
        assert [s for s, _label in response.context["next_statuses"]] == [
            "agenda_sent",
            "held",
            "cancelled",
        ]
        status_url = reverse("committees:set-status", args=[mine.committee.pk])
        # Each move asks first, saying what will happen, also without JavaScript.
        confirm = client.get(status_url, {"status": "held"})
        assert confirm.status_code == 200 and "Ce changement est définitif" in (
            confirm.content.decode()
        )
        assert client.get(status_url, {"status": "minutes_sent"}).status_code == 404
        unconfirmed = client.post(status_url, {"status": "held"})
        assert unconfirmed.status_code == 200 and 'name="confirmed"' in (
            unconfirmed.content.decode()
        )
        assert Committee.unscoped_objects.get(pk=mine.committee.pk).status == "planned"
        response = client.post(status_url, {"status": "minutes_sent", "confirmed": "1"})
        assert response.status_code == 400
        assert "ne peut pas passer" in response.content.decode()
        assert Committee.unscoped_objects.get(pk=mine.committee.pk).status == "planned"
        assert client.post(status_url, {"status": "nope"}).status_code == 400
        assert client.post(status_url, {"status": "held", "confirmed": "1"}).status_code == 302
        response = client.get(url)
        assert [s for s, _label in response.context["next_statuses"]] == ["minutes_sent"]
        assert response.context["agenda_form"] is None

    def test_agenda_add_remove_and_move(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        detail = client.get(reverse("committees:detail", args=[mine.committee.pk]))
        offered = [
            v for v, _label in detail.context["agenda_form"].fields["project"].widget.choices
        ]
        assert offered == ["", mine.ready.pk]
        add = reverse("committees:agenda-add", args=[mine.committee.pk])
        assert client.post(add, {"project": mine.ready.pk}).status_code == 302
        assert Project.unscoped_objects.get(pk=mine.ready.pk).stage == Stage.ON_AGENDA
        referred = project_at(Stage.REFERRED, dispositif=world.a)
        before = snapshot()
        response = client.post(add, {"project": referred.pk})
        assert response.status_code == 400
        assert "Seul un projet en instruction" in response.content.decode()
        assert client.post(add, {"project": mine.ready.pk}).status_code == 400
        assert client.post(add, {}).status_code == 400
        assert snapshot() == before

        def order():
            return list(
                AgendaItem.unscoped_objects.filter(committee=mine.committee)
                .order_by("order")
                .values_list("project_id", flat=True)
            )

        first, second, third = order()
        third_item = AgendaItem.unscoped_objects.get(committee=mine.committee, project=third)
        move = reverse("committees:agenda-move", args=[third_item.pk])
        assert client.post(move, {"direction": "up"}).status_code == 302
        assert order() == [first, third, second]
        response = client.post(move, {"direction": "up"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 302
        assert order() == [third, first, second]
        assert client.post(move, {"direction": "sideways"}).status_code == 400
        assert order() == [third, first, second]
        remove = reverse("committees:agenda-remove", args=[third_item.pk])
        assert client.post(remove).status_code == 302
        assert order() == [first, second]
        assert Project.unscoped_objects.get(pk=third).stage == Stage.IN_INSTRUCTION
        orders = AgendaItem.unscoped_objects.filter(committee=mine.committee)
        assert sorted(orders.values_list("order", flat=True)) == [1, 2]

    def test_removing_a_decided_dossier_is_refused(self, world, client):
        mine = build(world.a)
        with scope([world.a]):
            record_quorum(mine.item.committee)
            services.committee_record_decision(item=mine.item, outcome="rejected", by=None)
        client.force_login(world.animateur_a)
        before = snapshot()
        response = client.post(reverse("committees:agenda-remove", args=[mine.item.pk]))
        assert response.status_code == 400
        assert "déjà une décision" in response.content.decode()
        assert snapshot() == before

    def test_attendance(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        form = client.get(reverse("committees:detail", args=[mine.committee.pk])).context[
            "attendance_form"
        ]
        # The roster lists every organisation seated at the tour de table.
        assert {org.pk for org, *_fields in form.rows()} == {
            mine.firm.pk,
            mine.public.pk,
            world.firm_a.pk,
        }
        url = reverse("committees:attendance", args=[mine.committee.pk])
        firm, public = mine.firm.pk, mine.public.pk
        response = client.post(
            url,
            {
                f"status_{firm}": "present",
                f"person_{firm}": "M. Ingénieur",
                f"status_{public}": "represented",
            },
        )
        assert response.status_code == 400
        assert "Indiquez qui représente" in response.content.decode()
        assert not Attendance.unscoped_objects.exists()
        response = client.post(
            url,
            {
                f"status_{firm}": "present",
                f"person_{firm}": "M. Ingénieur",
                f"status_{public}": "represented",
                f"represented_{public}": "Mme Suppléante",
            },
        )
        assert response.status_code == 302
        rows = set(
            Attendance.unscoped_objects.values_list(
                "organisation", "status", "person_name", "represented_by"
            )
        )
        assert rows == {
            (firm, "present", "M. Ingénieur", ""),
            (public, "represented", "", "Mme Suppléante"),
        }

    def test_commitments_by_the_animateur(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        url = reverse("committees:commitment-add", args=[mine.item.pk])
        before = snapshot()
        response = client.post(
            url, {"organisation": mine.public.pk, "tool": "Aide", "amount": "-5"}
        )
        assert response.status_code == 400
        errors = response.context["items"][0].commitment_form.errors
        assert "amount" in errors
        assert client.post(url, {"organisation": mine.public.pk, "tool": ""}).status_code == 400
        assert snapshot() == before
        response = client.post(
            url, {"organisation": mine.public.pk, "tool": "Subvention", "amount": "20000"}
        )
        assert response.status_code == 302
        with scope([world.a]):
            ordered = [c.tool for c in PartnerCommitment.objects.filter(item=mine.item)]
        assert ordered == ["Subvention", "Mission qualité"]
        delete = reverse("committees:commitment-delete", args=[mine.commitment.pk])
        assert client.post(delete).status_code == 302
        assert not PartnerCommitment.unscoped_objects.filter(pk=mine.commitment.pk).exists()

    def test_decision_moves_the_stage_and_refusals_save_nothing(self, world, client):
        mine = build(world.a)
        client.force_login(world.animateur_a)
        url = reverse("committees:decision", args=[mine.item.pk])
        response = client.post(url, {"outcome": "rejected", "confirmed": "1"})
        assert response.status_code == 400
        assert "Quorum non atteint" in response.content.decode()
        record_quorum(mine.committee)
        before = snapshot()
        for data, field in (
            ({"outcome": "approved", "advance_amount": "50000"}, "advance_amount"),
            ({"outcome": "deferred", "advance_amount": "12000"}, "advance_amount"),
            ({"outcome": "rejected", "missions_granted": "2"}, "missions_granted"),
            ({"outcome": "maybe"}, "outcome"),
        ):
            response = client.post(url, data | {"confirmed": "1"})
            assert response.status_code == 400
            form = response.context["items"][0].decision_form
            assert field in form.errors, (data, form.errors)
        assert snapshot() == before
        approval = {
            "outcome": "approved",
            "missions_granted": "2",
            "missions_description": "Qualité, export",
            "advance_amount": "15000",
            "conditions": "Prêt bancaire obtenu",
        }
        # Recording asks first, saying what will happen; the page re-posts the form.
        confirm = client.post(url, approval)
        page = confirm.content.decode()
        assert confirm.status_code == 200 and "sortira du fonds" in page
        assert 'name="confirmed"' in page and 'value="Qualité, export"' in page
        assert snapshot() == before
        response = client.post(url, approval | {"confirmed": "1"})
        assert response.status_code == 302
        project = Project.unscoped_objects.get(pk=mine.item.project_id)
        assert project.stage == Stage.APPROVED
        assert project.approved_on == mine.committee.date
        decision = Decision.unscoped_objects.get(item=mine.item)
        assert (decision.advance_amount, decision.decided_by) == (
            Decimal("15000"),
            world.animateur_a,
        )
        assert client.post(url, {"outcome": "rejected", "confirmed": "1"}).status_code == 400
        assert Project.unscoped_objects.get(pk=mine.item.project_id).stage == Stage.APPROVED

    # --- List, home and navigation ------------------------------------------------------

    def test_list_filters_sorting_and_default_order(self, world, client):
        base = {"dispositif": world.a}
        past = CommitteeFactory(**base, date=TODAY - dt.timedelta(days=30), place="Passé")
        older = CommitteeFactory(**base, date=TODAY - dt.timedelta(days=200), place="Ancien")
        soon = CommitteeFactory(**base, date=TODAY + dt.timedelta(days=3), place="Bientôt")
        later = CommitteeFactory(**base, date=TODAY + dt.timedelta(days=60), place="Plus tard")
        other = CommitteeFactory(dispositif=world.b, place="Chez B")
        with scope([world.a]):
            services.committee_set_status(committee=past, status="held")
        client.force_login(world.coordinator)
        url = reverse("committees:list")

        def places(params=None):
            response = client.get(url, params or {})
            assert response.status_code == 200
            return [c.place for c in response.context["object_list"]]

        assert places({"dispositif": world.a.slug}) == ["Bientôt", "Plus tard", "Passé", "Ancien"]
        assert places({"sort": "date", "dispositif": world.a.slug}) == [
            "Ancien",
            "Passé",
            "Bientôt",
            "Plus tard",
        ]
        assert places({"sort": "-date", "dispositif": world.a.slug}) == [
            "Plus tard",
            "Bientôt",
            "Passé",
            "Ancien",
        ]
        assert other.place in places()
        assert places({"status": "held"}) == ["Passé"]
        assert set(places({"date_from": "2026-06-10"})) == {"Bientôt", "Plus tard", "Chez B"}
        assert places({"date_to": "2026-03-02"}) == ["Ancien"]
        assert places({"dispositif": world.b.slug}) == ["Chez B"]
        assert places({"q": "bientôt"}) == ["Bientôt"]
        assert [c.pk for c in (older, soon, later)] == [
            Committee.unscoped_objects.get(place=p).pk for p in ("Ancien", "Bientôt", "Plus tard")
        ]

    def test_list_dispositif_filter_offers_only_readable_dispositifs(self, world, client):
        CommitteeFactory(dispositif=world.a, place="Chez A")
        CommitteeFactory(dispositif=world.b, place="Chez B")
        client.force_login(world.animateur_a)
        page = client.get(reverse("committees:list")).content.decode()
        assert f'<option value="{world.a.slug}">{world.a.name}</option>' in page
        assert world.b.name not in page
        # B is not a valid choice: the filter is ignored and B's committees stay out of reach.
        response = client.get(reverse("committees:list"), {"dispositif": world.b.slug})
        assert [c.place for c in response.context["object_list"]] == ["Chez A"]

    def test_list_is_paginated(self, world, client):
        for n in range(27):
            CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=n))
        client.force_login(world.animateur_a)
        response = client.get(reverse("committees:list"))
        assert len(response.context["object_list"]) == 25
        assert response.context["paginator"].count == 27
        assert len(client.get(reverse("committees:list"), {"page": 2}).context["object_list"]) == 2

    def test_home_panel_and_navigation(self, world, client):
        CommitteeFactory(dispositif=world.a, place="Prochain A", date=TODAY + dt.timedelta(days=5))
        CommitteeFactory(dispositif=world.a, place="Passé A", date=TODAY - dt.timedelta(days=5))
        CommitteeFactory(dispositif=world.b, place="Prochain B", date=TODAY + dt.timedelta(days=5))
        for user in (world.animateur_a, world.member_a):
            client.force_login(user)
            response = client.get(reverse("home"))
            panels = [p for p in response.context["panels"] if "committees" in p]
            assert [c.place for c in panels[0]["committees"]] == ["Prochain A"]
            page = response.content.decode()
            assert "Prochains comités" in page
            labels = [str(entry["label"]) for entry in response.context["navigation"]]
            assert "Comités" in labels
        client.force_login(user_with_role(Role.EXPERT, organisation=OrganisationFactory()))
        response = client.get(reverse("home"))
        labels = [str(entry["label"]) for entry in response.context["navigation"]]
        assert "Comités" not in labels
        assert "Prochains comités" not in response.content.decode()
