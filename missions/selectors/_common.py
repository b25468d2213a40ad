"""What the missions selectors share."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from ..models import HourLog

ZERO = Decimal("0")
HOURS = DecimalField(max_digits=12, decimal_places=2)


def mission_logged_hours():
    """The hours logged on the outer mission (entries and adjustments), every expert: the
    ``logged_hours`` annotation that ``SkillMission.hours_over_plan`` reads."""
    return Coalesce(
        Subquery(
            HourLog.objects.filter(mission=OuterRef("pk"))
            .order_by()
            .values("mission")
            .annotate(total=Sum("hours"))
            .values("total"),
            output_field=HOURS,
        ),
        Value(ZERO),
        output_field=HOURS,
    )
