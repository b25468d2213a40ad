"""The governance routes by role, on the web and the API alike: declaring an interest (a
member for their organisation, the animateur on its behalf), answering the invitation (a
member), the roster and the quorum (those who run the committee); the member's committee
page links only to pages they may read."""

import re

import icalendar
import pytest
from django.urls import reverse

from alize.tenancy import scope
from committees import services
from committees.calendar import committee_uid
from committees.models import Attendance, CommitteeReply, InterestDeclaration
from pme.models import Stage
from tests.clock import TODAY
from tests.conftest import ROLES, api_client_for
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
)


class Table:
    def __init__(self, world, dispositif):
        self.bank = OrganisationFactory(name=f"Banque {dispositif.slug}", kind="bank")
        MembershipFactory(dispositif=dispositif, organisation=self.bank)
        self.committee = CommitteeFactory(dispositif=dispositif, date=TODAY, place="Salle")
        project = project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
        with scope([dispositif]):
            self.item = services.agenda_add_project(
                committee=self.committee, project=project, by=None
            )


@pytest.fixture
def tables(world):
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    return Table(world, world.a), Table(world, world.b)


def organisation_for(world, role, table):
    """The organisation ``role`` declares for: a member their own, others the bank."""
    return world.member_organisation_a if role == "member" else table.bank


def runs(role, table, tables) -> bool:
    """Whether ``role`` runs ``table``'s committee (A's animateur A, B's animateur B)."""
    mine, _theirs = tables
    return role == "coordinator" or role == ("animateur" if table is mine else "animateur_b")


@pytest.mark.parametrize("role", ROLES)
def test_declare_an_interest_on_the_web(world, client, tables, role):
    mine, theirs = tables
    client.force_login(world.user(role))
    for table in (mine, theirs):
        allowed = runs(role, table, tables) or (role == "member" and table is mine)
        organisation = organisation_for(world, role, table)
        response = client.post(
            reverse("committees:interest", args=[table.item.pk]),
            {"organisation": organisation.pk, "kind": "creditor", "note": "Prêt"},
        )
        stored = InterestDeclaration.unscoped_objects.filter(item=table.item).exists()
        assert (response.status_code, stored) == ((302, True) if allowed else (404, False)), (
            role,
            response.status_code,
        )


def test_a_member_declares_only_for_their_own_organisation(world, client, tables):
    mine, _theirs = tables
    client.force_login(world.member_a)
    response = client.post(
        reverse("committees:interest", args=[mine.item.pk]),
        {"organisation": mine.bank.pk, "kind": "creditor"},
    )
    assert response.status_code == 400
    assert not InterestDeclaration.unscoped_objects.exists()


def test_the_animateur_declares_on_the_members_behalf(world, client, tables):
    mine, _theirs = tables
    client.force_login(world.animateur_a)
    response = client.post(
        reverse("committees:interest", args=[mine.item.pk]),
        {"organisation": mine.bank.pk, "kind": "competitor", "note": "Même marché"},
    )
    assert response.status_code == 302
    declaration = InterestDeclaration.unscoped_objects.get()
    assert declaration.on_behalf and declaration.recorded_by == world.animateur_a
    page = client.get(reverse("committees:detail", args=[mine.committee.pk])).content.decode()
    assert "saisi pour le membre par" in page and "Quorum non atteint" in page


@pytest.mark.parametrize("role", ROLES)
def test_answer_the_invitation_on_the_web(world, client, tables, role):
    mine, theirs = tables
    client.force_login(world.user(role))
    for table in (mine, theirs):
        response = client.post(
            reverse("committees:reply", args=[table.committee.pk]),
            {"answer": "yes", "comment": "Je viendrai avec notre chargé d'affaires."},
        )
        allowed = role == "member" and table is mine
        stored = CommitteeReply.unscoped_objects.filter(committee=table.committee).exists()
        assert (response.status_code, stored) == ((302, True) if allowed else (404, False))


def test_the_animateur_reads_the_answers_and_the_roster_is_prefilled(world, client, tables):
    mine, _theirs = tables
    client.force_login(world.member_a)
    client.post(
        reverse("committees:reply", args=[mine.committee.pk]),
        {"answer": "yes", "comment": "Arrivée à 9 h 45"},
    )
    client.force_login(world.animateur_a)
    response = client.get(reverse("committees:detail", args=[mine.committee.pk]))
    assert "Arrivée à 9 h 45" in response.content.decode()
    roster = response.context["attendance_form"]
    assert roster.initial[f"status_{world.member_organisation_a.pk}"] == "present"


@pytest.mark.parametrize("role", ROLES)
def test_roster_on_the_web_is_for_those_who_run_the_committee(world, client, tables, role):
    mine, _theirs = tables
    client.force_login(world.user(role))
    response = client.post(
        reverse("committees:attendance", args=[mine.committee.pk]),
        {f"status_{mine.bank.pk}": "present", f"person_{mine.bank.pk}": "Mme Banque"},
    )
    allowed = role in ("coordinator", "animateur")
    assert response.status_code == (302 if allowed else 404)
    assert Attendance.unscoped_objects.exists() == allowed


def test_the_members_page_links_only_to_pages_they_may_read(world, client, tables):
    mine, _theirs = tables
    client.force_login(world.member_a)
    page = client.get(reverse("committees:detail", args=[mine.committee.pk])).content.decode()
    assert mine.item.project.title in page
    assert "Déclarer un intérêt" in page and "Votre réponse à l'invitation" in page
    links = {
        href
        for href in re.findall(r'href="(/[^"#]*)', page)
        if not href.startswith(("/static/", "/i18n/", "/comptes/deconnexion"))
    }
    assert reverse("pme:project-detail", args=[mine.item.project_id]) in links
    broken = {href: client.get(href).status_code for href in links}
    assert {href: code for href, code in broken.items() if code >= 400} == {}


