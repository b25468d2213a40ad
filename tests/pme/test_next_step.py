"""The project page leads to the next step, abandoning and reopening are explained, and the
animateur's home lists what needs doing (issue: « Next step, not a maze », « The animateur's
home »)."""

import datetime as dt

import pytest
from django.test import RequestFactory
from django.urls import reverse

from alize.tenancy import scope, scope_for_user
from committees.home_todo import next_committee_todo_panel
from committees.models import AgendaItem, CommitteeStatus
from dispositifs.models import Dispositif
from pme.models import FollowUpReminder, Project, Stage, StageTransition
from pme.panels import due_follow_ups_panel, stale_projects_panel
from tests.api_base import api_client_for
from tests.clock import NOW, TODAY
from tests.factories import CommitteeFactory, CompanyFactory, project_at
from tests.query_counts import assert_queries_do_not_grow

REASON = "Le dirigeant a trouvé un repreneur."


def page(client, project):
    response = client.get(reverse("pme:project-detail", args=[project.pk]))
    assert response.status_code == 200
    return response


def post_move(client, project, to_stage, comment=""):
    return client.post(
        reverse("pme:project-transition", args=[project.pk]),
        {"to_stage": to_stage, "comment": comment},
    )


def stored(project):
    row = Project.unscoped_objects.values(
        "stage", "stage_changed_at", "approved_on", "first_committee_on"
    ).get(pk=project.pk)
    return row, StageTransition.unscoped_objects.filter(project=project).count()


def wait_at_stage(project, days):
    Project.unscoped_objects.filter(pk=project.pk).update(
        stage_changed_at=NOW - dt.timedelta(days=days, hours=1)
    )


# The project page ------------------------------------------------------------------------


def test_primary_button_is_the_next_stage_forward(world, web_a):
    project = project_at(Stage.QUALIFIED, dispositif=world.a)
    html = page(web_a, project).content.decode()
    assert '<button type="submit" name="to_stage" value="in_instruction" class="primary">' in html
    assert "Revenir à" not in html
    # Abandoning is apart, behind a confirmation, and asks for its reason.
    assert 'data-form="abandon"' in html and 'minlength="10"' in html
    assert 'value="abandoned" class="danger"' not in html


def test_in_instruction_offers_the_committees_that_can_take_it(world, web_a):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    soon = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=10))
    later = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=40))
    past = CommitteeFactory(dispositif=world.a, date=TODAY - dt.timedelta(days=3))
    held = CommitteeFactory(dispositif=world.a, date=TODAY, status=CommitteeStatus.HELD)
    elsewhere = CommitteeFactory(dispositif=world.b, date=TODAY + dt.timedelta(days=10))
    response = page(web_a, project)
    html = response.content.decode()
    assert response.context["moves"].forward == []
    offered = [c.pk for panel in response.context["action_panels"] for c in panel["committees"]]
    assert offered == [soon.pk, later.pk]
    for committee in (past, held, elsewhere):
        assert reverse("committees:agenda-add", args=[committee.pk]) not in html
    # Going back is offered, but not as the main button.
    assert '<button type="submit" name="to_stage" value="qualified">' in html

    url = reverse("committees:agenda-add", args=[soon.pk])
    assert f'action="{url}"' in html
    assert web_a.post(url, {"project": project.pk}).status_code == 302
    assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.ON_AGENDA
    assert AgendaItem.unscoped_objects.filter(committee=soon, project=project).exists()


def test_no_planned_committee_says_so_with_a_link_to_plan_one(world, web_a):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    html = page(web_a, project).content.decode()
    assert "Aucun comité planifié ne peut encore le prendre." in html
    assert reverse("committees:create") in html


def test_readers_get_no_actions(world, client):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    CommitteeFactory(dispositif=world.a)
    client.force_login(world.member_a)
    response = page(client, project)
    assert "action_panels" not in response.context
    assert 'id="project-actions"' not in response.content.decode()


@pytest.mark.parametrize("comment", ["", "court"])
def test_abandon_without_a_reason_is_refused_and_changes_nothing(world, web_a, comment):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    before = stored(project)
    response = post_move(web_a, project, Stage.ABANDONED, comment)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Dites pourquoi le projet est abandonné (au moins 10 caractères)." in html
    assert '<details class="card" data-form="abandon" open>' in html
    assert stored(project) == before


