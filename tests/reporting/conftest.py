"""Fixtures of the documents tests: a committee of dispositif A sitting today with two
dossiers, partners' tools, attendance and decisions, recorded through the real services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader

from alize.models import IndicatorFact
from alize.tenancy import scope
from committees import services as committee_services
from committees.models import Committee
from pme.models import Stage
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    CompanyFactory,
    DispositifFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
)


def pdf_text(content: bytes) -> str:
    """The text of every page of a PDF, for assertions on what it says (no-break spaces
    read as spaces)."""
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")


def stored_bytes(document) -> bytes:
    with document.file.open("rb") as stored:
        return stored.read()


@dataclass
class Sitting:
    committee: Committee
    items: list
    region: object
    bank: object


def make_sitting(
    dispositif, *, date=None, decide=True, companies=("Fonderie Lenoir", "Atelier Vasseur")
):
    """A committee of ``dispositif`` with one dossier per company name; with ``decide``
    each dossier is approved with an advance (12 000 € and 15 000 €)."""
    date = date or TODAY
    region = OrganisationFactory(name=f"Région {dispositif.slug}", kind="public_body")
    bank = OrganisationFactory(name=f"Banque {dispositif.slug}", kind="bank")
    for organisation in (region, bank):
        MembershipFactory(dispositif=dispositif, organisation=organisation, kind="public_body")
    committee = CommitteeFactory(
        dispositif=dispositif, date=date, host=region, place="Hôtel de région"
    )
    items = []
    with scope(every_dispositif=True, reason="test setup"):
        for index, name in enumerate(companies):
            company = CompanyFactory(dispositif=dispositif, name=name)
            project = project_at(Stage.IN_INSTRUCTION, company=company)
            project.financing_plan = f"Prêt bancaire {index + 1} ; fonds propres"
            project.requested_advance = Decimal("15000")
            project.save()
            item = committee_services.agenda_add_project(
                committee=committee, project=project, by=None
            )
            committee_services.commitment_record(
                item=item,
                organisation=region,
                tool="Subvention régionale",
                amount=Decimal("20000"),
                by=None,
            )
            items.append(item)
        if date > TODAY:  # a committee to come: no roster yet
            return Sitting(committee, items, region, bank)
        committee_services.attendance_record_roster(
            committee=committee,
            lines=[
                committee_services.RosterLine(
                    organisation=region, status="present", person_name="Mme Delattre"
                )
            ],
        )
        if decide:
            for item, advance in zip(items, (Decimal("12000"), Decimal("15000")), strict=False):
                committee_services.committee_record_decision(
                    item=item,
                    outcome="approved",
                    by=None,
                    advance_amount=advance,
                    missions_granted=2,
                )
    return Sitting(committee, items, region, bank)


@pytest.fixture
def sitting(world):
    return make_sitting(world.a)


_made = {"n": 0}
PDF_BYTES = b"%PDF-1.7\n% test document\n%%EOF\n"


def make_document(dispositif=None, *, kind=None, status=None, committee=None, year=None, **fields):
    """A document row (done, with a small stored file, unless ``status`` says otherwise),
    each with a title of its own; ``dispositif=None`` makes a national one. Without a
    ``year`` (or a committee), the rows made in the process cycle through 2000–2024."""
    import hashlib

    from django.core.files.base import ContentFile

    from reporting.models import Document, DocumentKind, DocumentScope, DocumentStatus

    _made["n"] += 1
    n = _made["n"]
    kind = kind or DocumentKind.ANNUAL_REPORT
    status = status or DocumentStatus.DONE
    if kind in (DocumentKind.AGENDA, DocumentKind.MINUTES) and committee is None:
        committee = CommitteeFactory(dispositif=dispositif)
    document = Document.objects.create(
        kind=kind,
        scope=DocumentScope.DISPOSITIF if dispositif is not None else DocumentScope.NATIONAL,
        dispositif=dispositif,
        committee=committee,
        year=year or (2000 + n % 25 if committee is None else committee.date.year),
        title=f"Document témoin {n}",
        status=DocumentStatus.QUEUED,
        **fields,
    )
    if status == DocumentStatus.DONE:
        name = f"temoin-{n}.pdf"
        document.file.save(name, ContentFile(PDF_BYTES), save=False)
        document.filename = name
        document.content_type = "application/pdf"
        document.checksum = hashlib.sha256(PDF_BYTES).hexdigest()
        document.size = len(PDF_BYTES)
        document.progress = 100
    document.status = status
    document.save()
    return document


def add_missions_and_loans(world):
    """In dispositif A: 7.5 expert-hours of the world's firm in « Qualité » today (valued
    at the national 80 €/h: 600,00 €), and a fund of 100 000 € with one advance of
    12 000 € disbursed today."""
    from alize.accounts.models import Role
    from tests.factories import SkillFactory, user_with_role
    from tests.loans.builders import advance_at, make_fund
    from tests.missions.conftest import approved_decision, log, make_expert, running_mission

    expert = make_expert(world.firm_a, user=world.expert_a)
    mission = running_mission(
        approved_decision(world.a),
        world.firm_a,
        SkillFactory(name="Qualité rapport", slug="qualite-rapport"),
        animateur=world.animateur_a,
        correspondent=user_with_role(Role.FIRM_CORRESPONDENT, organisation=world.firm_a),
        experts=[expert],
    )
    log(mission, expert, TODAY, "7.5")
    advance_at("disbursed", make_fund(world.a))


# Planted indicator facts (the regions' API and open data) -------------------------------

YEAR = 2025  # the last full year on the tests' clock


def plant(dispositif, key, value, smes, *, top=None, months=(3,), year=YEAR):
    """Facts of a flow: ``value`` in the year and in its one month (3 by default)."""
    value = Decimal(value)
    top = Decimal(top) if top is not None else value / max(smes, 1)
    with scope(every_dispositif=True, reason="test setup"):
        for month in (0, *months):
            IndicatorFact.objects.create(
                dispositif=dispositif,
                indicator=key,
                year=year,
                month=month,
                value=value,
                smes=smes,
                top=top,
            )


@pytest.fixture
def region(world):
    """Region 32 holds A and two more dispositifs; A has a small cell (two SMEs' hours)."""
    lens = DispositifFactory(name="Alizé Lens test", slug="lens-test", region="32")
    arras = DispositifFactory(name="Alizé Arras test", slug="arras-test", region="32")
    plant(world.a, "expert_hours", 40, 2)
    plant(lens, "expert_hours", 300, 6)
    plant(arras, "expert_hours", 120, 4)
    plant(world.b, "expert_hours", 500, 1)
    return {"a": world.a, "lens": lens, "arras": arras}
