"""What the committee views share: access to committees, agenda items and commitments."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from alize.actions import Action
from alize.web import ActionRequiredMixin, require
from dispositifs.access import may

from ..models import AgendaItem, Committee
from ..selectors import committee_commitment_for, committee_for, committee_item_for


class CommitteeAccessMixin(ActionRequiredMixin):
    """Fetches committees, agenda items and commitments among those the user may read."""

    action = Action.VIEW_COMMITTEE

    def get_committee(self, pk) -> Committee:
        return get_object_or_404(committee_for(self.request.user), pk=pk)

    def get_item(self, pk) -> AgendaItem:
        return get_object_or_404(committee_item_for(self.request.user), pk=pk)

    def get_commitment(self, pk):
        return get_object_or_404(committee_commitment_for(self.request.user), pk=pk)

    def require_manager(self, committee: Committee) -> None:
        require(may(self.request.user, Action.MANAGE, committee.dispositif_id))

    def back_to(self, committee: Committee, anchor: str = "") -> HttpResponseRedirect:
        url = reverse("committees:detail", args=[committee.pk])
        return HttpResponseRedirect(f"{url}#{anchor}" if anchor else url)


def _decision_of(item):
    try:
        return item.decision
    except AgendaItem.decision.RelatedObjectDoesNotExist:
        return None