def test_abandon_then_reopen_are_visible_on_the_timeline(world, web_a):
    project = project_at(Stage.QUALIFIED, dispositif=world.a)
    assert post_move(web_a, project, Stage.ABANDONED, REASON).status_code == 302
    response = page(web_a, project)
    html = response.content.decode()
    assert f"Raison : {REASON}" in html
    assert response.context["moves"].reopen_to == Stage.QUALIFIED
    assert 'data-form="reopen"' in html and "Rouvrir à l'étape « Qualifié »" in html

    before = stored(project)
    assert post_move(web_a, project, Stage.QUALIFIED, "non").status_code == 400
    assert stored(project) == before
    assert post_move(web_a, project, Stage.QUALIFIED, "Le repreneur relance.").status_code == 302
    assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.QUALIFIED
    html = page(web_a, project).content.decode()
    assert "data-reopening" in html and "Le repreneur relance." in html


def test_deferred_project_reopens_in_instruction_or_goes_to_a_committee(world, web_a):
    project = project_at(Stage.DEFERRED, dispositif=world.a)
    committee = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=20))
    response = page(web_a, project)
    assert response.context["moves"].reopen_to == Stage.IN_INSTRUCTION
    assert [c.pk for c in response.context["action_panels"][0]["committees"]] == [committee.pk]
    assert post_move(web_a, project, Stage.IN_INSTRUCTION).status_code == 400
    assert post_move(web_a, project, Stage.IN_INSTRUCTION, REASON).status_code == 302
    assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.IN_INSTRUCTION


def test_stepper_shows_the_stage_and_the_wait(world, web_a):
    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(stale_after_days=10)
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    wait_at_stage(project, 12)
    response = page(web_a, project)
    steps = {step.key: step.state for step in response.context["stepper"].steps}
    assert (steps["qualified"], steps["in_instruction"], steps["on_agenda"]) == (
        "done", "current", "todo",
    )  # fmt: skip
    html = response.content.decode()
    assert 'data-step="in_instruction" aria-current="step"' in html
    assert "À l'étape « En instruction » depuis 12 jours." in html
    assert "data-stale" in html
    wait_at_stage(project, 9)
    assert "data-stale" not in page(web_a, project).content.decode()


def test_stepper_places_a_deferred_project_after_the_committee(world, web_a):
    project = project_at(Stage.DEFERRED, dispositif=world.a)
    stepper = page(web_a, project).context["stepper"]
    states = {step.key: step.state for step in stepper.steps}
    assert states["on_agenda"] == "done" and states["approved"] == "todo"
    assert stepper.off_funnel == "Ajourné"


def test_overdue_follow_up_is_marked_on_the_project_page(world, web_a):
    project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
    Project.unscoped_objects.filter(pk=project.pk).update(
        approved_on=TODAY - dt.timedelta(days=365 + 45)
    )
    rows = page(web_a, project).context["follow_ups"]
    assert [(row.year, row.is_due, row.is_overdue) for row in rows] == [
        (1, True, True), (2, False, False), (3, False, False),
    ]  # fmt: skip
    Project.unscoped_objects.filter(pk=project.pk).update(
        approved_on=TODAY - dt.timedelta(days=365 + 5)
    )
    html = page(web_a, project).content.decode()
    assert "data-overdue" not in html and "à saisir" in html


# The API ---------------------------------------------------------------------------------


