"""What reading and validating a company file share: the columns it may hold, the file as
parsed, and the error that refuses the file as a whole."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

# Canonical column → the header names accepted for it (compared without accents, case,
# punctuation or spacing).
COLUMNS: dict[str, tuple[str, ...]] = {
    "siren": ("siren", "n siren", "numero siren"),
    "siret": ("siret", "siret du siege", "n siret", "numero siret"),
    "name": ("name", "raison sociale", "nom", "denomination", "entreprise", "nom entreprise"),
    "naf_code": ("naf code", "code naf", "naf", "code ape", "ape", "code naf ape"),
    "creation_date": ("creation date", "date de creation", "date creation", "creee le"),
    "headcount": ("headcount", "effectif", "effectifs", "nombre de salaries", "salaries"),
    "turnover": ("turnover", "chiffre d affaires", "ca", "chiffre d affaires eur"),
    "commune_code": (
        "commune code",
        "code commune",
        "code insee",
        "insee",
        "code insee commune",
        "commune code insee",
    ),
    "commune_name": ("commune name", "commune", "nom commune", "nom de la commune", "ville"),
    "contact_name": ("contact name", "contact", "nom du contact", "contact nom"),
    "contact_role": ("contact role", "fonction", "fonction du contact"),
    "contact_email": (
        "contact email",
        "email",
        "e mail",
        "courriel",
        "e mail du contact",
        "email du contact",
        "mail",
    ),
    "contact_phone": (
        "contact phone",
        "telephone",
        "tel",
        "telephone du contact",
        "portable",
    ),
}
REQUIRED_COLUMNS = ("siren", "name", "naf_code", "creation_date", "headcount", "commune_code")
# The header line of the downloadable template (French names; the importer accepts both).
TEMPLATE_HEADERS = {
    "siren": "siren",
    "siret": "siret",
    "name": "raison sociale",
    "naf_code": "code NAF",
    "creation_date": "date de création",
    "headcount": "effectif",
    "turnover": "chiffre d'affaires",
    "commune_code": "code commune",
    "commune_name": "commune",
    "contact_name": "contact",
    "contact_role": "fonction du contact",
    "contact_email": "e-mail du contact",
    "contact_phone": "téléphone du contact",
}


def normalise_header(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


ALIASES = {normalise_header(alias): column for column, names in COLUMNS.items() for alias in names}


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, missing columns…)."""


@dataclass
class ParsedFile:
    """The file's rows as canonical strings, with the header each column had in the file."""

    headers: dict[str, str]
    rows: list[tuple[int, dict[str, str]]]
    ignored_columns: list[str] = field(default_factory=list)
