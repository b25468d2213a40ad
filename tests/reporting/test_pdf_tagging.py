"""Every kind of generated PDF is a tagged PDF (PDF/UA-1) that says its language and its
title, with real headings, table header cells and charts that carry their text."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from alize.tenancy import scope
from committees import services as committee_services
from loans import services as loan_services
from loans.models import ContributionKind
from reporting import builders, runner, services
from reporting.models import DocumentKind
from tests.clock import TODAY
from tests.loans.builders import advance_at, make_fund
from tests.reporting.conftest import add_missions_and_loans
from tests.reporting.funders import make_funders


@dataclass
class Tagging:
    """What a reader of the PDF's catalogue and structure tree finds."""

    marked: bool
    lang: str
    title: str
    shows_title: bool
    roles: list[str] = field(default_factory=list)
    figure_alts: list[str] = field(default_factory=list)
    cell_headers: list[int] = field(default_factory=list)  # per data cell, its headers


def _resolved(value):
    return value.get_object() if isinstance(value, IndirectObject) else value


def tagging(content: bytes) -> Tagging:
    """The catalogue's /MarkInfo, /Lang and /ViewerPreferences, the info's /Title, and a
    walk of the /StructTreeRoot (the roles met, figures' /Alt, how many header cells each
    data cell names: WeasyPrint links a cell to the headers of its column and, for a
    ``<th scope="row">``, of its row)."""
    reader = PdfReader(io.BytesIO(content))
    root = reader.trailer["/Root"]
    found = Tagging(
        marked=bool(_resolved(root.get("/MarkInfo", {})).get("/Marked", False)),
        lang=str(root.get("/Lang", "")),
        title=str((reader.metadata or {}).get("/Title", "")),
        shows_title=bool(
            _resolved(root.get("/ViewerPreferences", {})).get("/DisplayDocTitle", False)
        ),
    )
    tree = _resolved(root.get("/StructTreeRoot"))
    stack = [tree] if tree is not None else []
    while stack:
        node = _resolved(stack.pop())
        if isinstance(node, ArrayObject):
            stack.extend(node)
            continue
        if not isinstance(node, DictionaryObject):
            continue  # a marked-content id
        role = str(node.get("/S", "")).lstrip("/")
        if role:
            found.roles.append(role)
        if role == "Figure":
            found.figure_alts.append(str(node.get("/Alt", "")))
        if role == "TD":
            attributes = _resolved(node.get("/A", {}))
            found.cell_headers.append(len(_resolved(attributes.get("/Headers", []))))
        if "/K" in node:
            stack.append(node["/K"])
    return found


def build(document) -> bytes:
    with runner.document_scope(document):
        built = builders.build(document, lambda percent: None)
    assert built.content_type == "application/pdf"
    return built.content


def requested(world, sitting, kind: str, language: str):
    """A document of ``kind`` asked for in ``language``, with something in it."""
    if kind in (DocumentKind.AGENDA, DocumentKind.MINUTES):
        with scope([world.a]):
            if kind == DocumentKind.MINUTES:
                committee_services.committee_set_status(committee=sitting.committee, status="held")
            return services.document_request(
                kind=kind, committee=sitting.committee, by=None, language=language
            )
    if kind == DocumentKind.ANNUAL_REPORT:
        add_missions_and_loans(world)
        with scope([world.a]):
            return services.document_request(
                kind=kind, dispositif=world.a, year=2026, by=None, language=language
            )
    if kind == DocumentKind.CONTRIBUTION_STATEMENT:
        add_missions_and_loans(world)
        return services.document_request(
            kind=kind, organisation=world.firm_a, year=2026, by=None, language=language
        )
    if kind in (DocumentKind.CONTRACT, DocumentKind.AMENDMENT):
        return advance_document(world, kind, language)
    make_funders(world)
    with scope(every_dispositif=True, reason="the coordination asks"):
        return services.document_request(
            kind=kind,
            national=True,
            source=ContributionKind.CAISSE_DES_DEPOTS,
            year=2026,
            by=None,
            language=language,
        )


def advance_document(world, kind: str, language: str):
    """An advance's contract (before its signature) or its first amendment."""
    status = "approved" if kind == DocumentKind.CONTRACT else "disbursed"
    advance = advance_at(status, make_fund(world.a))
    with scope([world.a]):
        if kind == DocumentKind.AMENDMENT:
            loan_services.advance_reschedule(
                advance=advance,
                instalment_count=4,
                frequency="quarterly",
                first_due_on=TODAY + dt.timedelta(days=30),
                reason="Rééchelonnement accordé par le comité",
                by=None,
            )
        return services.document_request(
            kind=kind, advance=advance, by=None, language=language, regenerate=True
        )


# Every builder makes a PDF (exports are CSV or XLSX files written elsewhere).
@pytest.mark.parametrize("kind", list(builders.BUILDERS))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_kind_of_pdf_is_tagged_with_its_language_and_title(world, sitting, kind, language):
    document = requested(world, sitting, kind, language)
    found = tagging(build(document))
    assert found.marked, kind
    assert found.lang == language
    assert found.title == document.title and found.title
    assert found.shows_title
    assert "Document" in found.roles and "H1" in found.roles, found.roles
    assert "Table" in found.roles and "TH" in found.roles
    # Every data cell is tied to a header: its column's, or its row's (scope="row").
    assert found.cell_headers and min(found.cell_headers) >= 1, found.cell_headers


def test_the_annual_reports_charts_carry_their_text(world, sitting):
    document = requested(world, sitting, DocumentKind.ANNUAL_REPORT, "en")
    found = tagging(build(document))
    assert len(found.figure_alts) == 3, found.figure_alts
    assert all(alt for alt in found.figure_alts)
    assert {"H1", "H2"} <= set(found.roles)
