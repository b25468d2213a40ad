"""Demo data of the directory layer: partner organisations shared by several dispositifs,
the national skills list, and the firms' correspondents and experts (the people each firm
lends, the demo login ``expert.<firm>@…`` being the first of them)."""

from __future__ import annotations

from django.utils.text import slugify

from alize.accounts.models import Role, User
from alize.demo import DEMO_DOMAIN, Log, demo_role, demo_user, register_logins, register_seeder

from .models import (
    NATIONAL_SKILLS,
    NATIONAL_SKILLS_EN,
    Expert,
    Organisation,
    OrganisationKind,
    Skill,
)

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
# Funders that sit at no tour de table but contribute to the demo's funds (created here, with
# the directory, so that the seeders of each dispositif only read them: two processes seeding
# dispositifs at once would otherwise wait on the same row; alize/demo.py).
OTHER_FUNDERS = [("fonds-social-europeen", "Fonds social européen (FSE+)")]

# The national vocabulary (created by a migration, see ``NATIONAL_SKILLS``) and a few more
# the demo projects use.
SKILLS = [
    *NATIONAL_SKILLS,
    ("securite-environnement", "Sécurité et environnement"),
    ("recherche-developpement", "Recherche et développement"),
    ("maintenance", "Maintenance industrielle"),
]
SKILLS_EN = {
    **NATIONAL_SKILLS_EN,
    "securite-environnement": "Health, safety and environment",
    "recherche-developpement": "Research and development",
    "maintenance": "Industrial maintenance",
}


def demo_organisation(slug, name, kind, public_level="", siren="", city="", address=""):
    """An organisation keyed by its slug (created or refreshed)."""
    organisation, _ = Organisation.objects.update_or_create(
        slug=slug,
        defaults={
            "name": name,
            "kind": kind,
            "public_level": public_level,
            "siren": siren,
            "city": city,
            "address": address,
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
    for slug, name in OTHER_FUNDERS:
        demo_organisation(slug, name, OrganisationKind.FUNDER)


@register_seeder(11)
def seed_skills(log):
    """The national skills list (docs/architecture.md §4), shared by projects' needs and experts."""
    for slug, name in SKILLS:
        Skill.objects.update_or_create(
            slug=slug, defaults={"name": name, "name_en": SKILLS_EN[slug]}
        )
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


# The people each firm lends: (first name, last name, job title, skill slugs, hours a month,
# available to other dispositifs). The first one of a firm is its demo expert login.
FIRM_EXPERTS = {
    "edf": [
        ("Claire", "Dumas", "Ingénieure efficacité énergétique", ("energie", "qualite"), 16, True),
        ("Marc", "Lefebvre", "Responsable achats", ("achats", "finance"), 8, False),
        ("Sophie", "Garnier", "Chargée de recrutement", ("rh-recrutement",), 8, False),
        ("Julien", "Roussel", "Chef de projet numérique", ("informatique",), 12, False),
    ],
    "saint-gobain": [
        ("Thomas", "Mercier", "Responsable lean", ("lean-production", "qualite"), 16, False),
        ("Nathalie", "Fabre", "Directrice export", ("export", "marketing"), 10, True),
        ("Olivier", "Chevalier", "Contrôleur de gestion", ("finance",), 8, False),
    ],
    "schneider": [
        ("Isabelle", "Perrin", "Ingénieure qualité", ("qualite", "lean-production"), 12, False),
        ("Antoine", "Girard", "Responsable supply chain", ("achats", "lean-production"), 8, True),
        ("Camille", "Bonnet", "Chargée de marketing", ("marketing", "informatique"), 8, False),
    ],
    "areva": [
        ("Philippe", "Lambert", "Expert sûreté et qualité", ("qualite",), 10, False),
        ("Hélène", "Faure", "Responsable ressources humaines", ("rh-recrutement",), 8, False),
        ("Nicolas", "Rousseau", "Acheteur industriel", ("achats", "energie"), 6, False),
    ],
    "valti": [
        ("Laurent", "Gauthier", "Responsable de production", ("lean-production",), 12, False),
        ("Émilie", "Blanc", "Comptable", ("finance",), 6, False),
    ],
    "gaz-de-france": [
        ("François", "Morel", "Ingénieur énergie", ("energie",), 10, False),
        ("Valérie", "Henry", "Responsable commerciale", ("marketing", "export"), 8, False),
        ("Pierre", "Masson", "Juriste", ("juridique", "finance"), 6, False),
    ],
    "france-telecom": [
        ("Aurélie", "Marchand", "Architecte systèmes d'information", ("informatique",), 12, False),
        ("Stéphane", "Duval", "Responsable formation", ("rh-recrutement", "informatique"), 8, True),
        ("Céline", "Noël", "Chargée d'affaires export", ("export",), 8, False),
    ],
    "carrefour": [
        ("David", "Lemaire", "Directeur de magasin", ("strategie", "marketing"), 8, False),
        ("Sandrine", "Picard", "Responsable logistique", ("achats", "lean-production"), 8, False),
    ],
}


def expert_email(firm_slug: str, index: int, first_name: str, last_name: str) -> str:
    """The demo login for a firm's first expert, a plain address for the others."""
    if index == 0:
        return f"expert.{firm_slug}@{DEMO_DOMAIN}"
    return f"{slugify(first_name)}.{slugify(last_name)}@{firm_slug}.{DEMO_DOMAIN}"


def demo_phone(firm_slug: str, index: int) -> str:
    """A stable, fictitious mobile number (the 06 99 range is not allocated)."""
    number = sum(map(ord, firm_slug)) * 7 + index
    return f"06 99 {number // 100 % 100:02d} {number % 100:02d} {index:02d}"


@register_seeder(13)
def seed_experts(log: Log) -> None:
    """The experts of every partner firm, their skills and availability; the firm's demo
    expert login is linked to its first expert."""
    skills = {skill.slug: skill for skill in Skill.objects.all()}
    created = 0
    for slug, people in FIRM_EXPERTS.items():
        firm = Organisation.objects.get(slug=slug)
        for index, (first, last, title, skill_slugs, hours, lends) in enumerate(people):
            email = expert_email(slug, index, first, last)
            user = User.objects.get(email=email) if index == 0 else None
            expert, was_created = Expert.objects.update_or_create(
                organisation=firm,
                email=email,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "job_title": title,
                    "phone": demo_phone(slug, index),
                    "hours_per_month": hours,
                    "lends_across_territories": lends,
                    "user": user,
                },
            )
            expert.skills.set([skills[s] for s in skill_slugs if s in skills])
            created += was_created
    log(f"{Expert.objects.count()} experts ({created} new)")
