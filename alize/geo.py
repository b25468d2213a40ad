"""French administrative reference lists used across apps (INSEE codes)."""

from django.utils.translation import gettext_lazy as _

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
REGION_NAMES = dict(REGIONS)


def region_code(name_or_code: str) -> str | None:
    """The INSEE code of a region given by its code or its name (case-insensitive)."""
    value = name_or_code.strip()
    if value in REGION_NAMES:
        return value
    for code, name in REGIONS:
        if name.casefold() == value.casefold():
            return code
    return None


REGION_HELP = _("Région (code INSEE)")
