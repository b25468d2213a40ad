"""The experts of the partner firms: list, page, creation, changes and invitation."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from alize.actions import Action
from alize.web import (
    ActionRequiredMixin,
    FilteredListView,
    InvalidFormStatusMixin,
    ServiceCall,
    require,
)
from partners import services as partner_services

from .. import queries, selectors
from ..forms import ExpertForm


class ExpertListView(FilteredListView):
    """The experts a user reads: a correspondent its firm's, an animateur those of the firms
    seated in its dispositif and those lent across territories, the coordination all."""

    action = Action.VIEW_MISSION
    template_name = "partners/expert_list.html"
    sort_fields = {
        "name": "last_name",
        "firm": "organisation__name",
        "hours": "hours_per_month",
    }
    default_sort = "firm"
    extra_context = {"title": gettext_lazy("Experts")}

    def get_base_queryset(self):
        return queries.expert_list(
            self.request.user,
            search=self.request.GET.get("q", ""),
            skill=self.request.GET.get("skill", ""),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            search=self.request.GET.get("q", "").strip(),
            skill=self.request.GET.get("skill", ""),
            skills=queries.skills(),
            can_create=bool(queries.correspondent_firms(self.request.user)),
        )
        return context


class ExpertDetailView(ActionRequiredMixin, TemplateView):
    """An expert: firm, skills, availability, missions; contact details only for those who
    manage the record (the firm's correspondent, the coordination) and the expert."""

    action = Action.VIEW_MISSION
    template_name = "partners/expert_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        expert = selectors.expert_get(user, kwargs["pk"])
        context.update(
            expert=expert,
            title=expert.full_name,
            skills=queries.expert_skills(expert),
            can_manage=selectors.may_manage_expert(user, expert),
            show_contact=selectors.shows_personal_data(user, expert),
            missions=queries.expert_missions(user, expert),
        )
        return context


class ExpertFormMixin(ActionRequiredMixin, InvalidFormStatusMixin):
    action = Action.RESPOND_MISSION
    form_class = ExpertForm
    template_name = "partners/expert_form.html"


class ExpertCreateView(ExpertFormMixin, FormView):
    """The correspondent adds an expert to its firm."""

    extra_context = {"title": gettext_lazy("Nouvel expert")}

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.firms = queries.correspondent_firms(request.user)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        require(bool(self.firms))
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        require(bool(self.firms))
        data = dict(form.cleaned_data)
        skills = data.pop("skills")
        with ServiceCall(form) as call:
            expert = partner_services.expert_create(
                organisation=self.firms[0], skills=list(skills), **data
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("L'expert %(name)s est ajouté.") % {"name": expert})
        return redirect("missions:expert-detail", expert.pk)


class ExpertUpdateView(ExpertFormMixin, FormView):
    """The correspondent changes an expert's record (skills, availability, lending…)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.expert = selectors.expert_get(request.user, kwargs["pk"])
            require(selectors.may_manage_expert(request.user, self.expert))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.expert
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["expert"] = self.expert
        context["title"] = _("Modifier %(name)s") % {"name": self.expert.full_name}
        return context

    def form_valid(self, form):
        data = dict(form.cleaned_data)
        skills = data.pop("skills")
        with ServiceCall(form) as call:
            partner_services.expert_update(expert=self.expert, skills=list(skills), **data)
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Modifications enregistrées."))
        return redirect("missions:expert-detail", self.expert.pk)


class ExpertInviteView(ActionRequiredMixin, View):
    """The correspondent invites an expert to an account: an e-mail with a link to set a
    password (POST only)."""

    action = Action.RESPOND_MISSION
    http_method_names = ["post"]

    def post(self, request, pk):
        expert = selectors.expert_get(request.user, pk)
        require(selectors.may_manage_expert(request.user, expert))
        with ServiceCall() as call:
            partner_services.expert_invite(expert=expert)
        if call.refused:
            messages.error(request, call.message)
        else:
            messages.success(
                request,
                _("Invitation envoyée à %(email)s.") % {"email": expert.email},
            )
        return redirect("missions:expert-detail", expert.pk)
