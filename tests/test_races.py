"""Races on two real database connections: two requests that want the same thing at once.

The first request is paused inside its transaction, after its write and before its commit;
the second then runs on its own connection and meets the first one's locks. Exactly one
wins; the other gets a clear 4xx naming what is taken; nothing answers 500.
"""

import threading
import time

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from alize.tenancy import scope
from committees import services as committee_services
from committees.models import AgendaItem, Decision
from pme import imports
from pme.models import Company, Stage
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import CommitteeFactory, project_at, record_quorum

pytestmark = pytest.mark.django_db(transaction=True)

WAIT = 10


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def race(monkeypatch, module, name, first, second):
    """Run ``first`` until ``module.name`` has returned inside its transaction, then run
    ``second`` on another connection; let ``first`` commit once ``second`` waits on a lock
    (or has finished). Returns both responses."""
    real = getattr(module, name)
    wrote, release = threading.Event(), threading.Event()
    calls = []

    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            wrote.set()
            assert release.wait(WAIT), "the first transaction was never released"
        return result

    monkeypatch.setattr(module, name, paused)
    responses = {}

    def run(key, call):
        try:
            responses[key] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            responses[key] = error
        finally:
            connections.close_all()

    one = threading.Thread(target=run, args=("first", first), name="first")
    two = threading.Thread(target=run, args=("second", second), name="second")
    one.start()
    assert wrote.wait(WAIT), "the first request never reached its write"
    two.start()
    deadline = time.monotonic() + WAIT
    while two.is_alive() and not _waiting_on_a_lock():
        assert time.monotonic() < deadline, "the second request neither waited nor ended"
        time.sleep(0.02)
    release.set()
    one.join(WAIT)
    two.join(WAIT)
    assert not one.is_alive() and not two.is_alive()
    for key in ("first", "second"):
        assert not isinstance(responses[key], Exception), f"{key}: {responses[key]!r}"
        assert responses[key].status_code < 500, (key, responses[key].content)
    return responses["first"], responses["second"]


def client_of(user):
    """An API client that returns a server error as a response instead of raising it."""
    api = api_client_for(user)
    api.raise_request_exception = False
    return api


def assert_refused(response, field):
    assert response.status_code in (400, 409), (response.status_code, response.content)
    body = response.json()
    assert field in body["fields"] and body["fields"][field][0], body
    return body


def test_two_decisions_on_the_same_dossier(world, monkeypatch):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        committee = CommitteeFactory(dispositif=world.a, date=TODAY)
        item = committee_services.agenda_add_project(committee=committee, project=project, by=None)
    record_quorum(committee)
    url = reverse("api:committee-decisions", args=[committee.pk])

    def decide(outcome):
        api = client_of(world.animateur_a)
        return lambda: api.post(url, {"item": item.pk, "outcome": outcome}, format="json")

    first, second = race(
        monkeypatch,
        committee_services,
        "committee_record_decision",
        decide("approved"),
        decide("rejected"),
    )
    assert first.status_code == 201, first.content
    assert_refused(second, "outcome")
    with scope([world.a]):
        assert [d.outcome for d in Decision.objects.filter(item=item)] == ["approved"]
        project.refresh_from_db()
        assert project.stage == Stage.APPROVED


@pytest.mark.parametrize("same_committee", [True, False])
def test_two_agenda_adds_of_the_same_project(world, monkeypatch, same_committee):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        committees = [CommitteeFactory(dispositif=world.a)]
        committees.append(committees[0] if same_committee else CommitteeFactory(dispositif=world.a))

    def add(committee):
        api = client_of(world.animateur_a)
        url = reverse("api:committee-agenda", args=[committee.pk])
        return lambda: api.post(url, {"project": project.pk}, format="json")

    first, second = race(
        monkeypatch,
        committee_services,
        "agenda_add_project",
        add(committees[0]),
        add(committees[1]),
    )
    assert first.status_code == 201, first.content
    assert_refused(second, "project")
    with scope([world.a]):
        assert AgendaItem.objects.filter(project=project).count() == 1
        project.refresh_from_db()
        assert project.stage == Stage.ON_AGENDA


def test_two_api_creates_of_the_same_siren(world, monkeypatch):
    from pme import services as pme_services

    def create(name):
        api = client_of(world.animateur_a)
        payload = {
            "dispositif": world.a.slug,
            "siren": "552100554",
            "name": name,
            "naf_code": "25.62B",
            "creation_date": "2012-05-01",
            "headcount": 32,
            "commune_code": "59606",
            "commune_name": "Valenciennes",
        }
        return lambda: api.post(reverse("api:company-list"), payload, format="json")

    first, second = race(
        monkeypatch, pme_services, "company_create", create("Première"), create("Seconde")
    )
    assert first.status_code == 201, first.content
    body = assert_refused(second, "siren")
    assert "552100554" in body["fields"]["siren"][0]
    with scope([world.a]):
        assert list(Company.objects.filter(siren="552100554").values_list("name", flat=True)) == [
            "Première"
        ]


IMPORT_HEADER = "siren;raison sociale;code NAF;date de création;effectif;commune;code commune"


def test_two_imports_of_the_same_siren(world, monkeypatch):
    """Two files holding the same SIREN confirmed at once: the company is created once; the
    later import reports it as already registered."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def previewed(rows):
        client = Client(raise_request_exception=False)
        client.force_login(world.animateur_a)
        content = "\n".join([IMPORT_HEADER, *rows]).encode()
        upload = SimpleUploadedFile("pme.csv", content, content_type="text/csv")
        response = client.post(reverse("pme:company-import"), {"file": upload})
        assert response.status_code == 200, response.content.decode()[:2000]
        token = response.context["token"]
        return lambda: client.post(
            reverse("pme:company-import-confirm"), {"token": token}, follow=True
        )

    first, second = race(
        monkeypatch,
        imports,
        "company_import",
        previewed(["552100554;Première;25.62B;01/05/2010;42;Valenciennes;59606"]),
        previewed(
            [
                "552100554;Seconde;25.62B;01/05/2010;42;Valenciennes;59606",
                "732829320;Autre;16.23Z;15/03/2012;12;Anzin;59014",
            ]
        ),
    )
    assert first.status_code == 200
    assert second.status_code in (200, 400)
    with scope([world.a]):
        assert list(Company.objects.filter(siren="552100554").values_list("name", flat=True)) == [
            "Première"
        ]
    page = second.content.decode()
    assert "552100554" in page or "déjà présente ignorée" in page
