"""API of dispositifs and their tour de table."""

from alize.actions import Action
from alize.api.views import ScopedModelViewSet

from .. import services
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

    def perform_create(self, serializer):
        serializer.instance = services.dispositif_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.dispositif_update(
            dispositif=serializer.instance, **serializer.validated_data
        )


class MembershipViewSet(ScopedModelViewSet):
    """The tour de table: organisations seated in each dispositif in scope."""

    queryset = Membership.objects.select_related("dispositif", "organisation")
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    ordering_fields = ["joined_on"]
    view_action = Action.VIEW_DISPOSITIF
    # Leaving a tour de table is a date (left_on), kept in the history: never a deletion.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, serializer):
        serializer.instance = services.membership_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.membership_update(
            membership=serializer.instance, **serializer.validated_data
        )
