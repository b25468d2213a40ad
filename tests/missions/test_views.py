"""Browser pages of the missions: isolation on the list and page, every write route with
its effect, the week grid (per-cell refusals naming the day, closed months read-only,
adjustments as their own lines), month closing, fatigue, experts, the firm portal."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alize.accounts.models import Role, RoleAssignment
from alize.tenancy import scope
from committees import services as committee_services
from missions import queries, services
from missions.models import ClosedMonth, HourLog, MissionStatus, SkillMission
from partners.models import Expert
from pme.models import Stage
from tests.clock import TODAY
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    SkillFactory,
    project_at,
    record_quorum,
)
from tests.missions.conftest import log, make_expert, running_mission
from tests.query_counts import assert_query_count
from tests.view_base import ViewIsolationTestBase

_numbers = itertools.count(1)


def unscoped():
    return scope(every_dispositif=True, reason="test referee")


def decision_in(dispositif, *, missions=2, label=""):
    """An approved decision of a new project whose company is named ``label``."""
    name = label or f"[PME {dispositif.slug}-{next(_numbers)}]"
    project = project_at(Stage.ON_AGENDA, dispositif=dispositif, name=name)
    with scope([dispositif.pk]):
        item = project.agenda_items.get()
        record_quorum(item.committee)
        return committee_services.committee_record_decision(
            item=item, outcome="approved", by=None, missions_granted=missions
        )


def setup_people(world):
    """The expert profile of A's expert, and a firm seated in B with its people (once)."""
    if getattr(world, "missions_people", None) is None:
        skill = SkillFactory(name="Qualité vues", slug="qualite-vues")
        firm_b = OrganisationFactory(name="Entreprise B vues", kind="large_firm")
        MembershipFactory(dispositif=world.b, organisation=firm_b)
        from tests.factories import user_with_role

        world.missions_people = {
            "skill": skill,
            "firm_b": firm_b,
            "correspondent_b": user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm_b),
            "expert_a": make_expert(world.firm_a, user=world.expert_a, skills=[skill]),
            "expert_b": make_expert(firm_b, skills=[skill]),
        }
    return world.missions_people


def mission_in(world, dispositif, *, label=""):
    """A mission in progress in ``dispositif`` (A: the world's firm and expert)."""
    people = setup_people(world)
    decision = decision_in(dispositif, label=label)
    if dispositif == world.a:
        firm, correspondent, animateur = world.firm_a, world.correspondent_a, world.animateur_a
        experts = [people["expert_a"]]
    else:
        firm, correspondent, animateur = (
            people["firm_b"],
            people["correspondent_b"],
            world.animateur_b,
        )
        experts = [people["expert_b"]]
    return running_mission(
        decision,
        firm,
        people["skill"],
        animateur=animateur,
        correspondent=correspondent,
        experts=experts,
    )


def proposed_in(world, dispositif=None):
    people = setup_people(world)
    dispositif = dispositif or world.a
    with unscoped():
        return services.mission_create(
            decision=decision_in(dispositif),
            firm=world.firm_a,
            skill=people["skill"],
            objective="Structurer la démarche qualité.",
            planned_hours=Decimal("20"),
            starts_on=TODAY,
            ends_on=TODAY + dt.timedelta(days=60),
            by=world.animateur_a,
        )


def status_of(mission) -> str:
    return SkillMission.unscoped_objects.get(pk=mission.pk).status


# =======================================================================================
# The missions list and page, with every role


