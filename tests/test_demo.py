"""The demo data (docs/architecture.md §9): idempotent, complete in every dispositif, logins
that work, and the same isolation as real data.

Seeding takes a while, so the module seeds once inside a transaction that is rolled back
when the module ends; each test runs in its own savepoint on top of it.
"""

import datetime as dt
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import reverse
from stdnum.fr import siren as siren_number

from alize import demo
from alize.accounts.models import User
from alize.tenancy import scope
from committees.models import Committee, CommitteeStatus, Decision, PartnerCommitment
from dispositifs.demo import DISPOSITIFS
from dispositifs.models import Dispositif, Membership
from partners.models import OrganisationKind, Skill
from pme.models import Company, FollowUpReminder, Project, Stage, StageTransition
from tests.clock import NOW, TODAY
from tests.conftest import api_client_for
from tests.demo_data import rolled_back_demo


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The whole demo, seeded once for the module and rolled back at its end."""
    with rolled_back_demo(django_db_blocker):
        yield row_counts()


@pytest.fixture
def demo_db(seeded, db):
    return seeded


def every_demo_dispositif():
    return Dispositif.unscoped_objects.filter(slug__in=[s.slug for s in DISPOSITIFS])


def test_forced_seeding_twice_duplicates_nothing(demo_db):
    output = StringIO()
    call_command("seed_demo", "--force", stdout=output)
    assert row_counts() == demo_db
    assert "pipeline seeded in 0 dispositif(s)" in output.getvalue()
    assert demo_db["pme.Project"] >= 11 * len(DISPOSITIFS)


def test_a_database_with_data_is_not_seeded_again(demo_db):
    seat = Membership.unscoped_objects.filter(
        dispositif__slug="valenciennes", organisation__slug="credit-agricole"
    ).get()
    with scope([seat.dispositif_id]):
        seat.delete()
    renamed = User.objects.get(email="animateur.chambery@demo.alize.fr")
    renamed.full_name = "Claire Martin"
    renamed.save()
    output = StringIO()
    call_command("seed_demo", stdout=output)
    assert not Membership.unscoped_objects.filter(pk=seat.pk).exists()
    assert not Membership.unscoped_objects.filter(
        dispositif__slug="valenciennes", organisation__slug="credit-agricole"
    ).exists()
    assert User.objects.get(pk=renamed.pk).full_name == "Claire Martin"
    expected = demo_db | {"dispositifs.Membership": demo_db["dispositifs.Membership"] - 1}
    counts = row_counts()
    assert {k: v for k, v in counts.items() if ".Historical" not in k} == {
        k: v for k, v in expected.items() if ".Historical" not in k
    }
    text = output.getvalue()
    assert "nothing seeded" in text
    assert "animateur.valenciennes@demo.alize.fr" in text and "API token" in text


def test_the_demo_seeds_in_layer_order():
    names = [f"{seeder.__module__}.{seeder.__name__}" for seeder in demo.seeders()]
    assert names == [
        "alize.demo.seed_coordination",
        "partners.demo.seed_organisations",
        "partners.demo.seed_skills",
        "partners.demo.seed_firm_logins",
        "partners.demo.seed_experts",
        "dispositifs.demo.seed_dispositifs",
        "dispositifs.demo.seed_dispositif_logins",
        "committees.demo.seed_pipeline",
        "pme.demo.seed_follow_up_reminders",
        "missions.demo.seed_missions",
        "loans.demo.seed_loans",
        "reporting.demo.seed_documents",
    ]


def test_every_demo_dispositif_has_a_past_agenda_and_last_years_report(demo_db):
    from reporting.models import Document, DocumentKind, DocumentStatus

    last_year = 2025
    done = Document.objects.filter(status=DocumentStatus.DONE, is_current=True)
    for dispositif in every_demo_dispositif():
        kinds = set(done.filter(dispositif=dispositif).values_list("kind", "year"))
        assert (DocumentKind.ANNUAL_REPORT, last_year) in kinds, dispositif
        assert any(kind == DocumentKind.AGENDA for kind, _year in kinds), dispositif
        for document in done.filter(dispositif=dispositif):
            assert document.file.storage.exists(document.file.name)
    statements = done.filter(kind=DocumentKind.CONTRIBUTION_STATEMENT, year=last_year)
    assert statements.filter(organisation__slug="edf").exists()


def test_skills_are_the_national_list(demo_db):
    slugs = set(Skill.objects.values_list("slug", flat=True))
    assert {"qualite", "export", "lean-production", "rh-recrutement", "marketing"} <= slugs
    assert {"finance", "achats", "informatique", "securite-environnement"} <= slugs
    assert "recherche-developpement" in slugs


def test_every_dispositif_holds_realistic_companies(demo_db):
    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            companies = list(Company.objects.filter(dispositif=dispositif))
            assert 8 <= len(companies) <= 12, dispositif.slug
            for company in companies:
                assert siren_number.is_valid(company.siren)
                assert company.siret.startswith(company.siren)
                assert company.commune_code in dispositif.perimeter
                assert company.eligibility().eligible, company
            young = [c for c in companies if c.age_years(TODAY) < 3]
            assert 1 <= len(young) <= 2, dispositif.slug
            assert all(c.eligibility_exception and c.exception_reason for c in young)
            assert sum(c.age_years(TODAY) >= 3 for c in companies) >= 8


def test_every_dispositif_has_projects_at_every_stage_with_timelines(demo_db):
    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            projects = Project.objects.filter(dispositif=dispositif)
            assert set(projects.values_list("stage", flat=True)) == set(Stage.values), (
                dispositif.slug
            )
            for project in projects.prefetch_related("transitions"):
                steps = list(project.transitions.all())
                assert steps[0].to_stage == Stage.REFERRED
                assert steps[-1].to_stage == project.stage
                assert [s.at for s in steps] == sorted(s.at for s in steps), project
                assert all(a.to_stage == b.from_stage for a, b in zip(steps, steps[1:]))


def test_every_dispositif_has_held_and_planned_committees(demo_db):
    past = (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT)
    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            committees = Committee.objects.filter(dispositif=dispositif)
            held = committees.filter(status__in=past, date__lt=TODAY)
            assert held.filter(status=CommitteeStatus.MINUTES_SENT).exists()
            assert Decision.objects.filter(item__committee__in=held).count() >= 5
            assert {d.outcome for d in Decision.objects.filter(dispositif=dispositif)} == {
                "approved",
                "deferred",
                "rejected",
            }
            assert all(c.attendances.exists() for c in held)
            planned = committees.get(status=CommitteeStatus.PLANNED)
            assert dt.date(2026, 6, 24) <= planned.date <= dt.date(2026, 7, 8)  # in 2 to 4 weeks
            agenda = list(planned.items.select_related("project"))
            assert agenda and all(item.project.stage == Stage.ON_AGENDA for item in agenda)


def test_decisions_and_commitments_follow_the_programme(demo_db):
    with scope(every_dispositif=True, reason="test referee"):
        for decision in Decision.objects.filter(outcome="approved"):
            assert 10_000 <= decision.advance_amount <= 15_000
            assert decision.missions_granted >= 1
            commitments = list(
                PartnerCommitment.objects.filter(item=decision.item).select_related("organisation")
            )
            kinds = [c.organisation.kind == OrganisationKind.LARGE_FIRM for c in commitments]
            assert kinds[-1] and not kinds[0], decision
            assert kinds == sorted(kinds)
            public = commitments[0].organisation
            assert public.kind == OrganisationKind.PUBLIC_BODY
        for decision in Decision.objects.exclude(outcome="approved"):
            assert decision.advance_amount is None and decision.missions_granted == 0


def test_due_follow_ups_are_reminded_in_every_dispositif(demo_db):
    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            reminders = FollowUpReminder.objects.filter(
                dispositif=dispositif, resolved_at__isnull=True
            )
            assert reminders.exists(), dispositif.slug
            approved = Project.objects.filter(dispositif=dispositif, approved_on__isnull=False)
            assert approved.filter(follow_ups__isnull=False).exists()


def test_some_smes_declared_a_follow_up_awaiting_review(demo_db):
    from pme.models import DeclarationStatus, FollowUpDeclaration

    with scope(every_dispositif=True, reason="test referee"):
        declared = FollowUpDeclaration.objects.filter(status=DeclarationStatus.DECLARED)
        assert declared.exists()
        for declaration in declared:
            assert declaration.link.used_at is not None and declaration.headcount is not None


def test_demo_logins_authenticate(demo_db, client):
    for login, _what in demo.demo_logins():
        assert client.login(email=login, password=demo.DEMO_PASSWORD), login
        client.logout()
    assert not client.login(email="animateur.valenciennes@demo.alize.fr", password="wrong")


def test_animateur_of_valenciennes_sees_valenciennes_only(demo_db, client):
    user = User.objects.get(email="animateur.valenciennes@demo.alize.fr")
    with scope(every_dispositif=True, reason="test referee"):
        chambery_project = Project.objects.filter(dispositif__slug="chambery").first()
        chambery_company = chambery_project.company
        own_project = Project.objects.filter(dispositif__slug="valenciennes").first()
    api = api_client_for(user)
    for route in ("api:project-list", "api:company-list", "api:committee-list"):
        rows = api.get(reverse(route), {"page_size": 200}).json()["results"]
        assert rows and {row["dispositif"] for row in rows} == {"valenciennes"}, route
    assert api.get(reverse("api:project-detail", args=[own_project.pk])).status_code == 200
    assert api.get(reverse("api:project-detail", args=[chambery_project.pk])).status_code == 404
    assert api.get(reverse("api:company-detail", args=[chambery_company.pk])).status_code == 404
    steps = api.get(reverse("api:stage-transition-list"), {"project": chambery_project.pk})
    assert steps.status_code == 400
    assert "project" in steps.json()["fields"]

    assert client.login(email=user.email, password=demo.DEMO_PASSWORD)
    assert client.get(reverse("dispositifs:detail", args=["valenciennes"])).status_code == 200
    assert client.get(reverse("dispositifs:detail", args=["chambery"])).status_code == 404
    home = client.get(reverse("home")).content.decode()
    assert 'id="panel-follow-ups"' in home
    with scope(every_dispositif=True, reason="test referee"):
        reminded = FollowUpReminder.objects.filter(
            dispositif__slug="valenciennes", resolved_at__isnull=True
        ).first()
    assert reverse("pme:project-detail", args=[reminded.project_id]) in home


def test_timelines_are_dated_in_the_past(demo_db):
    assert not StageTransition.unscoped_objects.filter(at__gt=NOW).exists()
    assert StageTransition.unscoped_objects.filter(at__lt=NOW - dt.timedelta(days=700)).exists()


def test_demo_committees_respect_the_guards(demo_db):
    held = (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT)
    with scope(every_dispositif=True, reason="test referee"):
        assert not Committee.objects.filter(status__in=held, date__gt=TODAY).exists()
        assert not Committee.objects.exclude(status__in=held).filter(date__lt=TODAY).exists()
        assert not Decision.objects.exclude(item__committee__status__in=held).exists()
        assert not Project.objects.filter(approved_on__gt=TODAY).exists()
        assert not Project.objects.filter(first_committee_on__gt=TODAY).exists()


def test_demo_figures_differ_by_dispositif_and_narrow_down_the_funnel(demo_db):
    launched = {spec.slug: spec.launched for spec in DISPOSITIFS}
    with scope(every_dispositif=True, reason="test referee"):
        committees = {
            slug: Committee.objects.filter(dispositif__slug=slug).count() for slug in launched
        }
        projects = {
            slug: Project.objects.filter(dispositif__slug=slug).count() for slug in launched
        }
        oldest = min(launched, key=lambda slug: (launched[slug], slug))
        youngest = max(launched, key=lambda slug: (launched[slug], slug))
        assert committees[oldest] > committees[youngest]
        assert projects[oldest] > projects[youngest]
        assert len(set(projects.values())) >= 4
        referred = Project.objects.count()
        to_committee = Project.objects.filter(first_committee_on__isnull=False).count()
        accepted = Project.objects.filter(approved_on__isnull=False).count()
        assert referred > to_committee > accepted > 0
        assert to_committee <= 0.8 * referred and accepted <= 0.8 * to_committee
        by_stage = {
            stage: Project.objects.filter(stage=stage).count()
            for stage in (Stage.REFERRED, Stage.QUALIFIED, Stage.CLOSED, Stage.REJECTED)
        }
        assert len(set(by_stage.values())) > 1 and 10 not in by_stage.values()


def pipeline_fingerprint(dispositif):
    """Everything the committees' demo writes in one dispositif, without ids."""
    projects = sorted(
        Project.objects.filter(dispositif=dispositif).values_list(
            "company__siren", "title", "stage", "referred_on", "first_committee_on", "approved_on"
        )
    )
    committees = sorted(
        Committee.objects.filter(dispositif=dispositif).values_list(
            "date", "start_time", "status", "host__slug", "place"
        )
    )
    decisions = sorted(
        Decision.objects.filter(dispositif=dispositif).values_list(
            "item__project__title", "item__committee__date", "outcome", "advance_amount"
        )
    )
    commitments = sorted(
        PartnerCommitment.objects.filter(dispositif=dispositif).values_list(
            "item__project__title", "organisation__slug", "tool", "amount"
        )
    )
    return projects, committees, decisions, commitments


