from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alize import geo
from alize.api.serializers import ModelSerializer, TenantSerializer
from partners.models import Organisation

from ..models import Dispositif, Membership


class DispositifSerializer(ModelSerializer):
    carrier = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    region_name = serializers.CharField(read_only=True)
    departement_names = serializers.SerializerMethodField()

    class Meta:
        model = Dispositif
        fields = [
            "id",
            "name",
            "slug",
            "region",
            "region_name",
            "departements",
            "departement_names",
            "perimeter",
            "carrier",
            "launch_date",
            "status",
            "advance_min",
            "advance_max",
            "follow_up_years",
        ]

    def get_departement_names(self, dispositif) -> list[str]:
        """The names of ``departements``, in the same order (COG)."""
        return [geo.departement_name(code) for code in dispositif.departements]

    def validate(self, attrs):
        attrs = super().validate(attrs)
        low = attrs.get("advance_min", getattr(self.instance, "advance_min", None))
        high = attrs.get("advance_max", getattr(self.instance, "advance_max", None))
        if low is not None and low <= 0:
            raise serializers.ValidationError({"advance_min": _("Le plancher doit être positif.")})
        if low is not None and high is not None and high < low:
            raise serializers.ValidationError(
                {"advance_max": _("Le plafond doit être supérieur ou égal au plancher.")}
            )
        return attrs


class MembershipSerializer(TenantSerializer):
    class Meta:
        model = Membership
        fields = [
            "id",
            "dispositif",
            "organisation",
            "kind",
            "joined_on",
            "left_on",
            "pledged_hours_per_year",
        ]
