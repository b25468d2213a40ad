"""One idempotency helper (``alize.idempotency``) for every keyed write of the loans app:
the fingerprint of a payload, contributions and co-financing replayed or refused with 409
like repayments (services, API and web forms), and the records back-filled for rows keyed
before the records existed. Races on two connections are in ``test_races``."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse

from alize.errors import ApplicationError, ConflictError
from alize.idempotency import clean_key, fingerprint, run_once
from alize.models import IdempotencyRecord
from loans import services
from loans.models import Cofinancing, FundContribution, JournalTransaction, Repayment
from tests.conftest import api_client_for
from tests.factories import OrganisationFactory, project_at
from tests.loans.builders import TODAY, advance_at, make_fund, setup_scope
from tests.loans.test_views import named_advance, page_text

D = Decimal
pytestmark = pytest.mark.django_db
YESTERDAY = TODAY - dt.timedelta(days=1)


# -- The fingerprint -------------------------------------------------------------------


def test_a_fingerprint_reads_amounts_by_value_and_ignores_the_order_of_keys():
    one = fingerprint({"amount": D("1000.00"), "received_on": dt.date(2026, 3, 1), "id": 7})
    same = fingerprint({"id": 7, "received_on": dt.date(2026, 3, 1), "amount": D("1000")})
    assert one == same and len(one) == 64
    assert fingerprint({"amount": D("1000.01")}) != fingerprint({"amount": D("1000")})
    assert fingerprint({"note": " Prêt "}) == fingerprint({"note": "Prêt"})
    assert fingerprint({"day": dt.date(2026, 3, 1)}) != fingerprint({"day": dt.date(2026, 3, 2)})
    assert fingerprint({"firm": None}) != fingerprint({"firm": 0})


def test_a_row_counts_by_its_id(world):
    assert fingerprint({"organisation": world.firm_a}) == fingerprint(
        {"organisation": world.firm_a.pk}
    )


def test_a_float_amount_is_refused():
    with pytest.raises(TypeError):
        fingerprint({"amount": 1000.0})


@pytest.mark.parametrize("key", ["", "   ", None, "k" * 129])
def test_a_key_is_one_to_128_characters(key):
    with pytest.raises(ApplicationError) as refused:
        clean_key(key, field="submission_key")
    assert refused.value.field == "submission_key"
    assert clean_key("  k-1  ") == "k-1"


def test_a_refused_write_gives_its_key_back(world):
    def refuse():
        raise ApplicationError("Refusé.", field="amount")

    with setup_scope():
        for _attempt in range(2):
            with pytest.raises(ApplicationError):
                run_once(
                    operation="tests.refused",
                    dispositif_id=world.a.pk,
                    key="k",
                    payload={},
                    model=FundContribution,
                    create=refuse,
                )
        assert not IdempotencyRecord.objects.filter(operation="tests.refused").exists()


# -- Contributions and co-financing through the services --------------------------------


def contribution_fields(world, amount="25000.00", **overrides):
    return {
        "kind": "other",
        "organisation": world.firm_a,
        "amount": D(amount),
        "received_on": YESTERDAY,
        "by": world.animateur_a,
    } | overrides


def test_a_contribution_key_replays_the_first_and_refuses_another_payload(world, fund_a):
    with setup_scope():
        first, created = services.contribution_record_once(
            fund=fund_a, submission_key="K", **contribution_fields(world)
        )
        # Another person, the amount written differently: the same contribution.
        again, created_again = services.contribution_record_once(
            fund=fund_a,
            submission_key="K",
            **contribution_fields(world, amount="25000", by=world.coordinator),
        )
        assert created and not created_again and again.pk == first.pk
        with pytest.raises(ConflictError) as conflict:
            services.contribution_record_once(
                fund=fund_a, submission_key="K", **contribution_fields(world, amount="26000.00")
            )
        assert FundContribution.objects.filter(submission_key="K").count() == 1
        entries = JournalTransaction.objects.filter(kind="contribution", contribution=first)
        assert entries.count() == 1
    error = conflict.value
    assert (error.status_code, error.code, error.field) == (409, "idempotency_key_reused", None)
    assert error.extra == {
        "contribution": first.pk,
        "amount": "25000.00",
        "received_on": YESTERDAY.isoformat(),
    }
    assert "25\u00a0000,00\u00a0€" in error.message


def test_the_same_key_in_another_dispositif_is_another_contribution(world, fund_a, fund_b):
    with setup_scope():
        one, _ = services.contribution_record_once(
            fund=fund_a, submission_key="K", **contribution_fields(world)
        )
        two, created = services.contribution_record_once(
            fund=fund_b, submission_key="K", **contribution_fields(world, amount="1.00")
        )
    assert created and one.pk != two.pk


def cofinancing_fields(world, amount="30000.00", **overrides):
    return {
        "organisation": "Crédit Agricole Nord de France",
        "kind": "bank_loan",
        "amount": D(amount),
        "evidence_on": YESTERDAY,
        "by": world.animateur_a,
    } | overrides


def test_a_cofinancing_key_replays_the_first_and_refuses_another_payload(world):
    project = project_at("approved", dispositif=world.a)
    with setup_scope():
        first, created = services.cofinancing_create_once(
            project=project, submission_key="K", **cofinancing_fields(world)
        )
        again, created_again = services.cofinancing_create_once(
            project=project,
            submission_key="K",
            **cofinancing_fields(world, organisation=" Crédit Agricole Nord de France "),
        )
        assert created and not created_again and again.pk == first.pk
        other = project_at("approved", dispositif=world.a)
        with pytest.raises(ConflictError) as conflict:
            services.cofinancing_create_once(
                project=other, submission_key="K", **cofinancing_fields(world)
            )
        assert Cofinancing.objects.filter(submission_key="K").count() == 1
    assert conflict.value.code == "idempotency_key_reused"
    assert conflict.value.extra["cofinancing"] == first.pk


def test_a_key_whose_cofinancing_was_deleted_stays_spent(world):
    project = project_at("approved", dispositif=world.a)
    with setup_scope():
        first, _ = services.cofinancing_create_once(
            project=project, submission_key="K", **cofinancing_fields(world)
        )
        services.cofinancing_delete(cofinancing=first)
        with pytest.raises(ConflictError) as conflict:
            services.cofinancing_create_once(
                project=project, submission_key="K", **cofinancing_fields(world)
            )
        assert not Cofinancing.objects.filter(project=project).exists()
    assert conflict.value.code == "idempotency_key_reused"


# -- The API: an optional Idempotency-Key on contributions and co-financing --------------


def contribution_payload(world, amount="50000.00"):
    return {
        "kind": "other",
        "organisation": world.firm_a.pk,
        "amount": amount,
        "received_on": TODAY.isoformat(),
    }


def test_api_contribution_with_a_key_records_once(world, fund_a):
    api = api_client_for(world.animateur_a)
    url = reverse("api:fund-contributions", args=[fund_a.pk])
    key = {"HTTP_IDEMPOTENCY_KEY": "apport-2026-001"}
    first = api.post(url, contribution_payload(world), format="json", **key)
    again = api.post(url, contribution_payload(world), format="json", **key)
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert first.json() == again.json()
    conflict = api.post(url, contribution_payload(world, "50000.01"), format="json", **key)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    assert conflict.json()["extra"]["contribution"] == first.json()["id"]
    with setup_scope():
        assert FundContribution.objects.filter(fund=fund_a).count() == 2  # with the builder's
    # Without a key, every POST records (as before).
    assert api.post(url, contribution_payload(world), format="json").status_code == 201
    assert api.post(url, contribution_payload(world), format="json").status_code == 201
    with setup_scope():
        assert FundContribution.objects.filter(fund=fund_a).count() == 4


def test_api_cofinancing_with_a_key_records_once(world):
    project = project_at("approved", dispositif=world.a)
    api = api_client_for(world.animateur_a)
    url = reverse("api:cofinancing-list")
    payload = {
        "project": project.pk,
        "organisation": "Bpifrance",
        "kind": "grant",
        "amount": "15000.00",
        "evidence_on": TODAY.isoformat(),
    }
    key = {"HTTP_IDEMPOTENCY_KEY": "cofi-7"}
    first = api.post(url, payload, format="json", **key)
    again = api.post(url, payload, format="json", **key)
    assert (first.status_code, again.status_code) == (201, 201), again.content
    assert first.json() == again.json()
    conflict = api.post(url, payload | {"kind": "equity"}, format="json", **key)
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "idempotency_key_reused"
    assert Cofinancing.unscoped_objects.filter(project=project).count() == 1


# -- The web forms: sent back with other values -----------------------------------------


def test_a_contribution_form_sent_back_with_another_amount_records_nothing_more(world, client):
    fund = make_fund(world.a, name="Fonds web")
    client.force_login(world.animateur_a)
    url = reverse("loans:fund-contribution", args=[fund.pk])
    data = {
        "kind": "other",
        "organisation": OrganisationFactory(kind="funder").pk,
        "amount": "25 000,00",
        "received_on": TODAY.isoformat(),
        "submission_key": "web-back-button",
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "amount": "26 000,00"})
    assert response.status_code == 400
    text = page_text(response)
    assert "déjà enregistré un apport de 25\u00a0000,00\u00a0€" in text
    amounts = FundContribution.unscoped_objects.filter(fund=fund).values_list("amount", flat=True)
    assert sorted(amounts) == [D("25000.00"), D("100000.00")]


def test_a_cofinancing_form_sent_back_with_another_amount_records_nothing_more(world, client):
    advance = named_advance(world.a)
    client.force_login(world.animateur_a)
    url = reverse("loans:cofinancing", args=[advance.project_id])
    data = {
        "organisation": "Crédit Agricole Nord de France",
        "kind": "bank_loan",
        "amount": "30 000,00",
        "evidence_on": TODAY.isoformat(),
        "submission_key": "web-back-button",
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "amount": "31 000,00"})
    assert response.status_code == 400
    assert "déjà enregistré un cofinancement de 30\u00a0000,00\u00a0€" in page_text(response)
    amounts = Cofinancing.unscoped_objects.filter(project=advance.project)
    assert list(amounts.values_list("amount", flat=True)) == [D("30000.00")]


# -- Rows keyed before the records existed ---------------------------------------------


def test_backfilled_records_replay_old_keys_and_refuse_other_payloads(world, fund_a):
    migration = importlib.import_module("loans.migrations.0008_idempotency_records")
    advance = advance_at("disbursed", fund_a)
    project = project_at("approved", dispositif=world.a)
    with setup_scope():
        repayment, _ = services.repayment_record(
            advance=advance, amount=D("1000"), received_on=TODAY, idempotency_key="R", by=None
        )
        contribution, _ = services.contribution_record_once(
            fund=fund_a,
            submission_key="C",
            **contribution_fields(
                world,
                kind="revitalisation",
                agreement="Convention 2026",
                agreement_firm=world.firm_a,
                earmark="development",
            ),
        )
        cofinancing, _ = services.cofinancing_create_once(
            project=project, submission_key="F", **cofinancing_fields(world)
        )
        IdempotencyRecord.objects.all().delete()
        migration.backfill(apps, None)
        assert IdempotencyRecord.objects.count() == 3

        again, created = services.repayment_record(
            advance=advance, amount=D("1000.00"), received_on=TODAY, idempotency_key="R", by=None
        )
        assert (again.pk, created) == (repayment.pk, False)
        again, created = services.contribution_record_once(
            fund=fund_a,
            submission_key="C",
            **contribution_fields(
                world,
                kind="revitalisation",
                agreement="Convention 2026",
                agreement_firm=world.firm_a,
                earmark="development",
            ),
        )
        assert (again.pk, created) == (contribution.pk, False)
        again, created = services.cofinancing_create_once(
            project=project, submission_key="F", **cofinancing_fields(world)
        )
        assert (again.pk, created) == (cofinancing.pk, False)
        with pytest.raises(ConflictError):
            services.repayment_record(
                advance=advance, amount=D("999"), received_on=TODAY, idempotency_key="R", by=None
            )
        assert Repayment.objects.filter(advance=advance).count() == 1
