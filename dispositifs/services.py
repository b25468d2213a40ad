"""Write side of the tenant: dispositifs and their tour de table.

Services validate fully (constraints become field errors) and are atomic. Leaving a tour de
table is a date (``left_on``), never a deletion.
"""

from __future__ import annotations

from django.db import transaction

from alize.services import model_update, validate_and_save

from .models import Dispositif, Membership

DISPOSITIF_FIELDS = (
    "name",
    "slug",
    "region",
    "departements",
    "perimeter",
    "carrier",
    "launch_date",
    "status",
    "advance_min",
    "advance_max",
    "follow_up_years",
    "stale_after_days",
    "agenda_days_before",
    "quorum_organisations",
    "quorum_needs_firm",
    "quorum_needs_public",
    "scores_in_minutes",
    "public_intro",
    "public_contact_name",
    "public_contact_email",
    "public_contact_phone",
)
MEMBERSHIP_FIELDS = (
    "organisation",
    "kind",
    "joined_on",
    "left_on",
    "pledged_hours_per_year",
)


@transaction.atomic
def dispositif_create(**fields) -> Dispositif:
    """Open a dispositif; its constraints (advance bounds, follow-up years) are field errors."""
    dispositif = Dispositif()
    model_update(dispositif, DISPOSITIF_FIELDS, fields)
    return validate_and_save(dispositif)


@transaction.atomic
def dispositif_update(*, dispositif: Dispositif, **fields) -> Dispositif:
    """Change a dispositif's settings, validated like a creation."""
    model_update(dispositif, DISPOSITIF_FIELDS, fields)
    return validate_and_save(dispositif)


@transaction.atomic
def membership_create(*, dispositif: Dispositif, **fields) -> Membership:
    """Seat an organisation at a dispositif's tour de table (once per dispositif)."""
    membership = Membership(dispositif=dispositif)
    model_update(membership, MEMBERSHIP_FIELDS, fields)
    return validate_and_save(membership)


@transaction.atomic
def membership_update(*, membership: Membership, **fields) -> Membership:
    """Change a seat (kind, dates, pledge); its dispositif never changes."""
    model_update(membership, MEMBERSHIP_FIELDS, fields)
    return validate_and_save(membership)
