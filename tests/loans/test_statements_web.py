"""The bank statement pages: isolation by role on every route (404 out of scope), the
import form (upload, a bad file refused with nothing stored, the same form sent twice), the
review of a statement (confirm the high-confidence lines, one line by hand with the
advance's reference, dismiss with a reason), the queue and the CSV columns page, and their
query counts flat with rows."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loans import bank_files, services
from loans.models import BankStatement, BankStatementLine, LineState, Repayment
from tests.loans.builders import make_fund, setup_scope
from tests.loans.statements_builders import (
    BOOKED_ON,
    FUND_IBAN,
    fixture_statement,
    ledger_balances,
    named_advance,
    statement_fund,
)
from tests.query_counts import assert_queries_do_not_grow
from tests.view_base import WebAnonymousMixin, WebDetailMixin

D = Decimal
READERS = frozenset({"coordinator", "animateur"})
_numbers = itertools.count(1)
pytestmark = pytest.mark.django_db


def fund_of(dispositif):
    with setup_scope():
        from loans.models import Fund

        fund = Fund.objects.filter(dispositif=dispositif).order_by("pk").first()
    return statement_fund(fund or make_fund(dispositif, name=f"Fonds {dispositif.slug}"))


def statement_in(dispositif, entries=1):
    """A statement of the dispositif's fund with ``entries`` credits nothing matches."""
    number = next(_numbers)
    content = bank_files.camt053_document(
        account_iban=FUND_IBAN,
        entries=[
            bank_files.CamtEntry(
                BOOKED_ON, D("10.00") + index, reference=f"S{number}-{index}", name=f"P{number}"
            )
            for index in range(entries)
        ],
        message_id=f"STMT-{number}",
    )
    with setup_scope():
        statement, _created = services.statement_import(
            fund=fund_of(dispositif),
            content=content,
            source_format="camt053",
            file_name=f"releve-{dispositif.slug}-{number}.xml",
            by=None,
        )
    return statement


class TestStatementViews(WebAnonymousMixin, WebDetailMixin):
    readers = READERS
    detail_url_name = "loans:statement-detail"

    def make(self, world, dispositif):
        return statement_in(dispositif)

    def label(self, instance):
        return instance.file_name

    def anonymous_routes(self, world, instance):
        with setup_scope():
            line = instance.lines.first()
        return [
            *super().anonymous_routes(world, instance),
            ("loans:fund-statements", [instance.fund_id]),
            ("loans:statement-queue", [instance.fund_id]),
            ("loans:statement-columns", [instance.fund_id]),
            ("loans:statement-confirm-high", [instance.pk]),
            ("loans:statement-line-confirm", [line.pk]),
            ("loans:statement-line-dismiss", [line.pk]),
        ]

    @pytest.mark.parametrize(
        "name", ["loans:fund-statements", "loans:statement-queue", "loans:statement-columns"]
    )
    def test_fund_pages_by_role(self, world, client, role, name):
        own, other = statement_in(world.a), statement_in(world.b)
        client.force_login(world.user(role))
        for statement, sees in zip((own, other), _sight(role), strict=True):
            response = client.get(reverse(name, args=[statement.fund_id]))
            assert response.status_code == (200 if sees else 404), (role, name)

    def test_decisions_out_of_scope_answer_404_and_change_nothing(self, world, client):
        other = statement_in(world.b)
        with setup_scope():
            line = other.lines.get()
        client.force_login(world.animateur_a)
        posts = [
            ("loans:statement-confirm-high", other.pk, {}),
            ("loans:statement-line-confirm", line.pk, {}),
            ("loans:statement-line-dismiss", line.pk, {f"line-{line.pk}-reason": "x" * 20}),
            ("loans:fund-statements", other.fund_id, {}),
            ("loans:statement-columns", other.fund_id, {}),
        ]
        for name, pk, data in posts:
            assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
        client.force_login(world.member_a)
        assert client.get(reverse("loans:statement-detail", args=[other.pk])).status_code == 404
        with setup_scope():
            line.refresh_from_db()
            assert line.state == LineState.UNMATCHED

    def test_query_counts_do_not_grow_with_lines(self, world, client):
        client.force_login(world.animateur_a)
        small = statement_in(world.a, entries=2)
        url = reverse("loans:statement-detail", args=[small.pk])
        big = {}

        def fetch():
            return client.get(reverse("loans:statement-detail", args=[big.get("pk", small.pk)]))

        def more():
            big["pk"] = statement_in(world.a, entries=8).pk

        assert url
        assert_queries_do_not_grow("loans:statement-detail", fetch, more)
        queue = reverse("loans:statement-queue", args=[small.fund_id])
        assert_queries_do_not_grow(
            "loans:statement-queue", lambda: client.get(queue), lambda: statement_in(world.a, 6)
        )
        statements = reverse("loans:fund-statements", args=[small.fund_id])
        assert_queries_do_not_grow(
            "loans:fund-statements",
            lambda: client.get(statements),
            lambda: statement_in(world.a),
        )


