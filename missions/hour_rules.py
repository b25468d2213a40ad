"""What logged hours may be, whatever the door: the week grid in the browser, the API's
entries, its week and its adjustments. The hour services call these checks, and the grid
reads its cells through the same ones, so the rule is written once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alize.errors import ApplicationError

HOURS_STEP = Decimal("0.25")


def check_quarter_hours(hours: Decimal) -> None:
    """Hours, signed or not, are a whole number of quarter hours (7,5 or -0,25, never 0,1)."""
    if hours % HOURS_STEP:
        raise ApplicationError(
            _("Les heures se saisissent par quart d'heure (0,25)."),
            field="hours",
            code="quarter_hours",
        )


def check_day_done(day: dt.date, *, today: dt.date | None = None) -> None:
    """Hours are logged for a day already come (today included), never ahead."""
    today = today or timezone.localdate()
    if day > today:
        raise ApplicationError(
            _("Le %(day)s est à venir : on ne saisit que les heures déjà faites.")
            % {"day": date_format(day, "l j F Y")},
            field="date",
            code="date_in_future",
        )
