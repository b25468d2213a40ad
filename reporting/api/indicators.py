"""The regions' indicators API (``/api/v1/indicators/``): per dispositif, region and year,
every public indicator with its definition in the schema, with statistical secrecy for the
readers outside the network (``reporting.publication``)."""

from __future__ import annotations

from functools import cache

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, viewsets
from rest_framework.response import Response

from alize.actions import Action
from alize.api.schema import AutoSchema
from alize.api.serializers import OptionalChoiceField, Serializer
from alize.api.views import ScopedViewMixin
from alize.geo import REGIONS
from alize.indicators import INDICATORS, Unit
from alize.indicators.reading import Figure
from alize.indicators.secrecy import Reason
from dispositifs.models import Dispositif

from .. import publication


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "nullable": True,
        "pattern": r"^-?[0-9]+(\.[0-9]+)?$",
        "example": "12",
    }
)
class FigureValueField(serializers.Field):
    """A figure's value as a decimal string, or null."""

    def to_representation(self, value):
        return publication.value_text(value)


class FigureSerializer(Serializer):
    """One indicator's value for the line and period."""

    value = FigureValueField(
        read_only=True,
        help_text=_(
            "La valeur (chaîne décimale), ou null : masquée par le secret statistique "
            "(``suppressed`` dit pourquoi), rien à diviser (ratio), aucune ligne (médiane) "
            "ou indicateur non calculé par mois."
        ),
    )
    unit = serializers.ChoiceField(choices=Unit.choices, read_only=True)
    suppressed = OptionalChoiceField(
        choices=Reason.choices,
        help_text=_(
            "Pourquoi la valeur est masquée : few_smes (moins de PME que le seuil), "
            "dominance (une PME fait l'essentiel du montant), secondary (masquée pour "
            "qu'une autre ne puisse être recalculée depuis les totaux) ; null si publiée."
        ),
    )


def figure_dict(figure: Figure) -> dict:
    """A figure as ``FigureSerializer`` describes it, built directly: a table holds a few
    thousand figures, and a serializer per figure would cost most of the answer's time
    (the schema still comes from the serializers; tests/test_api_schema.py checks the
    answers against it)."""
    return {
        "value": publication.value_text(figure.value),
        "unit": str(INDICATORS[figure.key].unit.value),
        "suppressed": str(figure.suppressed) if figure.suppressed else None,
    }


@cache
def indicator_values_serializer() -> type[Serializer]:
    """One field per public indicator, described by its definition (built once the apps
    have registered their indicators)."""
    fields = {
        key: FigureSerializer(
            read_only=True,
            required=False,
            label=INDICATORS[key].label,
            help_text=INDICATORS[key].definition,
        )
        for key in publication.public_keys()
    }
    return type("IndicatorValuesSerializer", (Serializer,), fields)


class IndicatorLineSerializer(Serializer):
    scope = serializers.ChoiceField(
        choices=[
            ("dispositif", _("dispositif")),
            ("region", _("région")),
            ("network", _("réseau")),
        ],
        read_only=True,
    )
    dispositif = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Identifiant du dispositif (null : total).")
    )
    dispositif_name = serializers.CharField(read_only=True, allow_null=True)
    region = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("Code de la région (null : le réseau).")
    )
    region_name = serializers.CharField(read_only=True, allow_null=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["indicators"] = indicator_values_serializer()(read_only=True)
        return fields


def line_dict(line: publication.Line) -> dict:
    dispositif = line.dispositif
    return {
        "scope": line.scope,
        "dispositif": dispositif.slug if dispositif else None,
        "dispositif_name": dispositif.name if dispositif else None,
        "region": line.region or None,
        "region_name": str(line.region_name) if line.region_name else None,
        "indicators": {key: figure_dict(figure) for key, figure in line.figures.items()},
    }


class IndicatorTableSerializer(Serializer):
    year = serializers.IntegerField(read_only=True)
    month = serializers.IntegerField(read_only=True, allow_null=True)
    secrecy = serializers.BooleanField(
        read_only=True,
        help_text=_(
            "Vrai quand le secret statistique s'applique : le lecteur est hors du réseau "
            "(client régional, membre de comité, entreprise partenaire)."
        ),
    )
    results = IndicatorLineSerializer(many=True, read_only=True)
    totals = IndicatorLineSerializer(many=True, read_only=True)


class IndicatorQuerySerializer(Serializer):
    year = serializers.IntegerField(
        required=False,
        min_value=2000,
        max_value=2100,
        help_text=_("L'année (par défaut la dernière année complète)."),
    )
    month = serializers.IntegerField(
        required=False, min_value=1, max_value=12, help_text=_("Un mois de l'année.")
    )
    region = serializers.ChoiceField(choices=REGIONS, required=False)
    dispositif = serializers.SlugField(required=False, help_text=_("Identifiant du dispositif."))


def _keys_parameter() -> OpenApiParameter:
    return OpenApiParameter(
        "indicator",
        str,
        many=True,
        enum=publication.public_keys(),
        description=str(_("Limite la réponse à ces indicateurs (répétable).")),
    )


class TableSchema(AutoSchema):
    """The route answers one object (a table and its totals), not a list of rows."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class IndicatorViewSet(ScopedViewMixin, viewsets.GenericViewSet):
    """The public indicators per dispositif for a year (or a month), and the totals the
    caller may read: every dispositif the caller sees (a regional client: its region's),
    with statistical secrecy outside the network (``reporting.publication``)."""

    queryset = Dispositif.objects.none()
    serializer_class = IndicatorTableSerializer
    view_action = Action.VIEW_DISPOSITIF
    pagination_class = None
    schema = TableSchema()
    filter_backends: list = []

    @extend_schema(
        parameters=[IndicatorQuerySerializer, _keys_parameter()],
        responses=IndicatorTableSerializer,
    )
    def list(self, request):
        query = IndicatorQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        keys = request.query_params.getlist("indicator")
        unknown = [key for key in keys if key not in publication.public_keys()]
        if unknown:
            raise serializers.ValidationError(
                {"indicator": [_("Indicateur inconnu : %(key)s.") % {"key": unknown[0]}]}
            )
        year = params.get("year") or publication.last_full_year()
        month = params.get("month") or 0
        published = publication.publish(
            request.user,
            year,
            month=month,
            region=params.get("region", ""),
            slug=params.get("dispositif", ""),
            keys=keys or None,
        )
        data = {
            "year": year,
            "month": month or None,
            "secrecy": published.secrecy,
            "results": [line_dict(line) for line in published.rows],
            "totals": [line_dict(line) for line in published.totals],
        }
        return Response(data)