def _sight(role):
    if role == "animateur_b":
        return False, True
    return role in READERS, role == "coordinator"


def test_import_review_and_decide_in_the_browser(world, client):
    fund = fund_of(world.a)
    advance = named_advance(fund, "Verrerie du Valenciennois")
    other = named_advance(fund, "Cartonnerie Montbardoise")
    client.force_login(world.animateur_a)
    page = client.get(reverse("loans:fund-detail", args=[fund.pk])).content.decode()
    assert reverse("loans:fund-statements", args=[fund.pk]) in page
    form = client.get(reverse("loans:fund-statements", args=[fund.pk])).context["form"]
    key = form.initial["idempotency_key"]
    content = fixture_statement(ref3=advance.reference)

    def upload(data=content):
        return client.post(
            reverse("loans:fund-statements", args=[fund.pk]),
            {
                "source_format": "camt053",
                "file": SimpleUploadedFile("juin.xml", data, "text/xml"),
                "idempotency_key": key,
            },
        )

    bad = upload(b"<Document")
    assert bad.status_code == 400 and "XML" in bad.content.decode()
    with setup_scope():
        assert not BankStatement.objects.exists()
    response = upload()
    assert response.status_code == 302
    with setup_scope():
        statement = BankStatement.objects.get()
        assert upload().status_code == 302 and BankStatement.objects.count() == 1
        lines = list(statement.lines.order_by("position"))
    page = client.get(response["Location"]).content.decode()
    assert advance.reference in page and "Verrerie du Valenciennois" in page

    reference_line, *_others, gift, fees = lines[2:]
    confirm = reverse("loans:statement-line-confirm", args=[reference_line.pk])
    assert client.post(confirm, {}).status_code == 302
    wrong = reverse("loans:statement-line-confirm", args=[gift.pk])
    client.post(wrong, {f"line-{gift.pk}-advance": "AV-999999", "back": "queue"})
    by_hand = client.post(wrong, {f"line-{gift.pk}-advance": other.reference, "back": "queue"})
    assert by_hand["Location"].startswith(reverse("loans:statement-queue", args=[fund.pk]))
    dismiss = reverse("loans:statement-line-dismiss", args=[fees.pk])
    client.post(dismiss, {f"line-{fees.pk}-reason": "Frais de tenue de compte"})
    client.post(reverse("loans:statement-confirm-high", args=[statement.pk]))
    with setup_scope():
        assert [r.amount for r in Repayment.objects.filter(advance=advance)] == [D("1000.00")]
        assert [r.amount for r in Repayment.objects.filter(advance=other)] == [D("250.00")]
        states = dict(BankStatementLine.objects.values_list("pk", "state"))
    assert states[fees.pk] == LineState.DISMISSED and states[gift.pk] == LineState.RECORDED
    queue = client.get(reverse("loans:statement-queue", args=[fund.pk])).content.decode()
    assert "Frais de tenue" not in queue and "PAYEUR UN" in queue
    everything = client.get(
        reverse("loans:statement-queue", args=[fund.pk]), {"state": "dismissed"}
    )
    assert "Frais de tenue" in everything.content.decode()
    assert ledger_balances()


def test_the_csv_columns_page(world, client):
    fund = fund_of(world.a)
    client.force_login(world.animateur_a)
    url = reverse("loans:statement-columns", args=[fund.pk])
    assert client.get(url).status_code == 200
    refused = client.post(url, {"date_column": "Date"})
    assert refused.status_code == 400
    response = client.post(
        url,
        {
            "date_column": "Date opération",
            "amount_column": "Montant",
            "text_column": "Libellé",
            "separator": ";",
            "decimal_comma": "on",
            "date_format": "%d/%m/%Y",
        },
    )
    assert response.status_code == 302
    with setup_scope():
        assert fund.column_mapping.date_column == "Date opération"
    assert 'value="Date opération"' in client.get(url).content.decode()