def test_api_abandon_and_reopen_require_the_comment(world):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    api = api_client_for(world.animateur_a)
    url = reverse("api:project-transition", args=[project.pk])
    before = stored(project)
    response = api.post(url, {"to_stage": Stage.ABANDONED}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()["fields"]
    assert stored(project) == before
    response = api.post(url, {"to_stage": Stage.ABANDONED, "comment": REASON}, format="json")
    assert response.status_code == 200 and response.json()["stage"] == Stage.ABANDONED
    response = api.post(url, {"to_stage": Stage.QUALIFIED, "comment": REASON}, format="json")
    assert response.status_code == 400 and "to_stage" in response.json()["fields"]
    response = api.post(url, {"to_stage": Stage.IN_INSTRUCTION, "comment": ""}, format="json")
    assert response.status_code == 400 and "comment" in response.json()["fields"]
    response = api.post(url, {"to_stage": Stage.IN_INSTRUCTION, "comment": REASON}, format="json")
    assert response.status_code == 200 and response.json()["stage"] == Stage.IN_INSTRUCTION


# The animateur's home --------------------------------------------------------------------


def render_panel(panel_function, user):
    request = RequestFactory().get("/")
    request.user = user
    user_scope = scope_for_user(user)
    with scope(user_scope.dispositif_ids, every_dispositif=user_scope.everything, reason="test"):
        return panel_function(request)


def test_stale_projects_use_each_dispositifs_patience(world, client):
    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(stale_after_days=10)
    waiting = project_at(Stage.QUALIFIED, dispositif=world.a)
    wait_at_stage(waiting, 11)
    recent = project_at(Stage.QUALIFIED, dispositif=world.a)
    wait_at_stage(recent, 9)
    on_agenda = project_at(Stage.ON_AGENDA, dispositif=world.a)  # waits on the committee
    wait_at_stage(on_agenda, 60)
    other = project_at(Stage.REFERRED, dispositif=world.b)  # B keeps the default, 30
    wait_at_stage(other, 31)
    panel = render_panel(stale_projects_panel, world.animateur_a)
    assert [(project.pk, days) for project, days in panel["rows"]] == [(waiting.pk, 11)]
    assert panel["total"] == 1
    assert render_panel(stale_projects_panel, world.animateur_b)["rows"][0][0].pk == other.pk
    # The whole network is the dashboards' business; committee members run no pipeline.
    assert render_panel(stale_projects_panel, world.coordinator) is None
    assert render_panel(stale_projects_panel, world.member_a) is None
    client.force_login(world.animateur_a)
    html = client.get(reverse("home")).content.decode()
    assert 'id="panel-stale-projects"' in html
    assert reverse("pme:project-detail", args=[waiting.pk]) in html


def test_stale_panel_shows_the_longest_waits_first(world, monkeypatch):
    """The panel's rows are the first of the whole list (chosen before the joins): the
    longest waits, in order, and the count of all."""
    monkeypatch.setattr("pme.panels.PANEL_ROWS", 2)
    waits = {}
    for days in (40, 50, 45):
        project = project_at(Stage.REFERRED, dispositif=world.a)
        wait_at_stage(project, days)
        waits[project.pk] = days
    panel = render_panel(stale_projects_panel, world.animateur_a)
    assert [days for _project, days in panel["rows"]] == [50, 45]
    assert [waits[project.pk] for project, _days in panel["rows"]] == [50, 45]
    assert panel["total"] == 3


def test_stale_panel_query_count_does_not_grow(world):
    wait_at_stage(project_at(Stage.REFERRED, dispositif=world.a), 40)

    def more_rows():
        for stage in (Stage.REFERRED, Stage.IN_INSTRUCTION, Stage.DEFERRED, Stage.APPROVED):
            wait_at_stage(project_at(stage, dispositif=world.a), 45)

    panel = assert_queries_do_not_grow(
        "home panel: stale projects",
        lambda: render_panel(stale_projects_panel, world.animateur_a),
        more_rows,
    )
    assert panel["total"] == 5


def test_follow_up_panel_counts_the_overdue(world):
    project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
    with scope([world.a]):
        FollowUpReminder.objects.create(
            dispositif=world.a, project=project, year=1, due_on=TODAY - dt.timedelta(days=45)
        )
        FollowUpReminder.objects.create(
            dispositif=world.a, project=project, year=2, due_on=TODAY - dt.timedelta(days=5)
        )
    panel = render_panel(due_follow_ups_panel, world.animateur_a)
    assert (panel["total"], panel["overdue"]) == (2, 1)
    assert [r.overdue for r in panel["reminders"]] == [True, False]


def test_next_committee_lists_what_its_dossiers_lack(world, client):
    next_one = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=7))
    after = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=30))
    complete = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    outside = CompanyFactory(dispositif=world.a, commune_code="75056")
    not_eligible = project_at(Stage.IN_INSTRUCTION, company=outside)
    Project.unscoped_objects.filter(pk__in=[complete.pk, not_eligible.pk]).update(
        requested_advance="12000.00"
    )
    no_amount = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        from committees import services as committee_services

        for project in (complete, not_eligible, no_amount):
            committee_services.agenda_add_project(committee=next_one, project=project, by=None)
    panel = render_panel(next_committee_todo_panel, world.animateur_a)
    ((committee, items),) = panel["rows"]
    assert committee.pk == next_one.pk != after.pk
    gaps = {item.project_id: (item.not_eligible, item.amount_missing) for item in items}
    assert gaps == {
        complete.pk: (False, False),
        not_eligible.pk: (True, False),
        no_amount.pk: (False, True),
    }
    assert render_panel(next_committee_todo_panel, world.coordinator) is None
    client.force_login(world.animateur_a)
    html = client.get(reverse("home")).content.decode()
    assert 'data-gap="eligibility"' in html and 'data-gap="amount"' in html


def test_next_committee_panel_query_count_does_not_grow(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=7))
    CommitteeFactory(dispositif=world.b, date=TODAY + dt.timedelta(days=7))
    from committees import services as committee_services

    def add(n):
        for _ in range(n):
            project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
            with scope([world.a]):
                committee_services.agenda_add_project(committee=committee, project=project, by=None)

    add(1)
    panel = assert_queries_do_not_grow(
        "home panel: next committee",
        lambda: render_panel(next_committee_todo_panel, world.animateur_a),
        lambda: add(4),
    )
    assert len(panel["rows"][0][1]) == 5
