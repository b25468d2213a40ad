"""Stable, realistic demo data (DESIGN §6). Idempotent: every row is keyed by a natural key.

Each app contributes a ``seed_*`` function to ``SEEDERS`` (in order); ``seed_demo`` runs
them all inside one transaction and one explicit scope over every dispositif.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from rest_framework.authtoken.models import Token

from alize.accounts.models import Role, RoleAssignment, User
from alize.tenancy import scope
from dispositifs.models import Dispositif, Membership, MembershipKind
from partners.models import Organisation, OrganisationKind, PublicLevel

DEMO_PASSWORD = "alize-demo"
DEMO_DOMAIN = "demo.alize.fr"
API_CLIENT_REGION = "32"  # Hauts-de-France


@dataclass(frozen=True)
class DemoDispositif:
    slug: str
    name: str
    region: str
    departements: tuple[str, ...]
    perimeter: tuple[str, ...]
    carrier: tuple[str, str, str]  # slug, name, city
    launched: int
    firms: tuple[str, ...]  # organisation slugs, large firms of the tour de table


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

DISPOSITIFS = [
    DemoDispositif(
        "auxois-morvan",
        "Alizé Auxois-Morvan",
        "27",
        ("21",),
        ("21425", "21603", "21663"),
        ("cci-cote-d-or", "CCI Côte-d'Or", "Montbard"),
        2003,
        ("valti", "edf"),
    ),
    DemoDispositif(
        "drome-provencale",
        "Alizé Drôme provençale",
        "84",
        ("26",),
        ("26235", "26324", "26116"),
        ("cci-drome", "CCI de la Drôme", "Pierrelatte"),
        2002,
        ("areva", "edf"),
    ),
    DemoDispositif(
        "chambery",
        "Alizé Chambéry",
        "84",
        ("73",),
        ("73065", "73008", "73179"),
        ("cci-savoie", "CCI de la Savoie", "Chambéry"),
        2001,
        ("saint-gobain", "carrefour", "edf"),
    ),
    DemoDispositif(
        "valenciennes",
        "Alizé Valenciennes",
        "32",
        ("59",),
        ("59606", "59014", "59526", "59172"),
        ("cci-grand-hainaut", "CCI Grand Hainaut", "Valenciennes"),
        2000,
        ("saint-gobain", "france-telecom"),
    ),
    DemoDispositif(
        "ales",
        "Alizé Alès",
        "76",
        ("30",),
        ("30007", "30243"),
        ("cci-ales-cevennes", "CCI Alès Cévennes", "Alès"),
        2004,
        ("schneider", "edf"),
    ),
    DemoDispositif(
        "saumur",
        "Alizé Saumur",
        "52",
        ("49",),
        ("49328",),
        ("cci-maine-et-loire", "CCI de Maine-et-Loire", "Saumur"),
        2005,
        ("gaz-de-france", "france-telecom"),
    ),
    DemoDispositif(
        "manche",
        "Alizé Manche",
        "28",
        ("50",),
        ("50129", "50502", "50184"),
        ("cci-cherbourg-cotentin", "CCI Cherbourg Cotentin", "Cherbourg-en-Cotentin"),
        1999,
        ("edf", "areva"),
    ),
    DemoDispositif(
        "lot-et-garonne",
        "Alizé Lot-et-Garonne",
        "75",
        ("47",),
        ("47001", "47323", "47157"),
        ("cci-lot-et-garonne", "CCI de Lot-et-Garonne", "Agen"),
        2001,
        ("edf", "gaz-de-france"),
    ),
    DemoDispositif(
        "pointe-des-ardennes",
        "Alizé Pointe des Ardennes",
        "44",
        ("08",),
        ("08190", "08122", "08185", "08363"),
        ("cci-ardennes", "CCI des Ardennes", "Givet"),
        2003,
        ("edf",),
    ),
    DemoDispositif(
        "salbris-romorantin-vierzon",
        "Alizé Salbris-Romorantin-Vierzon",
        "24",
        ("41", "18"),
        ("41232", "41194", "18279"),
        ("cci-loir-et-cher", "CCI de Loir-et-Cher", "Romorantin-Lanthenay"),
        2004,
        ("schneider", "france-telecom"),
    ),
]

SHARED_PARTNERS = [
    # slug, name, kind, public level, membership kind
    ("caisse-des-depots", "Caisse des dépôts", OrganisationKind.FUNDER, "", MembershipKind.FUNDER),
    (
        "initiative-france",
        "Initiative France",
        OrganisationKind.CREATION_NETWORK,
        "",
        MembershipKind.ECONOMIC_DEVELOPER,
    ),
    (
        "reseau-entreprendre",
        "Réseau Entreprendre",
        OrganisationKind.CREATION_NETWORK,
        "",
        MembershipKind.ECONOMIC_DEVELOPER,
    ),
    (
        "credit-agricole",
        "Crédit Agricole",
        OrganisationKind.BANK,
        "",
        MembershipKind.FINANCIAL_PARTNER,
    ),
]


def _organisation(slug, name, kind, public_level="", siren="", city=""):
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


def _user(email, full_name, **flags):
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, **flags}
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _role(user, role, **target):
    RoleAssignment.objects.get_or_create(user=user, role=role, **target)


def region_council_slug(region_code: str) -> str:
    return f"region-{region_code}"


def seed_organisations_and_dispositifs(log):
    """The ten dispositifs named in the source, their carriers and tours de table."""
    firms = {
        slug: _organisation(slug, name, OrganisationKind.LARGE_FIRM, siren=siren)
        for slug, (name, siren) in FIRMS.items()
    }
    shared = {
        slug: (_organisation(slug, name, kind, level), membership_kind)
        for slug, name, kind, level, membership_kind in SHARED_PARTNERS
    }
    from alize.geo import REGION_NAMES

    for index, spec in enumerate(DISPOSITIFS):
        carrier = _organisation(
            spec.carrier[0], spec.carrier[1], OrganisationKind.CONSULAR, city=spec.carrier[2]
        )
        council = _organisation(
            region_council_slug(spec.region),
            f"Région {REGION_NAMES[spec.region]}",
            OrganisationKind.PUBLIC_BODY,
            PublicLevel.REGION,
        )
        departement = _organisation(
            f"departement-{spec.departements[0]}",
            f"Département {spec.departements[0]}",
            OrganisationKind.PUBLIC_BODY,
            PublicLevel.DEPARTEMENT,
        )
        dispositif, _ = Dispositif.objects.update_or_create(
            slug=spec.slug,
            defaults={
                "name": spec.name,
                "region": spec.region,
                "departements": list(spec.departements),
                "perimeter": list(spec.perimeter),
                "carrier": carrier,
                "launch_date": dt.date(spec.launched, 3, 1),
            },
        )
        joined = dt.date(spec.launched, 3, 1)
        seats = [
            (carrier, MembershipKind.CARRIER, 0),
            (council, MembershipKind.PUBLIC_BODY, 0),
            (departement, MembershipKind.PUBLIC_BODY, 0),
        ]
        seats += [
            (firms[slug], MembershipKind.PARTNER_FIRM, 300 + 100 * ((index + n) % 4))
            for n, slug in enumerate(spec.firms)
        ]
        seats += [(organisation, kind, 0) for organisation, kind in shared.values()]
        for organisation, kind, pledge in seats:
            Membership.objects.update_or_create(
                dispositif=dispositif,
                organisation=organisation,
                defaults={"kind": kind, "joined_on": joined, "pledged_hours_per_year": pledge},
            )
    log(f"{len(DISPOSITIFS)} dispositifs, {Organisation.objects.count()} organisations")


def seed_users(log):
    """Every demo login of DESIGN §6; all share the password ``alize-demo``."""
    coordinator = _user(
        f"coordination@{DEMO_DOMAIN}",
        "Coordination nationale Alizé",
        is_staff=True,
        is_superuser=True,
    )
    _role(coordinator, Role.NATIONAL_COORDINATOR)
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        animateur = _user(f"animateur.{spec.slug}@{DEMO_DOMAIN}", f"Animateur {spec.name}")
        _role(animateur, Role.ANIMATEUR, dispositif=dispositif)
        member = _user(f"membre.{spec.slug}@{DEMO_DOMAIN}", f"Membre du comité {spec.name}")
        council = Organisation.objects.get(slug=region_council_slug(spec.region))
        _role(member, Role.COMMITTEE_MEMBER, dispositif=dispositif, organisation=council)
    for slug, (name, _siren) in FIRMS.items():
        firm = Organisation.objects.get(slug=slug)
        correspondent = _user(f"correspondant.{slug}@{DEMO_DOMAIN}", f"Correspondant {name}")
        _role(correspondent, Role.FIRM_CORRESPONDENT, organisation=firm)
        expert = _user(f"expert.{slug}@{DEMO_DOMAIN}", f"Expert {name}")
        _role(expert, Role.EXPERT, organisation=firm)
    log(f"{User.objects.count()} users")


def api_client_token(region_code: str = API_CLIENT_REGION) -> str:
    """The demo API client of a region (created once) and its token."""
    user, _ = User.objects.get_or_create(
        email=f"api.region-{region_code}@{DEMO_DOMAIN}",
        defaults={"full_name": f"Client API région {region_code}"},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save()
    _role(user, Role.API_CLIENT, region=region_code)
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


SEEDERS = [seed_organisations_and_dispositifs, seed_users]


def seed(log=print):
    """Create or refresh all demo data; running it twice changes nothing."""
    with transaction.atomic(), scope(every_dispositif=True, reason="demo data"):
        for seeder in SEEDERS:
            seeder(log)


def demo_logins() -> list[tuple[str, str]]:
    """(login, what it is) for the start banner."""
    rows = [(f"coordination@{DEMO_DOMAIN}", "coordination nationale")]
    for spec in DISPOSITIFS:
        rows.append((f"animateur.{spec.slug}@{DEMO_DOMAIN}", f"animateur, {spec.name}"))
    for spec in DISPOSITIFS:
        rows.append((f"membre.{spec.slug}@{DEMO_DOMAIN}", f"membre du comité, {spec.name}"))
    for slug, (name, _siren) in FIRMS.items():
        rows.append((f"correspondant.{slug}@{DEMO_DOMAIN}", f"correspondant, {name}"))
        rows.append((f"expert.{slug}@{DEMO_DOMAIN}", f"expert, {name}"))
    return rows
