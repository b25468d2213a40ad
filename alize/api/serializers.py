"""Serializer bases: every serializer derives from ``Serializer`` or ``ModelSerializer``, so
that the rules of the browser's forms hold for the API too: amounts are plain decimal
strings (``MoneyField``), free text refuses control characters, and an update that touches
a field the caller may not change answers 400 naming it. The tenant is set once on create
and never changed, and personal data goes only to those who manage the row."""

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from alize.fields import MoneyField as MoneyModelField
from alize.tenancy import dispositif_ids, may, tenant_model
from alize.validators import AMOUNT_PLACES, NoControlCharacters, guards_text, parse_amount

if TYPE_CHECKING:  # the serializer that this mixin completes, for the type checker
    _SerializerBase = serializers.Serializer
else:
    _SerializerBase = object


class MoneyField(serializers.DecimalField):
    """An amount in euros, read as the browser's money inputs read it
    (``alize.validators.parse_amount``): a JSON string of ASCII digits with at most two
    decimals, « "12500.50" ». An exponent, other digits, spaces or a JSON number are
    refused, never rounded or guessed. Written as the same kind of string."""

    default_error_messages = {
        "not_a_string": _(
            'Envoyez le montant comme une chaîne de caractères, par exemple "12500.50", '
            "et non comme un nombre JSON."
        ),
        "invalid": _("Un montant s'écrit en chiffres avec un point décimal, par exemple 12500.50."),
        "max_decimal_places": _("Un montant a au plus deux décimales (les centimes)."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", AMOUNT_PLACES)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string")
        places = AMOUNT_PLACES if self.decimal_places is None else self.decimal_places
        try:
            value = parse_amount(data, places=places)
        except DjangoValidationError as error:
            self.fail(error.code if error.code in self.error_messages else "invalid")
        return self.quantize(self.validate_precision(value))


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """The OpenAPI of ``MoneyField``: a string whose pattern is exactly what it accepts
    (ASCII digits: ``\\d`` would also match other scripts' digits)."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        whole = field.max_digits - field.decimal_places
        return {
            "type": "string",
            "format": "decimal",
            "pattern": rf"^-?[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{field.decimal_places}}})?$",
            "example": "12500.50",
        }


def _guard_text(field: serializers.Field, name: str) -> None:
    """Give a writable text field (or a list of them) the control-character check."""
    if isinstance(field, serializers.ListField):
        field = field.child
    if (
        isinstance(field, serializers.CharField)
        and not field.read_only
        and not guards_text(field.validators)
    ):
        field.validators.append(NoControlCharacters(label=field.label or name))


class FreeTextMixin(_SerializerBase):
    """Every writable text field refuses control characters (``NoControlCharacters``, the
    check the models and the browser's forms hold too)."""

    def get_fields(self):
        fields = super().get_fields()
        for name, field in fields.items():
            _guard_text(field, name)
        return fields


class Serializer(FreeTextMixin, serializers.Serializer):
    """The base of the apps' plain serializers (inputs of actions, computed outputs)."""


_UNSET = object()


def _same_value(sent, current) -> bool:
    """Whether a value sent for a field equals the field's current representation (as
    JSON, or as the text of a form-encoded body)."""
    if sent == current:
        return True
    if isinstance(sent, dict | list) or isinstance(current, dict | list) or current is _UNSET:
        return False
    if current is None:
        return sent in ("", None)
    if isinstance(current, bool):
        return str(sent).lower() == str(current).lower()
    return str(sent) == str(current)


class ModelSerializer(FreeTextMixin, serializers.ModelSerializer):
    """The base of the apps' model serializers.

    Money columns become ``MoneyField``. ``create_only_fields`` are writable on create and
    read-only once the row exists. On update (PATCH or PUT), a read-only field sent with
    another value than the row's answers 400 naming it, rather than being ignored: the
    caller learns that the change did not happen (the same value sent back is fine)."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        MoneyModelField: MoneyField,
    }
    create_only_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:
            for name in self.create_only_fields:
                fields[name].read_only = True
        return fields

    def to_internal_value(self, data):
        if isinstance(self.instance, models.Model) and isinstance(data, Mapping):
            self.refuse_unchangeable(data)
        return super().to_internal_value(data)

    def refuse_unchangeable(self, data: Mapping) -> None:
        """Raise a 400 naming each read-only field that ``data`` would change."""
        sent = [name for name in data if name in self.fields and self.fields[name].read_only]
        if not sent:
            return
        current = self.to_representation(self.instance)
        errors = {
            name: [
                serializers.ErrorDetail(
                    str(_("Le champ « %(field)s » ne peut pas être modifié.") % {"field": name}),
                    code="read_only",
                )
            ]
            for name in sent
            if not _same_value(data[name], current.get(name, _UNSET))
        }
        if errors:
            raise serializers.ValidationError(errors)


class TenantSerializer(ModelSerializer):
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


def caller_dependent_fields(serializer) -> frozenset[str]:
    """The fields a serializer (class or instance) leaves out for some callers: its
    ``personal_fields``, the one declaration that the dropping, the row serializers and the
    OpenAPI schema (where they are optional) all read."""
    return frozenset(getattr(serializer, "personal_fields", ()))


class PersonalDataMixin(_SerializerBase):
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


def _iso_datetime(field: serializers.DateTimeField):
    """``field.to_representation`` for aware datetimes, with the field's time zone looked up
    once (per request) rather than once per value."""
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None or not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return field.to_representation

    def convert(value):
        if isinstance(value, str) or value.tzinfo is None:
            return field.to_representation(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _iso_date(field: serializers.DateField):
    """``field.to_representation`` for dates in ISO 8601 without its per-value checks."""
    output_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if not isinstance(output_format, str) or output_format.lower() != ISO_8601:
        return field.to_representation

    def convert(value):
        return value.isoformat() if type(value) is dt.date else field.to_representation(value)

    return convert


def _plain_decimal(field: serializers.DecimalField):
    """``field.to_representation`` for decimals already at the field's places (as the
    database returns them): the quantizing is skipped, the string is the same."""
    coerce = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)
    if not coerce or field.localize or field.normalize_output or field.decimal_places is None:
        return field.to_representation
    exponent = -field.decimal_places

    def convert(value):
        if type(value) is Decimal and value.as_tuple().exponent == exponent:
            return f"{value:f}"
        return field.to_representation(value)

    return convert


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
    FAST: dict[type[serializers.Field], Callable[[Any], Callable[[Any], Any]]] = {
        serializers.DateTimeField: _iso_datetime,
        serializers.DateField: _iso_date,
        serializers.DecimalField: _plain_decimal,
        MoneyField: _plain_decimal,
    }
    # The readable fields of each serializer class: they hold no state of the request, so
    # they are built once per process instead of once per request.
    _fields: dict[type, list] = {}

    @classmethod
    def readable_fields(cls, serializer_class, context: dict) -> list:
        fields = cls._fields.get(serializer_class)
        if fields is None:
            fields = [
                (name, field)
                for name, field in serializer_class(context=context).fields.items()
                if not field.write_only
            ]
            cls._fields[serializer_class] = fields
        return fields

    def __init__(self, serializer_class, *, context: dict, computed: dict | None = None):
        computed = computed or {}
        self.plan = []
        for name, field in self.readable_fields(serializer_class, context):
            if name in computed:
                self.plan.append((name, computed[name], True))
            elif isinstance(field, self.CONVERTED):
                fast = self.FAST.get(type(field))
                convert = fast(field) if fast else field.to_representation
                self.plan.append((name, convert, False))
            elif isinstance(field, self.COPIED):
                self.plan.append((name, None, False))
            else:
                raise TypeError(f"{serializer_class.__name__}.{name}: give it in ``computed``.")
        personal = caller_dependent_fields(serializer_class)
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
