"""Bank statements (issue 25, part 2): a CAMT.053 statement imports its lines and proposes
each credit's advance with a confidence; confirming records the repayment once per bank
transaction (the same statement again, or an overlapping one, records nothing new); a
returned direct debit reverses its repayment and the instalment is due again; a CSV reads
through the fund's column mapping; a bad file stores nothing; the queue keeps what is not
matched until it is matched by hand or dismissed. The ledger balances after every step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alize.errors import ApplicationError
from loans import bank_files, services
from loans.models import (
    BankStatement,
    BankStatementLine,
    Confidence,
    DirectDebitLine,
    LineState,
    MatchRule,
    Repayment,
    RepaymentReversal,
)
from loans.services.advances import live_instalments
from tests.loans.builders import TODAY, setup_scope
from tests.loans.statements_builders import (
    BOOKED_ON,
    FUND_IBAN,
    cash_of,
    direct_debit,
    first_instalment,
    fixture_statement,
    ledger_balances,
    named_advance,
    statement_fund,
)

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(fund_a):
    return statement_fund(fund_a)


@pytest.fixture
def advances(fund):
    """Four advances, each matched by one rule of the fixture's first four entries."""
    by_e2e = named_advance(fund, "Ateliers du Morvan")
    by_mandate = named_advance(fund, "Forges de Montbard")
    by_reference = named_advance(fund, "Tricastin Emballages")
    by_name = named_advance(fund, "Menuiserie Bourgeat")
    debit = direct_debit(by_e2e, end_to_end_id="ALZ-E2E-000001", mandate="RUM-MORVAN-1")
    direct_debit(by_mandate, end_to_end_id="ALZ-E2E-000002", mandate="RUM-FORGES-1")
    return {
        "e2e": by_e2e,
        "mandate": by_mandate,
        "reference": by_reference,
        "name": by_name,
        "debit": debit,
    }


def the_fixture(advances) -> bytes:
    return fixture_statement(
        e2e1="ALZ-E2E-000001",
        mandate1="RUM-MORVAN-1",
        name1="ATELIERS DU MORVAN",
        mandate2="RUM-FORGES-1",
        name2="FORGES DE MONTBARD",
        ref3=advances["reference"].reference,
        name4="MENUISERIE BOURGEAT",
    )


def import_file(fund, content, user, source_format="camt053", **kwargs):
    with setup_scope():
        statement, _created = services.statement_import(
            fund=fund, content=content, source_format=source_format, by=user, **kwargs
        )
    return statement


def lines_of(statement):
    with setup_scope():
        return list(
            BankStatementLine.objects.filter(statement=statement)
            .select_related("advance")
            .order_by("position")
        )


def confirm_all(statement, user, *, every=False):
    with setup_scope():
        if not every:
            return services.statement_confirm_high(statement=statement, by=user)
        for line in BankStatementLine.objects.filter(
            statement=statement, state=LineState.SUGGESTED
        ).order_by("direction", "position"):
            services.statement_line_confirm(line=line, by=user)
        return None


def repayments_of(advance):
    with setup_scope():
        return list(Repayment.objects.filter(advance=advance))


def test_the_fixture_is_read_as_the_bank_wrote_it():
    parsed = bank_files.parse_camt053(fixture_statement())
    assert parsed.account_iban == FUND_IBAN
    assert (parsed.period_start, parsed.period_end) == (BOOKED_ON, BOOKED_ON)
    # Seven entries, one pending (not read).
    assert [line.amount for line in parsed.lines] == [D("1000.00")] * 4 + [
        D("250.00"),
        D("-12.50"),
    ]
    first, second, third, *_rest, fees = parsed.lines
    assert first.transaction_id == "BQ-2026-000101"
    assert first.end_to_end_id == "E2E-UNKNOWN" and first.mandate_id == "RUM-UNKNOWN-1"
    assert first.counterparty_account == "FR1420041010050500013M02606"
    assert second.end_to_end_id == ""  # NOTPROVIDED
    assert "AV-999999" in third.remittance_text
    assert fees.direction == "DBIT" and fees.remittance_text == "FRAIS DE TENUE DE COMPTE"


