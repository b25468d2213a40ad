"""A region reads indicators and anonymous rows, never who typed what: on every API route a
regional client reads, no response carries a staff member's name or e-mail, nor a field
naming who recorded a row, nor an internal key (idempotency, submission)."""

import re

from django.urls import reverse

from alize.tenancy import scope
from loans import services as loan_services
from loans.models import Repayment
from pme import services as pme_services
from pme.models import Project, Stage
from tests.api_seed import seed
from tests.clock import TODAY
from tests.conftest import api_client_for

WHO_AND_KEYS = {
    "by",
    "recorded_by",
    "created_by",
    "decided_by",
    "reversed_by",
    "corrected_by",
    "idempotency_key",
    "submission_key",
}
KEY = "staff-typed-key-4242"


def staff_rows(world):
    """Rows an animateur recorded by hand: a stage change, a follow-up, a repayment and
    its reversal, with a recognisable key."""
    animateur = world.animateur_a
    animateur.full_name = "Camille Saisie-Animatrice"
    animateur.save(update_fields=["full_name"])
    with scope([world.a]):
        referred = Project.objects.filter(stage=Stage.REFERRED).first()
        pme_services.project_transition(
            project=referred, to_stage=Stage.QUALIFIED, by=animateur, comment="Dossier complet"
        )
        approved = Project.objects.filter(stage=Stage.APPROVED).first()
        pme_services.follow_up_record(
            project=approved,
            year=2,
            headcount=31,
            jobs_created=4,
            jobs_maintained=27,
            source="declared",
            by=animateur,
        )
        advance = Repayment.objects.first().advance
        repayment, _created = loan_services.repayment_record(
            advance=advance, amount=500, received_on=TODAY, idempotency_key=KEY, by=animateur
        )
        loan_services.repayment_reverse(repayment=repayment, reason="Chèque rejeté", by=animateur)
    return animateur


def get_paths(schema: dict) -> list[str]:
    return [path for path, operations in schema.items() if "get" in operations]


def bodies(api, paths: list[str]):
    """Every GET route's answer: list routes, then each listed row's detail and sub-routes."""
    listed: dict[str, list] = {}
    for path in paths:
        if "{" in path:
            continue
        response = api.get(path)
        assert response.status_code in (200, 400, 403, 404), (path, response.status_code)
        if response.status_code == 200:
            body = response.json()
            listed[path] = body["results"] if isinstance(body, dict) and "results" in body else []
            yield path, body
    for path in paths:
        if "{id}" not in path:
            continue
        base = path.split("{id}")[0]
        for row in listed.get(base, []):
            if "id" not in row:
                continue
            concrete = path.replace("{id}", str(row["id"]))
            response = api.get(concrete)
            if response.status_code == 200:
                yield concrete, response.json()


def keys_and_texts(value, keys: set, texts: list):
    if isinstance(value, dict):
        for name, child in value.items():
            keys.add(name)
            keys_and_texts(child, keys, texts)
    elif isinstance(value, list):
        for child in value:
            keys_and_texts(child, keys, texts)
    elif isinstance(value, str):
        texts.append(value)


def test_no_route_tells_a_region_who_typed_what(world):
    seed(world.a)
    animateur = staff_rows(world)
    schema = api_client_for(world.coordinator).get(reverse("api-schema"), {"format": "json"})
    paths = get_paths(schema.json()["paths"])
    staff = [
        animateur.full_name,
        animateur.email,
        str(world.coordinator),
        world.coordinator.email,
    ]

    def leaks(user):
        found, routes = [], []
        for path, body in bodies(api_client_for(user), paths):
            routes.append(path)
            keys, texts = set(), []
            keys_and_texts(body, keys, texts)
            found += [f"{path}: field {name}" for name in sorted(keys & WHO_AND_KEYS)]
            found += [
                f"{path}: {text!r}"
                for text in texts
                for name in staff
                if re.search(re.escape(name), text) or KEY in text
            ]
        return found, routes

    regional, routes = leaks(world.api_client_user)
    assert regional == []
    # The rows were read: the regional client sees the repayments, follow-ups and
    # stage changes of its region, just not who recorded them.
    for route in ("/api/v1/repayments/", "/api/v1/follow-ups/", "/api/v1/stage-transitions/"):
        assert route in routes
    assert any(path.startswith("/api/v1/repayments/") and path[-2] != "/" for path in routes)
    with scope([world.a]):
        assert Repayment.objects.filter(idempotency_key=KEY).exists()

    # The animateur who runs the dispositif still reads them.
    animateur_view, _routes = leaks(world.animateur_a)
    assert any("recorded_by" in leak for leak in animateur_view)
    assert any(KEY in leak for leak in animateur_view)
    assert any("stage-transitions" in leak and "field by" in leak for leak in animateur_view)
