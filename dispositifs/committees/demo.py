"""Demo data of the committees layer: the story of each demo dispositif over three years,
with its committees, attendance, tours de table, decisions and the projects that follow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from alize.demo import Log, register_seeder
from dispositifs.demo import DISPOSITIFS, region_council_slug
from dispositifs.models import Dispositif
from partners.models import Organisation
from pme.demo import ADVANCES, PipelineSeeder, _at, _months_ago, _weekday
from pme.models import Company, Project, Stage

from . import services as committee_services
from .models import AgendaItem, Committee, CommitteeStatus, Decision, PartnerCommitment


class CommitteeStorySeeder(PipelineSeeder):
    """The pipeline of one demo dispositif told through its committees: four held ones
    (approvals, deferrals, a refusal) and a planned one with its agenda."""

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


@register_seeder(50)
def seed_pipeline(log: Log) -> None:
    """SMEs, projects at every stage, committees and follow-ups in every demo dispositif.

    A dispositif that already has projects is left as it is (running twice adds nothing).
    """
    today = timezone.localdate()
    seeded = 0
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        if Project.objects.filter(dispositif=dispositif).exists():
            continue
        CommitteeStorySeeder(spec, dispositif, today).run()
        seeded += 1
    log(
        f"pipeline seeded in {seeded} dispositif(s): {Company.objects.count()} companies, "
        f"{Project.objects.count()} projects, {Committee.objects.count()} committees"
    )
