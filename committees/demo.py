"""Demo data of the committees layer: the story of each demo dispositif over three years,
with its committees, attendance, tours de table, decisions and the projects that follow."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from alize.demo import Log, register_seeder, share
from dispositifs.demo import DISPOSITIFS, region_council_slug
from dispositifs.models import Dispositif
from partners.models import Organisation
from pme.demo import ADVANCES, PROJECT_TITLES, PipelineSeeder, _at, _months_ago, _weekday
from pme.models import Company, Project, Stage

from . import services as committee_services
from .models import (
    AgendaItem,
    Committee,
    CommitteeStatus,
    Decision,
    InterestDeclaration,
    PartnerCommitment,
)
from .selectors import committee_member_users

# Outcomes of the dossiers of an older committee, and how often: most are approved, some
# refused, a few deferred (and then abandoned).
OLDER_OUTCOMES = ["approved"] * 14 + ["rejected"] * 3 + ["deferred"] * 3

# The demo dispositif with the optional scoring grid: its criteria and their weights.
SCORING_DISPOSITIF = "valenciennes"
SCORING_CRITERIA = (("Création d'emplois", 3), ("Viabilité", 2), ("Ancrage local", 1))


class CommitteeStorySeeder(PipelineSeeder):
    """The pipeline of one demo dispositif told through its committees: four recent held ones
    (approvals, deferrals, a refusal), a planned one with its agenda, and, the older the
    dispositif, the more committees before them. Early stages vary by dispositif, so that
    the funnel narrows from referral to committee to acceptance as it does in real life.

    Past committees are recorded through ``committee_record_past`` (created held), as the
    committee guards require; the planned one is scheduled in the future.
    """

    def for_committee(self, company, committee_date, project_type) -> Project:
        referred = committee_date - dt.timedelta(days=self.rng.randint(75, 160))
        project = self.project(company, referred, project_type)
        self.instruct(project, committee_date - dt.timedelta(days=25))
        return project

    # committees ----------------------------------------------------------------------------
    def _meeting(self) -> dict:
        host = committee_services.committee_suggest_host(self.dispositif)
        # The place is left to the service: the host's address (name, street, city).
        return {
            "host": host,
            "place": "" if host.city or host.address else f"{host.name}, {self.spec.carrier[2]}",
            "start_time": dt.time(9, 30) if self.rng.random() < 0.5 else dt.time(14, 0),
        }

    def committee(self, day: dt.date) -> Committee:
        """The planned committee (in the future)."""
        return committee_services.committee_schedule(
            dispositif=self.dispositif, date=day, **self._meeting()
        )

    def past_committee(self, day: dt.date, projects: list[Project]) -> list[AgendaItem]:
        """A committee already held, with its agenda and attendance; returns its dossiers."""
        committee = committee_services.committee_record_past(
            dispositif=self.dispositif,
            date=day,
            projects=projects,
            by=self.animateur,
            **self._meeting(),
        )
        on = min(day - dt.timedelta(days=20), self.today - dt.timedelta(days=1))
        for project in projects:
            self.dates[project.pk].append(_at(on, self.rng))
        self.attend(committee)
        return list(committee.items.select_related("committee").order_by("order"))

    def put_on_agenda(self, committee: Committee, project: Project) -> AgendaItem:
        project.refresh_from_db()
        item = committee_services.agenda_add_project(
            committee=committee, project=project, by=self.animateur
        )
        on = min(committee.date - dt.timedelta(days=20), self.today - dt.timedelta(days=1))
        self.dates[project.pk].append(_at(on, self.rng))
        return item

    def attend(self, committee: Committee) -> None:
        """The roster: the carrier, the region, the bank and a firm sit (the quorum), other
        firms and partners come, are represented, excused or absent."""
        always = [self.spec.carrier[0], region_council_slug(self.spec.region), "credit-agricole"]
        firms = list(self.spec.firms)
        always.append(firms[0])
        others = firms[1:] + ["initiative-france", "caisse-des-depots"]
        lines = []
        for slug in always + others:
            first, last = self.person()
            status = "present"
            if slug in others:
                status = self.rng.choice(["present", "present", "represented", "excused", "absent"])
            lines.append(
                committee_services.RosterLine(
                    organisation=self.members[slug],
                    status=status,
                    person_name=f"{first} {last}" if status == "present" else "",
                    represented_by=f"{first} {last}" if status == "represented" else "",
                )
            )
        committee_services.attendance_record_roster(committee=committee, lines=lines)

    def invitation_answers(self, committee: Committee) -> None:
        """Before the planned committee: the demo member answers the invitation with a word
        for the animateur, and a firm declares an interest in one dossier."""
        for assignment in committee_member_users(self.dispositif.pk):
            committee_services.committee_reply(
                committee=committee,
                user=assignment.user,
                organisation=assignment.organisation,
                answer="yes",
                comment="Je viendrai avec notre chargée de mission développement économique.",
            )
        firm = self.members[self.spec.firms[0]]
        item = committee.items.order_by("order").first()
        if item is not None:
            committee_services.interest_declare(
                item=item,
                organisation=firm,
                kind="customer",
                note="L'entreprise est l'un de nos sous-traitants.",
                by=self.animateur,
            )

    def scoring_grid(self, committee: Committee) -> None:
        """The dispositif's scoring grid (three weighted criteria) and its members' scores
        of the planned committee's dossiers; the recused firm does not score its dossier."""
        criteria = [
            committee_services.criterion_create(
                dispositif=self.dispositif, name=name, weight=weight, order=order
            )
            for order, (name, weight) in enumerate(SCORING_CRITERIA, start=1)
        ]
        recused = {
            (interest.item_id, interest.organisation_id)
            for interest in InterestDeclaration.objects.filter(item__committee=committee)
        }
        rng = random.Random(f"alize-demo-scores-{self.spec.slug}")
        for item in committee.items.order_by("order"):
            for organisation in list(self.members.values())[:5]:
                if (item.pk, organisation.pk) in recused:
                    continue
                committee_services.dossier_score(
                    item=item,
                    organisation=organisation,
                    scores={c.pk: rng.randint(2, 5) for c in criteria},
                    by=self.animateur,
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
        items = self.past_committee(days[0], [closed, followed, rejected])
        for item, outcome in zip(items, ("approved", "approved", "rejected"), strict=True):
            self.decide(item, outcome)
        self.close_minutes(items[0].committee)

        # Second committee, 21 months ago: two approvals.
        progress_a = self.for_committee(c[3], days[1], "organisation")
        progress_b = self.for_committee(c[4], days[1], "investment")
        items = self.past_committee(days[1], [progress_a, progress_b])
        for item in items:
            self.decide(item, "approved")
        self.close_minutes(items[0].committee)

        # Third committee, 13 months ago: an approval and a deferral.
        progress_c = self.for_committee(c[5], days[2], "development")
        approved = self.for_committee(c[6], days[2], "export")
        items = self.past_committee(days[2], [progress_c, approved])
        self.decide(items[0], "approved")
        self.decide(items[1], "deferred")
        self.close_minutes(items[0].committee)

        # Fourth committee, six weeks ago (held, minutes not sent yet): the deferred dossier
        # comes back and is approved; a new one is deferred.
        deferred = self.for_committee(c[7], days[3], "diversification")
        items = self.past_committee(days[3], [approved, deferred])
        # The bank lends to the second company: it declared its interest and is recused.
        committee_services.interest_declare(
            item=items[1],
            organisation=self.members["credit-agricole"],
            kind="creditor",
            note="Prêt de trésorerie en cours auprès de l'agence locale.",
            by=self.animateur,
        )
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
        self.invitation_answers(planned)
        if self.spec.slug == SCORING_DISPOSITIF:
            self.scoring_grid(planned)

        # Older history (older dispositifs only), then the earlier stages of the pipeline.
        self.older_committees(c)
        self.early_pipeline(c)
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

    # variations by dispositif ------------------------------------------------------------
    def history_years(self) -> int:
        """How many years of committees come before the recent story: the older the
        dispositif, the more (from none for the youngest to five for the oldest)."""
        return max(0, 2005 - self.spec.launched)

    def any_project(self, companies, referred_on: dt.date) -> Project:
        """A project of a company that still has an unused title for the type drawn."""
        while True:
            company = self.rng.choice(companies)
            project_type = self.rng.choice(sorted(PROJECT_TITLES))
            used = self.titles.get(company.pk, set())
            if any(title not in used for title in PROJECT_TITLES[project_type]):
                return self.project(company, referred_on, project_type)

    def older_committees(self, companies) -> None:
        """Two committees a year before the recent story, for older dispositifs, of three to
        five dossiers each (about five approved a year, the network's pace): most approved
        dossiers have since been followed for three years and many are closed; deferred
        ones were abandoned."""
        for year in range(self.history_years(), 0, -1):
            for months in (30 + 12 * year, 36 + 12 * year):
                day = _weekday(_months_ago(self.today, months))
                projects = []
                for _ in range(self.rng.randint(3, 5)):
                    referred = day - dt.timedelta(days=self.rng.randint(75, 160))
                    project = self.any_project(companies, referred)
                    self.instruct(project, day - dt.timedelta(days=25))
                    projects.append(project)
                items = self.past_committee(day, projects)
                for item in items:
                    outcome = self.rng.choice(OLDER_OUTCOMES)
                    self.decide(item, outcome)
                    self.after_older_decision(item.project, day, outcome)
                self.close_minutes(items[0].committee)

    def after_older_decision(self, project: Project, day: dt.date, outcome: str) -> None:
        if outcome == "deferred":
            self.move(
                project,
                Stage.ABANDONED,
                day + dt.timedelta(days=self.rng.randint(60, 150)),
                comment="Le dirigeant n'a pas obtenu le financement bancaire.",
            )
            return
        if outcome != "approved":
            return
        self.move(project, Stage.IN_PROGRESS, day + dt.timedelta(days=self.rng.randint(20, 45)))
        for year in (1, 2, 3):
            self.follow_up(project, year)
        self.move(project, Stage.FOLLOWED_UP, day + dt.timedelta(days=380))
        if self.rng.random() < 0.6:
            self.move(
                project,
                Stage.CLOSED,
                day + dt.timedelta(days=self.rng.randint(1100, 1200)),
                comment="Suivi à trois ans achevé.",
            )

    def early_pipeline(self, companies) -> None:
        """More referrals than qualified projects, more qualified than in instruction: the
        top of the funnel, different in every dispositif."""
        for _ in range(self.rng.randint(1, 3) + self.history_years() // 2):
            self.any_project(companies, self.today - dt.timedelta(days=self.rng.randint(2, 30)))
        for _ in range(self.rng.randint(0, 2) + self.history_years() // 3):
            project = self.any_project(
                companies, self.today - dt.timedelta(days=self.rng.randint(35, 80))
            )
            self.move(project, Stage.QUALIFIED, self.today - dt.timedelta(days=20))
        for _ in range(self.rng.randint(0, 2)):
            referred = self.today - dt.timedelta(days=self.rng.randint(200, 400))
            project = self.any_project(companies, referred)
            self.move(project, Stage.QUALIFIED, referred + dt.timedelta(days=20))
            self.move(
                project,
                Stage.ABANDONED,
                referred + dt.timedelta(days=90),
                comment="Projet reporté par l'entreprise.",
            )
        for _ in range(self.rng.randint(0, 1)):
            project = self.any_project(
                companies, self.today - dt.timedelta(days=self.rng.randint(60, 120))
            )
            self.instruct(project, self.today - dt.timedelta(days=3))

    def backdate(self) -> None:
        """Date the decisions and commitments too (the pipeline dates its own rows)."""
        super().backdate()
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


@register_seeder(50, each_dispositif=True)
def seed_pipeline(log: Log) -> None:
    """SMEs, projects at every stage, committees and follow-ups in every demo dispositif.

    A dispositif that already has projects is left as it is (running twice adds nothing).
    """
    today = timezone.localdate()
    seeded = 0
    specs = share(DISPOSITIFS)
    for spec in specs:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        if Project.objects.filter(dispositif=dispositif).exists():
            continue
        CommitteeStorySeeder(spec, dispositif, today).run()
        seeded += 1
    mine = {"dispositif__slug__in": [spec.slug for spec in specs]}
    log(
        f"pipeline seeded in {seeded} dispositif(s): {Company.objects.filter(**mine).count()} "
        f"companies, {Project.objects.filter(**mine).count()} projects, "
        f"{Committee.objects.filter(**mine).count()} committees"
    )