class TestMissionViews(ViewIsolationTestBase):
    # The animateur runs A; A's firm correspondent and expert work on A's missions (the
    # mission in B belongs to another firm); the coordination sees both.
    readers = frozenset({"coordinator", "animateur", "correspondent", "expert"})

    list_url_name = "missions:list"
    detail_url_name = "missions:detail"

    def make(self, world, dispositif):
        return mission_in(world, dispositif)

    def label(self, instance):
        return instance.project.company.name

    def anonymous_routes(self, world, instance):
        decision = decision_in(world.a)
        return [
            *super().anonymous_routes(world, instance),
            ("missions:answer", [instance.pk]),
            ("missions:assign", [instance.pk]),
            ("missions:move", [instance.pk]),
            ("missions:evaluate", [instance.pk]),
            ("missions:propose", [decision.pk]),
            ("missions:hours", []),
            ("missions:closing", []),
            ("missions:adjustment", []),
            ("missions:fatigue", []),
            ("missions:expert-list", []),
            ("missions:expert-create", []),
            ("missions:expert-detail", [setup_people(world)["expert_a"].pk]),
            ("missions:expert-update", [setup_people(world)["expert_a"].pk]),
            ("missions:expert-invite", [setup_people(world)["expert_a"].pk]),
            ("missions:firm-hours-export", []),
        ]

    def test_list_filters_by_status_and_search(self, world, web_a):
        (running,) = self.make_in(world, world.a)
        proposed = proposed_in(world)
        url = reverse(self.list_url_name)
        page = web_a.get(url, {"status": "proposed"}).content.decode()
        assert proposed.project.company.name in page
        assert running.project.company.name not in page
        page = web_a.get(url, {"q": running.project.company.name}).content.decode()
        assert running.project.company.name in page
        assert proposed.project.company.name not in page
        sorted_page = web_a.get(url, {"sort": "-logged"})
        assert sorted_page.status_code == 200

    def test_a_filter_pointing_elsewhere_lists_nothing(self, world, web_a):
        (running,) = self.make_in(world, world.a)
        page = web_a.get(reverse(self.list_url_name), {"dispositif": world.b.slug})
        assert running.project.company.name not in page.content.decode()


# =======================================================================================
# The firm's answer, assignments, moves and evaluations


def test_correspondent_accepts_then_assigns_an_expert(world, client):
    mission = proposed_in(world)
    second = make_expert(world.firm_a, skills=[setup_people(world)["skill"]], first_name="Paul")
    client.force_login(world.correspondent_a)
    page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'id="answer"' in page
    response = client.post(reverse("missions:answer", args=[mission.pk]), {"answer": "accept"})
    assert response.status_code == 302
    assert status_of(mission) == MissionStatus.ACCEPTED
    response = client.post(reverse("missions:assign", args=[mission.pk]), {"experts": [second.pk]})
    assert response.status_code == 302
    with unscoped():
        assert list(mission.assignments.values_list("expert_id", flat=True)) == [second.pk]


def test_a_decline_needs_a_reason_then_closes_the_mission(world, client):
    mission = proposed_in(world)
    client.force_login(world.correspondent_a)
    url = reverse("missions:answer", args=[mission.pk])
    response = client.post(url, {"answer": "decline", "reason": "Non."})
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    assert status_of(mission) == MissionStatus.PROPOSED
    response = client.post(url, {"answer": "decline", "reason": "Personne de libre avant mars."})
    assert response.status_code == 302
    assert status_of(mission) == MissionStatus.DECLINED


def test_another_firm_cannot_answer_and_the_animateur_has_no_answer_form(world, client):
    mission = proposed_in(world)
    people = setup_people(world)
    client.force_login(people["correspondent_b"])
    url = reverse("missions:answer", args=[mission.pk])
    assert client.post(url, {"answer": "accept"}).status_code == 404
    client.force_login(world.animateur_a)
    assert client.post(url, {"answer": "accept"}).status_code == 404
    page = client.get(reverse("missions:detail", args=[mission.pk])).content.decode()
    assert 'id="answer"' not in page
    assert status_of(mission) == MissionStatus.PROPOSED


