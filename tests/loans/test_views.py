"""Browser pages of the loans app: isolation on every route, the lifecycle's actions with
their refusals (bounds, a fund too short, overpayment, maker-checker), the idempotent
repayment form, arrears and PAR30, co-financing, the panels and the French money format."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from alize.tenancy import scope
from loans import queries, services
from loans.models import (
    Advance,
    AdvanceStatus,
    Cofinancing,
    Fund,
    FundContribution,
    Instalment,
    JournalTransaction,
    LedgerLine,
    PortfolioSnapshot,
    Repayment,
    WriteOff,
    WriteOffStatus,
)
from pme.models import Company
from tests.factories import OrganisationFactory
from tests.loans.builders import (
    TODAY,
    advance_at,
    approved_decision,
    contribute,
    make_fund,
    setup_scope,
)
from tests.query_counts import assert_queries_do_not_grow, assert_query_count
from tests.view_base import ViewIsolationTestBase, WebAnonymousMixin, WebDetailMixin, WebListMixin

D = Decimal
_numbers = itertools.count(1)
READERS = frozenset({"coordinator", "animateur", "api_client"})


def fund_of(dispositif):
    """The test fund of ``dispositif`` (created on first use)."""
    with setup_scope():
        fund = Fund.objects.filter(dispositif=dispositif).order_by("pk").first()
    return fund or make_fund(dispositif, name=f"Fonds {dispositif.slug}")


def named_advance(dispositif, status="disbursed", **kwargs):
    """An advance whose company has a name no other row's name contains."""
    advance = advance_at(status, fund_of(dispositif), **kwargs)
    with scope([dispositif.pk]):
        Company.objects.filter(pk=advance.project.company_id).update(
            name=f"Atelier {dispositif.slug} n° {next(_numbers):03d}"
        )
        return Advance.objects.select_related("project__company").get(pk=advance.pk)


def late_advance(dispositif, days_late=45, **kwargs):
    """A disbursed advance whose first instalment is ``days_late`` days overdue, after the
    daily arrears job has run."""
    disbursed = TODAY - dt.timedelta(days=31 + days_late)
    advance = named_advance(dispositif, disbursed_on=disbursed, **kwargs)
    with scope([dispositif.pk]):
        services.arrears_refresh(dispositif=dispositif, today=TODAY)
        advance.refresh_from_db()
    return advance


def stored(model, **filters):
    return list(model.unscoped_objects.filter(**filters).values())


def page_text(response) -> str:
    return re.sub(r"[ \t\r\n]+", " ", response.content.decode())


# =======================================================================================
# Funds