def test_import_proposes_each_credit_by_the_rules_in_order(fund, advances, world):
    statement = import_file(fund, the_fixture(advances), world.animateur_a, file_name="r.xml")
    assert (statement.line_count, statement.new_line_count) == (6, 6)
    assert statement.account_iban == FUND_IBAN and statement.source_format == "camt053"
    lines = lines_of(statement)
    proposals = [(line.state, line.advance_id, line.rule, line.confidence) for line in lines]
    assert proposals == [
        ("suggested", advances["e2e"].pk, MatchRule.END_TO_END, Confidence.HIGH),
        ("suggested", advances["mandate"].pk, MatchRule.MANDATE, Confidence.HIGH),
        ("suggested", advances["reference"].pk, MatchRule.REFERENCE, Confidence.MEDIUM),
        ("suggested", advances["name"].pk, MatchRule.AMOUNT_NAME, Confidence.LOW),
        ("unmatched", None, "", ""),
        ("unmatched", None, "", ""),
    ]
    assert lines[0].direct_debit_line_id == advances["debit"].pk
    assert lines[0].instalment_id == advances["debit"].instalment_id
    # The other proposals show the advance's oldest unpaid instalment.
    assert lines[2].instalment_id == first_instalment(advances["reference"]).pk
    # Nothing is recorded before a confirmation.
    assert not repayments_of(advances["e2e"])


def test_confirming_records_the_repayments_and_a_second_import_records_nothing(
    fund, advances, world
):
    content = the_fixture(advances)
    cash_before = cash_of(fund)
    statement = import_file(fund, content, world.animateur_a)
    outcome = confirm_all(statement, world.animateur_a)
    assert outcome.done == 2 and not outcome.refused  # the two high-confidence lines
    assert ledger_balances()
    confirm_all(statement, world.animateur_a, every=True)  # medium and low, one by one
    assert ledger_balances()
    for key in ("e2e", "mandate", "reference", "name"):
        (repayment,) = repayments_of(advances[key])
        assert repayment.amount == D("1000.00") and repayment.received_on == BOOKED_ON
        assert repayment.idempotency_key.startswith(f"bank:{fund.pk}:BQ-2026-0001")
    assert cash_of(fund) == cash_before + D("4000.00")
    lines = lines_of(statement)
    assert [line.state for line in lines[:4]] == ["recorded"] * 4
    assert all(line.decided_by == world.animateur_a for line in lines[:4])

    again = import_file(fund, content, world.animateur_a)
    assert (again.line_count, again.new_line_count) == (6, 0)
    duplicates = lines_of(again)
    assert {line.state for line in duplicates} == {LineState.DUPLICATE}
    assert [line.duplicate_of_id for line in duplicates] == [line.pk for line in lines]
    assert confirm_all(again, world.animateur_a).done == 0
    assert cash_of(fund) == cash_before + D("4000.00")
    assert ledger_balances()


def test_overlapping_statements_record_each_payment_once(fund, world):
    advance = named_advance(fund, "Chaudronnerie Alésienne")
    day = BOOKED_ON
    pay = bank_files.CamtEntry(
        day, D("1000.00"), reference="TX-1", text=f"Echeance {advance.reference}"
    )
    later = bank_files.CamtEntry(
        day + dt.timedelta(days=3), D("500.00"), reference="TX-2", text=advance.reference
    )
    first = bank_files.camt053_document(account_iban=FUND_IBAN, entries=[pay])
    second = bank_files.camt053_document(account_iban=FUND_IBAN, entries=[pay, later])
    for content in (first, second):
        statement = import_file(fund, content, world.animateur_a)
        confirm_all(statement, world.animateur_a, every=True)
        assert ledger_balances()
    assert sorted(r.amount for r in repayments_of(advance)) == [D("500.00"), D("1000.00")]
    assert [line.state for line in lines_of(statement)] == ["duplicate", "recorded"]


def test_a_returned_debit_reverses_the_payment_and_the_instalment_is_due_again(
    fund, advances, world
):
    statement = import_file(fund, the_fixture(advances), world.animateur_a)
    confirm_all(statement, world.animateur_a)
    (repayment,) = repayments_of(advances["e2e"])
    returned_on = BOOKED_ON + dt.timedelta(days=5)
    back = bank_files.camt053_document(
        account_iban=FUND_IBAN,
        entries=[
            bank_files.CamtEntry(
                returned_on,
                D("1000.00"),
                direction="DBIT",
                reference="BQ-2026-000201",
                end_to_end_id="ALZ-E2E-000001",
                mandate_id="RUM-MORVAN-1",
                name="ATELIERS DU MORVAN",
                return_reason="AM04",
            )
        ],
    )
    returns = import_file(fund, back, world.animateur_a)
    (line,) = lines_of(returns)
    assert (line.state, line.confidence, line.advance_id) == (
        "suggested",
        "high",
        advances["e2e"].pk,
    )
    assert line.return_reason == "AM04"
    assert confirm_all(returns, world.animateur_a).done == 1
    assert ledger_balances()
    with setup_scope():
        reversal = RepaymentReversal.objects.get(repayment=repayment)
        assert "AM04" in reversal.reason and reversal.reversed_on == returned_on
        debit = DirectDebitLine.objects.get(pk=advances["debit"].pk)
        assert debit.returned_at is not None and "AM04" in debit.return_reason
        instalment = live_instalments(advances["e2e"])[0]
        assert instalment.paid == D("0.00") and instalment.due_on < TODAY
        line.refresh_from_db()
        assert line.state == LineState.RETURNED and line.reversal_of == reversal
    # The return imported again does nothing more.
    assert import_file(fund, back, world.animateur_a).new_line_count == 0


