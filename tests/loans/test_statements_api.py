"""The bank statement API: isolation of statements, lines and CSV columns by role, the
import by upload (the same file again records nothing new; a fund out of scope is a 400),
confirm and dismiss of lines, confirm-all, and flat query counts."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loans import bank_files, services
from loans.models import (
    BankStatement,
    BankStatementLine,
    Repayment,
    StatementColumnMapping,
)
from tests.api_base import AnonymousMixin, APIReadTestBase, ListMixin, RetrieveMixin
from tests.conftest import api_client_for
from tests.loans.builders import setup_scope
from tests.loans.statements_builders import (
    BOOKED_ON,
    FUND_IBAN,
    fixture_statement,
    ledger_balances,
    named_advance,
)
from tests.loans.test_statements_web import fund_of, statement_in

D = Decimal
RECORDERS = frozenset({"coordinator", "animateur"})
_numbers = itertools.count(1)
pytestmark = pytest.mark.django_db


class TestBankStatementAPI(APIReadTestBase):
    basename = "bank-statement"
    model = BankStatement
    readers = RECORDERS

    def make(self, world, dispositif):
        return statement_in(dispositif)

    def test_import_then_again_records_nothing_new(self, world):
        fund = fund_of(world.a)
        advance = named_advance(fund, "Imprimerie du Lot")
        api = api_client_for(world.animateur_a)
        content = fixture_statement(ref3=advance.reference)

        def upload(fund_pk=fund.pk, **headers):
            return api.post(
                reverse("api:bank-statement-list"),
                {
                    "fund": fund_pk,
                    "source_format": "camt053",
                    "file": SimpleUploadedFile("r.xml", content, "text/xml"),
                },
                format="multipart",
                **headers,
            )

        first = upload()
        assert first.status_code == 201 and first.json()["new_line_count"] == 6
        confirm = api.post(reverse("api:bank-statement-confirm-high", args=[first.json()["id"]]))
        assert confirm.status_code == 400 and confirm.json()["code"] == "nothing_to_confirm"
        with setup_scope():
            line = BankStatementLine.objects.get(statement_id=first.json()["id"], position=3)
        answer = api.post(reverse("api:bank-statement-line-confirm", args=[line.pk]), {})
        assert answer.status_code == 200 and answer.json()["state"] == "recorded"
        assert answer.json()["advance_reference"] == advance.reference
        second = upload()
        assert second.status_code == 201 and second.json()["new_line_count"] == 0
        keyed = upload(HTTP_IDEMPOTENCY_KEY="k-1")
        assert upload(HTTP_IDEMPOTENCY_KEY="k-1").json()["id"] == keyed.json()["id"]
        with setup_scope():
            assert Repayment.objects.filter(advance=advance).count() == 1
        assert ledger_balances()
        other = upload(fund_pk=fund_of(world.b).pk)
        assert other.status_code == 400 and other.json()["fields"].get("fund")
        bad = api.post(
            reverse("api:bank-statement-list"),
            {
                "fund": fund.pk,
                "source_format": "camt053",
                "file": SimpleUploadedFile("r.xml", b"<nope", "text/xml"),
            },
            format="multipart",
        )
        assert bad.status_code == 400 and "XML" in bad.json()["message"]
        refused = api_client_for(world.member_a).post(
            reverse("api:bank-statement-list"), {"fund": fund.pk}, format="multipart"
        )
        assert refused.status_code in (403, 404)


class TestBankStatementLineAPI(AnonymousMixin, ListMixin, RetrieveMixin):
    basename = "bank-statement-line"
    model = BankStatementLine
    readers = RECORDERS

    def make(self, world, dispositif):
        with setup_scope():
            return statement_in(dispositif).lines.get()

    def test_confirm_by_hand_and_dismiss(self, world):
        fund = fund_of(world.a)
        advance = named_advance(fund, "Tuilerie de Saumur")
        content = bank_files.camt053_document(
            account_iban=FUND_IBAN,
            entries=[
                bank_files.CamtEntry(BOOKED_ON, D("300.00"), reference="API-1", name="X"),
                bank_files.CamtEntry(BOOKED_ON, D("-5.00"), "DBIT", reference="API-2"),
            ],
        )
        with setup_scope():
            statement, _created = services.statement_import(
                fund=fund, content=content, source_format="camt053", by=None
            )
            credit, fee = statement.lines.order_by("position")
        api = api_client_for(world.animateur_a)
        other = named_advance(fund_of(world.b), "Ailleurs")
        url = reverse("api:bank-statement-line-confirm", args=[credit.pk])
        assert api.post(url, {"advance": other.pk}, format="json").status_code == 400
        done = api.post(url, {"advance": advance.pk}, format="json")
        assert done.status_code == 200 and done.json()["rule"] == "manual"
        dismiss = reverse("api:bank-statement-line-dismiss", args=[fee.pk])
        assert api.post(dismiss, {"reason": "court"}, format="json").status_code == 400
        dismissed = api.post(dismiss, {"reason": "Frais bancaires du mois"}, format="json")
        assert dismissed.json()["state"] == "dismissed"
        queue = api.get(reverse("api:bank-statement-line-list"), {"state": ["unmatched"]})
        assert fee.pk not in {row["id"] for row in queue.json()["results"]}
        with setup_scope():
            (b_line,) = statement_in(world.b).lines.all()
        assert (
            api.post(
                reverse("api:bank-statement-line-dismiss", args=[b_line.pk]),
                {"reason": "Pas dans mon dispositif"},
                format="json",
            ).status_code
            == 404
        )


class TestStatementColumnsAPI(AnonymousMixin, ListMixin, RetrieveMixin):
    basename = "bank-statement-columns"
    model = StatementColumnMapping
    readers = RECORDERS

    def make(self, world, dispositif):
        from tests.loans.builders import make_fund

        fund = make_fund(dispositif, name=f"Fonds CSV {next(_numbers)}")
        with setup_scope():
            return services.column_mapping_save(
                fund=fund,
                by=None,
                date_column="Date",
                amount_column="Montant",
                text_column="Libellé",
                separator=";",
                decimal_comma=True,
                date_format="%d/%m/%Y",
            )

    def test_create_replaces_the_fund_columns(self, world):
        fund = fund_of(world.a)
        api = api_client_for(world.animateur_a)
        payload = {
            "fund": fund.pk,
            "date_column": "Date",
            "amount_column": "Montant",
            "text_column": "Libellé",
            "separator": ";",
            "decimal_comma": True,
            "date_format": "%d/%m/%Y",
        }
        assert (
            api.post(reverse("api:bank-statement-columns-list"), payload, format="json").status_code
            == 201
        )
        payload["text_column"] = "Motif"
        assert (
            api.post(reverse("api:bank-statement-columns-list"), payload, format="json").status_code
            == 201
        )
        with setup_scope():
            assert StatementColumnMapping.objects.get(fund=fund).text_column == "Motif"
        payload["fund"] = fund_of(world.b).pk
        assert (
            api.post(reverse("api:bank-statement-columns-list"), payload, format="json").status_code
            == 400
        )
