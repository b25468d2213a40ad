"""Fixtures of the documents tests: a committee of dispositif A sitting today with two
dossiers, partners' tools, attendance and decisions, recorded through the real services."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import pytest
from pypdf import PdfReader

from alize.tenancy import scope
from dispositifs.committees import services as committee_services
from dispositifs.committees.models import Committee
from pme.models import Stage
from tests.factories import (
    CommitteeFactory,
    CompanyFactory,
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
    date = date or dt.date.today()
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
        committee_services.attendance_record(
            committee=committee, organisation=region, person_name="Mme Delattre"
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
