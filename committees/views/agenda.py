"""The agenda: adding, removing and moving dossiers."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from alize.web import ServiceCall

from .. import services
from ..forms import AgendaAddForm, AgendaMoveForm
from ..selectors import committee_ready_projects
from .detail import CommitteeActionView


class AgendaAddView(CommitteeActionView):
    """Put a ready project (in instruction or deferred) at the end of the agenda."""

    def post(self, request, pk):
        committee = self.get_committee(pk)
        self.require_manager(committee)
        ready = committee_ready_projects(committee)
        form = AgendaAddForm(request.POST, committee=committee, ready_projects=ready)
        if form.is_valid():
            with ServiceCall(form):
                services.agenda_add_project(
                    committee=committee, project=form.cleaned_data["project"], by=request.user
                )
        if form.errors:
            return self.refuse(committee, bound={"agenda": form})
        messages.success(request, _("Projet inscrit à l'ordre du jour."))
        return self.back_to(committee, "agenda")


class AgendaRemoveView(CommitteeActionView):
    """Take an undecided project off the agenda (it returns to « in instruction »)."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        self.require_manager(committee)
        with ServiceCall() as call:
            services.agenda_remove_item(item=item, by=request.user)
        if call.refused:
            return self.refuse(committee, call.error)
        messages.success(
            request, _("« %(title)s » retiré de l'ordre du jour.") % {"title": item.project.title}
        )
        return self.back_to(committee, "agenda")


class AgendaMoveView(CommitteeActionView):
    """Move a dossier up or down the agenda."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        self.require_manager(committee)
        form = AgendaMoveForm(request.POST)
        if not form.is_valid():
            return self.refuse(committee, ValidationError(_("Sens de déplacement inconnu.")))
        with ServiceCall() as call:
            services.agenda_move_item(item=item, offset=form.offset)
        if call.refused:
            return self.refuse(committee, call.error)
        return self.back_to(committee, "agenda")