class TestFundViews(ViewIsolationTestBase):
    readers = READERS
    list_url_name = "loans:fund-list"
    detail_url_name = "loans:fund-detail"

    def anonymous_routes(self, world, instance):
        return [
            *super().anonymous_routes(world, instance),
            ("loans:fund-contribution", [instance.pk]),
        ]

    def make(self, world, dispositif):
        return make_fund(dispositif, name=f"Fonds {dispositif.slug} n° {next(_numbers):03d}")

    def label(self, instance):
        return instance.name

    def test_balances_come_from_the_ledger_in_french_money(self, world, client):
        fund = make_fund(world.a, contributions=(D("60000.00"), D("40000.00")))
        advance = advance_at("disbursed", fund, amount=D("12500.00"))
        with setup_scope():
            services.repayment_record(
                advance=advance,
                amount=D("1000.00"),
                received_on=TODAY,
                idempotency_key="k-1",
                by=world.animateur_a,
            )
        client.force_login(world.animateur_a)
        text = page_text(client.get(reverse("loans:fund-detail", args=[fund.pk])))
        nbsp = "\u00a0"
        assert f'data-figure="available">88{nbsp}500,00{nbsp}€' in text
        assert f'data-figure="lent">12{nbsp}500,00{nbsp}€' in text
        assert f'data-figure="outstanding">11{nbsp}500,00{nbsp}€' in text
        assert f'data-figure="repaid">1{nbsp}000,00{nbsp}€' in text
        assert f'data-figure="lost">0,00{nbsp}€' in text
        # The list shows the same sums.
        listing = page_text(client.get(reverse("loans:fund-list")))
        assert f"88{nbsp}500,00{nbsp}€" in listing and f"100{nbsp}000,00{nbsp}€" in listing
        # In English, the same figure reads the English way.
        with translation.override("en"):
            client.cookies["django_language"] = "en"
            english = page_text(client.get(reverse("loans:fund-detail", args=[fund.pk])))
        assert 'data-figure="available">€88,500.00' in english

    def test_attribution_and_utilisation(self, world, client):
        fund = make_fund(world.a, contributions=(D("10000.00"), D("50000.00")))
        advance = named_advance(world.a, amount=D("12000.00"))
        assert advance.fund_id == fund.pk
        client.force_login(world.coordinator)
        response = client.get(reverse("loans:fund-detail", args=[fund.pk]))
        assert response.status_code == 200
        rows = response.context["contributions"]
        # First in, first out: the older contribution financed 10 000, the next 2 000.
        assert [row["lent"] for row in rows] == [D("10000.00"), D("2000.00")]
        assert [[share["advance"].pk for share in row["financed"]["advances"]] for row in rows] == [
            [advance.pk],
            [advance.pk],
        ]
        text = page_text(response)
        assert advance.project.company.name in text
        # The utilisation chart: twelve months, the last one 12 000 lent out of 60 000.
        assert text.count("data-bar") == 12
        assert response.context["utilisation"][-1]["ratio"] == D("0.2000")
        assert "20,00" not in text or "%" in text

    def test_financed_advances_are_linked_formatted_and_escaped(self, world, client):
        fund = make_fund(world.a, contributions=(D("10000.00"), D("50000.00")))
        advance = named_advance(world.a, amount=D("12000.00"))
        with scope([world.a.pk]):
            Company.objects.filter(pk=advance.project.company_id).update(name="Dupont & <Fils>")
        client.force_login(world.animateur_a)
        html = client.get(reverse("loans:fund-detail", args=[fund.pk])).content.decode()
        url = reverse("loans:advance-detail", args=[advance.pk])
        title = advance.project.title.replace("'", "&#x27;")
        nbsp = "\u00a0"

        def row(lent, outstanding):
            return (
                f'<tr><td><a href="{url}">Dupont &amp; &lt;Fils&gt;</a><br>'
                f'<span class="muted">{title}</span></td>'
                f'<td class="num">{lent}{nbsp}€</td><td class="num">0,00{nbsp}€</td>'
                f'<td class="num">0,00{nbsp}€</td><td class="num">{outstanding}{nbsp}€</td></tr>'
            )

        # The older contribution financed 10 000 of it, the next 2 000 (first in, first out).
        assert row(f"10{nbsp}000,00", f"10{nbsp}000,00") in html
        assert row(f"2{nbsp}000,00", f"2{nbsp}000,00") in html
        assert "<Fils>" not in html

    def test_detail_query_count_does_not_grow_with_contributions(self, world, client):
        fund = make_fund(world.a, contributions=(D("15000.00"),))
        named_advance(world.a, amount=D("12000.00"))

        def more():
            for amount in ("10000.00", "2000.00", "3000.00"):
                contribute(fund, D(amount))
            named_advance(world.a, amount=D("14000.00"))

        client.force_login(world.animateur_a)
        assert_queries_do_not_grow(
            "loans:fund-detail",
            lambda: client.get(reverse("loans:fund-detail", args=[fund.pk])),
            more,
        )

    def test_attribution_lists_the_latest_advances_of_a_contribution(self, world, client):
        fund = make_fund(world.a, contributions=(D("100000.00"),))
        advances = [named_advance(world.a, amount=D("10000.00")) for _ in range(3)]
        with scope([world.a.pk]):
            (financed,) = queries.fund_attribution(fund, limit=2).values()
        assert financed["count"] == 3
        assert [share["advance"].pk for share in financed["advances"]] == [
            advances[2].pk,
            advances[1].pk,
        ]
        client.force_login(world.animateur_a)
        page = page_text(client.get(reverse("loans:fund-detail", args=[fund.pk])))
        assert "3 avances financées" in page

    def test_contribution_form_records_and_refuses_with_field_errors(self, world, client):
        fund = make_fund(world.a, contributions=())
        funder = OrganisationFactory(name="Caisse des dépôts test", kind="funder")
        firm = OrganisationFactory(name="Grande entreprise assujettie", kind="large_firm")
        client.force_login(world.animateur_a)
        url = reverse("loans:fund-contribution", args=[fund.pk])
        refused = client.post(
            url,
            {
                "kind": "revitalisation",
                "organisation": funder.pk,
                "amount": "25 000,00",
                "received_on": "2026-01-10",
            },
        )
        assert refused.status_code == 400
        assert 'data-form="contribution"' in refused.content.decode()
        assert refused.context["contribution_form"].errors
        assert not FundContribution.unscoped_objects.filter(fund=fund).exists()
        ok = client.post(
            url,
            {
                "kind": "revitalisation",
                "organisation": funder.pk,
                "agreement": "Convention de revitalisation du Valenciennois 2025",
                "agreement_firm": firm.pk,
                "amount": "25 000,00",
                "received_on": "2026-01-10",
                "submission_key": "web-contribution-1",
            },
        )
        assert ok.status_code == 302
        (contribution,) = FundContribution.unscoped_objects.filter(fund=fund)
        assert contribution.amount == D("25000.00") and contribution.agreement_firm == firm
        assert JournalTransaction.unscoped_objects.filter(contribution=contribution).count() == 1

    def test_contribution_needs_the_manage_action_and_the_right_dispositif(self, world, client):
        fund = make_fund(world.a, contributions=())
        funder = OrganisationFactory(kind="funder")
        data = {
            "kind": "esf",
            "organisation": funder.pk,
            "amount": "1000",
            "received_on": "2026-01-10",
        }
        for user in (world.animateur_b, world.api_client_user, world.member_a):
            client.force_login(user)
            response = client.post(reverse("loans:fund-contribution", args=[fund.pk]), data)
            assert response.status_code == 404, user
        assert not FundContribution.unscoped_objects.filter(fund=fund).exists()
        client.force_login(world.api_client_user)
        page = client.get(reverse("loans:fund-detail", args=[fund.pk])).content.decode()
        assert 'data-form="contribution"' not in page


