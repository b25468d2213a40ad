"""Amounts are read one way at every door: plain decimal strings of ASCII digits with at
most two decimals. The API refuses exponents, other digits, padding, a third decimal and
JSON numbers (with a message saying to send a string); the browser's money inputs refuse
the same through the same parsing; every money field of every API serializer is the one
``alize.api.serializers.MoneyField``."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework import serializers

from alize.api.serializers import MoneyField
from alize.fields import MoneyField as MoneyModelField
from alize.tenancy import scope
from alize.validators import parse_amount
from committees.forms import CommitmentForm, DecisionForm
from loans.models import Cofinancing
from pme.forms import ProjectForm
from tests.api_base import count_rows
from tests.conftest import api_client_for
from tests.factories import project_at
from tests.loans.builders import TODAY
from tests.test_update_rules import every_serializer_class

pytestmark = pytest.mark.django_db

D = Decimal
_keys = itertools.count(1)

REFUSED_STRINGS = [
    "1E1",
    "1e4",
    "١٢٣",  # Arabic-Indic digits
    "１２３",  # full-width digits
    " 123",
    "123 ",
    "\t123",
    "12 500",
    "12,50",
    "12.345",
    "0x10",
    "NaN",
    "Infinity",
    "1_000",
    "+5",
    ".5",
    "5.",
    "",
]


def post_cofinancing(world, amount):
    payload = {
        "project": project_at("approved", dispositif=world.a).pk,
        "organisation": "Bpifrance",
        "kind": "grant",
        "amount": amount,
        "evidence_on": TODAY.isoformat(),
    }
    return api_client_for(world.animateur_a).post(
        reverse("api:cofinancing-list"), payload, format="json"
    )


@pytest.mark.parametrize("amount", REFUSED_STRINGS)
def test_the_api_refuses_amounts_that_are_not_plain_decimal_strings(world, amount):
    before = count_rows(Cofinancing)
    response = post_cofinancing(world, amount)
    assert response.status_code == 400, (amount, response.content)
    assert list(response.json()["fields"]) == ["amount"]
    assert count_rows(Cofinancing) == before


@pytest.mark.parametrize("amount", [15000, 15000.5, 1e4, True])
def test_the_api_refuses_a_json_number_and_says_to_send_a_string(world, amount):
    before = count_rows(Cofinancing)
    with translation.override("fr"):
        response = post_cofinancing(world, amount)
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["fields"]) == ["amount"]
    assert "chaîne" in body["message"] and '"12500.50"' in body["message"]
    assert count_rows(Cofinancing) == before


@pytest.mark.parametrize(
    ("amount", "stored"), [("15000.50", D("15000.50")), ("15000", D("15000")), ("7.5", D("7.5"))]
)
def test_the_api_takes_plain_decimal_strings(world, amount, stored):
    response = post_cofinancing(world, amount)
    assert response.status_code == 201, response.content
    assert Cofinancing.unscoped_objects.get(pk=response.json()["id"]).amount == stored


def test_every_money_door_of_the_api_is_as_strict(world):
    """Repayments, contributions, advances and committee decisions: the same refusal."""
    from tests.loans.builders import advance_at, make_fund

    fund = make_fund(world.a, name="Fonds des règles", contributions=(D("100000.00"),))
    advance = advance_at("disbursed", fund)
    api = api_client_for(world.animateur_a)
    for amount in ("1E3", "١٢٣", 500):
        response = api.post(
            reverse("api:repayment-list"),
            {"advance": advance.pk, "amount": amount, "received_on": TODAY.isoformat()},
            format="json",
            HTTP_IDEMPOTENCY_KEY=f"rule-{next(_keys)}",
        )
        assert (response.status_code, list(response.json()["fields"])) == (400, ["amount"])
        response = api.post(
            reverse("api:fund-contributions", args=[fund.pk]),
            {
                "kind": "esf",
                "organisation": world.firm_a.pk,
                "amount": amount,
                "received_on": TODAY.isoformat(),
            },
            format="json",
        )
        assert (response.status_code, list(response.json()["fields"])) == (400, ["amount"])


@pytest.mark.parametrize("typed", ["1e4", "١٢٣", "12.345", "0x10"])
def test_the_web_money_inputs_refuse_the_same(world, typed):
    with translation.override("fr"):
        commitment = CommitmentForm(
            {"organisation": "1", "tool": "Prêt", "amount": typed}, organisations=[]
        )
        assert "amount" in commitment.errors
        decision = DecisionForm({"outcome": "approved", "advance_amount": typed})
        assert "advance_amount" in decision.errors
        project = project_at("referred", dispositif=world.a)
        with scope([world.a]):  # as in its view: « Orienté par » reads the tour de table
            form = ProjectForm(
                {"requested_advance": typed}, instance=project, user=world.animateur_a
            )
            assert "requested_advance" in form.errors


def test_the_parsing_is_one_function():
    assert parse_amount("12500.50") == D("12500.50")
    assert parse_amount("-3") == D("-3")
    for text in REFUSED_STRINGS:
        with pytest.raises(Exception) as refused:
            parse_amount(text)
        assert refused.value.code in {"invalid", "max_decimal_places"}, text


def test_every_money_field_of_every_serializer_is_the_core_money_field():
    """A model's money column, or a field declared with two decimals for euros, is read
    and written by ``alize.api.serializers.MoneyField`` in every serializer."""
    for cls in every_serializer_class():
        serializer = cls(context={})
        model = getattr(getattr(cls, "Meta", None), "model", None)
        for name, field in serializer.fields.items():
            if not isinstance(field, serializers.DecimalField):
                continue
            source = field.source if field.source and field.source != "*" else name
            column = _model_field(model, source)
            if isinstance(column, MoneyModelField) or "amount" in name:
                assert isinstance(field, MoneyField), f"{cls.__name__}.{name}"


def _model_field(model, source):
    if model is None or "." in source:
        return None
    try:
        return model._meta.get_field(source)
    except Exception:
        return None
