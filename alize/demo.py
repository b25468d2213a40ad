"""Stable, realistic demo data (DESIGN §6). Idempotent: every row is keyed by a natural key.

Each app contributes a ``seed_*`` function to ``SEEDERS`` (in order); ``seed_demo`` runs
them all inside one transaction and one explicit scope over every dispositif.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.authtoken.models import Token
from stdnum import luhn

from alize.accounts.models import Role, RoleAssignment, User
from alize.tenancy import scope
from dispositifs.committees import services as committee_services
from dispositifs.committees.models import (
    AgendaItem,
    Committee,
    CommitteeStatus,
    Decision,
    PartnerCommitment,
)
from dispositifs.models import Dispositif, Membership, MembershipKind
from partners.models import Organisation, OrganisationKind, PublicLevel, Skill
from pme import services as pme_services
from pme.models import Company, JobsFollowUp, Project, Stage, StageTransition

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


class DemoPassword:
    """One argon2 hash of the demo password, shared by every demo login.

    Hashing costs about 0.2 s; doing it once (and checking the stored hash once per run)
    instead of for each of the 37 logins keeps ``make run`` quick.
    """

    def __init__(self):
        self._encoded = None

    def encoded(self, sample: User | None) -> str:
        if self._encoded is None:
            if sample is not None and sample.check_password(DEMO_PASSWORD):
                self._encoded = sample.password
            else:
                self._encoded = make_password(DEMO_PASSWORD)
        return self._encoded


def _user(email, full_name, password: DemoPassword, **flags):
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, **flags}
    )
    encoded = password.encoded(None if created else user)
    if user.password != encoded:
        user.password = encoded
        user.save(update_fields=["password"])
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
    password = DemoPassword()
    coordinator = _user(
        f"coordination@{DEMO_DOMAIN}",
        "Coordination nationale Alizé",
        password,
        is_staff=True,
        is_superuser=True,
    )
    _role(coordinator, Role.NATIONAL_COORDINATOR)
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        animateur = _user(
            f"animateur.{spec.slug}@{DEMO_DOMAIN}", f"Animateur {spec.name}", password
        )
        _role(animateur, Role.ANIMATEUR, dispositif=dispositif)
        member = _user(
            f"membre.{spec.slug}@{DEMO_DOMAIN}", f"Membre du comité {spec.name}", password
        )
        council = Organisation.objects.get(slug=region_council_slug(spec.region))
        _role(member, Role.COMMITTEE_MEMBER, dispositif=dispositif, organisation=council)
    for slug, (name, _siren) in FIRMS.items():
        firm = Organisation.objects.get(slug=slug)
        correspondent = _user(
            f"correspondant.{slug}@{DEMO_DOMAIN}", f"Correspondant {name}", password
        )
        _role(correspondent, Role.FIRM_CORRESPONDENT, organisation=firm)
        expert = _user(f"expert.{slug}@{DEMO_DOMAIN}", f"Expert {name}", password)
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


# --- The pipeline: skills, SMEs, projects, committees, decisions and follow-ups ------------

SKILLS = [
    ("qualite", "Qualité"),
    ("export", "Export et international"),
    ("lean-production", "Lean et organisation de la production"),
    ("rh-recrutement", "Ressources humaines et recrutement"),
    ("marketing", "Marketing et action commerciale"),
    ("finance", "Finance et gestion"),
    ("achats", "Achats et logistique"),
    ("informatique", "Informatique et numérique"),
    ("securite-environnement", "Sécurité et environnement"),
    ("recherche-developpement", "Recherche et développement"),
    ("maintenance", "Maintenance industrielle"),
    ("energie", "Efficacité énergétique"),
]

# INSEE code → commune, for every commune of the demo perimeters.
COMMUNES = {
    "21425": "Montbard",
    "21603": "Semur-en-Auxois",
    "21663": "Venarey-les-Laumes",
    "26235": "Pierrelatte",
    "26324": "Saint-Paul-Trois-Châteaux",
    "26116": "Donzère",
    "73065": "Chambéry",
    "73008": "Aix-les-Bains",
    "73179": "La Motte-Servolex",
    "59606": "Valenciennes",
    "59014": "Anzin",
    "59526": "Saint-Amand-les-Eaux",
    "59172": "Denain",
    "30007": "Alès",
    "30243": "Saint-Christol-lez-Alès",
    "49328": "Saumur",
    "50129": "Cherbourg-en-Cotentin",
    "50502": "Saint-Lô",
    "50184": "Flamanville",
    "47001": "Agen",
    "47323": "Villeneuve-sur-Lot",
    "47157": "Marmande",
    "08190": "Givet",
    "08122": "Chooz",
    "08185": "Fumay",
    "08363": "Revin",
    "41232": "Salbris",
    "41194": "Romorantin-Lanthenay",
    "18279": "Vierzon",
}
# The pays each bassin d'emploi names itself after, and its telephone area prefix.
AREAS = {
    "auxois-morvan": ("de l'Auxois", "03"),
    "drome-provencale": ("du Tricastin", "04"),
    "chambery": ("de Savoie", "04"),
    "valenciennes": ("du Hainaut", "03"),
    "ales": ("des Cévennes", "04"),
    "saumur": ("du Saumurois", "02"),
    "manche": ("du Cotentin", "02"),
    "lot-et-garonne": ("de l'Agenais", "05"),
    "pointe-des-ardennes": ("de la Pointe", "03"),
    "salbris-romorantin-vierzon": ("de Sologne", "02"),
}
# (name pattern, NAF code): {nom} is a family name, {pays} the area.
TRADES = [
    ("Mécanique de précision {nom}", "25.62B"),
    ("Tôlerie {nom}", "25.11Z"),
    ("Chaudronnerie {pays}", "25.29Z"),
    ("Plasturgie {nom}", "22.29A"),
    ("Menuiserie {nom} et Fils", "16.23Z"),
    ("Imprimerie {nom}", "18.12Z"),
    ("Boulangerie industrielle {pays}", "10.71A"),
    ("Salaisons {pays}", "10.13A"),
    ("Transports {nom}", "49.41A"),
    ("Électricité industrielle {nom}", "43.21A"),
    ("Biscuiterie {nom}", "10.72Z"),
    ("Laboratoire {nom} Analyses", "71.20B"),
    ("{nom} Informatique", "62.01Z"),
    ("Textiles techniques {pays}", "13.96Z"),
    ("Emballages {pays}", "17.21B"),
    ("Fonderie {nom}", "24.53Z"),
    ("Traitement de surface {nom}", "25.61Z"),
    ("Agencement {nom}", "31.09B"),
    ("Bureau d'études {nom} Ingénierie", "71.12B"),
    ("Conserverie {pays}", "10.39B"),
    ("Maintenance industrielle {nom}", "33.12Z"),
    ("Câblerie {pays}", "27.32Z"),
]
FAMILY_NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
    "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
    "Rousseau", "Blanc", "Guerin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
]  # fmt: skip
FIRST_NAMES = [
    "Claire", "Julien", "Sophie", "Nicolas", "Isabelle", "Thierry", "Nathalie", "Laurent",
    "Céline", "Olivier", "Sandrine", "Philippe", "Aurélie", "Stéphane", "Valérie", "Franck",
    "Émilie", "Christophe", "Hélène", "Pascal", "Camille", "Mathieu", "Anne", "Sébastien",
]  # fmt: skip
CONTACT_ROLES = ["Gérant", "Gérante", "Président", "Présidente", "Directeur général"]
PROJECT_TITLES = {
    "investment": [
        "Acquisition d'un centre d'usinage cinq axes",
        "Nouvelle ligne de production automatisée",
        "Extension de l'atelier et d'une cellule de montage",
        "Robotisation du poste de conditionnement",
    ],
    "export": [
        "Prospection export en Allemagne et au Benelux",
        "Ouverture d'un réseau de distributeurs au Maghreb",
        "Certification pour les marchés nord-américains",
    ],
    "diversification": [
        "Diversification vers l'aéronautique",
        "Nouvelle gamme de produits biologiques",
        "Entrée sur le marché des énergies renouvelables",
    ],
    "organisation": [
        "Structuration RH et recrutement de six opérateurs",
        "Démarche qualité ISO 9001",
        "Mise en place d'un ERP et d'un atelier sans papier",
    ],
    "development": [
        "Création d'un bureau d'études intégré",
        "Lancement de la vente en ligne aux professionnels",
        "Reprise d'un concurrent et regroupement des sites",
    ],
}
NEEDS = {
    "investment": ["lean-production", "maintenance", "qualite", "finance", "energie"],
    "export": ["export", "marketing", "finance"],
    "diversification": ["recherche-developpement", "marketing", "qualite"],
    "organisation": ["rh-recrutement", "qualite", "informatique", "securite-environnement"],
    "development": ["marketing", "informatique", "achats", "finance"],
}
EXCEPTION_REASONS = [
    "Reprise en %(year)s du fonds d'un atelier créé en 1981 : savoir-faire, clients et "
    "salariés repris ; l'activité a plus de quarante ans.",
    "Société créée en %(year)s par essaimage d'une PME du bassin (30 ans d'activité) ; "
    "dirigeants expérimentés et premières commandes signées.",
]
ADVANCES = [Decimal(n) for n in ("10000", "11000", "12000", "12500", "13000", "14000", "15000")]


def _siren(rng: random.Random) -> str:
    base = str(rng.randint(30_000_000, 89_999_999))
    return base + luhn.calc_check_digit(base)


def _siret(siren: str) -> str:
    prefix = siren + "0001"
    return prefix + luhn.calc_check_digit(prefix)


def _at(day: dt.date, rng: random.Random | None = None) -> dt.datetime:
    """An aware moment of office hours on ``day`` (9:00, or up to 16:00 when ``rng`` is given)."""
    minutes = rng.randint(0, 7 * 60) if rng else 0
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0))) + dt.timedelta(
        minutes=minutes
    )


def _weekday(day: dt.date) -> dt.date:
    """The Tuesday or Thursday on or after ``day``: committees meet mid-week."""
    while day.weekday() not in (1, 3):
        day += dt.timedelta(days=1)
    return day


def _months_ago(today: dt.date, months: int) -> dt.date:
    """About ``months`` months before ``today`` (average month length)."""
    return today - dt.timedelta(days=round(months * 30.44))


def seed_skills(log):
    """The national skills list (DESIGN §4), shared by projects' needs and experts."""
    for slug, name in SKILLS:
        Skill.objects.update_or_create(slug=slug, defaults={"name": name})
    log(f"{Skill.objects.count()} skills")