def test_a_reversal_indicator_is_a_return_too(fund, world):
    advance = named_advance(fund, "Scierie du Saumurois")
    pay = bank_files.CamtEntry(
        BOOKED_ON, D("1000.00"), reference="P-1", end_to_end_id="E2E-P-1", text=advance.reference
    )
    undo = bank_files.CamtEntry(
        BOOKED_ON + dt.timedelta(days=1),
        D("1000.00"),
        direction="DBIT",
        reference="P-1-R",
        end_to_end_id="E2E-P-1",
        reversal=True,
    )
    statement = import_file(
        fund, bank_files.camt053_document(account_iban=FUND_IBAN, entries=[pay]), world.animateur_a
    )
    confirm_all(statement, world.animateur_a, every=True)
    back = import_file(
        fund, bank_files.camt053_document(account_iban=FUND_IBAN, entries=[undo]), world.animateur_a
    )
    assert confirm_all(back, world.animateur_a).done == 1
    (repayment,) = repayments_of(advance)
    with setup_scope():
        assert RepaymentReversal.objects.filter(repayment=repayment).exists()
    assert ledger_balances()


def test_unmatched_lines_are_matched_by_hand_or_dismissed(fund, advances, world):
    statement = import_file(fund, the_fixture(advances), world.animateur_a)
    *_matched, gift, fees = lines_of(statement)
    with setup_scope(), pytest.raises(ApplicationError) as refused:
        services.statement_line_confirm(line=gift, by=world.animateur_a)
    assert refused.value.field == "advance"
    with setup_scope(), pytest.raises(ApplicationError) as short:
        services.statement_line_dismiss(line=fees, reason="frais", by=world.animateur_a)
    assert short.value.field == "reason"
    with setup_scope():
        services.statement_line_dismiss(
            line=fees, reason="Frais bancaires du compte du fonds", by=world.animateur_a
        )
        recorded = services.statement_line_confirm(
            line=gift, advance=advances["name"], by=world.animateur_a
        )
    assert recorded.state == LineState.RECORDED and recorded.rule == MatchRule.MANUAL
    assert [r.amount for r in repayments_of(advances["name"])] == [D("250.00")]
    with setup_scope():
        fees.refresh_from_db()
        assert fees.state == LineState.DISMISSED and fees.dismissal_reason.startswith("Frais")
        with pytest.raises(ApplicationError):
            services.statement_line_dismiss(
                line=fees, reason="Encore une fois écartée", by=world.animateur_a
            )
    assert ledger_balances()


def test_an_advance_of_another_fund_is_refused(fund, advances, world, fund_b):
    other = named_advance(statement_fund(fund_b), "Hors du fonds")
    statement = import_file(fund, the_fixture(advances), world.animateur_a)
    gift = lines_of(statement)[4]
    with setup_scope(), pytest.raises(ApplicationError):
        services.statement_line_confirm(line=gift, advance=other, by=world.animateur_a)


