"""Demo data of the tenant layer: the ten dispositifs named in the source, their carriers
and tours de table, their animateurs and committee members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from alize.accounts.models import Role
from alize.demo import DEMO_DOMAIN, Log, demo_role, demo_user, register_logins, register_seeder
from alize.geo import REGION_NAMES
from partners.demo import FIRMS, SHARED_PARTNERS, demo_organisation
from partners.models import Organisation, OrganisationKind, PublicLevel

from .models import Dispositif, Membership, MembershipKind

# The committees' demo (a higher layer in this app) is seeded from its own module.


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


def _chosen() -> None:
    """Keep the dispositifs ``DEMO_DISPOSITIFS`` names (every one when it is empty)."""
    wanted = settings.DEMO_DISPOSITIFS
    if not wanted:
        return
    unknown = sorted(set(wanted) - {spec.slug for spec in DISPOSITIFS})
    if unknown:
        raise ImproperlyConfigured(
            f"ALIZE_DEMO_DISPOSITIFS names no demo dispositif: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(spec.slug for spec in DISPOSITIFS))})."
        )
    DISPOSITIFS[:] = [spec for spec in DISPOSITIFS if spec.slug in wanted]


_chosen()


def region_council_slug(region_code: str) -> str:
    return f"region-{region_code}"


@register_seeder(20)
def seed_dispositifs(log: Log) -> None:
    """The ten dispositifs named in the source, their carriers and tours de table."""
    firms = {slug: Organisation.objects.get(slug=slug) for slug in FIRMS}
    shared = {
        slug: (Organisation.objects.get(slug=slug), MembershipKind(membership_kind))
        for slug, _name, _kind, membership_kind in SHARED_PARTNERS
    }
    for index, spec in enumerate(DISPOSITIFS):
        carrier = demo_organisation(
            spec.carrier[0],
            spec.carrier[1],
            OrganisationKind.CONSULAR,
            city=spec.carrier[2],
            address=f"{3 + 2 * index} avenue de la République",
        )
        council = demo_organisation(
            region_council_slug(spec.region),
            f"Région {REGION_NAMES[spec.region]}",
            OrganisationKind.PUBLIC_BODY,
            PublicLevel.REGION,
            address="Hôtel de région, salle des commissions",
        )
        departement = demo_organisation(
            f"departement-{spec.departements[0]}",
            f"Département {spec.departements[0]}",
            OrganisationKind.PUBLIC_BODY,
            PublicLevel.DEPARTEMENT,
            address="Hôtel du département",
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
                # The public door's page (docs/architecture.md §16): the dispositif's words
                # and the animateur who calls back.
                "public_intro": (
                    f"{spec.name} aide les PME de son bassin d'emploi qui ont un projet de "
                    "développement créateur d'emplois : missions d'expertise de cadres de "
                    "grandes entreprises, tour de table des financeurs, avance remboursable "
                    "sans intérêt."
                ),
                "public_contact_name": f"L'animateur du dispositif, {spec.carrier[1]}",
                "public_contact_email": f"animateur.{spec.slug}@demo.alize.fr",
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
            Membership.objects.get_or_create(
                dispositif=dispositif,
                organisation=organisation,
                defaults={"kind": kind, "joined_on": joined, "pledged_hours_per_year": pledge},
            )
    log(f"{len(DISPOSITIFS)} dispositifs, {Organisation.objects.count()} organisations")


@register_seeder(21)
def seed_dispositif_logins(log: Log) -> None:
    """The animateur and a committee member (for the regional council) of each dispositif."""
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        animateur = demo_user(f"animateur.{spec.slug}@{DEMO_DOMAIN}", f"Animateur {spec.name}")
        demo_role(animateur, Role.ANIMATEUR, dispositif=dispositif)
        member = demo_user(f"membre.{spec.slug}@{DEMO_DOMAIN}", f"Membre du comité {spec.name}")
        council = Organisation.objects.get(slug=region_council_slug(spec.region))
        demo_role(member, Role.COMMITTEE_MEMBER, dispositif=dispositif, organisation=council)


@register_logins(20)
def dispositif_logins() -> list[tuple[str, str]]:
    rows = [
        (f"animateur.{spec.slug}@{DEMO_DOMAIN}", f"animateur, {spec.name}") for spec in DISPOSITIFS
    ]
    rows += [
        (f"membre.{spec.slug}@{DEMO_DOMAIN}", f"membre du comité, {spec.name}")
        for spec in DISPOSITIFS
    ]
    return rows