def test_the_same_seed_gives_the_same_pipeline(demo_db):
    """The committees' story told again, in a twin of Valenciennes (same perimeter, same tour
    de table), is the same story: the seed depends on the dispositif's spec only. (A twin,
    because the original's decisions now carry advances and an append-only ledger.)"""
    from committees.demo import CommitteeStorySeeder

    spec = next(spec for spec in DISPOSITIFS if spec.slug == "valenciennes")
    with scope(every_dispositif=True, reason="test referee"):
        dispositif = Dispositif.objects.get(slug=spec.slug)
        twin = Dispositif.objects.create(
            name=f"{dispositif.name} (jumeau)",
            slug=f"{dispositif.slug}-jumeau",
            region=dispositif.region,
            departements=dispositif.departements,
            perimeter=dispositif.perimeter,
            carrier=dispositif.carrier,
            launch_date=dispositif.launch_date,
        )
        for seat in Membership.objects.filter(dispositif=dispositif):
            Membership.objects.create(
                dispositif=twin,
                organisation=seat.organisation,
                kind=seat.kind,
                joined_on=seat.joined_on,
                left_on=seat.left_on,
                pledged_hours_per_year=seat.pledged_hours_per_year,
            )
        CommitteeStorySeeder(spec, twin, TODAY).run()
        assert pipeline_fingerprint(twin) == pipeline_fingerprint(dispositif)