def test_evaluations_then_completion_and_cancel_with_reason(world, client):
    mission = mission_in(world, world.a)
    evaluate = reverse("missions:evaluate", args=[mission.pk])
    move = reverse("missions:move", args=[mission.pk])
    client.force_login(world.animateur_a)
    response = client.post(move, {"to_status": "completed"})
    assert response.status_code == 400  # the evaluations are missing
    assert status_of(mission) == MissionStatus.IN_PROGRESS
    assert (
        client.post(
            evaluate, {"side": "sme", "sme-text": "Très utile.", "sme-rating": "5"}
        ).status_code
        == 302
    )
    client.force_login(world.expert_a)
    assert (
        client.post(
            evaluate, {"side": "expert", "expert-text": "Équipe motivée.", "expert-rating": "4"}
        ).status_code
        == 302
    )
    assert client.post(move, {"to_status": "completed"}).status_code == 404  # not the expert's
    client.force_login(world.animateur_a)
    assert client.post(move, {"to_status": "completed"}).status_code == 302
    mission = SkillMission.unscoped_objects.get(pk=mission.pk)
    assert (mission.status, mission.sme_rating, mission.expert_rating) == ("completed", 5, 4)
    other = mission_in(world, world.a)
    move = reverse("missions:move", args=[other.pk])
    assert client.post(move, {"to_status": "cancelled", "reason": "court"}).status_code == 400
    response = client.post(move, {"to_status": "cancelled", "reason": "Le dirigeant a vendu."})
    assert response.status_code == 302
    assert status_of(other) == MissionStatus.CANCELLED


def test_the_animateur_proposes_a_mission_from_the_suggestions(world, client):
    people = setup_people(world)
    decision = decision_in(world.a, missions=1)
    url = reverse("missions:propose", args=[decision.pk])
    client.force_login(world.animateur_a)
    page = client.get(url, {"skill": people["skill"].pk}).content.decode()
    assert f'data-suggestion="{people["expert_a"].pk}"' in page
    assert "data-pledged" in page
    data = {
        "skill": people["skill"].pk,
        "firm": world.firm_a.pk,
        "objective": "Mettre en place le contrôle qualité.",
        "planned_hours": "30",
        "starts_on": "2026-06-10",
        "ends_on": "2026-07-10",
    }
    assert client.post(url, data | {"ends_on": "2000-01-01"}).status_code == 400
    response = client.post(url, data)
    assert response.status_code == 302
    mission = SkillMission.unscoped_objects.get(decision=decision)
    assert mission.status == MissionStatus.PROPOSED and mission.firm == world.firm_a
    # The grant is used up: a second proposal is refused on the form.
    assert client.post(url, data).status_code == 400
    client.force_login(world.animateur_b)
    assert client.get(url).status_code == 404


def test_project_page_shows_its_missions_and_the_way_to_propose(world, web_a):
    mission = mission_in(world, world.a)
    page = web_a.get(reverse("pme:project-detail", args=[mission.project_id])).content.decode()
    assert 'id="panel-project-missions"' in page
    assert reverse("missions:detail", args=[mission.pk]) in page
    assert reverse("missions:propose", args=[mission.decision_id]) in page


# =======================================================================================
# The week grid


def monday_of(day):
    return day - dt.timedelta(days=day.weekday())


def week_param(monday):
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


@pytest.fixture
def two_missions(world):
    """A's expert on two missions in progress of A."""
    first = mission_in(world, world.a)
    second = mission_in(world, world.a)
    return first, second


