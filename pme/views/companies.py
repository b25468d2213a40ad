"""Company pages: the list and its export, a company's page, its eligibility exception,
creation and changes."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from alize.actions import Action
from alize.panels import render_panels
from alize.web import (
    ActionRequiredMixin,
    ExportColumn,
    ExportMixin,
    FilteredListView,
    InvalidFormStatusMixin,
    ScopedDetailView,
    ServiceCall,
    several_dispositifs,
)
from dispositifs.access import may

from .. import selectors, services
from ..filtersets import CompanyFilterSet
from ..forms import CompanyForm, ExceptionForm
from ._common import StrictFilterMixin


class CompanyListView(ExportMixin, StrictFilterMixin, FilteredListView):
    """SMEs of the dispositifs the user runs, with their eligibility computed in SQL; the
    filtered list exports to CSV/XLSX (no contact details: those are personal data)."""

    action = Action.VIEW_COMPANY
    template_name = "pme/company_list.html"
    filterset_class = CompanyFilterSet
    sort_fields = {
        "name": "name",
        "siren": "siren",
        "dispositif": "dispositif__name",
        "commune": "commune_name",
        "naf": "naf_code",
        "headcount": "headcount",
        "created": "creation_date",
        "projects": "project_count",
    }
    default_sort = "name"
    extra_context = {"title": gettext_lazy("Entreprises")}
    export_filename = "entreprises"
    export_columns = (
        ExportColumn(gettext_lazy("Nom"), "name"),
        ExportColumn(gettext_lazy("SIREN"), "siren"),
        ExportColumn(gettext_lazy("Dispositif"), "dispositif__name"),
        ExportColumn(gettext_lazy("Commune"), "commune_name"),
        ExportColumn(gettext_lazy("Code INSEE"), "commune_code"),
        ExportColumn(gettext_lazy("Code NAF"), "naf_code"),
        ExportColumn(gettext_lazy("Effectif"), "headcount"),
        ExportColumn(gettext_lazy("Date de création"), "creation_date"),
        ExportColumn(gettext_lazy("Critères d'éligibilité remplis"), "criteria_met"),
        ExportColumn(gettext_lazy("À vérifier"), "criteria_to_check"),
        ExportColumn(gettext_lazy("Dérogation"), "eligibility_exception"),
        ExportColumn(gettext_lazy("Projets"), "project_count"),
    )

    def get_base_queryset(self):
        return selectors.company_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_dispositif"] = several_dispositifs(self.request.user, self.action)
        return context


class CompanyDetailView(ScopedDetailView):
    """A company: identity, contact, eligibility with each criterion, exception, projects."""

    action = Action.VIEW_COMPANY
    template_name = "pme/company_detail.html"
    context_object_name = "company"

    def get_queryset(self):
        return selectors.company_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        company = self.object
        context.setdefault(
            "exception_form",
            ExceptionForm(initial={"exception_reason": company.exception_reason}),
        )
        context["eligibility"] = company.eligibility()
        context["projects"] = selectors.company_projects(company)
        context["title"] = company.name
        context["can_manage"] = may(self.request.user, Action.MANAGE, company.dispositif_id)
        context["panels"] = render_panels("company", self.request, company)
        return context


class CompanyExceptionView(CompanyDetailView):
    """Record (or withdraw) a justified eligibility exception; POST only."""

    action = Action.MANAGE
    http_method_names = ["post"]

    def get_queryset(self):
        return selectors.company_detail_queryset(self.request.user, Action.MANAGE)

    def post(self, request, *args, **kwargs):
        self.object = company = self.get_object()
        form = ExceptionForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                if request.POST.get("action") == "clear":
                    services.company_clear_exception(company=company)
                    messages.success(request, _("La dérogation est retirée."))
                else:
                    services.company_record_exception(
                        company=company,
                        reason=form.cleaned_data["exception_reason"],
                        by=request.user,
                    )
                    messages.success(request, _("La dérogation est enregistrée."))
            if not call.refused:
                return redirect("pme:company-detail", company.pk)
            company.refresh_from_db()
        context = self.get_context_data(object=company, exception_form=form)
        return self.render_to_response(context, status=400)


class CompanyFormMixin(ActionRequiredMixin, InvalidFormStatusMixin):
    action = Action.MANAGE
    form_class = CompanyForm
    template_name = "pme/company_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs


class CompanyCreateView(CompanyFormMixin, FormView):
    """Register an SME; a SIREN already present in the dispositif is refused on its field."""

    extra_context = {"title": gettext_lazy("Nouvelle entreprise")}

    def form_valid(self, form):
        with ServiceCall(form) as call:
            company = services.company_create(
                dispositif=form.target_dispositif(), **form.service_fields()
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("L'entreprise %(name)s est créée.") % {"name": company})
        return redirect("pme:company-detail", company.pk)


class CompanyUpdateView(CompanyFormMixin, FormView):
    """Change a company's data; its dispositif never changes."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.company = get_object_or_404(
                selectors.company_detail_queryset(request.user, Action.MANAGE), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.company
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["company"] = self.company
        context["title"] = _("Modifier %(name)s") % {"name": self.company.name}
        return context

    def form_valid(self, form):
        with ServiceCall(form) as call:
            services.company_update(company=self.company, **form.service_fields())
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Modifications enregistrées."))
        return redirect("pme:company-detail", self.company.pk)