def test_every_dispositif_has_a_fund_and_advances_in_every_state(demo_db, client):
    from django.db.models import Sum

    from loans.models import Advance, Cofinancing, FundContribution, Instalment, LedgerLine

    kinds = {"caisse_des_depots", "revitalisation", "esf", "local_authority"}
    seen: set[str] = set()
    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            contributions = FundContribution.objects.filter(dispositif=dispositif)
            assert set(contributions.values_list("kind", flat=True)) == kinds, dispositif.slug
            agreement = contributions.get(kind="revitalisation")
            assert agreement.agreement and agreement.agreement_firm is not None
            statuses = set(
                Advance.objects.filter(dispositif=dispositif).values_list("status", flat=True)
            )
            assert {"approved", "in_arrears", "written_off", "repaid"} <= statuses, statuses
            assert statuses & {"disbursed", "repaying", "rescheduled"}, dispositif.slug
            seen |= statuses
            assert Cofinancing.objects.filter(dispositif=dispositif).exists()
            sums = LedgerLine.objects.filter(dispositif=dispositif).aggregate(
                debit=Sum("debit"), credit=Sum("credit")
            )
            assert sums["debit"] == sums["credit"]
        assert "rescheduled" in seen
        assert Instalment.objects.filter(superseded_at__isnull=False).exists()
    client.force_login(User.objects.get(email="animateur.valenciennes@demo.alize.fr"))
    for name in ("loans:advance-list", "loans:fund-list", "loans:arrears"):
        assert client.get(reverse(name)).status_code == 200
    home = client.get(reverse("home")).content.decode()
    assert 'id="panel-advances-to-chase"' in home


