"""The document builders: each lays out one kind of document from the selectors' figures and
renders it with WeasyPrint, in the document's language. A builder only reads; the runner
(``reporting.runner``) stores what it returns. ``progress(percent)`` is committed as the
build goes, so the Documents page can show it."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML

from alize import charts
from alize.exports import XLSX_CONTENT_TYPE, write_xlsx_sheets
from alize.indicators import INDICATORS
from committees.models import AttendanceStatus, Committee
from committees.selectors import committee_scorings
from loans.indicators import FUNDER_DEFINITIONS

from . import selectors
from .models import Document, DocumentFormat, DocumentKind

PDF = "application/pdf"
# The PDFs' style sheet (pages, counters, table of contents), parsed once per process.
PDF_STYLESHEET = settings.BASE_DIR / "templates" / "reporting" / "pdf" / "pdf.css"
_stylesheets: list[CSS] = []


def stylesheets() -> list[CSS]:
    if not _stylesheets:
        _stylesheets.append(CSS(filename=str(PDF_STYLESHEET)))
    return _stylesheets


@dataclass(frozen=True)
class Built:
    content: bytes
    filename: str
    content_type: str = PDF


# Every PDF is tagged for assistive technologies (PDF/UA-1): a structure tree with the
# headings, tables (header cells and their scope) and figures (the charts' SVG <title> as
# their alternative text), the language of <html lang> and the title of <title>, shown as
# the window's title.
PDF_VARIANT = "pdf/ua-1"


def render_pdf(template: str, context: dict) -> bytes:
    """HTML from a template (the active language), then a tagged PDF: the one place where
    documents become PDFs."""
    html = render_to_string(template, {**context, "generated_at": timezone.now()})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        stylesheets=stylesheets(), pdf_variant=PDF_VARIANT
    )


def _committee(document: Document) -> Committee:
    return Committee.objects.select_related("dispositif", "host").get(pk=document.committee_id)


def build_agenda(document: Document, progress: Callable[[int], None]) -> Built:
    """Cover (date, place, host), the ordered dossiers, then one summary page per dossier:
    company, project, needs, financing plan, jobs, partners' tools already activated,
    requested advance, eligibility with any exception."""
    committee = _committee(document)
    dossiers = selectors.committee_dossiers(committee)
    progress(20)
    content = agenda_pdf(document, committee, dossiers, progress)
    progress(95)
    name = _("ordre-du-jour")
    return Built(content, f"{name}-{slugify(committee.dispositif.slug)}-{committee.date}.pdf")


def agenda_pdf(document, committee, dossiers, progress: Callable[[int], None]) -> bytes:
    """The agenda PDF of ``dossiers`` (agenda items as ``committee_dossiers`` loads them)."""
    summaries = []
    for index, item in enumerate(dossiers, start=1):
        company = item.project.company
        summaries.append({"item": item, "eligibility": company.eligibility(committee.date)})
        progress(20 + 60 * index // max(len(dossiers), 1))
    return render_pdf(
        "reporting/pdf/agenda.html",
        {"document": document, "committee": committee, "dossiers": summaries},
    )


def build_minutes(document: Document, progress: Callable[[int], None]) -> Built:
    """The relevé de décisions: who attended, then per dossier the partners' tools and the
    committee's decision (missions, advance, conditions), and the minutes' text."""
    committee = _committee(document)
    attendance = selectors.committee_attendance(committee)
    progress(30)
    dossiers = selectors.committee_dossiers(committee)
    if committee.dispositif.scores_in_minutes:
        scorings = committee_scorings(committee)
        for item in dossiers:
            item.scoring = scorings.get(item.pk)
    progress(60)
    content = render_pdf(
        "reporting/pdf/minutes.html",
        {
            "document": document,
            "committee": committee,
            "present": [a for a in attendance if a.seated],
            "excused": [a for a in attendance if a.status == AttendanceStatus.EXCUSED],
            "absent": [a for a in attendance if a.status == AttendanceStatus.ABSENT],
            "dossiers": dossiers,
            "scores_in_minutes": committee.dispositif.scores_in_minutes,
        },
    )
    progress(95)
    name = _("releve-de-decisions")
    return Built(content, f"{name}-{slugify(committee.dispositif.slug)}-{committee.date}.pdf")


def build_annual_report(document: Document, progress: Callable[[int], None]) -> Built:
    """The annual impact report of a dispositif or of the network: indicators, charts as
    inline SVG, a table of contents and page numbers."""
    figures = selectors.annual_figures(document.year, document.dispositif_id)
    progress(60)
    content = annual_report_pdf(document, figures)
    progress(95)
    subject = document.dispositif.slug if document.dispositif_id else "national"
    return Built(content, f"{_('rapport-annuel')}-{subject}-{document.year}.pdf")


def hours_by_firm(figures: selectors.AnnualFigures) -> list[charts.Bar]:
    """The year's expert-hours per firm (rounded to the hour), for the chart."""
    totals: dict[str, Decimal] = {}
    for row in figures.missions.hours if figures.missions else []:
        totals[row.firm] = totals.get(row.firm, Decimal(0)) + row.hours
    return [charts.Bar(firm, round(hours)) for firm, hours in sorted(totals.items())]


