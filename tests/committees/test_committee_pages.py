"""Committee pages added for trustworthy records: recording a past committee, correcting a
decision, confirming a commitment's deletion, the tour de table's total per dossier, the
tools an organisation usually brings, and the list's default order."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from alize.tenancy import scope
from committees import services
from committees.models import (
    Committee,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
    PartnerCommitment,
)
from pme.models import Project, Stage
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
    record_quorum,
)


def seat(dispositif, organisation=None, **fields):
    organisation = organisation or OrganisationFactory(**fields)
    MembershipFactory(dispositif=dispositif, organisation=organisation)
    return organisation


def held_with_decision(dispositif, outcome="approved", days_ago=20):
    """A past committee recorded held, with one dossier decided."""
    project = project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
    with scope([dispositif]):
        committee = services.committee_record_past(
            dispositif=dispositif,
            date=TODAY - dt.timedelta(days=days_ago),
            projects=[project],
            by=None,
        )
        item = committee.items.get()
        advance = Decimal("12000") if outcome == "approved" else None
        record_quorum(item.committee)
        services.committee_record_decision(
            item=item, outcome=outcome, advance_amount=advance, by=None
        )
    return committee, item, project


# --- List order ----------------------------------------------------------------------------


def test_past_committees_most_recent_first_sort_by_date_before_time(world, client):
    base = {"dispositif": world.a}
    rows = [
        ("late past", -10, dt.time(16, 0)),
        ("oldest", -30, dt.time(9, 0)),
        ("early past", -10, dt.time(9, 0)),
        ("soon afternoon", 3, dt.time(14, 0)),
        ("soon morning", 3, dt.time(9, 0)),
        ("later", 40, None),
    ]
    for place, offset, start in rows:
        CommitteeFactory(
            **base, place=place, date=TODAY + dt.timedelta(days=offset), start_time=start
        )
    client.force_login(world.animateur_a)
    response = client.get(reverse("committees:list"))
    assert [c.place for c in response.context["object_list"]] == [
        "soon morning",
        "soon afternoon",
        "later",
        "late past",
        "early past",
        "oldest",
    ]


# --- Record a past committee ---------------------------------------------------------------


def test_record_a_past_committee_page(world, client):
    ready = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    not_ready = project_at(Stage.QUALIFIED, dispositif=world.a)
    foreign = project_at(Stage.IN_INSTRUCTION, dispositif=world.b)
    url = reverse("committees:record-past")
    client.force_login(world.animateur_a)
    page = client.get(url)
    assert page.status_code == 200
    offered = [value for value, _label in page.context["form"].fields["projects"].choices]
    assert offered == [str(ready.pk)]
    day = TODAY - dt.timedelta(days=100)
    data = {"date": day.isoformat(), "place": "CCI", "minutes": "Un dossier."}
    future = data | {"date": (TODAY + dt.timedelta(days=2)).isoformat(), "projects": [ready.pk]}
    response = client.post(url, future)
    assert response.status_code == 400
    assert "date" in response.context["form"].errors
    for other in (not_ready, foreign):
        response = client.post(url, data | {"projects": [other.pk]})
        assert response.status_code == 400
        assert "projects" in response.context["form"].errors
    assert not Committee.unscoped_objects.exists()
    response = client.post(url, data | {"projects": [ready.pk]})
    assert response.status_code == 302
    committee = Committee.unscoped_objects.get()
    assert (committee.date, committee.status, committee.minutes) == (
        day,
        CommitteeStatus.HELD,
        "Un dossier.",
    )
    assert Project.unscoped_objects.get(pk=ready.pk).stage == Stage.ON_AGENDA
    detail = client.get(response.url)
    (item,) = detail.context["items"]
    assert item.decision_form is not None
    client.force_login(world.member_a)
    assert client.get(url).status_code == 404
    assert client.post(url, data).status_code == 404


def test_the_list_offers_to_record_a_past_committee_to_managers_only(world, client):
    link = reverse("committees:record-past")
    client.force_login(world.animateur_a)
    assert link in client.get(reverse("committees:list")).content.decode()
    client.force_login(world.member_a)
    assert link not in client.get(reverse("committees:list")).content.decode()


def test_decisions_are_offered_only_when_the_committee_sits(world, client):
    ahead = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=10))
    today = CommitteeFactory(dispositif=world.a, date=TODAY)
    for committee in (ahead, today):
        project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
        with scope([world.a]):
            services.agenda_add_project(committee=committee, project=project, by=None)
    client.force_login(world.animateur_a)
    page = client.get(reverse("committees:detail", args=[ahead.pk]))
    assert page.context["items"][0].decision_form is None
    assert page.context["attendance_form"] is None
    assert "le jour du comité ou une fois le comité tenu" in page.content.decode()
    page = client.get(reverse("committees:detail", args=[today.pk]))
    assert page.context["items"][0].decision_form is not None
    assert page.context["attendance_form"] is not None


# --- Correcting a decision -----------------------------------------------------------------


def test_correct_a_decision_from_the_committee_page(world, client):
    committee, item, project = held_with_decision(world.a)
    url = reverse("committees:decision-correct", args=[item.pk])
    client.force_login(world.animateur_a)
    detail = client.get(reverse("committees:detail", args=[committee.pk]))
    assert detail.context["items"][0].correction_form is not None
    response = client.post(url, {"outcome": "deferred", "reason": ""})
    assert response.status_code == 400
    assert not DecisionCorrection.unscoped_objects.exists()
    assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.APPROVED
    response = client.post(
        url, {"outcome": "deferred", "reason": "Dossier ajourné, saisi accepté par erreur."}
    )
    assert response.status_code == 302
    stored = Project.unscoped_objects.get(pk=project.pk)
    assert (stored.stage, stored.approved_on) == (Stage.DEFERRED, None)
    page = client.get(reverse("committees:detail", args=[committee.pk])).content.decode()
    assert "Dossier ajourné, saisi accepté par erreur." in page
    assert "Accepté → Ajourné" in page
    timeline = client.get(reverse("pme:project-detail", args=[project.pk])).content.decode()
    assert "Dossier ajourné, saisi accepté par erreur." in timeline


def test_correcting_is_for_those_who_run_the_committee(world, client):
    _, item, project = held_with_decision(world.a)
    _, theirs, _ = held_with_decision(world.b)
    seat(world.a, world.member_organisation_a)
    data = {"outcome": "rejected", "reason": "Erreur"}
    for user, target in (
        (world.member_a, item),
        (world.animateur_b, item),
        (world.animateur_a, theirs),
    ):
        client.force_login(user)
        url = reverse("committees:decision-correct", args=[target.pk])
        assert client.post(url, data).status_code == 404
    assert list(Decision.unscoped_objects.values_list("outcome", flat=True)) == [
        "approved",
        "approved",
    ]
    assert Project.unscoped_objects.get(pk=project.pk).stage == Stage.APPROVED


# --- Commitments: confirmation, totals, usual tools ----------------------------------------


def test_deleting_a_commitment_asks_for_a_confirmation(world, client):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    bank = seat(world.a, name="Banque test", kind="bank")
    with scope([world.a]):
        item = services.agenda_add_project(committee=committee, project=project, by=None)
        commitment = services.commitment_record(
            item=item, organisation=bank, tool="Prêt", amount=Decimal("40000"), by=None
        )
    url = reverse("committees:commitment-delete", args=[commitment.pk])
    client.force_login(world.animateur_a)
    detail = client.get(reverse("committees:detail", args=[committee.pk])).content.decode()
    assert f'href="{url}"' in detail
    confirm = client.get(url)
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "Banque test" in page and "Prêt" in page and f'action="{url}"' in page
    assert PartnerCommitment.unscoped_objects.filter(pk=commitment.pk).exists()
    client.force_login(world.animateur_b)
    assert client.get(url).status_code == 404
    client.force_login(world.animateur_a)
    assert client.post(url).status_code == 302
    assert not PartnerCommitment.unscoped_objects.filter(pk=commitment.pk).exists()


def test_committee_page_totals_each_dossier_and_offers_usual_tools(world, client):
    region = seat(world.a, name="Région test bis", kind="public_body")
    bank = seat(world.a, name="Banque test", kind="bank")
    earlier, _, _ = held_with_decision(world.a, days_ago=200)
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    projects = [project_at(Stage.IN_INSTRUCTION, dispositif=world.a) for _ in range(2)]
    with scope([world.a]):
        old_item = earlier.items.get()
        for tool in ("Prêt d'investissement", "Prêt d'investissement", "Crédit-bail"):
            services.commitment_record(
                item=old_item, organisation=bank, tool=tool, amount=None, by=None
            )
        items = [
            services.agenda_add_project(committee=committee, project=p, by=None) for p in projects
        ]
        for organisation, tool, amount in (
            (region, "Subvention", Decimal("25000")),
            (bank, "Prêt", Decimal("80000.50")),
            (world.firm_a, "Mission qualité", None),
        ):
            services.commitment_record(
                item=items[0], organisation=organisation, tool=tool, amount=amount, by=None
            )
    client.force_login(world.animateur_a)
    response = client.get(reverse("committees:detail", args=[committee.pk]))
    first, second = response.context["items"]
    assert first.commitments_total == Decimal("105000.50")
    assert second.commitments_total == 0
    page = response.content.decode()
    total = page.split(f'data-total="{first.pk}">', 1)[1].split("<", 1)[0]
    assert total.replace("\xa0", " ").replace("\u202f", " ") == "105 000,50 €"
    assert f'list="tools-{first.pk}"' in page
    # Most often first, then most recent; each organisation's tools, labelled with its name.
    assert [row for row in first.usual_tools if row[1] == "Banque test"] == [
        ("Prêt d'investissement", "Banque test"),
        ("Prêt", "Banque test"),
        ("Crédit-bail", "Banque test"),
    ]
    assert ("Subvention", "Région test bis") in first.usual_tools
    tools_url = reverse("committees:usual-tools", args=[first.pk])
    options = client.get(tools_url, {"organisation": bank.pk}).content.decode()
    assert options.index("Prêt d&#x27;investissement") < options.index("Crédit-bail")
    assert "Subvention" not in options
    assert "<option" not in client.get(tools_url, {"organisation": "0"}).content.decode()
    client.force_login(world.animateur_b)
    assert client.get(tools_url, {"organisation": bank.pk}).status_code == 404


def test_a_member_is_offered_only_the_tools_of_their_organisation(world, client):
    organisation = seat(world.a, world.member_organisation_a)
    bank = seat(world.a, name="Banque test", kind="bank")
    earlier, _, _ = held_with_decision(world.a, days_ago=200)
    committee = CommitteeFactory(dispositif=world.a, date=TODAY + dt.timedelta(days=5))
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        old_item = earlier.items.get()
        services.commitment_record(
            item=old_item, organisation=organisation, tool="Aide régionale", amount=None, by=None
        )
        services.commitment_record(
            item=old_item, organisation=bank, tool="Prêt", amount=None, by=None
        )
        item = services.agenda_add_project(committee=committee, project=project, by=None)
    client.force_login(world.member_a)
    response = client.get(reverse("committees:detail", args=[committee.pk]))
    (shown,) = response.context["items"]
    assert shown.usual_tools == [("Aide régionale", "")]
    tools_url = reverse("committees:usual-tools", args=[item.pk])
    assert "Prêt" not in client.get(tools_url, {"organisation": bank.pk}).content.decode()
    options = client.get(tools_url, {"organisation": organisation.pk}).content.decode()
    assert "Aide régionale" in options