def test_missions_in_every_state_with_a_year_of_hours(demo_db):
    from missions.models import ClosedMonth, HourLog, MissionStatus, SkillMission
    from missions.selectors import firm_year_figures
    from partners.models import Expert, Organisation

    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            statuses = set(
                SkillMission.objects.filter(dispositif=dispositif).values_list("status", flat=True)
            )
            assert {"proposed", "accepted", "in_progress", "completed"} <= statuses
            assert statuses & {"declined", "cancelled"}
            assert ClosedMonth.objects.filter(dispositif=dispositif).exists()
        assert set(SkillMission.objects.values_list("status", flat=True)) == set(MissionStatus)
        assert SkillMission.objects.filter(cross_territory=True, status="in_progress").exists()
        oldest = HourLog.objects.order_by("date").values_list("date", flat=True).first()
        assert oldest <= dt.date(2025, 8, 14)  # 300 days before TODAY
        assert HourLog.objects.filter(kind="adjustment").exists()
        firms = Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM)
        figures = firm_year_figures(firm_ids=firms.values_list("pk", flat=True), year=2026)
        over = {f.name for f in figures.values() if f.delivered > f.pledged}
        assert "Valti" in over and len(over) < len(figures)
    for firm in firms:
        login = Expert.objects.get(email=f"expert.{firm.slug}@demo.alize.fr")
        assert login.user.email == login.email


