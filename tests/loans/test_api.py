"""REST endpoints of the loans app: funds (and contributions), advances (and their
lifecycle actions, schedule, ledger), repayments (Idempotency-Key), co-financing. Every
route is tried with every role through the generic bases, and B's rows never leak."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from alize.tenancy import scope
from loans import services
from loans.models import (
    Advance,
    AdvanceStatus,
    Cofinancing,
    Fund,
    JournalTransaction,
    Repayment,
    WriteOff,
)
from tests.api_base import (
    APIEndpointTestBase,
    APIReadTestBase,
    CreateMixin,
    PersonalDataMixin,
    UpdateMixin,
    count_rows,
)
from tests.conftest import api_client_for
from tests.factories import project_at
from tests.loans.builders import TODAY, advance_at, approved_decision, make_fund, setup_scope

D = Decimal
_names = itertools.count(1)
_keys = itertools.count(1)


def fund_of(dispositif):
    """The test fund of a dispositif (created with 1 000 000 € the first time)."""
    with setup_scope():
        fund = Fund.objects.filter(dispositif=dispositif, name="Fonds test").first()
    return fund or make_fund(dispositif, name="Fonds test", contributions=(D("1000000.00"),))


def disbursed(dispositif, **kwargs):
    return advance_at("disbursed", fund_of(dispositif), **kwargs)


def detail(name, advance, *rest):
    return reverse(f"api:advance-{name}", args=[advance.pk, *rest])


class TestFundAPI(APIReadTestBase, CreateMixin, UpdateMixin):
    basename = "fund"
    model = Fund
    readers = frozenset({"coordinator", "animateur", "api_client"})

    def make(self, world, dispositif):
        with setup_scope():
            return services.fund_create(dispositif=dispositif, name=f"Fonds {next(_names)}")

    def create_payload(self, world, dispositif):
        return {"dispositif": dispositif.slug, "name": f"Fonds {next(_names)}"}

    def cross_tenant_payload(self, world):
        return self.create_payload(world, world.b)

    def update_payload(self, world, instance):
        return {"name": "Fonds d'avances remboursables"}

    def test_balances_are_sums_of_the_ledger(self, world):
        advance = disbursed(world.a)
        with setup_scope():
            services.repayment_record(
                advance=advance, amount=D("2000"), received_on=TODAY, idempotency_key="f", by=None
            )
        api = api_client_for(world.api_client_user)
        body = api.get(self.detail_url(advance.fund)).json()
        assert {
            k: body[k] for k in ("contributed", "available", "lent", "repaid", "outstanding")
        } == {
            "contributed": "1000000.00",
            "available": "990000.00",
            "lent": "12000.00",
            "repaid": "2000.00",
            "outstanding": "10000.00",
        }
        listed = api.get(self.list_url()).json()["results"]
        assert [row for row in listed if row["id"] == advance.fund_id][0] == body

    def test_same_name_twice_is_refused_on_name(self, world):
        api = api_client_for(world.animateur_a)
        payload = self.create_payload(world, world.a)
        assert api.post(self.list_url(), payload, format="json").status_code == 201
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "name" in response.json()["fields"]

    def test_contributions_listed_and_recorded(self, world):
        fund = fund_of(world.a)
        url = reverse("api:fund-contributions", args=[fund.pk])
        payload = {
            "kind": "revitalisation",
            "organisation": world.firm_a.pk,
            "agreement": "Convention de revitalisation Valenciennes 2026",
            "agreement_firm": world.firm_a.pk,
            "amount": "50000.00",
            "received_on": TODAY.isoformat(),
        }
        response = api_client_for(world.animateur_a).post(url, payload, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["available"] == "50000.00"
        rows = api_client_for(world.api_client_user).get(url).json()
        assert [row["amount"] for row in rows] == ["1000000.00", "50000.00"]
        for role in ("animateur_b", "member", "no_role"):
            assert api_client_for(world.user(role)).get(url).status_code == 404, role
        for role in ("animateur_b", "member", "api_client", "no_role"):
            refused = api_client_for(world.user(role)).post(url, payload, format="json")
            assert refused.status_code in (403, 404), role
        with setup_scope():
            assert fund.contributions.count() == 2
            assert JournalTransaction.objects.filter(kind="contribution", fund=fund).count() == 2


class TestAdvanceAPI(APIReadTestBase, CreateMixin, UpdateMixin, PersonalDataMixin):
    basename = "advance"
    model = Advance
    readers = frozenset({"coordinator", "animateur", "api_client"})
    personal_fields = ("created_by", "timeline")

    def make(self, world, dispositif):
        return advance_at("approved", fund_of(dispositif))

    def create_payload(self, world, dispositif):
        return {
            "decision": approved_decision(dispositif).pk,
            "fund": fund_of(dispositif).pk,
            "instalment_count": 12,
            "frequency": "monthly",
            "grace_months": 3,
        }

    def cross_tenant_payload(self, world):
        return self.create_payload(world, world.a) | {"fund": fund_of(world.b).pk}

    def update_payload(self, world, instance):
        return {"instalment_count": 24, "grace_months": 6}

    @pytest.mark.parametrize("amount", ["9999.99", "15000.01"])
    def test_bounds_are_refused_by_the_api(self, world, amount):
        payload = self.create_payload(world, world.a) | {"amount": amount}
        before = self.rows()
        response = api_client_for(world.animateur_a).post(self.list_url(), payload, format="json")
        assert response.status_code == 400, response.content
        assert list(response.json()["fields"]) == ["amount"]
        assert self.rows() == before
        (advance,) = self.make_in(world, world.a)
        response = api_client_for(world.animateur_a).patch(
            self.detail_url(advance), {"amount": amount}, format="json"
        )
        assert response.status_code == 400
        assert snapshot_amount(advance) == D("12000.00")

    def test_lifecycle_through_the_actions(self, world):
        (advance,) = self.make_in(world, world.a)
        api = api_client_for(world.animateur_a)
        refused = api.post(detail("disburse", advance), {"disbursed_on": TODAY}, format="json")
        assert refused.status_code == 400
        assert refused.json()["code"] == "illegal_transition"
        contract = api.post(detail("contract", advance), {"contracted_on": TODAY}, format="json")
        assert contract.status_code == 200, contract.content
        assert contract.json()["status"] == "contracted"
        body = api.post(detail("disburse", advance), {"disbursed_on": TODAY}, format="json").json()
        assert (body["status"], body["disbursed"], body["outstanding"]) == (
            "disbursed",
            "12000.00",
            "12000.00",
        )
        assert body["allowed_next_statuses"] == [
            "repaying",
            "repaid",
            "in_arrears",
            "rescheduled",
            "written_off",
        ]
        schedule = api.get(detail("schedule", advance)).json()
        assert [row["amount"] for row in schedule] == ["1000.00"] * 12
        ledger = api.get(detail("ledger", advance)).json()
        assert sorted((row["account"], row["debit"], row["credit"]) for row in ledger) == [
            ("cash", "0.00", "12000.00"),
            ("loans", "12000.00", "0.00"),
        ]
        reschedule = api.post(
            detail("reschedule", advance),
            {
                "instalment_count": 6,
                "frequency": "quarterly",
                "first_due_on": (TODAY + dt.timedelta(days=60)).isoformat(),
                "reason": "Décalage du premier marché export",
            },
            format="json",
        )
        assert reschedule.json()["status"] == "rescheduled"
        assert len(api.get(detail("schedule", advance)).json()) == 18

    def test_write_off_maker_checker_through_the_api(self, world):
        advance = disbursed(world.a)
        animateur = api_client_for(world.animateur_a)
        proposal = {"reason": "Liquidation judiciaire prononcée"}
        assert (
            animateur.post(
                detail("propose-write-off", advance), proposal, format="json"
            ).status_code
            == 200
        )
        refused = animateur.post(detail("approve-write-off", advance))
        assert refused.status_code == 400
        assert refused.json()["code"] == "maker_checker"
        for role in ("animateur_b", "member", "api_client", "no_role"):
            response = api_client_for(world.user(role)).post(detail("approve-write-off", advance))
            assert response.status_code in (403, 404), role
        approved = api_client_for(world.coordinator).post(detail("approve-write-off", advance))
        assert approved.status_code == 200, approved.content
        assert (approved.json()["status"], approved.json()["written_off"]) == (
            "written_off",
            "12000.00",
        )

    def test_write_off_rejected(self, world):
        advance = disbursed(world.a)
        api = api_client_for(world.animateur_a)
        assert api.post(detail("reject-write-off", advance)).status_code == 400
        api.post(detail("propose-write-off", advance), {"reason": "Cessation"}, format="json")
        api.post(
            detail("propose-write-off", advance),
            {"reason": "Cessation d'activité"},
            format="json",
        )
        assert api.post(detail("reject-write-off", advance)).status_code == 200
        with setup_scope():
            assert list(WriteOff.objects.values_list("status", flat=True)) == ["rejected"]
            assert Advance.objects.get(pk=advance.pk).status == AdvanceStatus.DISBURSED

    @pytest.mark.parametrize(
        ("name", "payload"),
        [
            ("contract", {"contracted_on": TODAY.isoformat()}),
            ("disburse", {"disbursed_on": TODAY.isoformat()}),
            ("propose-write-off", {"reason": "Liquidation judiciaire"}),
            ("approve-write-off", {}),
            ("reject-write-off", {}),
            (
                "reschedule",
                {
                    "instalment_count": 6,
                    "frequency": "monthly",
                    "first_due_on": TODAY.isoformat(),
                    "reason": "Difficultés passagères",
                },
            ),
        ],
    )
    def test_actions_are_isolated(self, world, name, payload):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        for role in ("animateur_b", "member", "api_client", "no_role", "expert"):
            response = api_client_for(world.user(role)).post(
                detail(name, own), payload, format="json"
            )
            assert response.status_code in (403, 404), (role, response.status_code)
        response = api_client_for(world.animateur_a).post(detail(name, other), payload)
        assert response.status_code == 404
        with setup_scope():
            assert Advance.objects.get(pk=own.pk).status == AdvanceStatus.APPROVED
            assert Advance.objects.get(pk=other.pk).status == AdvanceStatus.APPROVED
            assert not WriteOff.objects.exists()

    @pytest.mark.parametrize("name", ["schedule", "ledger"])
    def test_schedule_and_ledger_reads_are_isolated(self, world, name, role):
        own, other = disbursed(world.a), disbursed(world.b)
        api = api_client_for(world.user(role))
        sees_own = role in self.readers and role != "animateur_b"
        sees_other = role in ("coordinator", "animateur_b")
        for advance, sees in ((own, sees_own), (other, sees_other)):
            status = api.get(detail(name, advance)).status_code
            assert (status == 200) == sees, (role, advance, status)
            assert status in (200, 401, 403, 404)


def snapshot_amount(advance):
    with setup_scope():
        return Advance.objects.get(pk=advance.pk).amount


class TestRepaymentAPI(APIReadTestBase, PersonalDataMixin):
    basename = "repayment"
    model = Repayment
    readers = frozenset({"coordinator", "animateur", "api_client"})
    writers = frozenset({"coordinator", "animateur"})
    personal_fields = ("recorded_by", "reversal_reason", "reversed_by")

    def make(self, world, dispositif):
        advance = disbursed(dispositif)
        with setup_scope():
            repayment, _ = services.repayment_record(
                advance=advance,
                amount=D("1000"),
                received_on=TODAY,
                idempotency_key=f"make-{next(_keys)}",
                by=world.coordinator,
            )
        return repayment

    def post(self, user, advance, amount="1500.00", key="virement-2026-11-001", **extra):
        headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
        payload = {"advance": advance.pk, "amount": amount, "received_on": TODAY.isoformat()}
        return api_client_for(user).post(self.list_url(), payload | extra, format="json", **headers)

    def test_create_requires_the_idempotency_key(self, world):
        advance = disbursed(world.a)
        response = self.post(world.animateur_a, advance, key=None)
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["idempotency_key"]
        assert count_rows(Repayment) == 0

    def test_replay_returns_the_first_result_with_the_same_status(self, world):
        advance = disbursed(world.a)
        first = self.post(world.animateur_a, advance)
        again = self.post(world.animateur_a, advance)
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json() == again.json()
        assert count_rows(Repayment) == 1
        assert JournalTransaction.unscoped_objects.filter(kind="repayment").count() == 1
        conflict = self.post(world.animateur_a, advance, amount="1499.00")
        assert conflict.status_code == 409
        assert conflict.json()["code"] == "idempotency_key_reused"
        assert count_rows(Repayment) == 1

    def test_overpayment_is_refused_with_a_clear_message(self, world):
        advance = disbursed(world.a)
        response = self.post(world.animateur_a, advance, amount="12000.01")
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "overpayment" and list(body["fields"]) == ["amount"]
        assert "12\xa0000,00\xa0€" in body["message"]

    def test_create_refused_for_role(self, world, refused_role):
        advance = disbursed(world.a)
        response = self.post(world.user(refused_role), advance)
        assert 400 <= response.status_code < 500, refused_role
        assert count_rows(Repayment) == 0

    def test_create_pointing_into_other_dispositif_is_refused(self, world):
        other = disbursed(world.b)
        response = self.post(world.animateur_a, other)
        assert response.status_code == 400
        assert count_rows(Repayment) == 0

    def test_reverse(self, world):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        url = reverse("api:repayment-reverse", args=[own.pk])
        payload = {"reason": "Virement rejeté par la banque"}
        for role in ("animateur_b", "member", "api_client", "no_role"):
            response = api_client_for(world.user(role)).post(url, payload, format="json")
            assert response.status_code in (403, 404), role
        other_url = reverse("api:repayment-reverse", args=[other.pk])
        assert api_client_for(world.animateur_a).post(other_url, payload).status_code == 404
        response = api_client_for(world.animateur_a).post(url, payload, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["reversed"] is True
        assert response.json()["reversal_reason"] == payload["reason"]
        with scope(every_dispositif=True, reason="test referee"):
            assert JournalTransaction.objects.filter(kind="reversal").count() == 1
            assert not hasattr(Repayment.objects.get(pk=other.pk), "reversal")


class TestCofinancingAPI(APIEndpointTestBase):
    basename = "cofinancing"
    model = Cofinancing
    readers = frozenset({"coordinator", "animateur", "api_client"})

    def make(self, world, dispositif):
        project = project_at("approved", dispositif=dispositif)
        return services.cofinancing_create(
            project=project,
            organisation="Banque Populaire du Nord",
            kind="bank_loan",
            amount=D("40000"),
            evidence_on=TODAY,
            by=None,
        )

    def create_payload(self, world, dispositif):
        return {
            "project": project_at("approved", dispositif=dispositif).pk,
            "organisation": "Bpifrance",
            "kind": "grant",
            "amount": "15000.00",
            "evidence_on": TODAY.isoformat(),
        }

    def cross_tenant_payload(self, world):
        return self.create_payload(world, world.b)

    def update_payload(self, world, instance):
        return {"amount": "45000.00", "organisation": "BNP Paribas"}

    def test_leverage_per_dispositif_and_national(self, world):
        advance = disbursed(world.a)
        with setup_scope():
            services.cofinancing_create(
                project=advance.project,
                organisation="Crédit du Nord",
                kind="bank_loan",
                amount=D("24000"),
                evidence_on=TODAY,
                by=None,
            )
        url = reverse("api:cofinancing-leverage")
        rows = api_client_for(world.api_client_user).get(url).json()
        assert rows[0]["dispositif_id"] == world.a.pk
        assert (rows[-1]["advances"], rows[-1]["cofinancing"], rows[-1]["ratio"]) == (
            "12000.00",
            "24000.00",
            "2.00",
        )
        assert api_client_for(world.animateur_b).get(url).json()[-1]["ratio"] is None
        assert api_client_for(world.member_a).get(url).json()[-1]["advances"] == "0.00"
