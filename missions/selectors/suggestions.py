"""The experts suggested for a new mission, by skill match then pledge headroom."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.http import Http404

from alize.actions import Action
from dispositifs.access import dispositif_ids
from dispositifs.models import Membership
from partners.models import Expert, OrganisationKind, Skill

from .figures import FirmFigures, firm_year_figures


@dataclass(frozen=True)
class ExpertSuggestion:
    """An expert proposed for a mission: how well they match and their firm's year."""

    expert: Expert
    has_skill: bool
    needs_covered: int
    cross_territory: bool
    firm: FirmFigures

    @property
    def sort_key(self):
        return (
            not self.has_skill,
            -self.needs_covered,
            not self.firm.under_pledge,
            -self.firm.headroom,
            self.expert.last_name,
            self.expert.first_name,
            self.expert.pk,
        )


def mission_suggestions(
    *, user, dispositif_id: int, skill: Skill, project=None, year: int | None = None
) -> list[ExpertSuggestion]:
    """Experts for a mission of ``skill`` (and the project's needs) in a dispositif: those
    of firms seated there and those available to other dispositifs, ordered by skill match
    then pledge headroom (see ``missions.selectors``). Five queries."""
    managed = dispositif_ids(user, Action.MANAGE)
    if managed is not None and dispositif_id not in managed:
        raise Http404
    wanted = {skill.pk}
    if project is not None:
        wanted |= {need.pk for need in project.needs.all()}
    seated_firms = set(
        Membership.objects.filter(
            dispositif_id=dispositif_id,
            left_on__isnull=True,
            organisation__kind=OrganisationKind.LARGE_FIRM,
        ).values_list("organisation_id", flat=True)
    )
    experts = list(
        Expert.objects.filter(is_active=True, skills__in=wanted)
        .filter(Q(organisation__in=seated_firms) | Q(lends_across_territories=True))
        .distinct()
        .select_related("organisation")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.only("pk", "name", "name_en")))
    )
    year = year or dt.date.today().year
    figures = firm_year_figures(firm_ids={e.organisation_id for e in experts}, year=year)
    suggestions = []
    for expert in experts:
        skill_ids = {s.pk for s in expert.skills.all()}
        suggestions.append(
            ExpertSuggestion(
                expert=expert,
                has_skill=skill.pk in skill_ids,
                needs_covered=len(skill_ids & (wanted - {skill.pk})),
                cross_territory=expert.organisation_id not in seated_firms,
                firm=figures[expert.organisation_id],
            )
        )
    return sorted(suggestions, key=lambda s: s.sort_key)