def test_last_years_documents_count_the_experts_hours(demo_db):
    """Last year's demo report and statements read real expert-hours: each firm of the tour
    de table completed a mission during that year, within the 12-hour rule."""
    from django.db.models import F, Sum

    from missions.models import HourLog, SkillMission
    from partners.demo import FIRMS
    from partners.models import Organisation
    from reporting.selectors import annual_figures, firm_contribution

    last_year = 2025
    with scope(every_dispositif=True, reason="test referee"):
        for dispositif in every_demo_dispositif():
            figures = annual_figures(last_year, dispositif.pk)
            assert figures.values["expert_hours"] > 0, dispositif.slug
            assert figures.values["expert_hours_value"] > 0, dispositif.slug
            assert SkillMission.objects.filter(
                dispositif=dispositif,
                status="completed",
                starts_on__year=last_year,
                ends_on__year=last_year,
            ).exists()
        for firm in Organisation.objects.filter(slug__in=list(FIRMS)):
            statement = firm_contribution(firm.pk, last_year)
            assert statement.total_hours > 0 and statement.total_value > 0, firm.slug
        days = HourLog.objects.values("expert_id", "date").annotate(total=Sum("hours"))
        assert not days.filter(total__gt=12).exists()
        outside = HourLog.objects.exclude(
            date__gte=F("mission__starts_on"), date__lte=F("mission__ends_on")
        )
        assert not outside.exists()


def test_financing_plans_write_their_amounts_the_french_way(demo_db):
    import re

    with scope(every_dispositif=True, reason="test referee"):
        plans = list(
            Project.objects.filter(financing_plan__startswith="Prêt bancaire").values_list(
                "financing_plan", flat=True
            )
        )
    assert plans
    for plan in plans:
        assert re.search(r"Prêt bancaire : \d{1,3}\u00a0000\u00a0€ ;", plan), plan
        assert not re.search(r"\d{4}", plan), plan


def test_demo_figures_have_the_networks_magnitude(demo_db):
    """The published network figures: about five projects approved per dispositif and year,
    two to twelve jobs to create per project, about 500 expert-days a year over thirty
    territories (so a few hundred hours per dispositif), survival at three years around
    85–92 %, advances of 10 to 15 k€. Read from the indicators the seeding computed."""
    from alize.indicators import facts, reading
    from loans.models import Advance

    with scope(every_dispositif=True, reason="demo magnitudes"):
        assert facts.check().ok
        ids = list(every_demo_dispositif().values_list("pk", flat=True))
        years = list(range(TODAY.year - 6, TODAY.year))
        rows = reading.by_dispositif(ids, years)
        held_years = [
            (dispositif_id, year)
            for (dispositif_id, year), figures in rows.items()
            if figures["committees_held"].value
        ]
        assert len(held_years) >= 20
        approved = [rows[cell]["projects_approved"].value for cell in held_years]
        assert all(1 <= n <= 10 for n in approved), approved
        assert 3 <= sum(approved) / len(approved) <= 7
        for cell in held_years:
            figures = rows[cell]
            if figures["projects_approved"].value:
                per_project = figures["jobs_to_create"].value / figures["projects_approved"].value
                assert 2 <= per_project <= 12
        last_year = TODAY.year - 1
        hours = [
            rows[(pk, last_year)]["expert_hours"].value for pk in ids if (pk, last_year) in rows
        ]
        assert hours and all(20 <= h <= 450 for h in hours), hours
        network = reading.total(ids, last_year)
        # About 500 expert-days (3 500 h) a year for thirty territories: ten make about a third.
        assert 500 <= network["expert_hours"].value <= 2500
        followed = alive = 0
        for year in years + [TODAY.year]:
            total = reading.total(ids, year, keys=["survival_3y"])
            followed += total["survival_followed"].value
            alive += total["survival_alive"].value
        assert followed >= 30
        assert 0.80 <= alive / followed <= 0.95, (alive, followed)
        amounts = set(Advance.objects.values_list("amount", flat=True))
        assert amounts and all(10000 <= a <= 15000 for a in amounts)


