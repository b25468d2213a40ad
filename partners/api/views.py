from alize.actions import Action
from alize.api.views import ScopedModelViewSet

from .. import services
from ..filtersets import OrganisationFilterSet
from ..models import Organisation
from .serializers import OrganisationSerializer


class OrganisationViewSet(ScopedModelViewSet):
    """Organisations are global: those who may read the directory read them all, and the
    national coordination edits them."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    ordering_fields = ["name"]
    view_action = Action.VIEW_DIRECTORY
    manage_action = Action.MANAGE_DIRECTORY

    def perform_create(self, serializer):
        serializer.instance = services.organisation_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.organisation_update(
            organisation=serializer.instance, **serializer.validated_data
        )
