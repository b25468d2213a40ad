"""When an expert's data has outlived its purpose (alize.personal_data, docs/personal-data.md
"Experts"): no hour logged and no mission running since the cut-off, the profile unchanged
since, and their account (if any) unused since."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.personal_data.registry import Retention, register_retention
from partners.models import Expert
from partners.personal_data import EXPERT

from .models import HourLog, MissionAssignment


def inactive_experts(cutoff: dt.date, dispositif) -> list[int]:
    limit = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    hours = HourLog.objects.filter(expert=OuterRef("pk"), date__gte=cutoff)
    missions = MissionAssignment.objects.filter(expert=OuterRef("pk"), mission__ends_on__gte=cutoff)
    account_used = Q(user__last_login__gte=limit) | Q(user__date_joined__gte=limit)
    experts = (
        Expert.objects.filter(EXPERT.holds_data, updated_at__lt=limit)
        .exclude(Exists(hours))
        .exclude(Exists(missions))
        .exclude(account_used)
    )
    return list(experts.values_list("pk", flat=True))


register_retention(
    "expert",
    Retention(
        description=_("ni heure ni mission depuis la durée de conservation"),
        candidates=inactive_experts,
    ),
)
