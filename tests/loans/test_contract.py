"""The advance's contract: a French PDF built by the documents' job base (its text holds
the amount, 0 %, every instalment date and the SEPA mandate's reference), the checksum the
advance keeps when it is contracted, and the amendment a reschedule produces."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from alize.errors import ApplicationError
from alize.tenancy import scope
from loans import services
from loans.models import Advance, Instalment
from reporting import runner
from reporting import services as documents
from reporting.models import Document, DocumentKind, DocumentStatus
from tests.loans.builders import TODAY, advance_at, make_fund, setup_scope
from tests.reporting.conftest import pdf_text, stored_bytes

D = Decimal
IBAN = "FR7630006000011234567890189"


def contract_ready_advance(dispositif, **kwargs):
    """An approved advance of a fund with a collection account, with a mandate in force."""
    fund = make_fund(dispositif)
    with setup_scope():
        services.fund_set_collection_account(
            fund=fund, creditor_identifier="FR72ZZZ123456", iban=IBAN, bic="BNPAFRPP"
        )
    advance = advance_at("approved", fund, **kwargs)
    with setup_scope():
        services.mandate_create(
            advance=advance,
            debtor_name="Atelier Dupont SARL",
            iban=IBAN,
            bic="BNPAFRPP",
            signed_on=TODAY,
            by=None,
        )
    return advance


def built(document: Document) -> Document:
    """The document built and stored as the documents' worker does it."""
    with runner.document_scope(document):
        done = runner.run_document(document.pk)
    assert done.status == DocumentStatus.DONE, done.error
    return done


def request(kind, advance, **kwargs):
    with scope([advance.dispositif_id]):
        fresh = Advance.objects.get(pk=advance.pk)
        return documents.document_request(kind=kind, advance=fresh, by=None, **kwargs)


def test_contract_pdf_states_the_terms_every_date_and_the_mandate(world):
    advance = contract_ready_advance(world.a, amount=D("12500.00"), grace_months=6)
    contract = built(request(DocumentKind.CONTRACT, advance, language="fr"))
    text = pdf_text(stored_bytes(contract))
    assert "Contrat d'avance remboursable" in text
    assert advance.reference in text
    assert "12 500,00" in text
    assert "0 %" in text
    assert f"ALZ-{advance.pk}-1" in text
    assert "FR72ZZZ123456" in text and IBAN in text and "BNPAFRPP" in text
    assert "sans frais ni pénalité" in text and "Défaut de paiement" in text
    with setup_scope():
        company = Advance.objects.get(pk=advance.pk).project.company
        planned = services.first_schedule(Advance.objects.get(pk=advance.pk), TODAY)
    assert company.name in text
    if company.siret:
        assert company.siret in text
    assert len(planned) == 12
    for due_on, amount in planned:
        assert due_on.strftime("%d/%m/%Y") in text
    assert planned[0][0] == dt.date(2027, 1, 10)  # six months' grace, then monthly
    assert contract.checksum == hashlib.sha256(stored_bytes(contract)).hexdigest()


def test_contracting_keeps_the_signed_pdfs_checksum(world):
    advance = contract_ready_advance(world.a)
    contract = built(request(DocumentKind.CONTRACT, advance))
    with setup_scope():
        services.advance_contract(advance=advance, contracted_on=TODAY, by=None)
        signed = Advance.objects.get(pk=advance.pk)
    assert signed.contracted_on == TODAY
    assert signed.contract_checksum == contract.checksum
    # Once signed, the contract is not produced again: the signed one stays.
    with pytest.raises(ApplicationError):
        request(DocumentKind.CONTRACT, signed, regenerate=True)


def test_contracting_without_a_pdf_keeps_no_checksum(world):
    advance = advance_at("contracted", make_fund(world.a))
    with setup_scope():
        assert Advance.objects.get(pk=advance.pk).contract_checksum == ""


def test_disbursed_advance_contract_lists_its_written_schedule(world):
    advance = contract_ready_advance(world.a)
    contract = request(DocumentKind.CONTRACT, advance)
    with setup_scope():
        services.advance_contract(advance=advance, contracted_on=TODAY, by=None)
        services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        dates = list(Instalment.objects.filter(advance=advance).values_list("due_on", flat=True))
    text = pdf_text(stored_bytes(built(contract)))
    assert all(day.strftime("%d/%m/%Y") in text for day in dates)


def test_reschedule_produces_the_amendment(world):
    advance = contract_ready_advance(world.a)
    with setup_scope():
        services.advance_contract(advance=advance, contracted_on=TODAY, by=None)
        services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        services.advance_reschedule(
            advance=advance,
            instalment_count=6,
            frequency="monthly",
            first_due_on=TODAY + dt.timedelta(days=60),
            reason="Perte d'un client important, trésorerie tendue",
            by=None,
        )
        amendment = Document.objects.get(kind=DocumentKind.AMENDMENT, advance=advance)
        new_dates = list(
            Instalment.objects.filter(advance=advance, schedule_version=2).values_list(
                "due_on", flat=True
            )
        )
    assert amendment.schedule_version == 2
    text = pdf_text(stored_bytes(built(amendment)))
    assert "Avenant n° 1" in text and advance.reference in text
    assert "Perte d'un client important" in " ".join(text.split())
    assert "12 000,00" in text and "0 %" in text
    assert f"ALZ-{advance.pk}-1" in text
    assert len(new_dates) == 6
    assert all(day.strftime("%d/%m/%Y") in text for day in new_dates)


def test_the_advance_page_offers_the_contract_to_its_managers(world, client):
    advance = contract_ready_advance(world.a)
    url = reverse("reporting:advance-contract", args=[advance.pk])
    page = reverse("loans:advance-detail", args=[advance.pk])
    client.force_login(world.animateur_a)
    assert url in client.get(page).content.decode()
    response = client.post(url)
    assert response.status_code == 302
    with setup_scope():
        contract = Document.objects.get(kind=DocumentKind.CONTRACT, advance=advance)
    assert response["Location"] == reverse("reporting:detail", args=[contract.pk])
    assert escape(contract.title) in client.get(page).content.decode()
    for role in ("animateur_b", "member", "api_client", "no_role"):
        client.force_login(world.user(role))
        assert client.post(url).status_code == 404, role
    client.logout()
    anonymous = client.post(url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]
    assert Document.objects.filter(kind=DocumentKind.CONTRACT).count() == 1