def annual_charts(figures: selectors.AnnualFigures) -> dict[str, charts.Chart]:
    """The annual report's charts, drawn at their size in the PDF."""
    return {
        "funnel_chart": charts.bar_chart(
            figures.funnel, key="funnel", title=_("Le parcours des projets"), style=charts.PDF
        ),
        "sources_chart": charts.bar_chart(
            figures.referral_sources[:12],
            key="sources",
            title=_("Sources des projets"),
            colour="#4d7f3a",
            style=charts.PDF,
        ),
        "hours_chart": charts.bar_chart(
            hours_by_firm(figures),
            key="hours",
            title=_("Heures d'expertise"),
            colour="#8c5a1d",
            style=charts.PDF,
        ),
    }


def annual_report_pdf(document: Document, figures: selectors.AnnualFigures) -> bytes:
    """The annual report PDF of ``figures``, with its charts."""
    context = {
        "document": document,
        "figures": figures,
        "subject": document.dispositif.name if document.dispositif_id else _("Réseau Alizé"),
        **annual_charts(figures),
    }
    return render_pdf("reporting/pdf/annual_report.html", context)


def build_contribution_statement(document: Document, progress: Callable[[int], None]) -> Built:
    """A firm's missions, hours and their value for a year, for its CSR and co-financing
    files, as an attestation: its reference (stable across versions), period, valuation
    basis and signatory (``CONTRIBUTION_STATEMENT_SIGNATORY``)."""
    contribution = selectors.firm_contribution(document.organisation_id, document.year)
    progress(60)
    content = render_pdf(
        "reporting/pdf/contribution_statement.html",
        {
            "document": document,
            "contribution": contribution,
            "signatory": settings.CONTRIBUTION_STATEMENT_SIGNATORY,
        },
    )
    progress(95)
    name = _("attestation-contribution")
    firm = slugify(contribution.firm.slug or contribution.firm.name)
    return Built(content, f"{name}-{firm}-{document.year}.pdf")


MONEY, COUNT, JOBS, HOURS = "money", "count", "jobs", "hours"


