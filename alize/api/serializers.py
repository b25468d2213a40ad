"""Serializer bases: the tenant is set once on create and never changed."""

from django.utils.translation import gettext_lazy as _
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