def test_committees_govern_in_the_demo(demo_db):
    """Every demo dispositif has its quorum rule, declarations of interest, rosters with
    present and others, members' answers, and places filled from the hosts' addresses."""
    from committees.models import Attendance, CommitteeReply, InterestDeclaration

    for dispositif in Dispositif.unscoped_objects.all():
        assert dispositif.quorum_organisations >= 3 and dispositif.quorum_needs_public
        with scope([dispositif]):
            assert InterestDeclaration.objects.exists()
            assert CommitteeReply.objects.filter(answer="yes").exclude(comment="").exists()
            statuses = set(Attendance.objects.values_list("status", flat=True))
            assert "present" in statuses and len(statuses) > 1
            places = Committee.objects.exclude(host=None).values_list("place", "host__address")
            assert any(address and address in place for place, address in places)


def test_valenciennes_scores_its_planned_committee_and_the_others_have_no_grid(demo_db):
    """One demo dispositif uses the optional scoring grid: three weighted criteria and its
    members' scores of the planned committee's dossiers (never by a recused organisation)."""
    from committees.models import DossierScore, InterestDeclaration, ScoringCriterion
    from committees.selectors import committee_scorings

    for dispositif in Dispositif.unscoped_objects.all():
        with scope([dispositif]):
            criteria = ScoringCriterion.objects.count()
            if dispositif.slug != "valenciennes":
                assert criteria == 0 and not DossierScore.objects.exists()
                continue
            assert criteria == 3
            planned = Committee.objects.filter(status=CommitteeStatus.PLANNED).latest("date")
            scorings = committee_scorings(planned)
            assert set(scorings) == set(planned.items.values_list("pk", flat=True))
            assert all(s.organisations >= 4 and 2 <= s.average <= 5 for s in scorings.values())
            recused = InterestDeclaration.objects.filter(item__committee=planned)
            assert recused.exists()
            for interest in recused:
                assert not DossierScore.objects.filter(
                    item=interest.item, organisation=interest.organisation
                ).exists()


def test_the_demo_seeds_the_dispositifs_asked(settings):
    """``ALIZE_DEMO_DISPOSITIFS`` (``DEMO_DISPOSITIFS``) keeps the demo to some dispositifs,
    in their order; a slug that names none is refused with the known ones."""
    from django.core.exceptions import ImproperlyConfigured

    from dispositifs import demo as dispositifs_demo

    every = list(DISPOSITIFS)
    try:
        settings.DEMO_DISPOSITIFS = ("valenciennes", "chambery")
        dispositifs_demo._chosen()
        assert {spec.slug for spec in DISPOSITIFS} == {"valenciennes", "chambery"}
        assert [spec.slug for spec in DISPOSITIFS] == [
            spec.slug for spec in every if spec.slug in ("valenciennes", "chambery")
        ]
        DISPOSITIFS[:] = every
        settings.DEMO_DISPOSITIFS = ("nulle-part",)
        with pytest.raises(ImproperlyConfigured, match="nulle-part.*known: ales"):
            dispositifs_demo._chosen()
        assert every == DISPOSITIFS
    finally:
        DISPOSITIFS[:] = every