def funders_summary(report: selectors.FundersReport) -> list[tuple[str, object, str, str]]:
    """The funders' report's headline figures: (label, value, unit, definition), the same
    rows in the PDF and the XLSX."""
    figures, position, period = report.figures, report.figures.position, report.figures.period
    define = FUNDER_DEFINITIONS
    rows = [
        (_("Apports reçus (à la fin de la période)"), position.contributed, MONEY, "contributed"),
        (_("Apports reçus dans la période"), period.contributed, MONEY, "contributed"),
        (_("Trésorerie non prêtée (à la fin de la période)"), position.available, MONEY, ""),
        (_("Avances financées (cumul à la fin de la période)"), position.lent, MONEY, "financed"),
        (_("Avances financées dans la période"), period.lent, MONEY, "financed"),
        (_("Remboursé sur sa part dans la période"), period.repaid, MONEY, "repaid"),
        (_("Pertes sur sa part dans la période"), period.lost, MONEY, "lost"),
        (_("Remboursé sur sa part (cumul)"), position.repaid, MONEY, "repaid"),
        (_("Pertes sur sa part (cumul)"), position.lost, MONEY, "lost"),
        (_("Encours sur sa part (fin de la période)"), position.outstanding, MONEY, "outstanding"),
        (_("Provision sur sa part (fin de la période)"), position.provision, MONEY, "provision"),
        (_("Encours net de provision (fin de la période)"), position.net, MONEY, "net"),
        (_("Avances financées (nombre)"), len(figures.advances), COUNT, "financed"),
        (_("Projets financés"), len(figures.projects), COUNT, "share"),
        (_("PME financées"), figures.smes, COUNT, "share"),
        (_("Emplois attribués"), figures.jobs_attributed, JOBS, "jobs_attributed"),
        (
            _("Emplois à créer attribués"),
            figures.jobs_to_create_attributed,
            JOBS,
            "jobs_to_create_attributed",
        ),
        (_("Heures d'expertise données à ces projets"), report.total_hours, HOURS, "hours"),
        (_("Valeur des heures d'expertise"), report.total_value, MONEY, "hours_value"),
    ]
    if figures.jobs_to_recreate is not None:
        rows.append(
            (
                _("Emplois à recréer (convention)"),
                figures.jobs_to_recreate,
                JOBS,
                "jobs_to_recreate",
            )
        )
        rows.append((_("Emplois attribués − emplois à recréer"), report.jobs_balance, JOBS, ""))
    definitions = {
        **define,
        "hours": INDICATORS["expert_hours"].definition,
        "hours_value": INDICATORS["expert_hours_value"].definition,
        "": "",
    }
    return [(label, value, unit, str(definitions[key])) for label, value, unit, key in rows]


def _funders_sheets(document: Document, report: selectors.FundersReport) -> list:
    figures = report.figures
    summary = [
        (_("Source de financement"), document.get_source_display(), ""),
        (_("Convention"), document.agreement, ""),
        (
            _("Entreprise assujettie"),
            document.agreement_firm.name if document.agreement else "",
            "",
        ),
        (_("Du"), figures.start, ""),
        (_("Au"), figures.end, ""),
        (_("Périmètre"), document.dispositif.name if document.dispositif_id else _("national"), ""),
        *((label, value, definition) for label, value, _u, definition in funders_summary(report)),
    ]
    contributions = [
        (
            c.dispositif.name,
            c.fund.name,
            c.organisation.name,
            c.agreement,
            c.agreement_firm.name if c.agreement_firm_id else "",
            c.received_on,
            c.amount,
            c.jobs_to_recreate,
        )
        for c in figures.contributions
    ]
    advances = [
        (
            a.dispositif,
            a.company,
            a.project,
            a.disbursed_on,
            a.principal,
            a.financed,
            a.financed_in_period,
            a.repaid,
            a.lost,
            a.outstanding,
            a.provision,
            a.outstanding - a.provision,
        )
        for a in figures.advances
    ]
    projects = [
        (
            row.project.dispositif,
            row.project.company,
            row.project.project,
            row.project.financed,
            row.project.principal,
            row.project.share,
            row.project.jobs_created,
            row.project.jobs_attributed.quantize(Decimal("0.1")),
            row.project.jobs_to_create,
            row.project.jobs_to_create_attributed.quantize(Decimal("0.1")),
            row.hours,
            row.value,
        )
        for row in report.projects
    ]
    return [
        (_("Synthèse"), [_("Indicateur"), _("Valeur"), _("Définition")], summary),
        (
            _("Apports"),
            [
                _("Dispositif"),
                _("Fonds"),
                _("Organisme apporteur"),
                _("Convention"),
                _("Entreprise assujettie"),
                _("Reçu le"),
                _("Montant (€)"),
                _("Emplois à recréer"),
            ],
            contributions,
        ),
        (
            _("Avances"),
            [
                _("Dispositif"),
                _("Entreprise"),
                _("Projet"),
                _("Décaissée le"),
                _("Principal décaissé (€)"),
                _("Financé par la source (€)"),
                _("Dont dans la période (€)"),
                _("Remboursé dans la période (€)"),
                _("Pertes dans la période (€)"),
                _("Encours fin de période (€)"),
                _("Provision fin de période (€)"),
                _("Encours net fin de période (€)"),
            ],
            advances,
        ),
        (
            _("Projets"),
            [
                _("Dispositif"),
                _("Entreprise"),
                _("Projet"),
                _("Financé par la source (€)"),
                _("Principal décaissé (€)"),
                _("Part de la source"),
                _("Emplois créés"),
                _("Emplois attribués"),
                _("Emplois à créer"),
                _("Emplois à créer attribués"),
                _("Heures d'expertise"),
                _("Valeur des heures (€)"),
            ],
            projects,
        ),
    ]