def test_expert_logs_a_week_and_a_13_hour_day_is_refused_naming_the_day(
    world, client, two_missions
):
    first, second = two_missions
    monday = dt.date(2026, 6, 1)
    tuesday = dt.date(2026, 6, 2)
    client.force_login(world.expert_a)
    url = reverse("missions:hours")
    page = client.get(url, {"week": week_param(monday)}).content.decode()
    assert f"h-{first.pk}-{monday.isoformat()}" in page
    response = client.post(
        url,
        {
            "week": week_param(monday),
            f"h-{first.pk}-{monday.isoformat()}": "7,5",
            f"h-{first.pk}-{tuesday.isoformat()}": "8",
            f"h-{second.pk}-{tuesday.isoformat()}": "5",
            f"h-{second.pk}-{monday.isoformat()}": "abc",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    page = response.content.decode()
    expert = Expert.objects.get(user=world.expert_a)
    stored = {
        (mission_id, day): hours
        for mission_id, day, hours in HourLog.unscoped_objects.filter(
            expert=expert, kind="entry"
        ).values_list("mission_id", "date", "hours")
    }
    assert stored == {(first.pk, monday): Decimal("7.5"), (first.pk, tuesday): Decimal("8")}
    assert "mardi" in page and "13" in page  # the refused day and its total
    assert 'id="grid-refusals"' in page
    assert "« abc » n&#x27;est pas un nombre" in page


def test_a_saved_week_redirects_and_shows_totals(world, client, two_missions):
    first, _second = two_missions
    monday = dt.date(2026, 6, 1)
    client.force_login(world.expert_a)
    url = reverse("missions:hours")
    response = client.post(
        url, {"week": week_param(monday), f"h-{first.pk}-{monday.isoformat()}": "6"}
    )
    assert response.status_code == 302 and "2026-W23" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert 'data-day-total="2026-06-01">6<' in page
    # Emptying the cell removes the entry.
    client.post(url, {"week": week_param(monday), f"h-{first.pk}-{monday.isoformat()}": ""})
    assert not HourLog.unscoped_objects.filter(mission=first, date=monday).exists()


def test_closed_month_cells_are_read_only_and_adjustments_show_as_lines(world, client):
    mission = mission_in(world, world.a)
    expert = setup_people(world)["expert_a"]
    day = mission.starts_on + dt.timedelta(days=7 - mission.starts_on.weekday())
    log(mission, expert, day, "4")
    with scope([world.a.pk]):
        services.month_close(dispositif=world.a, month=day.replace(day=1), by=world.animateur_a)
    client.force_login(world.animateur_a)
    response = client.post(
        reverse("missions:adjustment"),
        {
            "mission": mission.pk,
            "expert": expert.pk,
            "date": day.isoformat(),
            "hours": "-1",
            "reason": "Une heure comptée deux fois.",
        },
    )
    assert response.status_code == 302
    client.force_login(world.expert_a)
    url = reverse("missions:hours")
    page = client.get(url, {"week": week_param(monday_of(day))}).content.decode()
    assert f'name="h-{mission.pk}-{day.isoformat()}"' not in page  # locked
    assert "Une heure comptée deux fois." in page and "data-adjustment" in page
    response = client.post(
        url, {"week": week_param(monday_of(day)), f"h-{mission.pk}-{day.isoformat()}": "9"}
    )
    assert HourLog.unscoped_objects.get(mission=mission, date=day, kind="entry").hours == 4


def test_no_logging_on_another_experts_mission(world, client):
    mine = mission_in(world, world.a)
    theirs = mission_in(world, world.b)
    monday = dt.date(2026, 6, 8)
    client.force_login(world.expert_a)
    client.post(
        reverse("missions:hours"),
        {"week": week_param(monday), f"h-{theirs.pk}-{monday.isoformat()}": "3"},
    )
    assert not HourLog.unscoped_objects.filter(mission=theirs, date=monday).exists()
    page = client.get(reverse("missions:hours")).content.decode()
    assert f"h-{mine.pk}-" in page and f"h-{theirs.pk}-" not in page
    assert client.get(reverse("missions:detail", args=[theirs.pk])).status_code == 404


def test_week_grid_roles_and_query_count(world, client, two_missions):
    url = reverse("missions:hours")
    for user in (world.animateur_a, world.correspondent_a, world.member_a, world.no_role):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"week": "2026-W01"}).status_code == 404
    client.force_login(world.coordinator)
    assert "aucune fiche d'expert" in client.get(url).content.decode()
    assert client.post(url, {"week": "2026-W01"}).status_code == 404
    client.force_login(world.expert_a)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert_query_count("missions:hours", queries)


