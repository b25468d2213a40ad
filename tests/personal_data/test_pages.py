"""The pages of personal data: the public register; finding a person, their export (page
and JSON) and their erasure, for the national coordination only — 404 for every other
role, the sign-in page for anonymous callers."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from alize.models import ErasureRecord
from alize.navigation import entries_for
from alize.personal_data.register import REGISTER
from partners.models import Expert
from tests.conftest import ROLES
from tests.coverage import routes
from tests.factories import CompanyFactory, RoleAssignmentFactory, UserFactory
from tests.missions.conftest import make_expert
from tests.personal_data.conftest import EXPERT_EMAIL, EXPERT_NAME
from tests.query_counts import assert_queries_do_not_grow

PERSON_ROUTES = ("personal_data:person", "personal_data:person-json", "personal_data:person-erase")


def person_args(expert):
    return ["expert", expert.pk]


def test_the_register_is_public_and_lists_every_processing(client, world):
    page = client.get(reverse("personal_data:register"))
    assert page.status_code == 200
    text = page.content.decode()
    for entry in REGISTER:
        assert f'id="{entry.key}"' in text and str(entry.title).replace("'", "&#x27;") in text
    assert "5 ans" in text  # the retention setting, written in
    client.force_login(world.animateur_a)
    assert client.get(reverse("personal_data:register")).status_code == 200


@pytest.mark.parametrize("role", [role for role in ROLES if role != "anonymous"])
def test_only_the_coordination_reaches_people_and_persons(client, world, expert_world, role):
    client.force_login(world.user(role))
    allowed = role == "coordinator"
    search = client.get(reverse("personal_data:people"), {"q": "quillebeuf"})
    assert search.status_code == (200 if allowed else 404)
    for name in PERSON_ROUTES:
        response = client.get(reverse(name, args=person_args(expert_world)))
        assert response.status_code == (200 if allowed else 404), (name, role)
    refused = client.post(
        reverse("personal_data:person-erase", args=person_args(expert_world)),
        {"reason": "Demande écrite de la personne.", "confirmed": "1"},
    )
    assert refused.status_code == (302 if allowed else 404)
    assert ErasureRecord.objects.exists() is allowed
    shown = {entry["url"] for entry in entries_for(search.wsgi_request)} if allowed else set()
    assert (reverse("personal_data:people") in shown) is allowed


def test_anonymous_callers_are_sent_to_sign_in(client, world, expert_world):
    served = routes()
    for name in ("personal_data:people", *PERSON_ROUTES):
        args = person_args(expert_world) if name in PERSON_ROUTES else []
        for method in sorted(served[name]):
            response = getattr(client, method)(reverse(name, args=args))
            assert response.status_code == 302, (name, method)
            assert reverse("login") in response["Location"]
    assert not ErasureRecord.objects.exists()


def test_a_search_finds_a_person_by_name_or_email_across_the_network(client, world, expert_world):
    client.force_login(world.coordinator)
    for query in ("Quillebeuf", EXPERT_EMAIL.upper()):
        page = client.get(reverse("personal_data:people"), {"q": query}).content.decode()
        person = reverse("personal_data:person", args=person_args(expert_world))
        account = reverse("personal_data:person", args=["user", world.expert_a.pk])
        assert person in page and account in page, query
    empty = client.get(reverse("personal_data:people"), {"q": "personne-inconnue"})
    assert "Personne ne correspond" in empty.content.decode()


def test_unknown_kinds_and_missing_persons_answer_404(client, world, expert_world):
    client.force_login(world.coordinator)
    for args in (["inconnu", expert_world.pk], ["expert", expert_world.pk + 999]):
        for name in PERSON_ROUTES:
            assert client.get(reverse(name, args=args)).status_code == 404, (name, args)


def test_the_export_holds_the_persons_rows_their_history_and_mentions(client, world, expert_world):
    client.force_login(world.coordinator)
    response = client.get(reverse("personal_data:person-json", args=person_args(expert_world)))
    assert response["Content-Disposition"].startswith("attachment")
    export = json.loads(response.content)
    assert export["person"]["partners.Expert"]["email"] == EXPERT_EMAIL
    assert {row["hours"] for row in export["related"]["missions.HourLog"]} == {"7.50", "3.00"}
    assert len(export["related"]["missions.MissionAssignment"]) == 1
    assert any(
        EXPERT_NAME in row["objective"] for row in export["mentions"]["missions_skillmission"]
    )
    assert export["mentions"]["alize_sentmail"][0]["recipient"] == EXPERT_EMAIL

    account = client.get(
        reverse("personal_data:person-json", args=["user", world.expert_a.pk])
    ).json()
    assert "password" not in account["person"]["accounts.User"]
    roles = account["history"]["accounts.HistoricalRoleAssignment"]
    assert [row["role"] for row in roles] == ["expert"] and roles[0]["history_type"] == "+"

    page = client.get(reverse("personal_data:person", args=person_args(expert_world)))
    text = page.content.decode()
    assert EXPERT_NAME in text and "missions.HourLog" in text and EXPERT_EMAIL in text


def test_erasing_asks_why_then_confirms_then_erases(client, world, expert_world):
    client.force_login(world.coordinator)
    url = reverse("personal_data:person-erase", args=person_args(expert_world))
    assert "Motif" in client.get(url).content.decode()

    missing = client.post(url, {"reason": ""})
    assert missing.status_code == 400
    assert 'data-field="reason"' in missing.content.decode()

    asked = client.post(url, {"reason": "Demande écrite de la personne, 2 juin."})
    assert asked.status_code == 200 and 'name="confirmed"' in asked.content.decode()
    assert not ErasureRecord.objects.exists()

    done = client.post(url, {"reason": "Demande écrite de la personne, 2 juin.", "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == reverse("personal_data:people")
    assert Expert.objects.get(pk=expert_world.pk).first_name == "Personne effacée"
    listed = client.get(reverse("personal_data:people")).content.decode()
    assert f"expert #{expert_world.pk}" in listed and EXPERT_NAME not in listed
    # Erased: the page says so, and there is nothing left to erase.
    page = client.get(reverse("personal_data:person", args=person_args(expert_world)))
    assert "données effacées" in page.content.decode()
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "Encore une fois, par erreur."}).status_code == 404


def test_a_search_costs_the_same_queries_for_more_persons(client, world):
    def add(count):
        for n in range(count):
            CompanyFactory(dispositif=world.a, contact_name=f"Zoé Homonyme {n}")
            make_expert(world.firm_a, first_name="Zoé", last_name=f"Homonyme {n}")
            user = UserFactory(full_name=f"Zoé Homonyme {n}")
            RoleAssignmentFactory(user=user, role="animateur", dispositif=world.b)

    add(2)
    client.force_login(world.coordinator)
    url = reverse("personal_data:people")
    assert_queries_do_not_grow(
        "personal_data:people", lambda: client.get(url, {"q": "homonyme"}), lambda: add(4)
    )