# =======================================================================================
# Advances


class TestAdvanceViews(ViewIsolationTestBase):
    readers = READERS
    list_url_name = "loans:advance-list"
    detail_url_name = "loans:advance-detail"

    def anonymous_routes(self, world, instance):
        pk = instance.pk
        return [
            *super().anonymous_routes(world, instance),
            ("loans:advance-contract", [pk]),
            ("loans:advance-disburse", [pk]),
            ("loans:repayment-record", [pk]),
            ("loans:repayment-reverse", [pk, 1]),
            ("loans:advance-reschedule", [pk]),
            ("loans:write-off-propose", [pk]),
            ("loans:write-off-decide", [pk]),
            ("loans:advance-create", [instance.decision_id]),
        ]

    def make(self, world, dispositif):
        return named_advance(dispositif)

    def label(self, instance):
        return instance.project.company.name

    def test_list_filters_search_sort_and_outstanding(self, world, client):
        current = named_advance(world.a)
        late = late_advance(world.a)
        approved = named_advance(world.a, status="approved")
        client.force_login(world.animateur_a)
        url = reverse("loans:advance-list")

        def names(params):
            response = client.get(url, params)
            assert response.status_code == 200
            return [advance.pk for advance in response.context["rows"]]

        assert set(names({})) == {current.pk, late.pk, approved.pk}
        assert names({"status": "approved"}) == [approved.pk]
        assert names({"arrears": "yes"}) == [late.pk]
        assert set(names({"arrears": "no"})) == {current.pk, approved.pk}
        assert names({"q": late.project.company.name}) == [late.pk]
        assert names({"sort": "-late"})[0] == late.pk
        assert set(names({"fund": current.fund_id})) == {current.pk, late.pk, approved.pk}
        # A fund of another dispositif is not a choice: the list shows nothing.
        other = fund_of(world.b)
        assert names({"fund": other.pk}) == []
        response = client.get(url)
        outstanding = {advance.pk: advance.outstanding for advance in response.context["rows"]}
        assert outstanding[current.pk] == D("12000.00")
        assert outstanding[approved.pk] == D("0.00")

    def test_export_follows_the_filters(self, world, client):
        current = named_advance(world.a)
        late = late_advance(world.a)
        named_advance(world.b)
        client.force_login(world.animateur_a)
        response = client.get(reverse("loans:advance-list"), {"arrears": "yes", "format": "csv"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        lines = response.content.decode("utf-8-sig").strip().splitlines()
        assert len(lines) == 2 and late.project.company.name in lines[1]
        assert current.project.company.name not in response.content.decode("utf-8-sig")
        assert '"12000,00"' in lines[1] and '"En retard"' in lines[1]
        xlsx = client.get(reverse("loans:advance-list"), {"format": "xlsx"})
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    def test_create_from_an_approved_decision_with_bounds_on_the_field(self, world, client):
        fund = fund_of(world.a)
        decision = approved_decision(world.a, D("12000.00"))
        client.force_login(world.animateur_a)
        url = reverse("loans:advance-create", args=[decision.pk])
        page = client.get(url)
        assert page.status_code == 200
        assert page.context["form"].initial["fund"] == fund.pk
        listing = client.get(reverse("loans:advance-list")).content.decode()
        assert url in listing  # offered among the advances to set up
        terms = {
            "fund": fund.pk,
            "grace_months": "6",
            "instalment_count": "36",
            "frequency": "monthly",
        }
        for amount in ("9 999,99", "15 000,01"):
            response = client.post(url, terms | {"amount": amount})
            assert response.status_code == 400
            errors = response.context["form"].errors
            assert list(errors) == ["amount"]
            assert "entre 10 000,00 € et 15 000,00 €" in errors["amount"][0].replace("\u00a0", " ")
            assert 'data-field="amount"' in response.content.decode()
        assert not Advance.unscoped_objects.filter(decision=decision).exists()
        response = client.post(url, terms | {"amount": "12 000,00"})
        advance = Advance.unscoped_objects.get(decision=decision)
        assert response.status_code == 302
        assert response["Location"] == reverse("loans:advance-detail", args=[advance.pk])
        assert (advance.amount, advance.instalment_count, advance.grace_months) == (
            D("12000.00"),
            36,
            6,
        )
        # Once set up, the decision is no longer offered.
        assert client.get(url).status_code == 404

    def test_create_is_404_for_another_dispositif_and_readers(self, world, client):
        fund_of(world.a)
        decision = approved_decision(world.a)
        url = reverse("loans:advance-create", args=[decision.pk])
        for user in (world.animateur_b, world.api_client_user, world.member_a):
            client.force_login(user)
            assert client.get(url).status_code == 404
            assert client.post(url, {"fund": 1, "amount": "12000"}).status_code == 404
        assert not Advance.unscoped_objects.exists()

    def test_contract_disburse_repay_and_the_schedule(self, world, client):
        advance = named_advance(world.a, status="approved")
        client.force_login(world.animateur_a)
        detail = reverse("loans:advance-detail", args=[advance.pk])
        page = client.get(detail).content.decode()
        assert 'data-form="contract"' in page and 'data-form="disburse"' not in page
        response = client.post(
            reverse("loans:advance-contract", args=[advance.pk]),
            {"contract-contracted_on": TODAY.isoformat()},
        )
        assert response.status_code == 302
        disburse = reverse("loans:advance-disburse", args=[advance.pk])
        # Disbursing asks first, saying how much leaves which fund.
        confirm = client.post(disburse, {"disburse-disbursed_on": TODAY.isoformat()})
        assert confirm.status_code == 200 and "quitteront le fonds" in confirm.content.decode()
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.CONTRACTED
        response = client.post(
            disburse, {"disburse-disbursed_on": TODAY.isoformat(), "confirmed": "1"}
        )
        assert response.status_code == 302
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.DISBURSED
        page = client.get(detail)
        assert len(page.context["schedule"]["live"]) == 12
        form = page.context["forms"]["repayment"]
        key = form.initial["idempotency_key"]
        assert key.startswith("web-") and f'value="{key}"' in page.content.decode()
        data = {
            "repayment-received_on": TODAY.isoformat(),
            "repayment-amount": "1 500,00",
            "repayment-idempotency_key": key,
        }
        url = reverse("loans:repayment-record", args=[advance.pk])
        assert client.post(url, data).status_code == 302
        # The same form sent again (a double click, a reload) records nothing more.
        again = client.post(url, data, follow=True)
        assert "déjà enregistré" in again.content.decode()
        assert Repayment.unscoped_objects.filter(advance=advance).count() == 1
        schedule = client.get(detail).context["schedule"]["live"]
        assert [i.paid for i in schedule[:3]] == [D("1000.00"), D("500.00"), D("0.00")]

    def test_disbursement_refused_when_the_fund_is_short(self, world, client):
        fund = make_fund(world.a, name="Petit fonds", contributions=(D("11000.00"),))
        advance = advance_at("contracted", fund)
        client.force_login(world.animateur_a)
        response = client.post(
            reverse("loans:advance-disburse", args=[advance.pk]),
            {"disburse-disbursed_on": TODAY.isoformat(), "confirmed": "1"},
        )
        assert response.status_code == 400
        text = page_text(response)
        assert "11\u00a0000,00\u00a0€" in text  # the message says what is available
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.CONTRACTED
        assert not LedgerLine.unscoped_objects.filter(advance=advance).exists()

    def test_overpayment_is_refused_on_the_amount_field(self, world, client):
        advance = named_advance(world.a)
        client.force_login(world.animateur_a)
        response = client.post(
            reverse("loans:repayment-record", args=[advance.pk]),
            {
                "repayment-received_on": TODAY.isoformat(),
                "repayment-amount": "12 000,01",
                "repayment-idempotency_key": "web-over",
            },
        )
        assert response.status_code == 400
        errors = response.context["forms"]["repayment"].errors
        assert list(errors) == ["amount"] and "capital restant dû" in errors["amount"][0]
        assert not Repayment.unscoped_objects.exists()

    def test_reversal_by_a_counter_entry(self, world, client):
        advance = named_advance(world.a)
        with scope([world.a.pk]):
            repayment, _ = services.repayment_record(
                advance=advance,
                amount=D("2000.00"),
                received_on=TODAY,
                idempotency_key="k-rev",
                by=world.animateur_a,
            )
        client.force_login(world.animateur_a)
        url = reverse("loans:repayment-reverse", args=[advance.pk, repayment.pk])
        prefix = f"reversal-{repayment.pk}"
        short = client.post(url, {f"{prefix}-reason": "erreur", f"{prefix}-reversed_on": TODAY})
        assert short.status_code == 400
        assert not stored(Repayment, pk=repayment.pk, reversal__isnull=False)
        reason = "Chèque revenu impayé de la banque"
        ok = client.post(url, {f"{prefix}-reason": reason, f"{prefix}-reversed_on": TODAY})
        assert ok.status_code == 302
        assert Repayment.unscoped_objects.filter(pk=repayment.pk).exists()  # never deleted
        kinds = set(
            JournalTransaction.unscoped_objects.filter(repayment=repayment).values_list(
                "kind", flat=True
            )
        )
        assert kinds == {"repayment", "reversal"}
        page = page_text(client.get(reverse("loans:advance-detail", args=[advance.pk])))
        assert "data-reversed" in page and reason in page
        # Another dispositif's animateur cannot reverse it.
        client.force_login(world.animateur_b)
        assert client.post(url, {f"{prefix}-reason": reason}).status_code == 404

    def test_reschedule_keeps_the_old_instalments(self, world, client):
        advance = named_advance(world.a)
        client.force_login(world.animateur_a)
        first = (TODAY + dt.timedelta(days=60)).isoformat()
        response = client.post(
            reverse("loans:advance-reschedule", args=[advance.pk]),
            {
                "reschedule-first_due_on": first,
                "reschedule-instalment_count": "24",
                "reschedule-frequency": "monthly",
                "reschedule-reason": "Difficultés de trésorerie passagères",
            },
        )
        assert response.status_code == 302
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.RESCHEDULED
        live = Instalment.unscoped_objects.filter(advance=advance, superseded_at__isnull=True)
        assert live.count() == 24
        assert Instalment.unscoped_objects.filter(advance=advance).count() == 36
        page = client.get(reverse("loans:advance-detail", args=[advance.pk]))
        assert len(page.context["schedule"]["superseded"]) == 12
        assert "data-superseded" in page.content.decode()

    def test_write_off_needs_a_second_person(self, world, client):
        advance = named_advance(world.a)
        client.force_login(world.animateur_a)
        propose = reverse("loans:write-off-propose", args=[advance.pk])
        decide = reverse("loans:write-off-decide", args=[advance.pk])
        assert client.post(propose, {"write_off-reason": "court"}).status_code == 400
        reason = "Liquidation judiciaire prononcée le 3 novembre"
        assert client.post(propose, {"write_off-reason": reason}).status_code == 302
        (write_off,) = WriteOff.unscoped_objects.filter(advance=advance)
        page = client.get(reverse("loans:advance-detail", args=[advance.pk])).content.decode()
        assert "data-maker-checker" in page
        # The proposer cannot approve: a clear refusal, nothing written.
        refused = client.post(decide, {"decision": "approve"})
        assert refused.status_code == 400
        assert "ne peut pas" in page_text(refused)
        assert WriteOff.unscoped_objects.get(pk=write_off.pk).status == WriteOffStatus.PROPOSED
        # The coordinator (another person) approves; the loss reaches the ledger.
        client.force_login(world.coordinator)
        assert client.post(decide, {"decision": "approve"}).status_code == 302
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.WRITTEN_OFF
        assert JournalTransaction.unscoped_objects.filter(write_off=write_off).count() == 1
        fund_page = client.get(reverse("loans:fund-detail", args=[advance.fund_id]))
        assert fund_page.context["balances"].lost == D("12000.00")
        page = client.get(reverse("loans:advance-detail", args=[advance.pk]))
        assert page.context["next_due"] is None
        assert page.content.decode().count('data-state="written-off"') == 12

    def test_home_panel_lists_the_write_offs_someone_else_proposed(self, world, client):
        advance = named_advance(world.a)
        with scope([world.a.pk]):
            services.write_off_propose(
                advance=advance, reason="Cessation d'activité annoncée", by=world.animateur_a
            )
        name = advance.project.company.name
        client.force_login(world.coordinator)
        home = client.get(reverse("home")).content.decode()
        assert 'id="panel-write-offs-to-approve"' in home and name in home
        for user in (world.animateur_a, world.animateur_b, world.api_client_user):
            client.force_login(user)  # the proposer, another dispositif, a reader
            home = client.get(reverse("home")).content.decode()
            assert 'id="panel-write-offs-to-approve"' not in home, user

    def test_write_off_panel_query_count(self, world, client):
        from loans.panels import write_offs_to_approve_panel

        advance = named_advance(world.a)
        with scope([world.a.pk]):
            services.write_off_propose(
                advance=advance, reason="Cessation d'activité annoncée", by=world.coordinator
            )
        request = client.get(reverse("home")).wsgi_request
        request.user = world.animateur_a
        with scope([world.a.pk]), CaptureQueriesContext(connection) as queries:
            panel = write_offs_to_approve_panel(request)
        assert len(panel["rows"]) == 1
        assert_query_count("home panel: write-offs to approve", queries)

    def test_write_off_rejected_by_another_person(self, world, client):
        advance = named_advance(world.a)
        with scope([world.a.pk]):
            services.write_off_propose(
                advance=advance, reason="Cessation d'activité annoncée", by=world.coordinator
            )
        client.force_login(world.animateur_a)
        decide = reverse("loans:write-off-decide", args=[advance.pk])
        assert client.post(decide, {"decision": "reject"}).status_code == 302
        assert WriteOff.unscoped_objects.get(advance=advance).status == WriteOffStatus.REJECTED
        assert not LedgerLine.unscoped_objects.filter(kind="write_off").exists()

    def test_actions_of_another_dispositif_or_readers_are_404_and_change_nothing(
        self, world, client
    ):
        advance = named_advance(world.a, status="approved")
        before = stored(Advance, pk=advance.pk)
        posts = [
            ("loans:advance-contract", {"contract-contracted_on": TODAY.isoformat()}),
            (
                "loans:advance-disburse",
                {"disburse-disbursed_on": TODAY.isoformat(), "confirmed": "1"},
            ),
            (
                "loans:repayment-record",
                {"repayment-amount": "10", "repayment-idempotency_key": "x"},
            ),
            ("loans:advance-reschedule", {"reschedule-instalment_count": "3"}),
            ("loans:write-off-propose", {"write_off-reason": "Une raison suffisante"}),
            ("loans:write-off-decide", {"decision": "approve"}),
        ]
        for user in (world.animateur_b, world.api_client_user, world.member_a, world.expert_a):
            client.force_login(user)
            for name, data in posts:
                response = client.post(reverse(name, args=[advance.pk]), data)
                assert response.status_code == 404, (user, name, response.status_code)
        assert stored(Advance, pk=advance.pk) == before
        assert not WriteOff.unscoped_objects.exists()

    def test_api_client_reads_without_names_or_forms(self, world, client):
        advance = named_advance(world.a)
        with scope([world.a.pk]):
            services.repayment_record(
                advance=advance,
                amount=D("500.00"),
                received_on=TODAY,
                idempotency_key="k-api",
                by=world.animateur_a,
            )
        client.force_login(world.api_client_user)
        page = client.get(reverse("loans:advance-detail", args=[advance.pk])).content.decode()
        assert advance.project.company.name in page
        assert world.animateur_a.full_name not in page
        assert "data-form=" not in page

    def test_detail_query_count_does_not_grow_with_repayments(self, world, client):
        advance = named_advance(world.a)
        keys = itertools.count()

        def repay():
            with scope([world.a.pk]):
                for _ in range(4):
                    services.repayment_record(
                        advance=advance,
                        amount=D("100.00"),
                        received_on=TODAY,
                        idempotency_key=f"k-{next(keys)}",
                        by=world.animateur_a,
                    )

        repay()
        client.force_login(world.animateur_a)
        assert_queries_do_not_grow(
            "loans:advance-detail",
            lambda: client.get(reverse("loans:advance-detail", args=[advance.pk])),
            repay,
        )


# =======================================================================================
# Arrears


class TestArrearsView(WebAnonymousMixin, WebListMixin):
    readers = READERS
    list_url_name = "loans:arrears"

    def make(self, world, dispositif):
        return late_advance(dispositif)

    def label(self, instance):
        return instance.project.company.name

    def test_overdue_advances_and_par30_to_the_cent(self, world, client):
        fund = make_fund(world.a, name="Fonds PAR", contributions=(D("100000.00"),))
        late = late_advance(world.a, days_late=40, amount=D("12000.00"))
        slightly = late_advance(world.a, days_late=10, amount=D("10000.00"))
        current = named_advance(world.a, amount=D("11111.11"))
        with scope([world.a.pk]):
            services.arrears_refresh(dispositif=world.a, today=TODAY)
        assert late.fund_id == slightly.fund_id == current.fund_id == fund.pk
        client.force_login(world.animateur_a)
        response = client.get(reverse("loans:arrears"))
        rows = [row["id"] for row in response.context["rows"]]
        assert rows == [late.pk, slightly.pk]
        overdue = {row["id"]: row["overdue_amount"] for row in response.context["rows"]}
        # Two instalments of the first are past due, one of the second.
        assert overdue == {late.pk: D("2000.00"), slightly.pk: D("833.33")}
        (snapshot,) = response.context["funds"]
        total = D("12000.00") + D("10000.00") + D("11111.11")
        assert (snapshot.outstanding, snapshot.at_risk_30) == (total, D("12000.00"))
        (per_dispositif,) = response.context["dispositifs"]
        assert per_dispositif["par30"] == (D("12000.00") / total).quantize(D("0.0001"))
        text = page_text(response)
        assert 'data-ratio="0.3624"' in text and "36,24\u00a0%" in text

    def test_the_network_total_and_par30_are_as_of_now_not_the_last_run(self, world, client):
        """An advance that fell 40 days late since the daily run (which has not run since)
        is already at risk on the page, in its dispositif's row and the network's total."""
        make_fund(world.a, name="Fonds vivant", contributions=(D("100000.00"),))
        make_fund(world.b, name="Fonds vivant B", contributions=(D("100000.00"),))
        late = named_advance(world.a, disbursed_on=TODAY - dt.timedelta(days=31 + 40))
        named_advance(world.b, amount=D("10000.00"))
        assert not PortfolioSnapshot.unscoped_objects.exists()  # the job never ran
        client.force_login(world.coordinator)
        response = client.get(reverse("loans:arrears"))
        network = response.context["network"]
        total = D("12000.00") + D("10000.00")
        assert (network["outstanding"], network["at_risk_30"]) == (total, D("12000.00"))
        assert network["par30"] == (D("12000.00") / total).quantize(D("0.0001"))
        rows = {row["dispositif"].pk: row for row in response.context["dispositifs"]}
        assert rows[world.a.pk]["par30"] == D("1.0000") and rows[world.b.pk]["par30"] == 0
        assert [row["id"] for row in response.context["rows"]] == [late.pk]
        assert response.context["rows"][0]["days_late"] >= 40
        text = page_text(response)
        assert "data-network-total" in text

    def test_a_repayment_and_its_reversal_count_at_once(self, world, client):
        """Paid up, an advance leaves the page with no daily run; its repayment reversed,
        it is back with its oldest unpaid due date, its overdue sum and outstanding."""
        make_fund(world.a, name="Fonds retour", contributions=(D("100000.00"),))
        late = late_advance(world.a, days_late=40, amount=D("12000.00"))
        client.force_login(world.animateur_a)

        def shown():
            response = client.get(reverse("loans:arrears"))
            (risk,) = response.context["funds"]
            rows = [
                (row["id"], row["days_late"], row["overdue_amount"], row["outstanding"])
                for row in response.context["rows"]
            ]
            return rows, (risk.outstanding, risk.at_risk_30, risk.advances_in_arrears)

        before = shown()
        assert before[1] == (D("12000.00"), D("12000.00"), 1)
        (_pk, days, overdue, _out) = before[0][0]
        assert days >= 40 and overdue == D("2000.00")
        with scope([world.a.pk]):
            repayment, _ = services.repayment_record(
                advance=late,
                amount=D("2000.00"),
                received_on=TODAY,
                idempotency_key="k-catch-up",
                by=world.animateur_a,
            )
        assert shown() == ([], (D("10000.00"), D("0"), 0))
        with scope([world.a.pk]):
            services.repayment_reverse(
                repayment=repayment, reason="Chèque impayé", by=world.animateur_a
            )
        assert shown() == before

    def test_query_count_does_not_grow_with_funds(self, world, client):
        late_advance(world.a)

        def more():
            for dispositif in (world.a, world.b):
                fund = make_fund(dispositif, name=f"Autre fonds {next(_numbers)}")
                advance_at("disbursed", fund, disbursed_on=TODAY - dt.timedelta(days=90))
                with scope([dispositif.pk]):
                    services.arrears_refresh(dispositif=dispositif, today=TODAY)

        client.force_login(world.coordinator)
        response = assert_queries_do_not_grow(
            "loans:arrears (coordinator)", lambda: client.get(reverse("loans:arrears")), more
        )
        assert len(response.context["funds"]) == 3

    def test_home_panel_lists_the_advances_to_chase(self, world, client):
        late = late_advance(world.a)
        named_advance(world.a)
        client.force_login(world.animateur_a)
        page = client.get(reverse("home")).content.decode()
        assert 'id="panel-advances-to-chase"' in page
        assert late.project.company.name in page
        for user in (world.coordinator, world.animateur_b, world.member_a):
            client.force_login(user)
            page = client.get(reverse("home")).content.decode()
            assert late.project.company.name not in page, user

    def test_home_panel_query_count(self, world, client):
        from loans.panels import advances_to_chase_panel

        late_advance(world.a)
        request = client.get(reverse("home")).wsgi_request
        request.user = world.animateur_a
        with scope([world.a.pk]), CaptureQueriesContext(connection) as queries:
            panel = advances_to_chase_panel(request)
        assert len(panel["rows"]) == 1
        assert_query_count("home panel: advances to chase", queries)


# =======================================================================================
# Co-financing and the project page


class TestCofinancingView(WebAnonymousMixin, WebDetailMixin):
    readers = READERS
    detail_url_name = "loans:cofinancing"

    def make(self, world, dispositif):
        advance = named_advance(dispositif)
        return services.cofinancing_create(
            project=advance.project,
            organisation=f"Banque {next(_numbers)}",
            kind="bank_loan",
            amount=D("30000.00"),
            evidence_on=TODAY,
            by=None,
        )

    def detail_args(self, instance):
        return [instance.project_id]

    def test_add_and_leverage(self, world, client):
        advance = named_advance(world.a, amount=D("12000.00"))
        client.force_login(world.animateur_a)
        url = reverse("loans:cofinancing", args=[advance.project_id])
        refused = client.post(
            url, {"organisation": "Crédit Agricole", "kind": "bank_loan", "submission_key": "w"}
        )
        assert refused.status_code == 400
        assert set(refused.context["form"].errors) == {"amount", "evidence_on"}
        data = {
            "organisation": "Crédit Agricole Nord de France",
            "kind": "bank_loan",
            "amount": "30 000,00",
            "evidence_on": TODAY.isoformat(),
            "submission_key": "web-cofinancing-1",
        }
        assert client.post(url, data).status_code == 302
        page = client.get(url)
        assert page.context["leverage"]["ratio"] == D("2.50")
        assert "×\u00a02,50" in page.content.decode()
        project_page = client.get(reverse("pme:project-detail", args=[advance.project_id]))
        text = project_page.content.decode()
        assert 'id="avance"' in text and "×\u00a02,50" in text
        # Another dispositif's animateur and API clients add nothing.
        for user in (world.animateur_b, world.api_client_user):
            client.force_login(user)
            assert client.post(url, data).status_code == 404
        assert Cofinancing.unscoped_objects.count() == 1

    def test_project_panel_offers_to_set_up_a_granted_advance(self, world, client):
        fund_of(world.a)
        decision = approved_decision(world.a)
        project_url = reverse("pme:project-detail", args=[decision.item.project_id])
        client.force_login(world.animateur_a)
        page = client.get(project_url).content.decode()
        assert reverse("loans:advance-create", args=[decision.pk]) in page
        client.force_login(world.member_a)  # reads the project, not advances
        page = client.get(project_url).content.decode()
        assert 'id="avance"' not in page


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_page_answers_in_both_languages(world, client, language):
    advance = late_advance(world.a)
    client.force_login(world.animateur_a)
    client.cookies["django_language"] = language
    urls = [
        reverse("loans:fund-list"),
        reverse("loans:fund-detail", args=[advance.fund_id]),
        reverse("loans:advance-list"),
        reverse("loans:advance-detail", args=[advance.pk]),
        reverse("loans:arrears"),
        reverse("loans:cofinancing", args=[advance.project_id]),
    ]
    for url in urls:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        assert f'<html lang="{language}">' in response.content.decode(), url


def test_dispositif_page_links_to_its_advances(world, client):
    url = reverse("dispositifs:detail", args=[world.a.slug])
    client.force_login(world.animateur_a)
    page = client.get(url).content.decode()
    assert f"/advances/?dispositif={world.a.slug}" in page
    client.force_login(world.member_a)  # reads the dispositif, not its advances
    page = client.get(url).content.decode()
    assert "/advances/" not in page


def test_menu_entries_follow_the_policy(world, client):
    entries = {
        reverse("loans:advance-list"),
        reverse("loans:arrears"),
        reverse("loans:fund-list"),
    }
    for user, shown in (
        (world.animateur_a, True),
        (world.coordinator, True),
        (world.member_a, False),
        (world.correspondent_a, False),
    ):
        client.force_login(user)
        nav = client.get(reverse("home")).content.decode().split('class="mainnav"')[1]
        nav = nav.split("</nav>")[0]
        assert all((f'href="{url}"' in nav) == shown for url in entries), user
