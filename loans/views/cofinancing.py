"""A project's co-financing (bank loans, equity, grants) and its leverage ratio."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from alize.actions import Action
from alize.web import ActionRequiredMixin, ServiceCall, require
from dispositifs.access import may

from .. import queries, services
from ..forms import CofinancingForm


def render_cofinancing(request, project, *, status: int = 200, form=None):
    manager = may(request.user, Action.MANAGE_ADVANCE, project.dispositif_id)
    if manager and form is None:
        form = CofinancingForm()
    context = {
        "title": _("Cofinancements — %(project)s") % {"project": project.title},
        "project": project,
        "cofinancings": list(queries.project_cofinancings(project)),
        "leverage": queries.project_leverage(project),
        "can_manage": manager,
        "form": form if manager else None,
    }
    return render(request, "loans/cofinancing.html", context, status=status)


class CofinancingView(ActionRequiredMixin, View):
    """A project's co-financing (bank loans, equity, grants) and its leverage ratio;
    those who manage advances add to it."""

    action = Action.VIEW_ADVANCE

    def get(self, request, project):
        found = queries.project_for_cofinancing(request.user, project)
        require(found is not None)
        return render_cofinancing(request, found)

    def post(self, request, project):
        found = queries.project_for_cofinancing(request.user, project, Action.MANAGE_ADVANCE)
        require(found is not None)
        form = CofinancingForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                _cofinancing, created = services.cofinancing_create_once(
                    project=found, by=request.user, **form.cleaned_data
                )
            if not call.refused:
                messages.success(
                    request,
                    _("Le cofinancement est enregistré.")
                    if created
                    else _("Ce cofinancement était déjà enregistré (envoi en double)."),
                )
                return HttpResponseRedirect(reverse("loans:cofinancing", args=[found.pk]))
        return render_cofinancing(request, found, status=400, form=form)
