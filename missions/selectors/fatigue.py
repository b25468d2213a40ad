"""Partner fatigue: the firms' year and the tour de table's renewal per dispositif."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Max
from django.http import Http404

from alize.actions import Action
from dispositifs.access import dispositif_ids
from dispositifs.models import Dispositif, Membership, MembershipKind
from partners.models import Expert, Organisation, OrganisationKind

from ..models import SkillMission
from .figures import FirmFigures, firm_year_figures


@dataclass(frozen=True)
class DispositifRenewal:
    """When a partner firm last joined a dispositif's tour de table."""

    dispositif_id: int
    name: str
    last_joined_on: dt.date | None
    months_since: int | None


@dataclass
class FatigueReport:
    year: int
    firms: list[FirmFigures] = field(default_factory=list)
    dispositifs: list[DispositifRenewal] = field(default_factory=list)

    @property
    def over_pledge(self) -> list[FirmFigures]:
        return [firm for firm in self.firms if firm.over_pledge]


def _months_between(earlier: dt.date, later: dt.date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def fatigue_report(*, user, year: int, today: dt.date | None = None) -> FatigueReport:
    """The fatigue view: the year's figures of the firms the user deals with (all of them
    for the coordination; for an animateur those seated in their dispositif, those with a
    mission there and those lending across territories), and the tour de table renewal of
    the user's dispositifs. Four queries whatever the data's size."""
    today = today or dt.date.today()
    managed = dispositif_ids(user, Action.MANAGE)
    if managed is not None and not managed:
        raise Http404
    memberships = Membership.objects.filter(kind=MembershipKind.PARTNER_FIRM)
    dispositifs = Dispositif.objects.all()
    if managed is None:
        firm_ids = set(
            Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM).values_list(
                "pk", flat=True
            )
        )
    else:
        # One UNION: the firms seated there, those with a mission there, those lending.
        seated = Membership.objects.filter(
            dispositif__in=managed, organisation__kind=OrganisationKind.LARGE_FIRM
        ).values_list("organisation_id", flat=True)
        working = SkillMission.objects.filter(dispositif__in=managed).values_list(
            "firm_id", flat=True
        )
        lending = Expert.objects.filter(lends_across_territories=True, is_active=True).values_list(
            "organisation_id", flat=True
        )
        firm_ids = set(seated.union(working, lending))
        memberships = memberships.filter(dispositif__in=managed)
        dispositifs = dispositifs.filter(pk__in=managed)
    figures = firm_year_figures(firm_ids=firm_ids, year=year)
    last_joined = dict(
        memberships.values("dispositif")
        .annotate(last=Max("joined_on"))
        .values_list("dispositif", "last")
    )
    renewal = [
        DispositifRenewal(
            dispositif_id=d.pk,
            name=d.name,
            last_joined_on=last_joined.get(d.pk),
            months_since=(
                _months_between(last_joined[d.pk], today) if last_joined.get(d.pk) else None
            ),
        )
        for d in dispositifs.only("pk", "name").order_by("name")
    ]
    return FatigueReport(
        year=year,
        firms=sorted(figures.values(), key=lambda f: (f.name, f.firm_id)),
        dispositifs=renewal,
    )
