"""Demo data of the directory layer: partner organisations shared by several dispositifs,
the national skills list, and the firms' correspondents and experts."""

from __future__ import annotations

from alize.accounts.models import Role
from alize.demo import DEMO_DOMAIN, Log, demo_role, demo_user, register_logins, register_seeder

from .models import NATIONAL_SKILLS, Organisation, OrganisationKind, Skill

FIRMS = {
    "edf": ("EDF", "552081317"),
    "saint-gobain": ("Saint-Gobain", "542039532"),
    "schneider": ("Schneider Electric", "542048574"),
    "areva": ("Areva", "712054923"),
    "valti": ("Valti", ""),
    "gaz-de-france": ("Gaz de France", "542107651"),
    "france-telecom": ("France Télécom", "380129866"),
    "carrefour": ("Carrefour", "652014051"),
}

SHARED_PARTNERS = [
    # slug, name, kind, membership kind (in dispositifs.models.MembershipKind)
    ("caisse-des-depots", "Caisse des dépôts", OrganisationKind.FUNDER, "funder"),
    (
        "initiative-france",
        "Initiative France",
        OrganisationKind.CREATION_NETWORK,
        "economic_developer",
    ),
    (
        "reseau-entreprendre",
        "Réseau Entreprendre",
        OrganisationKind.CREATION_NETWORK,
        "economic_developer",
    ),
    ("credit-agricole", "Crédit Agricole", OrganisationKind.BANK, "financial_partner"),
]

# The national vocabulary (created by a migration, see ``NATIONAL_SKILLS``) and a few more
# the demo projects use.
SKILLS = [
    *NATIONAL_SKILLS,
    ("securite-environnement", "Sécurité et environnement"),
    ("recherche-developpement", "Recherche et développement"),
    ("maintenance", "Maintenance industrielle"),
]


def demo_organisation(slug, name, kind, public_level="", siren="", city=""):
    """An organisation keyed by its slug (created or refreshed)."""
    organisation, _ = Organisation.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": kind,
            "public_level": public_level,
            "siren": siren,
            "city": city,
        },
    )
    return organisation


@register_seeder(10)
def seed_organisations(log: Log) -> None:
    """The partner firms and the partners present in every tour de table."""
    for slug, (name, siren) in FIRMS.items():
        demo_organisation(slug, name, OrganisationKind.LARGE_FIRM, siren=siren)
    for slug, name, kind, _membership_kind in SHARED_PARTNERS:
        demo_organisation(slug, name, kind)


@register_seeder(11)
def seed_skills(log):
    """The national skills list (DESIGN §4), shared by projects' needs and experts."""
    for slug, name in SKILLS:
        Skill.objects.update_or_create(slug=slug, defaults={"name": name})
    log(f"{Skill.objects.count()} skills")


@register_seeder(12)
def seed_firm_logins(log: Log) -> None:
    """A correspondent and an expert for every partner firm."""
    for slug, (name, _siren) in FIRMS.items():
        firm = Organisation.objects.get(slug=slug)
        correspondent = demo_user(f"correspondant.{slug}@{DEMO_DOMAIN}", f"Correspondant {name}")
        demo_role(correspondent, Role.FIRM_CORRESPONDENT, organisation=firm)
        expert = demo_user(f"expert.{slug}@{DEMO_DOMAIN}", f"Expert {name}")
        demo_role(expert, Role.EXPERT, organisation=firm)


@register_logins(30)
def firm_logins() -> list[tuple[str, str]]:
    rows = []
    for slug, (name, _siren) in FIRMS.items():
        rows.append((f"correspondant.{slug}@{DEMO_DOMAIN}", f"correspondant, {name}"))
        rows.append((f"expert.{slug}@{DEMO_DOMAIN}", f"expert, {name}"))
    return rows
