"""Month closing: the animateur locks a month's entries (later changes are adjustments)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.actions import Action
from alize.errors import ApplicationError
from dispositifs.access import may

from ..models import ClosedMonth
from ._common import _require, lock_month, month_start

# How far back a month may be closed: the fatigue view's and the CSV export's years.
CLOSING_YEARS_BACK = 20


@transaction.atomic
def month_close(*, dispositif, month: dt.date, by) -> ClosedMonth:
    """The animateur closes a month of the dispositif (its entries are then locked). A
    month is closed once it has begun; closing it again is refused."""
    dispositif_id = getattr(dispositif, "pk", dispositif)
    _require(may(by, Action.MANAGE, dispositif_id), _("Seul l'animateur clôt un mois."))
    month = month_start(month)
    today = timezone.localdate()
    if month > today:
        raise ApplicationError(
            _("On ne clôt pas un mois à venir."), field="month", code="future_month"
        )
    if month.year < today.year - CLOSING_YEARS_BACK:
        raise ApplicationError(
            _("On ne clôt pas un mois de plus de %(years)s ans.") % {"years": CLOSING_YEARS_BACK},
            field="month",
            code="month_too_old",
        )
    lock_month(dispositif_id=dispositif_id, day=month, shared=False)
    if ClosedMonth.objects.filter(dispositif_id=dispositif_id, month=month).exists():
        raise ApplicationError(_("Ce mois est déjà clos."), field="month", code="already_closed")
    return ClosedMonth.objects.create(dispositif_id=dispositif_id, month=month, closed_by=by)
