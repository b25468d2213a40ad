"""factory_boy factories. Tenant rows are created inside an explicit test scope."""

import factory
from factory.django import DjangoModelFactory

from alize.accounts.models import Role, RoleAssignment, User
from alize.tenancy import scope
from dispositifs.models import Dispositif, Membership, MembershipKind
from partners.models import Organisation, OrganisationKind


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
