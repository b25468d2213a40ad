"""Funders' reports built by a real Celery worker process: the Caisse des dépôts over the
network and a revitalisation agreement in its dispositif, in PDF and XLSX, whose totals
are the ledger's attribution (``loans.ledger.contribution_balances``), read back from the
PDF's text and the workbook's cells (``tests/reporting/funders.py`` has the cases)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import load_workbook

from alize.formats import money
from alize.tenancy import scope
from loans.ledger import advance_balances, balances_by, contribution_balances
from loans.models import ContributionKind
from reporting import services
from reporting.models import DocumentFormat, DocumentKind, DocumentStatus
from tests.celery_worker import real_worker
from tests.reporting.conftest import pdf_text, stored_bytes
from tests.reporting.funders import AGREEMENT, make_funders
from tests.reporting.test_jobs import fresh, wait_for

pytestmark = pytest.mark.celery
D = Decimal
BALANCES = ("contributed", "available", "lent", "repaid", "lost", "outstanding")


def ledger_totals(contribution_ids) -> dict:
    found = contribution_balances(contribution_ids)
    return {name: sum((getattr(b, name) for b in found.values()), D(0)) for name in BALANCES}


def euros(amount) -> str:
    with translation.override("fr"):
        return money(amount).replace("\xa0", " ").replace("\u202f", " ")


def workbook(content: bytes) -> dict:
    """Each sheet's rows (text cells), by sheet title."""
    book = load_workbook(io.BytesIO(content), read_only=True)
    return {
        sheet.title: [[cell or "" for cell in row] for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }


def summary_of(sheets) -> dict:
    return {row[0]: row[1] for row in sheets["Synthèse"][1:]}


def column(sheet, header: str) -> list[str]:
    index = sheet[0].index(header)
    return [row[index] for row in sheet[1:]]


def build_all(tmp_path, requests) -> list:
    """Ask for each document (kwargs of ``document_request``) and let a real worker build
    them; returns the built documents."""
    log = tmp_path / "worker.log"
    with real_worker(log):
        documents = []
        for request in requests:
            with scope(every_dispositif=True, reason="the coordination asks"):
                documents.append(services.document_request(by=None, **request))
        built = [
            wait_for(lambda d=d: fresh(d).finished and fresh(d), what=d.title) for d in documents
        ]
    for document in built:
        assert document.status == DocumentStatus.DONE, (document.error, log.read_text())
    return built


def test_the_caisse_des_depots_report_of_the_network(world, transactional_db, tmp_path):
    funders = make_funders(world)
    request = {
        "kind": DocumentKind.FUNDERS_REPORT,
        "national": True,
        "source": ContributionKind.CAISSE_DES_DEPOTS,
        "year": 2026,
    }
    pdf, xlsx = build_all(tmp_path, [request, {**request, "file_format": DocumentFormat.XLSX}])
    ids = [funders.cdc_a.pk, funders.cdc_b.pk]
    with scope(every_dispositif=True, reason="test"):
        ledger = ledger_totals(ids)
        per_advance = balances_by("advance", contribution__in=ids)
    assert (ledger["lent"], ledger["repaid"], ledger["outstanding"]) == (
        D("30000"),
        D("1600"),
        D("28400"),
    )

    assert (pdf.content_type, pdf.filename) == (
        "application/pdf",
        "rapport-financeurs-caisse_des_depots-national-2026.pdf",
    )
    text = pdf_text(stored_bytes(pdf))
    assert "Rapport aux financeurs" in text and "Caisse des dépôts" in text
    assert world.a.name in text and world.b.name in text
    assert f"Apports reçus (à la fin de la période) {euros(ledger['contributed'])}" in text
    assert f"Avances financées (cumul à la fin de la période) {euros(ledger['lent'])}" in text
    assert f"Remboursé sur sa part (cumul) {euros(ledger['repaid'])}" in text
    assert f"Pertes sur sa part (cumul) {euros(ledger['lost'])}" in text
    assert f"Encours sur sa part (fin de la période) {euros(ledger['outstanding'])}" in text
    assert "Avances financées (nombre) 3" in text and "PME financées 3" in text
    assert "Emplois attribués 9,7" in text and "Emplois à créer attribués 9,5" in text
    assert "Heures d'expertise données à ces projets 7,5" in text
    assert "Valeur des heures d'expertise 600,00 €" in text
    assert "Emplois à recréer" not in text

    assert xlsx.content_type.startswith("application/vnd.openxmlformats")
    assert xlsx.filename.endswith(".xlsx")
    sheets = workbook(stored_bytes(xlsx))
    summary = summary_of(sheets)
    assert summary["Source de financement"] == "Caisse des dépôts"
    for label, name in (
        ("Apports reçus (à la fin de la période)", "contributed"),
        ("Trésorerie non prêtée (à la fin de la période)", "available"),
        ("Avances financées (cumul à la fin de la période)", "lent"),
        ("Remboursé sur sa part (cumul)", "repaid"),
        ("Pertes sur sa part (cumul)", "lost"),
        ("Encours sur sa part (fin de la période)", "outstanding"),
    ):
        assert D(summary[label]) == ledger[name], label
    assert D(summary["Emplois attribués"]) == D("9.7")
    assert D(summary["Valeur des heures d'expertise"]) == D("600.00")
    # The advances' rows add up to the totals, each the ledger's share of that advance.
    advances = sheets["Avances"]
    financed = [D(v) for v in column(advances, "Financé par la source (€)")]
    outstanding = [D(v) for v in column(advances, "Encours fin de période (€)")]
    assert sum(financed) == ledger["lent"] and sum(outstanding) == ledger["outstanding"]
    assert sorted(financed) == sorted(b.lent for k, b in per_advance.items() if k)
    assert sum(D(v) for v in column(sheets["Apports"], "Montant (€)")) == D("30000")
    projects = sheets["Projets"]
    assert sum(D(v) for v in column(projects, "Emplois attribués")) == D("9.7")


def test_a_revitalisation_agreement_report_of_one_dispositif(world, transactional_db, tmp_path):
    funders = make_funders(world)
    request = {
        "kind": DocumentKind.FUNDERS_REPORT,
        "dispositif": world.a,
        "source": ContributionKind.REVITALISATION,
        "agreement": AGREEMENT,
        "agreement_firm": funders.agreement_firm,
        "year": 2026,
    }
    pdf, xlsx = build_all(tmp_path, [request, {**request, "file_format": DocumentFormat.XLSX}])
    with scope([world.a.pk]):
        ledger = ledger_totals([c.pk for c in funders.usine_nord])
        a3 = advance_balances([funders.advances["a3"].pk])[funders.advances["a3"].pk]
    assert (ledger["lent"], ledger["lost"], ledger["outstanding"]) == (
        D("19000"),
        D("12000"),
        D("5600"),
    )
    assert a3.lost == D("12000")

    text = pdf_text(stored_bytes(pdf))
    assert "Usine Nord 2025" in text and "Papeteries du Nord" in text
    assert world.b.name not in text
    assert f"Avances financées (cumul à la fin de la période) {euros(ledger['lent'])}" in text
    assert f"Pertes sur sa part dans la période {euros(ledger['lost'])}" in text
    assert f"Remboursé sur sa part dans la période {euros(ledger['repaid'])}" in text
    assert f"Encours sur sa part (fin de la période) {euros(ledger['outstanding'])}" in text
    assert "Emplois à recréer (convention) 12" in text
    assert "Emplois attribués 7,8" in text
    assert "Emplois attribués − emplois à recréer -4,2" in text
    sentence = "doit contribuer à recréer 12 emplois ; 7,8 emplois créés lui sont attribués"
    assert sentence in " ".join(text.split())

    summary = summary_of(workbook(stored_bytes(xlsx)))
    assert summary["Convention"] == AGREEMENT
    assert summary["Entreprise assujettie"] == "Papeteries du Nord"
    for label, name in (
        ("Avances financées (cumul à la fin de la période)", "lent"),
        ("Pertes sur sa part (cumul)", "lost"),
        ("Remboursé sur sa part (cumul)", "repaid"),
        ("Encours sur sa part (fin de la période)", "outstanding"),
    ):
        assert D(summary[label]) == ledger[name], label
    assert int(summary["Emplois à recréer (convention)"]) == 12
    assert D(summary["Emplois attribués"]) == D("7.8")
