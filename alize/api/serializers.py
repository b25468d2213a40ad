"""Serializer bases: the tenant is set once on create and never changed, and personal data
goes only to those who manage the row."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from alize.tenancy import dispositif_ids, may, tenant_model


class TenantSerializer(serializers.ModelSerializer):
    """ModelSerializer of a tenant-scoped model.

    Related fields draw their choices from scoped managers, so a relation pointing into
    another dispositif is "not found" (400). ``dispositif`` is writable on create only and
    must be one the caller manages (``manage_action`` of the view, default "manage").
    """

    def get_fields(self):
        fields = super().get_fields()
        declared = fields.get("dispositif")
        if declared is not None and not declared.read_only:
            if self.instance is None:
                fields["dispositif"] = serializers.SlugRelatedField(
                    slug_field="slug", queryset=tenant_model().objects.all()
                )
            else:
                fields["dispositif"] = serializers.SlugRelatedField(
                    slug_field="slug", read_only=True
                )
        return fields

    def _manage_action(self) -> str:
        view = self.context.get("view")
        return getattr(view, "manage_action", "manage")

    def validate_dispositif(self, dispositif):
        request = self.context.get("request")
        if request is not None and not may(request.user, self._manage_action(), dispositif.pk):
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


class PersonalDataMixin:
    """Drops ``personal_fields`` from a row unless the caller manages the row's dispositif
    (``personal_dispositif`` names the attribute path of the row's dispositif id). API
    clients and committee members never receive them."""

    personal_fields: tuple[str, ...] = ()
    personal_dispositif = "dispositif_id"

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        dispositif_id = instance
        for part in self.personal_dispositif.split("."):
            dispositif_id = getattr(dispositif_id, part)
        user = getattr(request, "user", None)
        if user is None or not may(user, "manage", dispositif_id):
            for name in self.personal_fields:
                data.pop(name, None)
        return data

    def get_fields(self):
        fields = super().get_fields()
        for name in self.personal_fields:
            if name in fields:
                fields[name].required = False
        return fields


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


class RowSerializer:
    """The JSON of ``serializer_class`` for plain rows (``values()`` dicts) of a list page.

    Built once per request from the serializer's own fields: plain columns are copied,
    dates, times and decimals go through their field's ``to_representation``, and the
    ``computed`` callables (``row -> value``) give the rest. Personal fields are dropped from
    rows whose dispositif (``row["dispositif_id"]``) the caller does not manage, as
    ``PersonalDataMixin`` does. The output equals the serializer's, without its per-row cost.
    """

    COPIED = (
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.IntegerField,
    )
    CONVERTED = (
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.TimeField,
    )

    def __init__(self, serializer_class, *, context: dict, computed: dict | None = None):
        computed = computed or {}
        self.plan = []
        for name, field in serializer_class(context=context).fields.items():
            if field.write_only:
                continue
            if name in computed:
                self.plan.append((name, computed[name], True))
            elif isinstance(field, self.CONVERTED):
                self.plan.append((name, field.to_representation, False))
            elif isinstance(field, self.COPIED):
                self.plan.append((name, None, False))
            else:
                raise TypeError(f"{serializer_class.__name__}.{name}: give it in ``computed``.")
        personal = set(getattr(serializer_class, "personal_fields", ()))
        self.public_plan = [step for step in self.plan if step[0] not in personal]
        request = context.get("request")
        self.managed = (
            dispositif_ids(getattr(request, "user", None), "manage") if personal else None
        )
        self.personal = bool(personal)

    def manages(self, dispositif_id) -> bool:
        return self.managed is None or dispositif_id in self.managed

    def to_representation(self, row: dict) -> dict:
        plan = self.plan
        if self.personal and not self.manages(row["dispositif_id"]):
            plan = self.public_plan
        data = {}
        for name, convert, whole_row in plan:
            if whole_row:
                data[name] = convert(row)
            else:
                value = row[name]
                data[name] = value if convert is None or value is None else convert(value)
        return data

    def many(self, rows) -> list[dict]:
        return [self.to_representation(row) for row in rows]
