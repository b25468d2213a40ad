"""Demo data of the missions layer: in every demo dispositif, skill missions from the
committees' approved decisions in every state (proposed, accepted, in progress, completed,
declined or cancelled), a year of hour logs with realistic gaps, closed months with an
adjustment, one mission lent across territories, and a firm (Valti) over its yearly pledge.
Each firm of the tour de table also completed a mission during the previous calendar year,
so last year's annual report and contribution statements (built by the reporting demo)
count real expert-hours.

Missions move through the services, as an animateur and the firms' correspondents would
move them; the hour logs of the past year are written in bulk (with the firms' monthly
totals they feed), keeping the 12-hour rule per person and day. Seeded from a fixed random
seed per dispositif: the same every time. A dispositif that already has missions is left
as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from django.utils import timezone

from alize.accounts.models import User
from alize.demo import DEMO_DOMAIN, Log, register_seeder
from committees.models import Decision, DecisionOutcome
from dispositifs.demo import DISPOSITIFS
from dispositifs.models import Dispositif
from partners.models import Expert, Organisation

from . import services
from .models import FirmMonthHours, HourLog, HourLogKind, SkillMission

HOURS_CHOICES = [Decimal(h) for h in ("2", "3", "3.5", "4", "4.5", "6", "7")]
MAX_DAY = Decimal("12")
# The firm that gave far more than it pledged this year, and the dispositif where it did.
OVER_PLEDGE = ("auxois-morvan", "valti")
# A mission lent across territories: (dispositif, firm without a seat there).
CROSS_TERRITORY = ("ales", "saint-gobain")

OBJECTIVES = {
    "qualite": "Mettre en place une démarche qualité et préparer la certification ISO 9001.",
    "lean-production": "Réorganiser l'atelier en flux et réduire les temps de changement.",
    "export": "Construire le plan d'action export et qualifier deux marchés prioritaires.",
    "marketing": "Revoir l'offre commerciale et structurer la prospection.",
    "finance": "Mettre en place un tableau de bord de gestion et le suivi de trésorerie.",
    "rh-recrutement": "Définir les profils à recruter et organiser l'intégration.",
    "achats": "Renégocier les achats clés et sécuriser deux fournisseurs.",
    "informatique": "Choisir et déployer un outil de gestion de production.",
    "energie": "Réaliser un diagnostic énergétique et chiffrer les économies.",
    "juridique": "Sécuriser les contrats clients et les conditions générales de vente.",
    "strategie": "Formaliser le plan stratégique à trois ans.",
}


def working_days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        if day.weekday() < 5:
            yield day
        day += dt.timedelta(days=1)


class MissionStorySeeder:
    """The missions of one dispositif, from its approved decisions, most recent first."""

    def __init__(self, spec, dispositif, today: dt.date, day_hours: dict):
        self.spec = spec
        self.dispositif = dispositif
        self.today = today
        self.rng = random.Random(f"missions-{spec.slug}")
        self.day_hours = day_hours  # (expert id, day) → hours, shared by every dispositif
        self.animateur = User.objects.get(email=f"animateur.{spec.slug}@{DEMO_DOMAIN}")
        self.logs: list[HourLog] = []
        self.granted: dict[int, int] = {}  # decision id → missions it may still carry

    def correspondent(self, firm):
        return User.objects.get(email=f"correspondant.{firm.slug}@{DEMO_DOMAIN}")

    def experts(self, firm, *, lent_only=False):
        experts = Expert.objects.filter(organisation=firm, is_active=True).order_by("pk")
        if lent_only:
            experts = experts.filter(lends_across_territories=True)
        return list(experts.prefetch_related("skills"))

    def propose(self, decision, firm, expert, *, starts_on, ends_on, planned):
        skill = expert.skills.all()[0]
        return services.mission_create(
            decision=decision,
            firm=firm,
            skill=skill,
            objective=OBJECTIVES.get(skill.slug, "Accompagner l'entreprise sur ce sujet."),
            planned_hours=Decimal(planned),
            starts_on=starts_on,
            ends_on=ends_on,
            by=self.animateur,
        )

    def decision(self, decisions: list, before: dt.date):
        """Take the latest decision made before ``before`` (else the oldest) that still
        grants a mission; a decision granting two missions may carry two."""
        for decision in decisions:
            self.granted.setdefault(decision.pk, decision.missions_granted)
        open_ = [d for d in decisions if self.granted[d.pk] > 0]
        earlier = [d for d in open_ if d.decided_at.date() <= before]
        chosen = earlier[-1] if earlier else open_[0]
        self.granted[chosen.pk] -= 1
        if not self.granted[chosen.pk]:
            decisions.remove(chosen)
        return chosen

    def accept(self, mission, firm, experts):
        # A demo team may hold an expert of another skill, whom the firm chose knowingly.
        services.mission_accept(
            mission=mission,
            by=self.correspondent(firm),
            experts=experts,
            confirm_without_skill=True,
        )

    def complete(self, mission) -> None:
        """Both evaluations, then the animateur completes the mission."""
        for party, text in (
            ("sme", "Accompagnement très concret, l'équipe a gagné en méthode."),
            ("expert", "Dirigeant impliqué, plan d'action suivi d'effet."),
        ):
            services.mission_record_evaluation(
                mission=mission,
                by=self.animateur,
                party=party,
                text=text,
                rating=self.rng.choice((4, 5)),
            )
        services.mission_complete(mission=mission, by=self.animateur)

    def last_year(self, decisions) -> list[SkillMission]:
        """One completed mission per firm of the tour de table during the previous
        calendar year, one after the other from February, each ended by mid-December."""
        year = self.today.year - 1
        start = dt.date(year, 2, 2) + dt.timedelta(days=self.rng.randint(0, 20))
        missions = []
        for firm in [Organisation.objects.get(slug=slug) for slug in self.spec.firms]:
            experts = self.experts(firm)
            team = experts[:2] if len(experts) > 2 else experts[:1]
            ends_on = min(
                start + dt.timedelta(days=self.rng.randint(75, 105)), dt.date(year, 12, 15)
            )
            mission = self.propose(
                self.decision(decisions, start),
                firm,
                team[0],
                starts_on=start,
                ends_on=ends_on,
                planned=self.rng.choice((60, 80, 100)),
            )
            self.accept(mission, firm, team)
            services.mission_start(mission=mission, by=self.animateur)
            self.log_hours(mission, team, last=ends_on, rate=0.3)
            self.complete(mission)
            missions.append(mission)
            start = ends_on + dt.timedelta(days=self.rng.randint(10, 25))
        return missions

    def log_hours(self, mission, experts, *, last: dt.date, rate: float, heavy=False):
        """Entries on working days from the mission's start to ``last``, with gaps, never
        beyond the mission's planned hours (the network gives about 500 expert-days a year
        over thirty territories)."""
        logged = Decimal(0)
        for day in working_days(mission.starts_on, min(last, mission.ends_on)):
            for expert in experts:
                if self.rng.random() > rate:
                    continue
                hours = self.rng.choice(HOURS_CHOICES[-2:] if heavy else HOURS_CHOICES)
                key = (expert.pk, day)
                if self.day_hours[key] + hours > MAX_DAY or logged + hours > mission.planned_hours:
                    continue
                logged += hours
                self.day_hours[key] += hours
                self.logs.append(
                    HourLog(
                        dispositif_id=self.dispositif.pk,
                        mission=mission,
                        expert=expert,
                        date=day,
                        hours=hours,
                        kind=HourLogKind.ENTRY,
                        created_by_id=expert.user_id,
                    )
                )

    def run(self, decisions) -> list[SkillMission]:
        today, spec = self.today, self.spec
        firms = [Organisation.objects.get(slug=slug) for slug in spec.firms]
        first, second = firms[0], firms[-1]
        first_experts, second_experts = self.experts(first), self.experts(second)
        missions = []

        # Completed last winter: its hours lie in months the animateur has since closed.
        start = today - dt.timedelta(days=330)
        completed = self.propose(
            self.decision(decisions, start),
            first,
            first_experts[0],
            starts_on=start,
            ends_on=start + dt.timedelta(90),
            planned=40,
        )
        self.accept(completed, first, first_experts[:1])
        services.mission_start(mission=completed, by=self.animateur)
        self.log_hours(completed, first_experts[:1], last=completed.ends_on, rate=0.25)
        self.complete(completed)
        missions.append(completed)

        # In progress since the summer (or since January, for the firm over its pledge).
        heavy = (spec.slug, first.slug) == OVER_PLEDGE
        start = dt.date(today.year, 1, 5) if heavy else today - dt.timedelta(days=120)
        running = self.propose(
            self.decision(decisions, start),
            first,
            first_experts[0],
            starts_on=start,
            ends_on=today + dt.timedelta(days=60),
            planned=400 if heavy else 60,
        )
        team = first_experts[:2] if heavy else first_experts[:1]
        self.accept(running, first, team)
        services.mission_start(mission=running, by=self.animateur)
        self.log_hours(
            running,
            team,
            last=today - dt.timedelta(days=1),
            rate=0.85 if heavy else 0.3,
            heavy=heavy,
        )
        missions.append(running)

        # A second one in progress, with the other firm of the tour de table.
        recent = self.propose(
            self.decision(decisions, today),
            second,
            second_experts[0],
            starts_on=today - dt.timedelta(days=45),
            ends_on=today + dt.timedelta(days=90),
            planned=30,
        )
        self.accept(recent, second, second_experts[:1])
        services.mission_start(mission=recent, by=self.correspondent(second))
        self.log_hours(recent, second_experts[:1], last=today - dt.timedelta(days=3), rate=0.3)
        missions.append(recent)

        # Accepted, starting next week; proposed, waiting for the firm's answer.
        accepted = self.propose(
            self.decision(decisions, today),
            second,
            second_experts[-1],
            starts_on=today + dt.timedelta(days=7),
            ends_on=today + dt.timedelta(days=100),
            planned=24,
        )
        self.accept(accepted, second, second_experts[-1:])
        missions.append(accepted)
        missions.append(
            self.propose(
                self.decision(decisions, today),
                first,
                first_experts[-1],
                starts_on=today + dt.timedelta(days=21),
                ends_on=today + dt.timedelta(days=120),
                planned=20,
            )
        )

        # Declined by a firm (every other dispositif), or cancelled by the animateur.
        closed = self.propose(
            self.decision(decisions, today),
            second,
            second_experts[0],
            starts_on=today - dt.timedelta(days=70),
            ends_on=today + dt.timedelta(days=20),
            planned=16,
        )
        if DISPOSITIFS.index(spec) % 2 == 0:
            services.mission_decline(
                mission=closed,
                by=self.correspondent(second),
                reason="Aucun expert disponible sur cette période, à reproposer au printemps.",
            )
        else:
            services.mission_cancel(
                mission=closed,
                by=self.animateur,
                reason="L'entreprise a trouvé l'accompagnement auprès de sa banque.",
            )
        missions.append(closed)

        if spec.slug == CROSS_TERRITORY[0] and decisions:
            lender = Organisation.objects.get(slug=CROSS_TERRITORY[1])
            lent = self.experts(lender, lent_only=True)
            borrowed = self.propose(
                self.decision(decisions, today),
                lender,
                lent[0],
                starts_on=today - dt.timedelta(days=60),
                ends_on=today + dt.timedelta(days=60),
                planned=35,
            )
            self.accept(borrowed, lender, lent[:1])
            services.mission_start(mission=borrowed, by=self.animateur)
            self.log_hours(borrowed, lent[:1], last=today - dt.timedelta(days=1), rate=0.3)
            missions.append(borrowed)
        return missions

    def save_hours(self) -> None:
        """The entries in bulk, and the firms' monthly totals they add up to."""
        HourLog.objects.bulk_create(self.logs, batch_size=2000)
        totals: dict = defaultdict(Decimal)
        for log in self.logs:
            totals[(log.mission.firm_id, log.date.replace(day=1))] += log.hours
        FirmMonthHours.objects.bulk_create(
            FirmMonthHours(dispositif_id=self.dispositif.pk, firm_id=firm, month=month, hours=h)
            for (firm, month), h in sorted(totals.items())
        )

    def close_months(self) -> None:
        """The animateur has closed every month from January of last year up to the one
        before last."""
        month = dt.date(self.today.year - 1, 1, 1)
        last = (self.today.replace(day=1) - dt.timedelta(days=40)).replace(day=1)
        while month <= last:
            services.month_close(dispositif=self.dispositif, month=month, by=self.animateur)
            month = (month + dt.timedelta(days=32)).replace(day=1)

    def adjust(self, mission) -> None:
        """A correction after closing: an hour forgotten on the completed mission."""
        entry = next(
            (
                log
                for log in self.logs
                if log.mission_id == mission.pk
                and self.day_hours[(log.expert_id, log.date)] + 1 <= MAX_DAY
            ),
            None,
        )
        if entry is None:
            return
        self.day_hours[(entry.expert_id, entry.date)] += 1
        services.hour_adjustment_create(
            mission=mission,
            expert=entry.expert,
            date=entry.date,
            hours=Decimal("1"),
            reason="Réunion de restitution oubliée lors de la saisie.",
            by=self.animateur,
            corrects=entry,
        )


@register_seeder(70)
def seed_missions(log: Log) -> None:
    """Missions, hours, closed months and an adjustment in every demo dispositif."""
    today = timezone.localdate()
    day_hours: dict = defaultdict(Decimal)
    for expert_id, day, hours in HourLog.objects.filter(
        date__gte=dt.date(today.year - 1, 1, 1)
    ).values_list("expert_id", "date", "hours"):
        day_hours[(expert_id, day)] += hours
    seeded = 0
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        if SkillMission.objects.filter(dispositif=dispositif).exists():
            continue
        decisions = list(
            Decision.objects.filter(
                dispositif=dispositif, outcome=DecisionOutcome.APPROVED, missions_granted__gt=0
            ).order_by("decided_at", "pk")
        )
        seeder = MissionStorySeeder(spec, dispositif, today, day_hours)
        earlier = seeder.last_year(decisions)
        missions = seeder.run(decisions) + earlier
        seeder.save_hours()
        seeder.close_months()
        seeder.adjust(missions[0])
        seeded += 1
    log(f"missions seeded in {seeded} dispositif(s), {HourLog.objects.count()} hour logs")
