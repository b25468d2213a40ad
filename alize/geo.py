"""French administrative reference lists used across apps (INSEE codes).

Region and département names come from the COG (INSEE), shipped in ``alize/geodata`` with
their source (see ``partners/reference/data/SOURCE.md``)."""

import csv
from pathlib import Path

from django.utils.translation import gettext_lazy as _

GEODATA = Path(__file__).resolve().parent / "geodata"


def _read(name: str) -> list[dict]:
    with open(GEODATA / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


REGIONS = [
    ("84", "Auvergne-Rhône-Alpes"),
    ("27", "Bourgogne-Franche-Comté"),
    ("53", "Bretagne"),
    ("24", "Centre-Val de Loire"),
    ("94", "Corse"),
    ("44", "Grand Est"),
    ("32", "Hauts-de-France"),
    ("11", "Île-de-France"),
    ("28", "Normandie"),
    ("75", "Nouvelle-Aquitaine"),
    ("76", "Occitanie"),
    ("52", "Pays de la Loire"),
    ("93", "Provence-Alpes-Côte d'Azur"),
    ("01", "Guadeloupe"),
    ("02", "Martinique"),
    ("03", "Guyane"),
    ("04", "La Réunion"),
    ("06", "Mayotte"),
]
# The choices above are the regions a dispositif can belong to; names of every COG region
# and département (overseas collectivities included) come from the shipped files.
REGION_NAMES = {row["code"]: row["name"] for row in _read("regions.csv")}
DEPARTEMENT_NAMES = {row["code"]: row["name"] for row in _read("departements.csv")}


def region_name(code: str) -> str:
    """« Hauts-de-France » for 32; '' for an unknown code."""
    return REGION_NAMES.get(code or "", "")


def departement_name(code: str) -> str:
    """« Nord » for 59; '' for an unknown code."""
    return DEPARTEMENT_NAMES.get(code or "", "")


def region_code(name_or_code: str) -> str | None:
    """The INSEE code of a region given by its code or its name (case-insensitive)."""
    value = name_or_code.strip()
    if value in dict(REGIONS):
        return value
    for code, name in REGIONS:
        if name.casefold() == value.casefold():
            return code
    return None


REGION_HELP = _("Région (code INSEE)")