def build_funders_report(document: Document, progress: Callable[[int], None]) -> Built:
    """One funding source's report (PDF or XLSX): its contributions and books, the advances
    its money financed, the projects and SMEs behind them with the jobs attributed to it,
    the expert-hours they were given and, for a revitalisation agreement, the jobs it must
    help re-create. The figures come from the indicators layer (``selectors.funders_report``);
    this only lays them out."""
    report = selectors.funders_report(document)
    progress(60)
    source = slugify(document.source)
    if document.agreement:
        source = f"{source}-{slugify(document.agreement)}"[:80]
    subject = document.dispositif.slug if document.dispositif_id else "national"
    period = document.year or f"{document.period_start}-{document.period_end}"
    name = f"{_('rapport-financeurs')}-{source}-{slugify(subject)}-{period}"
    if document.file_format == DocumentFormat.XLSX:
        buffer = io.BytesIO()
        write_xlsx_sheets(buffer, _funders_sheets(document, report))
        progress(95)
        return Built(buffer.getvalue(), f"{name}.xlsx", XLSX_CONTENT_TYPE)
    content = render_pdf(
        "reporting/pdf/funders_report.html",
        {
            "document": document,
            "report": report,
            "figures": report.figures,
            "summary": funders_summary(report),
            "subject": document.dispositif.name if document.dispositif_id else _("Réseau Alizé"),
        },
    )
    progress(95)
    return Built(content, f"{name}.pdf")


def build_contract(document: Document, progress: Callable[[int], None]) -> Built:
    """The advance's contract, in French: the parties (the fund of the dispositif and the
    SME with its SIRET), the amount at 0 % interest, the grace period and every instalment,
    early repayment without fee, the default clause, then the SEPA mandate form."""
    terms = selectors.contract_terms(document)
    progress(50)
    content = render_pdf("reporting/pdf/contract.html", {"document": document, "terms": terms})
    progress(95)
    return Built(content, f"{_('contrat')}-{terms.advance.reference}.pdf")


def build_amendment(document: Document, progress: Callable[[int], None]) -> Built:
    """The amendment a reschedule brings: why, what remained due and its new schedule."""
    terms = selectors.amendment_terms(document)
    progress(50)
    content = render_pdf("reporting/pdf/amendment.html", {"document": document, "terms": terms})
    progress(95)
    number = (document.schedule_version or 2) - 1
    return Built(content, f"{_('avenant')}-{number}-{terms.advance.reference}.pdf")


BUILDERS: dict[str, Callable[[Document, Callable[[int], None]], Built]] = {
    DocumentKind.AGENDA: build_agenda,
    DocumentKind.MINUTES: build_minutes,
    DocumentKind.ANNUAL_REPORT: build_annual_report,
    DocumentKind.CONTRIBUTION_STATEMENT: build_contribution_statement,
    DocumentKind.FUNDERS_REPORT: build_funders_report,
    DocumentKind.CONTRACT: build_contract,
    DocumentKind.AMENDMENT: build_amendment,
}


def build(document: Document, progress: Callable[[int], None]) -> Built:
    """Run the builder of the document's kind in the document's language."""
    with translation.override(document.language):
        return BUILDERS[document.kind](document, progress)
