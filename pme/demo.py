"""Demo data of the pipeline layer: SMEs and their projects up to instruction, their
follow-ups, and the daily follow-up reminders. The committees' demo drives the story."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import override
from stdnum import luhn

from alize import links
from alize.accounts.models import User
from alize.demo import DEMO_DOMAIN, Log, register_seeder
from alize.formats import money
from dispositifs.demo import DemoDispositif, region_council_slug
from dispositifs.models import Dispositif, Membership
from partners.models import Skill

from . import services as pme_services
from .models import (
    Company,
    DeclarationStatus,
    FollowUpDeclaration,
    JobsFollowUp,
    Project,
    Stage,
    StageTransition,
)

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


def euros(amount) -> str:
    """Whole euros as the French free text of a financing plan reads them: ``324 000 €``."""
    with override("fr"):
        return money(amount, decimals=0)


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


class PipelineSeeder:
    """Fills one demo dispositif with SMEs and projects, moves them along the stage machine
    and records their jobs follow-ups; the committees' demo adds the meetings.

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
        # A company with a long history may have used every title of the type: then any
        # title it has not used yet.
        free = [t for t in PROJECT_TITLES[project_type] if t not in used] or [
            t for titles in PROJECT_TITLES.values() for t in titles if t not in used
        ]
        title = self.rng.choice(free)
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
            f"Prêt bancaire : {euros(loan)} ; aides publiques : {euros(aid)} ; avance "
            f"remboursable Alizé : {euros(advance)} ; autofinancement : "
            f"{euros(budget - loan - aid - int(advance))}."
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

    # follow-ups ----------------------------------------------------------------------------
    def follow_up(self, project: Project, year: int) -> None:
        project.refresh_from_db()
        planned = project.jobs_planned_3y - project.jobs_at_start
        created = min(planned, max(0, round(planned * year / 3) + self.rng.randint(-1, 1)))
        headcount, maintained = project.jobs_at_start + created, project.jobs_at_start
        # About one supported SME in ten has closed by its third year (the network reports a
        # survival at three years of 85 to 92 %); drawn from the company itself, so the
        # rest of the story is the same.
        closed = random.Random(f"{project.company.siren}:{project.title}").random() < 0.1
        if year == 3 and closed:
            headcount, created, maintained = 0, 0, 0
        pme_services.follow_up_record(
            project=project,
            year=year,
            headcount=headcount,
            jobs_created=created,
            jobs_maintained=maintained,
            source="verified" if year > 1 else "declared",
            by=self.animateur,
        )

    def backdate(self) -> None:
        """Date every timeline step and follow-up when it happened."""
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
        follow_ups = list(JobsFollowUp.objects.filter(dispositif=self.dispositif))
        for follow_up in follow_ups:
            follow_up.recorded_at = _at(follow_up.as_of + dt.timedelta(days=12))
        JobsFollowUp.objects.bulk_update(follow_ups, ["recorded_at"])


@register_seeder(60)
def seed_follow_up_reminders(log: Log) -> None:
    """The daily reminder job's work, so that due follow-ups show on the home page."""
    reminders = pme_services.follow_up_reminders_refresh(today=timezone.localdate())
    log(f"{reminders} new follow-up reminder(s)")
    asked = pme_services.follow_up_declarations_request(today=timezone.localdate())
    log(f"{len(asked)} follow-up(s) asked of the SMEs")
    _declare_one_per_dispositif()


def _declare_one_per_dispositif() -> None:
    """In each dispositif, the SME asked first has answered through its link: its
    declaration waits for the animateur's review on the home page."""
    requested = FollowUpDeclaration.objects.filter(
        status=DeclarationStatus.REQUESTED
    ).select_related("project", "link")
    answered = set(
        FollowUpDeclaration.objects.exclude(status=DeclarationStatus.REQUESTED).values_list(
            "dispositif_id", flat=True
        )
    )
    for declaration in requested.order_by("dispositif_id", "requested_at", "id"):
        if declaration.dispositif_id in answered:
            continue
        answered.add(declaration.dispositif_id)
        project = declaration.project
        created = max(project.jobs_planned_3y - project.jobs_at_start, 0) // 3
        pme_services.follow_up_declaration_submit(
            link=links.link_open(
                pme_services.FOLLOW_UP_LINK_PURPOSE, links.link_token(declaration.link)
            ),
            headcount=project.jobs_at_start + created,
            jobs_created=created,
            jobs_maintained=project.jobs_at_start,
            comment="Chiffres de la dernière DSN.",
        )
