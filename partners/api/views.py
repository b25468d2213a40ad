from alize.accounts.models import Role
from alize.api.views import ScopedModelViewSet

from .. import services
from ..filtersets import OrganisationFilterSet
from ..models import Organisation
from .serializers import OrganisationSerializer


class OrganisationViewSet(ScopedModelViewSet):
    """Organisations are global: every caller reads them, the national coordination edits."""

    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer
    filterset_class = OrganisationFilterSet
    ordering_fields = ["name"]
    write_roles = (Role.NATIONAL_COORDINATOR,)

    def perform_create(self, serializer):
        serializer.instance = services.organisation_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.organisation_update(
            organisation=serializer.instance, **serializer.validated_data
        )
