"""factory_boy factories. Tenant rows are created inside an explicit test scope."""

import datetime as dt
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory
from stdnum import luhn

from alize.accounts.models import Role, RoleAssignment, User
from alize.tenancy import scope
from committees.models import Committee
from dispositifs.models import Dispositif, Membership, MembershipKind
from partners.models import Organisation, OrganisationKind, Skill
from pme.models import Company, Project
from tests.clock import TODAY


class ScopedFactory(DjangoModelFactory):
    """Creates rows of tenant-scoped models inside a scope over every dispositif."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scope(every_dispositif=True, reason="test factory"):
            return super()._create(model_class, *args, **kwargs)


class OrganisationFactory(DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"organisation-{n}")
    kind = OrganisationKind.LARGE_FIRM


class DispositifFactory(ScopedFactory):
    class Meta:
        model = Dispositif

    name = factory.Sequence(lambda n: f"Dispositif {n}")
    slug = factory.Sequence(lambda n: f"dispositif-{n}")
    region = "32"
    departements = factory.LazyFunction(lambda: ["59"])
    perimeter = factory.LazyFunction(lambda: ["59606", "59014"])
    # Test dispositifs decide with one organisation present; the quorum's own tests set the
    # rule they check (the real default asks three, a firm and a public body among them).
    quorum_organisations = 1
    quorum_needs_firm = False
    quorum_needs_public = False


class MembershipFactory(ScopedFactory):
    class Meta:
        model = Membership

    dispositif = factory.SubFactory(DispositifFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    kind = MembershipKind.PARTNER_FIRM
    pledged_hours_per_year = 200


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    full_name = factory.Sequence(lambda n: f"Personne {n}")
    password = factory.PostGenerationMethodCall("set_password", "secret-password")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class RoleAssignmentFactory(DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.ANIMATEUR


def user_with_role(role, **target):
    """A user holding one role assignment (dispositif, organisation or region as given)."""
    user = UserFactory()
    RoleAssignmentFactory(user=user, role=role, **target)
    return user


class SkillFactory(DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Compétence {n}")
    slug = factory.Sequence(lambda n: f"competence-{n}")


def _siren(n: int) -> str:
    """A valid SIREN (Luhn) derived from a sequence number."""
    base = f"{(n * 7919) % 10**8:08d}"
    for check in range(10):
        candidate = base + str(check)
        if luhn.is_valid(candidate):
            return candidate
    raise AssertionError


class CompanyFactory(ScopedFactory):
    class Meta:
        model = Company

    dispositif = factory.SubFactory(DispositifFactory)
    siren = factory.Sequence(lambda n: _siren(n + 1000))
    name = factory.Sequence(lambda n: f"PME {n}")
    naf_code = "25.62B"
    creation_date = dt.date(2018, 6, 12)  # eight years (of 365 days) before TODAY
    headcount = 24
    turnover = Decimal("3200000")
    commune_code = factory.LazyAttribute(lambda o: (o.dispositif.perimeter or ["59606"])[0])
    commune_name = "Commune"


class ProjectFactory(ScopedFactory):
    """A project created at « referred »; use ``project_at(stage)`` for later stages."""

    class Meta:
        model = Project

    dispositif = factory.LazyAttribute(lambda o: o.company.dispositif)
    company = factory.SubFactory(CompanyFactory)
    title = factory.Sequence(lambda n: f"Projet {n}")
    project_type = "development"
    jobs_at_start = 20
    jobs_planned_3y = 26


class CommitteeFactory(ScopedFactory):
    class Meta:
        model = Committee

    dispositif = factory.SubFactory(DispositifFactory)
    date = dt.date(2026, 6, 24)  # two weeks after TODAY
    place = "Salle du conseil"


def record_quorum(committee):
    """Record on ``committee``'s roster an organisation present (the first seated, or one
    seated for the purpose), so that the test dispositif's quorum holds."""
    from committees import services as committee_services
    from committees.selectors import committee_seated_organisations

    with scope(every_dispositif=True, reason="test setup"):
        seated = committee_seated_organisations(committee).first()
        if seated is None:
            seated = OrganisationFactory(name="Organisation du quorum", kind="bank")
            MembershipFactory(
                dispositif=committee.dispositif, organisation=seated, kind="financial_partner"
            )
        committee_services.attendance_record_roster(
            committee=committee,
            lines=[committee_services.RosterLine(organisation=seated, status="present")],
        )
    return seated


ABANDON_REASON = "Le dirigeant reporte son projet."


def project_at(stage, company=None, by=None, **kwargs):
    """A project moved through the real services up to ``stage`` (decisions included)."""
    from committees import services as committee_services
    from pme import services
    from pme.models import Stage

    company = company or CompanyFactory(**kwargs)
    early = (Stage.REFERRED, Stage.QUALIFIED, Stage.IN_INSTRUCTION, Stage.ABANDONED)
    with scope(every_dispositif=True, reason="test setup"):
        # A project that reaches a committee was referred 14 days before; the committee sits
        # today, the one day a planned committee takes decisions.
        project = services.project_create(
            company=company,
            by=by,
            title="Projet de développement",
            project_type="development",
            jobs_at_start=10,
            jobs_planned_3y=14,
            referred_on=TODAY if stage in early else TODAY - dt.timedelta(days=14),
        )
        path = {
            Stage.REFERRED: [],
            Stage.QUALIFIED: [Stage.QUALIFIED],
            Stage.IN_INSTRUCTION: [Stage.QUALIFIED, Stage.IN_INSTRUCTION],
        }
        for step in path.get(stage, [Stage.QUALIFIED, Stage.IN_INSTRUCTION]):
            services.project_transition(project=project, to_stage=step, by=by)
        if stage in path:
            return project
        if stage == Stage.ABANDONED:
            services.project_transition(
                project=project, to_stage=stage, by=by, comment=ABANDON_REASON
            )
            return project
        committee = CommitteeFactory(dispositif=company.dispositif, date=TODAY)
        item = committee_services.agenda_add_project(committee=committee, project=project, by=by)
        if stage == Stage.ON_AGENDA:
            return project
        outcome = {"deferred": "deferred", "rejected": "rejected"}.get(stage, "approved")
        record_quorum(committee)
        committee_services.committee_record_decision(item=item, outcome=outcome, by=by)
        project.refresh_from_db()
        later = {
            Stage.IN_PROGRESS: [Stage.IN_PROGRESS],
            Stage.FOLLOWED_UP: [Stage.IN_PROGRESS, Stage.FOLLOWED_UP],
            Stage.CLOSED: [Stage.IN_PROGRESS, Stage.FOLLOWED_UP, Stage.CLOSED],
        }
        for step in later.get(stage, []):
            services.project_transition(project=project, to_stage=step, by=by)
        return project