# --- API ------------------------------------------------------------------------------------


def api_url(name, committee):
    return reverse(f"api:committee-{name}", args=[committee.pk])


@pytest.mark.parametrize("role", ROLES)
def test_api_interests_by_role(world, tables, role):
    mine, theirs = tables
    api = api_client_for(world.user(role))
    for table in (mine, theirs):
        organisation = organisation_for(world, role, table)
        response = api.post(
            api_url("interests", table.committee),
            {"item": table.item.pk, "organisation": organisation.pk, "kind": "supplier"},
            format="json",
        )
        allowed = runs(role, table, tables) or (role == "member" and table is mine)
        stored = InterestDeclaration.unscoped_objects.filter(item=table.item).exists()
        assert (response.status_code in (200, 201), stored) == (allowed, allowed), (
            role,
            response.status_code,
            response.content,
        )


@pytest.mark.parametrize("role", ROLES)
def test_api_reply_by_role(world, tables, role):
    mine, theirs = tables
    api = api_client_for(world.user(role))
    for table in (mine, theirs):
        response = api.post(
            api_url("reply", table.committee), {"answer": "no", "comment": ""}, format="json"
        )
        allowed = role == "member" and table is mine
        assert (response.status_code == 200) == allowed, (role, response.status_code)
        assert CommitteeReply.unscoped_objects.filter(committee=table.committee).exists() == (
            allowed
        )


@pytest.mark.parametrize("role", ROLES)
def test_api_roster_and_quorum_by_role(world, tables, role):
    mine, theirs = tables
    api = api_client_for(world.user(role))
    for table in (mine, theirs):
        response = api.post(
            api_url("attendance", table.committee),
            {
                "lines": [
                    {"organisation": table.bank.pk, "status": "present", "person_name": "Mme B"}
                ]
            },
            format="json",
        )
        writes = runs(role, table, tables)
        assert (response.status_code == 200) == writes, (role, response.status_code)
        reads = runs(role, table, tables) or (role in ("member", "api_client") and table is mine)
        response = api.get(api_url("quorum", table.committee))
        assert (response.status_code == 200) == reads, (role, response.status_code)
        if reads:
            (row,) = response.json()
            assert row["item"] == table.item.pk
            assert row["holds"] == writes  # the test dispositifs ask one organisation


def test_api_decision_refuses_a_recused_participant(world, tables):
    mine, _theirs = tables
    api = api_client_for(world.animateur_a)
    api.post(
        api_url("attendance", mine.committee),
        {
            "lines": [
                {"organisation": mine.bank.pk, "status": "present"},
                {"organisation": world.member_organisation_a.pk, "status": "present"},
            ]
        },
        format="json",
    )
    api.post(
        api_url("interests", mine.committee),
        {"item": mine.item.pk, "organisation": mine.bank.pk, "kind": "creditor"},
        format="json",
    )
    decide = {"item": mine.item.pk, "outcome": "rejected", "participants": [mine.bank.pk]}
    response = api.post(api_url("decisions", mine.committee), decide, format="json")
    assert response.status_code == 400 and "participants" in response.json()["fields"]
    decide["participants"] = [world.member_organisation_a.pk]
    response = api.post(api_url("decisions", mine.committee), decide, format="json")
    assert response.status_code == 201, response.content


# --- Calendar -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_invitation_download_by_role(world, client, tables, role):
    mine, theirs = tables
    client.force_login(world.user(role))
    readers = {"coordinator", "animateur", "member", "api_client"}
    for table in (mine, theirs):
        response = client.get(reverse("committees:invitation", args=[table.committee.pk]))
        sees = role == "coordinator" or (
            (role in readers and table is mine) or (role == "animateur_b" and table is theirs)
        )
        assert response.status_code == (200 if sees else 404), role
        if sees:
            event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
            assert str(event["UID"]) == committee_uid(table.committee)


@pytest.mark.parametrize("role", ROLES)
def test_calendar_feed_page_by_role(world, client, role):
    client.force_login(world.user(role))
    response = client.get(reverse("committees:calendar"))
    assert response.status_code == (200 if role in ("coordinator", "member") else 404)
    response = client.post(reverse("committees:calendar"), {"action": "open"})
    assert response.status_code == (302 if role in ("coordinator", "member") else 404)


def test_private_feed_is_signed_and_revocable(world, client, tables):
    mine, theirs = tables
    client.force_login(world.member_a)
    client.post(reverse("committees:calendar"), {"action": "open"})
    url = client.get(reverse("committees:calendar")).context["feed_url"]
    path = url.removeprefix("http://testserver")
    client.logout()
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    uids = {str(e["UID"]) for e in icalendar.Calendar.from_ical(response.content).walk("VEVENT")}
    assert committee_uid(mine.committee) in uids
    assert committee_uid(theirs.committee) not in uids
    assert client.get(path[:-3] + "xx/").status_code == 404
    client.force_login(world.member_a)
    client.post(reverse("committees:calendar"), {"action": "revoke"})
    client.logout()
    assert client.get(path).status_code == 404


def test_cancelling_asks_first_and_returns_the_dossiers_to_instruction(world, client, tables):
    mine, _theirs = tables
    client.force_login(world.animateur_a)
    url = reverse("committees:set-status", args=[mine.committee.pk])
    page = client.get(url, {"status": "cancelled"}).content.decode()
    assert "retournent en instruction" in page
    response = client.post(url, {"status": "cancelled", "confirmed": "1"})
    assert response.status_code == 302
    mine.committee.refresh_from_db()
    mine.item.project.refresh_from_db()
    assert mine.committee.status == "cancelled"
    assert mine.item.project.stage == Stage.IN_INSTRUCTION
