"""The jobs a revitalisation agreement must help re-create, recorded on its contributions:
validated by the service, so the web form, the API and the database agree."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from alize.errors import ApplicationError
from loans import services
from loans.models import FundContribution
from tests.conftest import api_client_for
from tests.factories import OrganisationFactory
from tests.loans.builders import make_fund, setup_scope

D = Decimal


def record(fund, kind, jobs, **fields):
    firm = OrganisationFactory(kind="large_firm")
    if kind == "revitalisation":
        fields.setdefault("agreement", "Convention test")
        fields.setdefault("agreement_firm", firm)
    with setup_scope():
        return services.contribution_record(
            fund=fund,
            kind=kind,
            organisation=firm,
            amount=D("1000"),
            received_on=dt.date(2026, 1, 10),
            jobs_to_recreate=jobs,
            by=None,
            **fields,
        )


def test_the_service_keeps_jobs_to_recreate_for_agreements(world):
    fund = make_fund(world.a, contributions=())
    assert record(fund, "revitalisation", 12).jobs_to_recreate == 12
    assert record(fund, "revitalisation", None).jobs_to_recreate == 0
    assert record(fund, "esf", 0).jobs_to_recreate == 0
    for kind, jobs in (("esf", 3), ("revitalisation", -1), ("revitalisation", 10_001)):
        with pytest.raises(ApplicationError) as refused:
            record(fund, kind, jobs)
        assert refused.value.field == "jobs_to_recreate", (kind, jobs)
    with setup_scope():
        assert FundContribution.objects.filter(fund=fund).count() == 3


def test_the_database_refuses_jobs_on_another_source(world):
    fund = make_fund(world.a, contributions=())
    contribution = record(fund, "esf", 0)
    with setup_scope(), pytest.raises(IntegrityError), transaction.atomic():
        FundContribution.objects.filter(pk=contribution.pk).update(jobs_to_recreate=2)


def test_the_web_form_names_the_field(world, client):
    fund = make_fund(world.a, contributions=())
    funder = OrganisationFactory(kind="funder")
    client.force_login(world.animateur_a)
    url = reverse("loans:fund-contribution", args=[fund.pk])
    data = {
        "kind": "esf",
        "organisation": funder.pk,
        "amount": "1 000,00",
        "received_on": "2026-01-10",
        "submission_key": "web-jobs-1",
        "jobs_to_recreate": "4",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "jobs_to_recreate" in refused.context["contribution_form"].errors
    assert 'name="jobs_to_recreate"' in refused.content.decode()
    firm = OrganisationFactory(kind="large_firm")
    ok = client.post(
        url,
        {
            **data,
            "kind": "revitalisation",
            "agreement": "Convention Usine Nord",
            "agreement_firm": firm.pk,
            "submission_key": "web-jobs-2",
        },
    )
    assert ok.status_code == 302
    with setup_scope():
        (contribution,) = FundContribution.objects.filter(fund=fund)
    assert contribution.jobs_to_recreate == 4


def test_the_api_names_the_field(world):
    fund = make_fund(world.a, contributions=())
    url = reverse("api:fund-contributions", args=[fund.pk])
    payload = {
        "kind": "esf",
        "organisation": world.firm_a.pk,
        "amount": "5000.00",
        "received_on": "2026-01-10",
        "jobs_to_recreate": 3,
    }
    api = api_client_for(world.animateur_a)
    refused = api.post(url, payload, format="json")
    assert refused.status_code == 400 and "jobs_to_recreate" in refused.json()["fields"]
    payload.update(
        kind="revitalisation", agreement="Convention API", agreement_firm=world.firm_a.pk
    )
    created = api.post(url, payload, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["jobs_to_recreate"] == 3
