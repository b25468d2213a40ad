"""An SME's contact as a kind of person (alize.personal_data, docs/personal-data.md "SME
contacts"): their name, role, e-mail and phone are erased, the company stays; retention
erases the contacts of companies whose last project closed (or that never had one, left
untouched) before the retention period."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.personal_data.registry import (
    PersonKind,
    Retention,
    erased_name,
    full_names,
    register_person_kind,
    register_retention,
)

from .models import TRANSITIONS, Company, Project

# Stages a project never leaves: closed, abandoned, rejected.
ENDED_STAGES = frozenset(stage for stage, moves in TRANSITIONS.items() if not moves)
ERASED_PREFIX = erased_name(0).removesuffix("0")


def ended_contacts(cutoff: dt.date, dispositif) -> list[int]:
    """Companies of ``dispositif`` still holding their contact, with no project under way
    and whose last project ended before ``cutoff`` (with no project: not changed since)."""
    limit = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    projects = Project.objects.filter(company=OuterRef("pk"))
    last_ended = projects.order_by("-stage_changed_at").values("stage_changed_at")[:1]
    companies = (
        Company.objects.filter(SME_CONTACT.holds_data, dispositif=dispositif)
        .exclude(Exists(projects.exclude(stage__in=ENDED_STAGES)))
        .annotate(last_ended=Subquery(last_ended))
        .filter(Q(last_ended__lt=limit) | Q(last_ended__isnull=True, updated_at__lt=limit))
    )
    return list(companies.values_list("pk", flat=True))


SME_CONTACT = register_person_kind(
    PersonKind(
        key="sme_contact",
        label=_("Contact d'une PME"),
        model="pme.Company",
        name=lambda company: company.contact_name or company.contact_email,
        erased_values=lambda company: {
            "contact_name": erased_name(company.pk),
            "contact_role": "",
            "contact_email": "",
            "contact_phone": "",
        },
        identity=lambda company: [
            *full_names(company.contact_name),
            company.contact_email,
            company.contact_phone,
        ],
        search_fields=("contact_name", "contact_email"),
        holds_data=(~Q(contact_name="") & ~Q(contact_name__startswith=ERASED_PREFIX))
        | ~Q(contact_email="")
        | ~Q(contact_phone="")
        | ~Q(contact_role=""),
        describe=lambda company: f"{company.name} — {company.dispositif}",
        follow_links=False,
        tenant=True,
        prefetch=("dispositif",),
    )
)
register_retention(
    "sme_contact",
    Retention(
        description=_("dernier projet de la PME terminé depuis la durée de conservation"),
        candidates=ended_contacts,
    ),
)
