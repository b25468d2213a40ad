from alize.api.serializers import ModelSerializer

from ..models import Organisation


class OrganisationSerializer(ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "slug", "siren", "kind", "public_level", "address", "city"]