# =======================================================================================
# Month closing and fatigue


def test_animateur_closes_a_month_of_their_dispositif_only(world, client):
    month = dt.date(2026, 5, 1)
    client.force_login(world.animateur_a)
    url = reverse("missions:closing")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"dispositif": world.b.pk, "month": month.strftime("%Y-%m"), "confirmed": "1"}
    )
    assert response.status_code == 400
    assert not ClosedMonth.unscoped_objects.exists()
    close = {"dispositif": world.a.pk, "month": month.strftime("%Y-%m")}
    # Closing asks first, saying that the month's hours will be locked.
    confirm = client.post(url, close)
    assert confirm.status_code == 200 and "seront verrouillées" in confirm.content.decode()
    assert not ClosedMonth.unscoped_objects.exists()
    response = client.post(url, close | {"confirmed": "1"})
    assert response.status_code == 302
    assert ClosedMonth.unscoped_objects.get().dispositif == world.a
    page = client.get(url).content.decode()
    assert f'data-month="{month:%Y-%m}" data-closed' in page
    assert client.post(url, close | {"confirmed": "1"}).status_code == 400
    response = client.post(reverse("missions:adjustment"), {"reason": "x"})
    assert response.status_code == 400
    for user in (world.expert_a, world.correspondent_a):
        client.force_login(user)
        assert client.get(url).status_code == 404


def test_fatigue_view_for_animateur_and_coordinator(world, client):
    mission_in(world, world.a)
    mission_in(world, world.b)
    url = reverse("missions:fatigue")
    client.force_login(world.animateur_a)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert_query_count("missions:fatigue", queries)
    page = response.content.decode()
    assert world.firm_a.name in page and "Entreprise B vues" not in page
    assert "<svg" in page and 'role="img"' in page
    assert client.get(url, {"dispositif": world.b.slug}).status_code == 404
    client.force_login(world.coordinator)
    page = client.get(url, {"dispositif": world.b.slug, "year": "2026"}).content.decode()
    assert "Entreprise B vues" in page and world.firm_a.name not in page
    for user in (world.correspondent_a, world.expert_a, world.member_a):
        client.force_login(user)
        assert client.get(url).status_code == 404


# =======================================================================================
# Experts, the firm portal and the expert's home


