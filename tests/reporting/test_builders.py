"""The PDF builders, synchronously: what each document says, in French and in English."""

import datetime as dt
import re

import pytest

from alize.tenancy import scope
from committees import services as committee_services
from dispositifs.models import Membership
from loans import services as loan_services
from pme.models import JobsFollowUp
from reporting import builders, runner, services
from reporting.models import DocumentKind
from tests.clock import TODAY
from tests.factories import DispositifFactory
from tests.reporting.conftest import add_missions_and_loans, make_sitting, pdf_text


def built_text(document) -> tuple[str, list[int]]:
    steps = []
    with runner.document_scope(document):
        built = builders.build(document, steps.append)
    assert built.content.startswith(b"%PDF") and built.content_type == "application/pdf"
    return pdf_text(built.content), steps


@pytest.mark.parametrize("language", ["fr", "en"])
def test_agenda_has_a_cover_and_a_page_per_dossier(world, sitting, language):
    with scope([world.a]):
        document = services.document_request(
            kind=DocumentKind.AGENDA, committee=sitting.committee, by=None, language=language
        )
    text, steps = built_text(document)
    assert world.a.name in text
    assert "Fonderie Lenoir" in text and "Atelier Vasseur" in text
    assert "Subvention régionale" in text and sitting.region.name in text
    assert "Prêt bancaire 1" in text
    if language == "fr":
        assert "Ordre du jour" in text and "15 000,00" in text and "Éligibilité" in text
    else:
        assert "Agenda" in text and "€15,000.00" in text and "Eligibility" in text
    assert steps == sorted(steps) and steps[-1] == 95
    assert "3 / 3" in text  # a cover, then one page per dossier, numbered


def test_minutes_say_who_attended_and_what_was_decided(world, sitting):
    with scope([world.a]):
        committee_services.committee_set_status(committee=sitting.committee, status="held")
        document = services.document_request(
            kind=DocumentKind.MINUTES, committee=sitting.committee, by=None
        )
    text, _steps = built_text(document)
    assert "Relevé de décisions" in text
    assert "Mme Delattre" in text
    assert "Accepté" in text and "12 000,00" in text and "15 000,00" in text


def test_annual_report_counts_the_year(world, sitting):
    project = sitting.items[0].project
    with scope([world.a]):
        JobsFollowUp.objects.create(
            dispositif=world.a,
            project=project,
            year=1,
            as_of=dt.date(2026, 1, 2),
            headcount=30,
            jobs_created=7,
            jobs_maintained=20,
            source="company",
        )
        document = services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2026, by=None
        )
    text, _steps = built_text(document)
    assert world.a.name in text
    assert "Rapport annuel d'impact 2026" in text
    # The figures are the indicators layer's: two projects approved and nothing else in A;
    # the decisions granted 12 000 and 15 000, but an advance is granted once it is set up
    # (the advances' indicator counts advances, not amounts voted); jobs created stand at 7
    # at the year's end (the project's latest follow-up).
    assert "Projets accordés 2\n" in text and "Emplois à créer 8\n" in text
    assert "Montant des avances accordées 0,00 € (0)" in text
    assert "Emplois créés 7\n" in text
    # A table of contents with page numbers, and page counters in the footer.
    assert re.search(r"L'année en chiffres \.+ 2\n", text)
    assert re.search(r"Sources des projets \.+ 5\n", text)
    assert re.search(r"Avances remboursables \.+ 7\n", text)
    assert "2 / 7" in text and "7 / 7" in text
    assert "<svg" not in text and "Accepté\n2" in text  # the funnel chart's bars


def test_national_report_reads_every_dispositif(world, sitting):
    other = DispositifFactory(name="Alizé Saumur test", slug="saumur-test")
    make_sitting(other, companies=("Menuiserie Boré",))
    document = services.document_request(
        kind=DocumentKind.ANNUAL_REPORT, national=True, year=2026, by=None
    )
    text, _steps = built_text(document)
    assert "Réseau Alizé" in text
    assert "Projets accordés 3\n" in text  # two in A, one in Saumur
    # The per-dispositif table: the headline indicators of each dispositif.
    assert re.search(r"Alizé\s+Saumur test\s+1 1 4 0 —", text)
    assert re.search(r"Alizé\s+Valenciennes\s+test\s+2 2 8 0 —", text)


def test_annual_report_counts_expert_hours_and_advances(world, sitting):
    add_missions_and_loans(world)
    with scope([world.a]):
        loan_services.arrears_refresh(dispositif=world.a, today=TODAY)
        document = services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2026, by=None
        )
    text, _steps = built_text(document)
    # The indicators' precision: expert-hours to one decimal.
    assert "Heures d'expertise 7,5\nValeur des heures d'expertise 600,00 €" in text
    assert "Grande entreprise test Qualité rapport 7,50 600,00 €" in text
    assert "Grande entreprise test 40 200 7,50 non" in text  # asked, pledged, given
    assert "Avances décaissées dans l'année 12 000,00 € (1)" in text
    assert "Encours en fin d'année 12 000,00 €" in text
    # PAR30 as of the last arrears run (today's).
    assert "Portefeuille à risque (PAR30) 0,0 % (0,00 €)" in text
    assert "Utilisation des fonds 12,0 %" in text  # 12 000 out of 100 000


