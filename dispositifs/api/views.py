"""API of dispositifs and their tour de table."""

from alize.actions import Action
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
    view_action = Action.VIEW_DISPOSITIF
    manage_action = Action.MANAGE_NETWORK


class MembershipViewSet(ScopedModelViewSet):
    """The tour de table: organisations seated in each dispositif in scope."""

    queryset = Membership.objects.select_related("dispositif", "organisation")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    ordering_fields = ["joined_on"]
    view_action = Action.VIEW_DISPOSITIF