def test_correspondent_manages_its_firms_experts(world, client):
    people = setup_people(world)
    client.force_login(world.correspondent_a)
    page = client.get(reverse("missions:expert-list")).content.decode()
    assert people["expert_a"].last_name in page and people["expert_b"].last_name not in page
    data = {
        "first_name": "Inès",
        "last_name": "Morel",
        "job_title": "Acheteuse",
        "email": "ines.morel@example.org",
        "phone": "06 00 00 00 00",
        "skills": [people["skill"].pk],
        "hours_per_month": "10",
        "availability_note": "",
        "lends_across_territories": "on",
        "is_active": "on",
    }
    assert (
        client.post(
            reverse("missions:expert-create"), data | {"hours_per_month": "900"}
        ).status_code
        == 400
    )
    response = client.post(reverse("missions:expert-create"), data)
    assert response.status_code == 302
    expert = Expert.objects.get(last_name="Morel")
    assert expert.organisation == world.firm_a and expert.lends_across_territories
    update = reverse("missions:expert-update", args=[expert.pk])
    assert client.get(update).status_code == 200
    assert client.post(update, data | {"hours_per_month": "4"}).status_code == 302
    assert Expert.objects.get(pk=expert.pk).hours_per_month == 4
    response = client.post(reverse("missions:expert-invite", args=[expert.pk]))
    assert response.status_code == 302
    assert RoleAssignment.objects.filter(
        user__email="ines.morel@example.org", role=Role.EXPERT, organisation=world.firm_a
    ).exists()
    other = people["expert_b"]
    for name in ("missions:expert-update", "missions:expert-detail"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.post(reverse("missions:expert-invite", args=[other.pk])).status_code == 404


def test_expert_contact_details_only_for_those_who_manage(world, client):
    expert = setup_people(world)["expert_a"]
    url = reverse("missions:expert-detail", args=[expert.pk])
    for user, shown in (
        (world.correspondent_a, True),
        (world.expert_a, True),
        (world.coordinator, True),
        (world.animateur_a, False),
    ):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert (expert.email in page) == shown, user
    client.force_login(world.animateur_b)
    assert client.get(url).status_code == 404
    client.force_login(world.correspondent_a)
    assert client.get(reverse("missions:expert-create")).status_code == 200
    client.force_login(world.animateur_a)
    assert client.get(reverse("missions:expert-create")).status_code == 404


def test_firm_portal_home_and_csv_export(world, client):
    mission = mission_in(world, world.a)
    expert = setup_people(world)["expert_a"]
    day = dt.date(2026, 6, 1)
    log(mission, expert, day, "6.5")
    mission_in(world, world.b)
    client.force_login(world.correspondent_a)
    home = client.get(reverse("home")).content.decode()
    assert 'id="panel-firm-hours"' in home and 'id="panel-firm-experts"' in home
    assert world.a.name in home and world.b.name not in home
    response = client.get(reverse("missions:firm-hours-export"), {"year": day.year})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert world.a.name in text and "6,50" in text and world.b.name not in text
    client.force_login(world.expert_a)
    assert client.get(reverse("missions:firm-hours-export")).status_code == 404


def test_expert_home_shows_the_week_and_what_is_still_to_log(world, client):
    mission = mission_in(world, world.a)
    # In progress since 11 May: on Wednesday 10 June the working days of June before it,
    # nothing logged on them, are still to log.
    SkillMission.unscoped_objects.filter(pk=mission.pk).update(starts_on=dt.date(2026, 5, 11))
    client.force_login(world.expert_a)
    home = client.get(reverse("home")).content.decode()
    assert 'id="panel-expert-week"' in home and 'id="panel-expert-missions"' in home
    assert reverse("missions:detail", args=[mission.pk]) in home
    expert = setup_people(world)["expert_a"]
    with scope([world.a.pk]):
        days = queries.days_to_log(expert, TODAY)
    assert days == [dt.date(2026, 6, day) for day in (1, 2, 3, 4, 5, 8, 9)]
    assert 'id="days-to-log"' in home and "?week=2026-W23" in home
    log(mission, expert, dt.date(2026, 6, 1), "2")
    with scope([world.a.pk]):
        assert queries.days_to_log(expert, TODAY) == [
            dt.date(2026, 6, day) for day in (2, 3, 4, 5, 8, 9)
        ]


def test_the_week_grid_is_in_the_menu_of_experts_only_and_one_entry_is_current(world, client):
    """A coordinator may log hours anywhere but has none of their own: no « Mes heures »
    entry. On the grid, « Mes heures » is the current entry, not also « Missions »."""
    grid = reverse("missions:hours")

    def menu(user, path):
        client.force_login(user)
        page = client.get(path).content.decode()
        return page.split('class="mainnav"')[1].split("</nav>")[0]

    assert f'href="{grid}"' not in menu(world.coordinator, reverse("home"))
    assert f'href="{grid}"' not in menu(world.animateur_a, reverse("home"))
    nav = menu(world.expert_a, grid)
    assert f'href="{grid}"' in nav
    assert nav.count('aria-current="page"') == 1, nav
    assert f'href="{grid}" aria-current="page"' in nav


def test_a_refused_cancellation_names_its_reason_field(world, client):
    """The reason's error sits by its field, which names it (aria-describedby)."""
    mission = mission_in(world, world.a)
    client.force_login(world.animateur_a)
    response = client.post(
        reverse("missions:move", args=[mission.pk]), {"to_status": "cancelled", "reason": "court"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'aria-invalid="true" aria-describedby="cancel-reason-error"' in page
    assert 'id="cancel-reason-error"' in page