def test_contribution_statement_gives_the_firms_missions_hours_and_value(world, sitting):
    add_missions_and_loans(world)
    document = services.document_request(
        kind=DocumentKind.CONTRIBUTION_STATEMENT, organisation=world.firm_a, year=2026, by=None
    )
    assert (document.scope, document.dispositif_id) == ("firm", None)
    text, _steps = built_text(document)
    assert "Attestation de contribution 2026" in text and world.firm_a.name in text
    assert "7,50 heures" in text and "600,00 €" in text
    assert f"{world.a.name} " in text and "Qualité rapport" in text


def test_the_contribution_statement_reads_as_an_attestation(world, sitting, settings):
    """Its valuation basis, its period, its signatory and a reference number that stays
    the same from one version of the statement to the next."""
    settings.CONTRIBUTION_STATEMENT_SIGNATORY = "Claire Martin, déléguée générale"
    add_missions_and_loans(world)
    document = services.document_request(
        kind=DocumentKind.CONTRIBUTION_STATEMENT, organisation=world.firm_a, year=2025, by=None
    )
    text = re.sub(r"\s+", " ", built_text(document)[0])
    reference = f"AC-2025-{world.firm_a.pk:05d}"
    assert f"Référence : {reference}" in text
    assert re.search(r"Période : du 1(er)? janvier 2025 au 31 décembre 2025", text), text
    assert "Base de valorisation : taux horaire national de 80,00 € par heure d'expert" in text
    assert "Claire Martin, déléguée générale" in text
    assert "Fait le " in text
    type(document).objects.filter(pk=document.pk).update(status="failed")  # its build is over
    again = services.document_request(
        kind=DocumentKind.CONTRIBUTION_STATEMENT,
        organisation=world.firm_a,
        year=2025,
        by=None,
        regenerate=True,
    )
    assert again.pk != document.pk
    assert f"Référence : {reference}" in re.sub(r"\s+", " ", built_text(again)[0])


@pytest.mark.parametrize(("language", "grouped"), [("fr", "3 000"), ("en", "3,000")])
def test_hour_counts_in_the_pdfs_group_their_thousands(world, sitting, language, grouped):
    """Hours read like the amounts beside them: « 3 000 », not « 3000 »."""
    add_missions_and_loans(world)
    with scope([world.a]):
        Membership.objects.filter(organisation=world.firm_a).update(pledged_hours_per_year=3000)
    document = services.document_request(
        kind=DocumentKind.CONTRIBUTION_STATEMENT,
        organisation=world.firm_a,
        year=2026,
        by=None,
        language=language,
    )
    text, _steps = built_text(document)
    assert grouped in text and "3000" not in text
    with scope([world.a]):
        report = services.document_request(
            kind=DocumentKind.ANNUAL_REPORT,
            dispositif=world.a,
            year=2026,
            by=None,
            language=language,
        )
    text, _steps = built_text(report)
    assert f"40 {grouped} 7" in text.replace("7.5", "7,5") and "3000" not in text


@pytest.mark.parametrize(("language", "grouped"), [("fr", "2 000"), ("en", "2,000")])
def test_job_counts_in_the_annual_report_group_their_thousands(world, sitting, language, grouped):
    with scope([world.a]):
        JobsFollowUp.objects.create(
            dispositif=world.a,
            project=sitting.items[0].project,
            year=1,
            as_of=dt.date(2026, 1, 2),
            headcount=2100,
            jobs_created=7,
            jobs_maintained=2000,
            source="company",
        )
        document = services.document_request(
            kind=DocumentKind.ANNUAL_REPORT,
            dispositif=world.a,
            year=2026,
            by=None,
            language=language,
        )
    text, _steps = built_text(document)
    assert f" {grouped}\n" in text and "2000" not in text


@pytest.mark.parametrize(("language", "rate"), [("fr", "50,0 % (1 / 2)"), ("en", "50.0% (1 / 2)")])
def test_survival_rate_reads_as_a_percentage_of_the_language(world, sitting, language, rate):
    """« 50,0 % » in French, « 50.0% » in English: the sign and the decimal mark follow the
    language of the report."""
    with scope([world.a]):
        for item, headcount in zip(sitting.items, (12, 0), strict=True):
            JobsFollowUp.objects.create(
                dispositif=world.a,
                project=item.project,
                year=3,
                as_of=dt.date(2026, 1, 2),
                headcount=headcount,
                jobs_created=0,
                jobs_maintained=headcount,
                source="company",
            )
        document = services.document_request(
            kind=DocumentKind.ANNUAL_REPORT,
            dispositif=world.a,
            year=2026,
            by=None,
            language=language,
        )
    text, _steps = built_text(document)
    assert rate in text
