from alize.accounts.models import Role
from alize.api.views import ScopedModelViewSet

from ..filtersets import DispositifFilterSet, MembershipFilterSet
from ..models import Dispositif, Membership
from .serializers import DispositifSerializer, MembershipSerializer


class DispositifViewSet(ScopedModelViewSet):
    """Dispositifs in scope; only the national coordination creates or changes them."""

    queryset = Dispositif.objects.select_related("carrier")
    serializer_class = DispositifSerializer
    filterset_class = DispositifFilterSet
    ordering_fields = ["name", "launch_date"]
    write_roles = (Role.NATIONAL_COORDINATOR,)


class MembershipViewSet(ScopedModelViewSet):
    """The tour de table: organisations seated in each dispositif in scope."""

    queryset = Membership.objects.select_related("dispositif", "organisation")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    ordering_fields = ["joined_on"]
