"""Write side of the partners directory: organisations are global rows, validated fully
(``full_clean``, constraints included) so a refusal names its field."""

from __future__ import annotations

from django.db import transaction

from .models import Organisation

ORGANISATION_FIELDS = ("name", "slug", "siren", "kind", "public_level", "city")


def _set_fields(organisation: Organisation, fields: dict) -> None:
    unknown = set(fields) - set(ORGANISATION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown organisation fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(organisation, name, value)


@transaction.atomic
def organisation_create(**fields) -> Organisation:
    """Add an organisation to the directory."""
    organisation = Organisation()
    _set_fields(organisation, fields)
    organisation.full_clean()
    organisation.save()
    return organisation


@transaction.atomic
def organisation_update(*, organisation: Organisation, **fields) -> Organisation:
    """Change an organisation; a public level stays reserved to public bodies."""
    _set_fields(organisation, fields)
    organisation.full_clean()
    organisation.save()
    return organisation
