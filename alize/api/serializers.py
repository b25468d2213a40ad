"""Serializer bases: the tenant is set once on create and never changed."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alize.accounts.roles import can_manage
from dispositifs.models import Dispositif


class TenantSerializer(serializers.ModelSerializer):
    """ModelSerializer of a tenant-scoped model.

    Related fields draw their choices from scoped managers, so a relation pointing into
    another dispositif is "not found" (400). ``dispositif`` is writable on create only and
    must be one the caller manages.
    """

    dispositif = serializers.SlugRelatedField(slug_field="slug", queryset=Dispositif.objects.all())

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None and "dispositif" in fields:
            fields["dispositif"].read_only = True
        return fields

    def validate_dispositif(self, dispositif):
        request = self.context.get("request")
        if request is not None and not can_manage(request.user, dispositif.pk):
            raise serializers.ValidationError(_("Vous n'animez pas ce dispositif."))
        return dispositif

    def validate(self, attrs):
        attrs = super().validate(attrs)
        dispositif = attrs.get("dispositif") or getattr(self.instance, "dispositif", None)
        for name, value in attrs.items():
            owner = getattr(value, "dispositif_id", None)
            outside = dispositif is not None and owner not in (None, dispositif.pk)
            if name != "dispositif" and outside:
                raise serializers.ValidationError(
                    {name: _("Cet objet appartient à un autre dispositif.")}
                )
        return attrs


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
        "example": "14:00",
    }
)
class WallClockTimeField(serializers.TimeField):
    """A time of day without offset (« 14:00 »). OpenAPI's ``format: time`` means an RFC 3339
    time with its offset, which these values never carry."""


class OptionalChoiceField(serializers.ChoiceField):
    """A read-only choice that may be unset: an empty value is returned as ``null`` rather
    than an ``""`` outside the enum."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)