def test_csv_statements_read_through_the_fund_mapping(fund, world):
    advance = named_advance(fund, "Plasturgie Valenciennoise")
    content = (
        "Date;Libellé;Montant;Tiers;Réf.\n"
        f"{BOOKED_ON:%d/%m/%Y};Remboursement {advance.reference};1 000,00;PLASTURGIE;R-77\n"
        f"{BOOKED_ON:%d/%m/%Y};Frais;-3,20;BANQUE;R-78\n"
    ).encode("cp1252")
    with pytest.raises(ApplicationError) as missing:
        import_file(fund, content, world.animateur_a, source_format="csv")
    assert missing.value.code == "no_mapping"
    with setup_scope():
        services.column_mapping_save(
            fund=fund,
            by=world.animateur_a,
            date_column="Date",
            amount_column="montant",
            text_column="Libellé",
            name_column="Tiers",
            transaction_id_column="Réf.",
            separator=";",
            decimal_comma=True,
            date_format="%d/%m/%Y",
        )
    statement = import_file(fund, content, world.animateur_a, source_format="csv")
    credit, fees = lines_of(statement)
    assert (credit.transaction_id, credit.amount, credit.rule) == (
        "R-77",
        D("1000.00"),
        MatchRule.REFERENCE,
    )
    assert (fees.direction, fees.amount) == ("DBIT", D("-3.20"))
    confirm_all(statement, world.animateur_a, every=True)
    assert [r.idempotency_key for r in repayments_of(advance)] == [f"bank:{fund.pk}:R-77"]
    assert ledger_balances()


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"<Document><oops", "XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document/>',
            "DTD",
        ),
        (
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.008.001.02"/>',
            "CAMT.053",
        ),
        (
            fixture_statement().replace(b'<Amt Ccy="EUR">250.00', b'<Amt Ccy="EUR">2x0'),
            "Entrée 5",
        ),
        (fixture_statement().replace(b'Ccy="EUR">250.00', b'Ccy="USD">250.00'), "USD"),
        (fixture_statement().replace(b"<CdtDbtInd>DBIT", b"<CdtDbtInd>XXXX"), "CdtDbtInd"),
    ],
)
def test_a_bad_file_names_what_is_wrong_and_stores_nothing(fund, world, content, words):
    with pytest.raises(ApplicationError) as refused:
        import_file(fund, content, world.animateur_a)
    assert words in refused.value.message and refused.value.field == "file"
    with setup_scope():
        assert not BankStatement.objects.exists()
        assert not BankStatementLine.objects.exists()


def test_a_statement_of_another_account_is_refused(fund, world):
    content = fixture_statement().replace(FUND_IBAN.encode(), b"FR7610107001011234567890129")
    with pytest.raises(ApplicationError) as refused:
        import_file(fund, content, world.animateur_a)
    assert refused.value.code == "other_account"


def test_a_form_sent_twice_imports_once(fund, world):
    content = fixture_statement()
    first = import_file(fund, content, world.animateur_a, idempotency_key="web-1")
    second = import_file(fund, content, world.animateur_a, idempotency_key="web-1")
    assert first.pk == second.pk
    with setup_scope():
        assert BankStatement.objects.count() == 1


def test_identical_payments_without_bank_id_stay_two(fund, world):
    advance = named_advance(fund, "Fonderie Ardennaise")
    content = (
        "Date;Libellé;Montant\n"
        f"{BOOKED_ON:%d/%m/%Y};{advance.reference};500,00\n"
        f"{BOOKED_ON:%d/%m/%Y};{advance.reference};500,00\n"
    ).encode()
    with setup_scope():
        services.column_mapping_save(
            fund=fund,
            by=None,
            date_column="Date",
            amount_column="Montant",
            text_column="Libellé",
            separator=";",
            decimal_comma=True,
            date_format="%d/%m/%Y",
        )
    statement = import_file(fund, content, world.animateur_a, source_format="csv")
    confirm_all(statement, world.animateur_a, every=True)
    assert len(repayments_of(advance)) == 2
    assert import_file(fund, content, world.animateur_a, source_format="csv").new_line_count == 0


def test_a_credit_returned_in_the_same_statement_records_nothing(fund, world):
    advance = named_advance(fund, "Boulonnerie du Tricastin")
    content = bank_files.camt053_document(
        account_iban=FUND_IBAN,
        entries=[
            bank_files.CamtEntry(
                BOOKED_ON,
                D("1000.00"),
                reference="S-1",
                end_to_end_id="E-S",
                text=advance.reference,
            ),
            bank_files.CamtEntry(
                BOOKED_ON,
                D("-1000.00"),
                direction="DBIT",
                reference="S-2",
                end_to_end_id="E-S",
                return_reason="AC04",
            ),
        ],
    )
    statement = import_file(fund, content, world.animateur_a)
    credit, back = lines_of(statement)
    assert (back.state, back.confidence, back.advance_id) == ("suggested", "high", advance.pk)
    assert confirm_all(statement, world.animateur_a).done == 1
    with setup_scope():
        credit.refresh_from_db()
    assert credit.state == LineState.DISMISSED and "AC04" in credit.dismissal_reason
    assert not repayments_of(advance)
    assert ledger_balances()
