"""The optional scoring grid: the dispositif's weighted criteria (managed by those who run
its committees) and a member organisation's scores of a coming committee's dossiers."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from alize.actions import Action
from alize.web import ActionRequiredMixin, ServiceCall, require
from dispositifs.selectors import dispositifs_for

from .. import services
from ..forms import CriterionForm, ScoreForm
from ..selectors import (
    criteria_with_use,
    criterion_for,
    scoring_criteria,
    scoring_organisations,
)
from .detail import CommitteeActionView


def _criterion_initial(criterion) -> dict:
    return {
        "name": criterion.name,
        "weight": criterion.weight,
        "order": criterion.order,
        "active": criterion.active,
    }


def render_criteria(request, dispositif, *, status: int = 200, bound=None):
    """The dispositif's scoring grid: its criteria, each editable while no score uses it
    (a used one is only deactivated), and a form to add one. ``bound`` holds a refused form,
    keyed by "add" or the criterion's pk."""
    bound = bound or {}
    criteria = list(criteria_with_use(dispositif.pk))
    for criterion in criteria:
        criterion.form = bound.get(criterion.pk) or CriterionForm(
            initial=_criterion_initial(criterion), auto_id=f"id_g{criterion.pk}_%s"
        )
        if criterion.used:
            for name in ("name", "weight"):
                criterion.form.fields[name].disabled = True
    context = {
        "title": _("Grille de notation — %(name)s") % {"name": dispositif.name},
        "dispositif": dispositif,
        "criteria": criteria,
        "add_form": bound.get("add") or CriterionForm(auto_id="id_new_%s"),
    }
    return render(request, "committees/criteria.html", context, status=status)


class CriteriaView(ActionRequiredMixin, View):
    """The dispositif's scoring criteria (GET) and adding one (POST)."""

    action = Action.MANAGE

    def get_dispositif(self, pk):
        return get_object_or_404(dispositifs_for(self.request.user, Action.MANAGE), pk=pk)

    def get(self, request, pk):
        return render_criteria(request, self.get_dispositif(pk))

    def post(self, request, pk):
        dispositif = self.get_dispositif(pk)
        form = CriterionForm(request.POST, auto_id="id_new_%s")
        if form.is_valid():
            data = form.cleaned_data
            with ServiceCall(form):
                services.criterion_create(
                    dispositif=dispositif,
                    name=data["name"],
                    weight=data["weight"],
                    order=data["order"] or 0,
                )
        if form.errors:
            messages.error(request, _("La saisie n'a pas été enregistrée : voir ci-dessous."))
            return render_criteria(request, dispositif, status=400, bound={"add": form})
        messages.success(request, _("Critère ajouté."))
        return HttpResponseRedirect(reverse("committees:criteria", args=[dispositif.pk]))


class CriterionActionView(ActionRequiredMixin, View):
    action = Action.MANAGE
    http_method_names = ["post"]

    def get_criterion(self, pk):
        return get_object_or_404(criterion_for(self.request.user), pk=pk)

    def back(self, criterion) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("committees:criteria", args=[criterion.dispositif_id]))


class CriterionUpdateView(CriterionActionView):
    """Change a criterion (name, weight, order) while no score uses it; (de)activate it."""

    def post(self, request, pk):
        criterion = self.get_criterion(pk)
        form = CriterionForm(
            request.POST, initial=_criterion_initial(criterion), auto_id=f"id_g{pk}_%s"
        )
        if services.criterion_is_used(criterion):
            for name in ("name", "weight"):
                form.fields[name].disabled = True
        if form.is_valid():
            data = form.cleaned_data
            with ServiceCall(form):
                services.criterion_update(
                    criterion=criterion,
                    name=data["name"],
                    weight=data["weight"],
                    order=data["order"] or 0,
                    active=data["active"],
                )
        if form.errors:
            messages.error(request, _("La saisie n'a pas été enregistrée : voir ci-dessous."))
            return render_criteria(request, criterion.dispositif, status=400, bound={pk: form})
        messages.success(request, _("Critère enregistré."))
        return self.back(criterion)


class CriterionDeleteView(CriterionActionView):
    """Remove a criterion no score uses."""

    def post(self, request, pk):
        criterion = self.get_criterion(pk)
        with ServiceCall() as call:
            services.criterion_delete(criterion=criterion)
        if call.refused:
            messages.error(request, call.message)
            return render_criteria(request, criterion.dispositif, status=400)
        messages.success(request, _("Critère retiré."))
        return self.back(criterion)


class ScoreView(CommitteeActionView):
    """A member organisation scores a dossier of a coming committee (0 to 5 per criterion);
    a recused organisation is refused by the service, which says why."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        organisations = list(scoring_organisations(request.user, committee))
        criteria = list(scoring_criteria(committee.dispositif_id, active_only=True))
        require(bool(organisations) and bool(criteria))
        form = ScoreForm(
            request.POST, organisations=organisations, criteria=criteria, auto_id=f"id_s{pk}_%s"
        )
        if form.is_valid():
            with ServiceCall(form):
                services.dossier_score(
                    item=item,
                    organisation=form.cleaned_data["organisation"],
                    scores=form.scores(),
                    by=request.user,
                )
        if form.errors:
            return self.refuse(committee, bound={("score", item.pk): form})
        messages.success(
            request, _("Notes enregistrées pour « %(title)s ».") % {"title": item.project.title}
        )
        return self.back_to(committee, f"item-{item.pk}")