class PipelineSeeder:
    """Fills one demo dispositif with SMEs, projects at every stage, past committees with
    attendance, commitments and decisions, a planned committee and jobs follow-ups.

    Everything goes through the real services (so timelines and histories exist), then the
    timeline is dated back to when it happened. Deterministic for a dispositif and a day.
    """

    def __init__(self, spec: DemoDispositif, dispositif: Dispositif, today: dt.date):
        self.spec = spec
        self.dispositif = dispositif
        self.today = today
        self.rng = random.Random(f"alize-demo-{spec.slug}")
        self.animateur = User.objects.get(email=f"animateur.{spec.slug}@{DEMO_DOMAIN}")
        self.skills = {skill.slug: skill for skill in Skill.objects.all()}
        self.members = {
            m.organisation.slug: m.organisation
            for m in Membership.objects.filter(dispositif=dispositif).select_related("organisation")
        }
        self.dates: dict[int, list[dt.datetime]] = {}
        self.needs: dict[int, list[Skill]] = {}
        self.titles: dict[int, set[str]] = {}

    # companies ---------------------------------------------------------------------------
    def person(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(FAMILY_NAMES)

    def companies(self) -> list[Company]:
        area, phone_prefix = AREAS[self.spec.slug]
        trades = self.rng.sample(TRADES, 10)
        young = {9} if self.rng.random() < 0.5 else {8, 9}
        companies, sirens = [], set()
        known = {c.siren: c for c in Company.objects.filter(dispositif=self.dispositif)}
        for index, (pattern, naf) in enumerate(trades):
            siren = _siren(self.rng)
            while siren in sirens:
                siren = _siren(self.rng)
            sirens.add(siren)
            name = pattern.format(nom=self.rng.choice(FAMILY_NAMES), pays=area)
            first, last = self.person()
            headcount = self.rng.randint(12, 25) if index in young else self.rng.randint(8, 140)
            if index in young:
                created = self.today - dt.timedelta(days=self.rng.randint(420, 900))
            else:
                created = self.today - dt.timedelta(days=self.rng.randint(5 * 365, 40 * 365))
            commune = self.rng.choice(self.spec.perimeter)
            fields = {
                "siret": _siret(siren),
                "name": name,
                "naf_code": naf,
                "creation_date": created,
                "headcount": headcount,
                "turnover": Decimal(headcount * self.rng.randint(70, 160) * 1000),
                "commune_code": commune,
                "commune_name": COMMUNES[commune],
                "contact_name": f"{first} {last}",
                "contact_role": self.rng.choice(CONTACT_ROLES),
                "contact_email": f"{slugify(first)}.{slugify(last)}@{slugify(name)}.example.fr",
                "contact_phone": f"{phone_prefix} "
                + " ".join(f"{self.rng.randint(0, 99):02d}" for _ in range(4)),
            }
            reason = self.rng.choice(EXCEPTION_REASONS) % {"year": created.year}
            company = known.get(siren)
            if company is None:
                company = pme_services.company_create(
                    dispositif=self.dispositif, siren=siren, **fields
                )
                if index in young:
                    pme_services.company_record_exception(
                        company=company, reason=reason, by=self.animateur
                    )
            companies.append(company)
        return companies

    # projects and their timeline -------------------------------------------------------
    def project(self, company: Company, referred_on: dt.date, project_type: str) -> Project:
        used = self.titles.setdefault(company.pk, set())
        title = self.rng.choice([t for t in PROJECT_TITLES[project_type] if t not in used])
        used.add(title)
        needs = [
            self.skills[slug]
            for slug in self.rng.sample(NEEDS[project_type], self.rng.randint(1, 3))
        ]
        budget = self.rng.randint(8, 60) * 10_000
        advance = self.rng.choice(ADVANCES)
        loan = round(budget * 0.55 / 1000) * 1000
        aid = round(budget * 0.15 / 1000) * 1000
        plan = (
            f"Prêt bancaire : {loan} € ; aides publiques : {aid} € ; avance remboursable "
            f"Alizé : {advance} € ; autofinancement : {budget - loan - aid - int(advance)} €."
        )
        referrers = [
            self.spec.carrier[0],
            self.spec.carrier[0],
            region_council_slug(self.spec.region),
            f"departement-{self.spec.departements[0]}",
            "credit-agricole",
            "initiative-france",
            "reseau-entreprendre",
            self.spec.firms[0],
        ]
        project = pme_services.project_create(
            company=company,
            by=self.animateur,
            needs=needs,
            title=title,
            project_type=project_type,
            description=(
                f"{company.name} ({company.headcount} salariés) : {title}. Le projet doit "
                "ouvrir de nouveaux marchés et créer des emplois dans le bassin."
            ),
            referred_by=self.members[self.rng.choice(referrers)],
            referred_on=referred_on,
            total_budget=Decimal(budget),
            financing_plan=plan,
            jobs_at_start=company.headcount,
            jobs_planned_3y=company.headcount + self.rng.randint(2, 12),
            requested_advance=advance,
        )
        self.dates[project.pk] = [_at(referred_on, self.rng)]
        self.needs[project.pk] = needs
        return project

    def move(self, project: Project, to_stage: str, on: dt.date, comment: str = "") -> None:
        pme_services.project_transition(
            project=project, to_stage=to_stage, by=self.animateur, comment=comment
        )
        self.dates[project.pk].append(_at(on, self.rng))

    def instruct(self, project: Project, until: dt.date) -> None:
        """referred → qualified → in instruction, spread between referral and ``until``."""
        start = project.referred_on
        span = max((until - start).days, 6)
        self.move(project, Stage.QUALIFIED, start + dt.timedelta(days=span // 3))
        self.move(
            project,
            Stage.IN_INSTRUCTION,
            start + dt.timedelta(days=2 * span // 3),
            comment="Visite de l'entreprise et dossier complet.",
        )

    def for_committee(self, company, committee_date, project_type) -> Project:
        referred = committee_date - dt.timedelta(days=self.rng.randint(75, 160))
        project = self.project(company, referred, project_type)
        self.instruct(project, committee_date - dt.timedelta(days=25))
        return project

    # committees ----------------------------------------------------------------------------
    def committee(self, day: dt.date) -> Committee:
        existing = Committee.objects.filter(dispositif=self.dispositif, date=day).first()
        if existing is not None:
            return existing
        host = committee_services.committee_suggest_host(self.dispositif)
        city = host.city or self.spec.carrier[2]
        return committee_services.committee_schedule(
            dispositif=self.dispositif,
            date=day,
            host=host,
            place=f"{host.name}, {city}",
            start_time=dt.time(9, 30) if self.rng.random() < 0.5 else dt.time(14, 0),
        )

    def put_on_agenda(self, committee: Committee, project: Project) -> AgendaItem:
        project.refresh_from_db()
        item = committee_services.agenda_add_project(
            committee=committee, project=project, by=self.animateur
        )
        on = min(committee.date - dt.timedelta(days=20), self.today - dt.timedelta(days=1))
        self.dates[project.pk].append(_at(on, self.rng))
        return item

    def hold(self, committee: Committee) -> None:
        committee_services.committee_set_status(
            committee=committee, status=CommitteeStatus.AGENDA_SENT
        )
        committee_services.committee_set_status(committee=committee, status=CommitteeStatus.HELD)
        seats = [self.spec.carrier[0], region_council_slug(self.spec.region), "credit-agricole"]
        seats += [slug for slug in self.spec.firms if self.rng.random() < 0.8]
        seats += [
            slug for slug in ("initiative-france", "caisse-des-depots") if self.rng.random() < 0.4
        ]
        for slug in seats:
            first, last = self.person()
            committee_services.attendance_record(
                committee=committee,
                organisation=self.members[slug],
                person_name=f"{first} {last}",
                present=self.rng.random() < 0.9,
            )

    def commitments(self, item: AgendaItem) -> list[Organisation]:
        """The tour de table on an approved dossier: public bodies, CCI, banks, then firms."""
        region = self.members[region_council_slug(self.spec.region)]
        rows = [
            (region, "Aide régionale au développement des PME", self.rng.randint(10, 40) * 1000)
        ]
        if self.rng.random() < 0.5:
            departement = self.members[f"departement-{self.spec.departements[0]}"]
            rows.append((departement, "Aide départementale à l'investissement", 8000))
        else:
            carrier = self.members[self.spec.carrier[0]]
            rows.append((carrier, "Diagnostic et formation des dirigeants", None))
        rows.append((self.members["credit-agricole"], "Prêt d'investissement", None))
        if self.rng.random() < 0.4:
            honour = self.rng.choice(["initiative-france", "reseau-entreprendre"])
            rows.append((self.members[honour], "Prêt d'honneur au dirigeant", 15000))
        count = 2 if len(self.spec.firms) > 1 and self.rng.random() < 0.3 else 1
        firms = self.rng.sample(list(self.spec.firms), count)
        needs = self.needs[item.project_id]
        for n, slug in enumerate(firms):
            skill = needs[n % len(needs)].name if needs else "Organisation"
            rows.append((self.members[slug], f"Mission d'expertise : {skill.lower()}", None))
        for organisation, tool, amount in rows:
            if organisation.slug == "credit-agricole":
                amount = self.rng.randint(10, 50) * 5000
            committee_services.commitment_record(
                item=item,
                organisation=organisation,
                tool=tool,
                amount=Decimal(amount) if amount else None,
                by=self.animateur,
            )
        return [self.members[slug] for slug in firms]

    def decide(self, item: AgendaItem, outcome: str) -> None:
        if outcome == "approved":
            firms = self.commitments(item)
            needs = ", ".join(s.name.lower() for s in self.needs[item.project_id])
            committee_services.committee_record_decision(
                item=item,
                outcome=outcome,
                by=self.animateur,
                missions_granted=len(firms),
                missions_description=f"{needs} ({', '.join(f.name for f in firms)})",
                advance_amount=self.rng.choice(ADVANCES),
                conditions="Avance versée après signature du prêt bancaire.",
            )
        else:
            conditions = {
                "deferred": "Compléter le plan de financement (devis et accord bancaire).",
                "rejected": "Pas de création d'emplois démontrée à trois ans.",
            }[outcome]
            committee_services.committee_record_decision(
                item=item, outcome=outcome, by=self.animateur, conditions=conditions
            )
        self.dates[item.project_id].append(_at(item.committee.date, self.rng))

    def close_minutes(self, committee: Committee) -> None:
        committee_services.committee_update(
            committee=committee,
            minutes="Tour de table sur chaque dossier ; décisions et engagements ci-joints.",
        )
        committee_services.committee_set_status(
            committee=committee, status=CommitteeStatus.MINUTES_SENT
        )

    # follow-ups ----------------------------------------------------------------------------
    def follow_up(self, project: Project, year: int) -> None:
        project.refresh_from_db()
        planned = project.jobs_planned_3y - project.jobs_at_start
        created = min(planned, max(0, round(planned * year / 3) + self.rng.randint(-1, 1)))
        pme_services.follow_up_record(
            project=project,
            year=year,
            headcount=project.jobs_at_start + created,
            jobs_created=created,
            jobs_maintained=project.jobs_at_start,
            source="verified" if year > 1 else "declared",
            by=self.animateur,
        )

    # the whole story -------------------------------------------------------------------
    def run(self) -> None:
        c = self.companies()
        days = [_weekday(_months_ago(self.today, m)) for m in (33, 21, 13)]
        days.append(_weekday(self.today - dt.timedelta(days=45)))
        planned_day = _weekday(self.today + dt.timedelta(days=20))

        # First committee, 33 months ago: two approvals (one since closed) and a refusal.
        closed = self.for_committee(c[0], days[0], "investment")
        followed = self.for_committee(c[1], days[0], "export")
        rejected = self.for_committee(c[2], days[0], "diversification")
        first = self.committee(days[0])
        items = [self.put_on_agenda(first, p) for p in (closed, followed, rejected)]
        self.hold(first)
        for item, outcome in zip(items, ("approved", "approved", "rejected"), strict=True):
            self.decide(item, outcome)
        self.close_minutes(first)

        # Second committee, 21 months ago: two approvals.
        progress_a = self.for_committee(c[3], days[1], "organisation")
        progress_b = self.for_committee(c[4], days[1], "investment")
        second = self.committee(days[1])
        items = [self.put_on_agenda(second, p) for p in (progress_a, progress_b)]
        self.hold(second)
        for item in items:
            self.decide(item, "approved")
        self.close_minutes(second)

        # Third committee, 13 months ago: an approval and a deferral.
        progress_c = self.for_committee(c[5], days[2], "development")
        approved = self.for_committee(c[6], days[2], "export")
        third = self.committee(days[2])
        items = [self.put_on_agenda(third, p) for p in (progress_c, approved)]
        self.hold(third)
        self.decide(items[0], "approved")
        self.decide(items[1], "deferred")
        self.close_minutes(third)

        # Fourth committee, six weeks ago (held, minutes not sent yet): the deferred dossier
        # comes back and is approved; a new one is deferred.
        deferred = self.for_committee(c[7], days[3], "diversification")
        fourth = self.committee(days[3])
        items = [self.put_on_agenda(fourth, p) for p in (approved, deferred)]
        self.hold(fourth)
        self.decide(items[0], "approved")
        self.decide(items[1], "deferred")

        # After approval: missions start, follow-ups at each anniversary, a dossier closes.
        for project, day in ((closed, days[0]), (followed, days[0])):
            self.move(project, Stage.IN_PROGRESS, day + dt.timedelta(days=30))
        for project in (progress_a, progress_b):
            self.move(project, Stage.IN_PROGRESS, days[1] + dt.timedelta(days=28))
        self.move(progress_c, Stage.IN_PROGRESS, days[2] + dt.timedelta(days=35))
        self.follow_up(closed, 1)
        self.follow_up(followed, 1)
        self.follow_up(progress_b, 1)
        if self.rng.random() < 0.5:
            self.follow_up(progress_a, 1)
        self.follow_up(closed, 2)
        for project in (closed, followed):
            self.move(project, Stage.FOLLOWED_UP, days[0] + dt.timedelta(days=380))
        self.move(
            closed,
            Stage.CLOSED,
            days[0] + dt.timedelta(days=750),
            comment="Objectifs d'emplois atteints, missions achevées.",
        )

        # The planned committee in three weeks, with its agenda.
        upcoming = [self.for_committee(c[2], planned_day, "investment")]
        upcoming.append(self.for_committee(c[8], planned_day, "organisation"))
        planned = self.committee(planned_day)
        for project in upcoming:
            self.put_on_agenda(planned, project)

        # Earlier stages of the pipeline.
        recent = self.today - dt.timedelta(days=self.rng.randint(40, 70))
        self.instruct(self.project(c[0], recent, "export"), self.today - dt.timedelta(days=5))
        qualified = self.project(c[9], self.today - dt.timedelta(days=30), "development")
        self.move(qualified, Stage.QUALIFIED, self.today - dt.timedelta(days=12))
        self.project(c[3], self.today - dt.timedelta(days=6), "investment")
        abandoned = self.project(c[4], self.today - dt.timedelta(days=200), "diversification")
        self.move(abandoned, Stage.QUALIFIED, self.today - dt.timedelta(days=180))
        self.move(
            abandoned,
            Stage.ABANDONED,
            self.today - dt.timedelta(days=120),
            comment="Le dirigeant reporte son projet après la perte d'un client important.",
        )
        self.backdate()

    def backdate(self) -> None:
        """Date every timeline step, decision, commitment and follow-up when it happened."""
        steps = list(
            StageTransition.objects.filter(project_id__in=self.dates).order_by("project", "id")
        )
        by_project: dict[int, list[StageTransition]] = {}
        for step in steps:
            by_project.setdefault(step.project_id, []).append(step)
        projects = list(Project.objects.filter(pk__in=self.dates))
        for project in projects:
            for step, when in zip(by_project[project.pk], self.dates[project.pk], strict=True):
                step.at = when
            project.stage_changed_at = self.dates[project.pk][-1]
            project.created_at = self.dates[project.pk][0]
        StageTransition.objects.bulk_update(steps, ["at"])
        Project.objects.bulk_update(projects, ["stage_changed_at", "created_at"])
        decisions = list(Decision.objects.filter(dispositif=self.dispositif).select_related("item"))
        dates = dict(Committee.objects.filter(dispositif=self.dispositif).values_list("pk", "date"))
        for decision in decisions:
            decision.decided_at = _at(dates[decision.item.committee_id]) + dt.timedelta(hours=2)
        Decision.objects.bulk_update(decisions, ["decided_at"])
        commitments = list(
            PartnerCommitment.objects.filter(dispositif=self.dispositif).select_related("item")
        )
        for commitment in commitments:
            commitment.recorded_at = _at(dates[commitment.item.committee_id]) + dt.timedelta(
                hours=1
            )
        PartnerCommitment.objects.bulk_update(commitments, ["recorded_at"])
        follow_ups = list(JobsFollowUp.objects.filter(dispositif=self.dispositif))
        for follow_up in follow_ups:
            follow_up.recorded_at = _at(follow_up.as_of + dt.timedelta(days=12))
        JobsFollowUp.objects.bulk_update(follow_ups, ["recorded_at"])


def seed_pipeline(log):
    """SMEs, projects at every stage, committees and follow-ups in every demo dispositif.

    A dispositif that already has projects is left as it is (running twice adds nothing);
    then the daily reminder job runs, so that due follow-ups show on the home page.
    """
    today = timezone.localdate()
    seeded = 0
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        if Project.objects.filter(dispositif=dispositif).exists():
            continue
        PipelineSeeder(spec, dispositif, today).run()
        seeded += 1
    reminders = pme_services.follow_up_reminders_refresh(today=today)
    log(
        f"pipeline seeded in {seeded} dispositif(s): {Company.objects.count()} companies, "
        f"{Project.objects.count()} projects, {Committee.objects.count()} committees, "
        f"{reminders} new follow-up reminder(s)"
    )


SEEDERS = [seed_organisations_and_dispositifs, seed_users, seed_skills, seed_pipeline]


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
