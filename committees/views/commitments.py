"""Partner commitments of the tour de table, and the tools an organisation usually brings."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views import View

from alize.web import ServiceCall, require

from .. import services
from ..forms import CommitmentForm
from ..selectors import commitment_organisations, organisation_usual_tools
from ._common import CommitteeAccessMixin
from .detail import CommitteeActionView


class CommitmentAddView(CommitteeActionView):
    """Record the tool an organisation activates for a dossier. Animateurs choose among
    the seated organisations; a committee member records only for their own."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        organisations = list(commitment_organisations(request.user, committee))
        require(bool(organisations))
        form = CommitmentForm(
            request.POST, organisations=organisations, auto_id=f"id_c{item.pk}_%s"
        )
        if form.is_valid():
            with ServiceCall(form):
                services.commitment_record(item=item, by=request.user, **form.cleaned_data)
        if form.errors:
            return self.refuse(committee, bound={("commitment", item.pk): form})
        messages.success(request, _("Engagement enregistré."))
        return self.back_to(committee, f"item-{item.pk}")


class CommitmentDeleteView(CommitteeActionView):
    """Delete a commitment (kept in the history) after a confirmation page (GET), which
    works without JavaScript. A member deletes only their own."""

    http_method_names = ["get", "post"]

    def get_own_commitment(self, pk):
        commitment = self.get_commitment(pk)
        committee = commitment.item.committee
        own = {org.pk for org in commitment_organisations(self.request.user, committee)}
        require(commitment.organisation_id in own)
        return commitment

    def get(self, request, pk):
        commitment = self.get_own_commitment(pk)
        return render(
            request,
            "committees/commitment_confirm_delete.html",
            {
                "commitment": commitment,
                "committee": commitment.item.committee,
                "title": _("Supprimer l'engagement"),
            },
        )

    def post(self, request, pk):
        commitment = self.get_own_commitment(pk)
        committee = commitment.item.committee
        with ServiceCall() as call:
            services.commitment_delete(commitment=commitment)
        if call.refused:
            return self.refuse(committee, call.error)
        messages.success(request, _("Engagement supprimé."))
        return self.back_to(committee, f"item-{commitment.item_id}")


class UsualToolsView(CommitteeAccessMixin, View):
    """The tools an organisation usually brings, as ``<option>`` rows for the tool field's
    datalist (htmx, when the organisation changes in a commitment form)."""

    def get(self, request, pk):
        item = self.get_item(pk)
        organisations = {
            str(org.pk): org for org in commitment_organisations(request.user, item.committee)
        }
        require(bool(organisations))
        chosen = organisations.get(request.GET.get("organisation", ""))
        tools = []
        if chosen is not None:
            tools = organisation_usual_tools(request.user, [chosen.pk]).get(chosen.pk, [])
        return render(request, "committees/usual_tools.html", {"tools": tools})
