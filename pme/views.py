"""Browser views of the pme app: companies and their import, projects with their timeline,
committee passages, history and jobs follow-up, and the pipeline funnel.

Coordinators and the animateur of a dispositif write; committee members read the projects
(dossiers) of their dispositif. Anything else — another dispositif's row, a role without
access — answers 404. Every write goes through ``pme.services`` or ``pme.imports``.
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.generic import FormView, TemplateView, View

from alize import exports
from alize.actions import Action
from alize.errors import ApplicationError, apply_service_error
from alize.panels import render_panels
from alize.web import (
    ActionRequiredMixin,
    ExportColumn,
    ExportMixin,
    FilteredListView,
    InvalidFormStatusMixin,
    ScopedDetailView,
)
from dispositifs.access import dispositif_ids, may

from . import imports, selectors, services
from .filtersets import CompanyFilterSet, ProjectFilterSet
from .forms import (
    CompanyForm,
    ExceptionForm,
    FollowUpForm,
    ImportUploadForm,
    ProjectForm,
    TransitionForm,
)
from .models import Stage

SERVICE_ERRORS = (ValidationError, ApplicationError)


class StrictFilterMixin:
    """A filter value the user may not choose (another dispositif's company…) lists nothing
    instead of silently ignoring the filter."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset is not None and self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return queryset


def several_dispositifs(user, action: str) -> bool:
    """Does the user ``action`` in more than one dispositif (so lists show the column)?"""
    ids = dispositif_ids(user, action)
    return ids is None or len(ids) > 1


# ---------------------------------------------------------------------------------------
# Companies


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
            try:
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
                return redirect("pme:company-detail", company.pk)
            except SERVICE_ERRORS as error:
                apply_service_error(form, error)
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
        try:
            company = services.company_create(
                dispositif=form.target_dispositif(), **form.service_fields()
            )
        except SERVICE_ERRORS as error:
            apply_service_error(form, error)
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
        try:
            services.company_update(company=self.company, **form.service_fields())
        except SERVICE_ERRORS as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Modifications enregistrées."))
        return redirect("pme:company-detail", self.company.pk)


# ---------------------------------------------------------------------------------------
# Import of companies

IMPORT_SALT = "pme.company-import"
IMPORT_MAX_AGE = 60 * 60


class CompanyImportView(ActionRequiredMixin, View):
    """Upload a file, then preview every row with its errors; nothing is saved here.

    The parsed rows travel to the confirm step signed (``django.core.signing``) and bound to
    the user and dispositif; the confirm step validates them again before saving.
    """

    action = Action.MANAGE
    template_name = "pme/company_import.html"

    def render(self, context, status=200):
        context.setdefault("title", _("Importer des entreprises"))
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render({"form": ImportUploadForm(user=request.user)})

    def post(self, request, *args, **kwargs):
        form = ImportUploadForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render({"form": form}, status=400)
        dispositif = form.target_dispositif()
        try:
            parsed = imports.read_company_file(form.cleaned_data["file"])
        except imports.ImportFileError as error:
            form.add_error("file", str(error))
            return self.render({"form": form}, status=400)
        preview = imports.company_import_preview(dispositif=dispositif, parsed=parsed)
        token = signing.dumps(
            {
                "u": request.user.pk,
                "d": dispositif.pk,
                "h": parsed.headers,
                "r": parsed.rows,
                "i": parsed.ignored_columns,
            },
            salt=IMPORT_SALT,
            compress=True,
        )
        return self.render(
            {
                "form": form,
                "preview": preview,
                "token": token,
                "file_name": form.cleaned_data["file"].name,
            },
            status=200 if preview.is_valid else 400,
        )


class CompanyImportConfirmView(CompanyImportView):
    """Save the previewed file: every new row in one transaction, or nothing."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        form = ImportUploadForm(user=request.user)
        try:
            payload = signing.loads(
                request.POST.get("token", ""), salt=IMPORT_SALT, max_age=IMPORT_MAX_AGE
            )
        except signing.BadSignature:
            expired = _("L'aperçu a expiré ou a été modifié : déposez le fichier à nouveau.")
            return self.render({"form": form, "import_error": expired}, status=400)
        if payload.get("u") != request.user.pk:
            raise Http404
        dispositif = get_object_or_404(
            selectors.managed_dispositifs(request.user), pk=payload.get("d")
        )
        parsed = imports.ParsedFile(
            headers=payload["h"],
            rows=[(line, values) for line, values in payload["r"]],
            ignored_columns=payload.get("i", []),
        )
        try:
            result = imports.company_import(dispositif=dispositif, parsed=parsed)
        except ValidationError:
            preview = imports.company_import_preview(dispositif=dispositif, parsed=parsed)
            return self.render(
                {"form": form, "preview": preview, "token": request.POST.get("token")},
                status=400,
            )
        messages.success(
            request,
            ngettext(
                "%(created)s entreprise importée",
                "%(created)s entreprises importées",
                len(result.created),
            )
            % {"created": len(result.created)}
            + ngettext(
                ", %(skipped)s déjà présente ignorée.",
                ", %(skipped)s déjà présentes ignorées.",
                len(result.skipped),
            )
            % {"skipped": len(result.skipped)},
        )
        return redirect(reverse("pme:company-list") + f"?dispositif={dispositif.slug}")


class CompanyImportTemplateView(ActionRequiredMixin, View):
    """The import template: a CSV (UTF-8 with BOM, « ; ») holding the expected headers."""

    action = Action.MANAGE

    def get(self, request, *args, **kwargs):
        return exports.csv_response(
            filename="modele-import-entreprises.csv",
            headers=list(imports.TEMPLATE_HEADERS.values()),
            rows=[],
        )


# ---------------------------------------------------------------------------------------
# Projects


class ProjectListView(ExportMixin, StrictFilterMixin, FilteredListView):
    """Projects of the dispositifs the user runs or sits on the committee of; the filtered
    list exports to CSV/XLSX."""

    action = Action.VIEW_PROJECT
    template_name = "pme/project_list.html"
    filterset_class = ProjectFilterSet
    sort_fields = {
        "title": "title",
        "company": "company__name",
        "dispositif": "dispositif__name",
        "stage": "stage",
        "referred": "referred_on",
        "jobs": "jobs_planned_3y",
        "advance": "requested_advance",
    }
    default_sort = "-referred"
    extra_context = {"title": gettext_lazy("Projets")}
    export_filename = "projets"
    export_columns = (
        ExportColumn(gettext_lazy("Titre"), "title"),
        ExportColumn(gettext_lazy("Entreprise"), "company__name"),
        ExportColumn(gettext_lazy("SIREN"), "company__siren"),
        ExportColumn(gettext_lazy("Dispositif"), "dispositif__name"),
        ExportColumn(gettext_lazy("Type de projet"), "project_type"),
        ExportColumn(gettext_lazy("Étape"), "stage"),
        ExportColumn(gettext_lazy("Orienté par"), "referred_by__name"),
        ExportColumn(gettext_lazy("Orienté le"), "referred_on"),
        ExportColumn(gettext_lazy("Emplois prévus à 3 ans"), "jobs_planned_3y"),
        ExportColumn(gettext_lazy("Avance demandée (€)"), "requested_advance"),
    )

    def get_base_queryset(self):
        return selectors.project_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["show_dispositif"] = several_dispositifs(user, self.action)
        context["can_create"] = may(user, Action.MANAGE)
        filterset = self.filterset
        valid = filterset.is_bound and filterset.is_valid()
        context["filtered_company"] = filterset.form.cleaned_data.get("company") if valid else None
        return context


class ProjectDetailView(ScopedDetailView):
    """A project (dossier): company and eligibility, plan, stage timeline and manual moves,
    committee passages, jobs follow-up and audit history."""

    action = Action.VIEW_PROJECT
    template_name = "pme/project_detail.html"
    context_object_name = "project"

    def get_queryset(self):
        return selectors.project_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        project = self.object
        manage = may(self.request.user, Action.MANAGE, project.dispositif_id)
        follow_ups = selectors.project_follow_up_table(project)
        timeline = list(selectors.project_timeline(project))
        context.update(
            title=project.title,
            can_manage=manage,
            eligibility=project.company.eligibility(),
            needs=project.needs.order_by("name"),
            timeline=timeline,
            stepper=selectors.project_stepper(project, timeline),
            panels=render_panels("project", self.request, project),
            history=selectors.project_history(project, timeline),
            follow_ups=follow_ups,
            planned_created=max(project.jobs_planned_3y - project.jobs_at_start, 0),
        )
        if manage:
            moves = selectors.project_moves(project, timeline)
            context.update(
                moves=moves,
                forward=[(stage, Stage(stage).label) for stage in moves.forward],
                backward=[(stage, Stage(stage).label) for stage in moves.backward],
                reopen_label=Stage(moves.reopen_to).label if moves.reopen_to else "",
                # Other apps' ways forward (a committee's agenda…), see pme.panels.
                action_panels=render_panels("project-actions", self.request, project),
            )
            context.setdefault("transition_form", TransitionForm())
            if follow_ups:
                context.setdefault("follow_up_form", self.follow_up_form(project, follow_ups))
        return context

    def follow_up_form(self, project, follow_ups):
        """The follow-up form, prefilled with ``?annee=N`` (correction) or the first year due."""
        by_year = {row.year: row for row in follow_ups}
        try:
            year = int(self.request.GET.get("annee", ""))
        except ValueError:
            year = next((row.year for row in follow_ups if row.record is None), follow_ups[0].year)
        row = by_year.get(year) or follow_ups[0]
        record = row.record
        initial = {"year": row.year, "as_of": row.due_on, "source": "declared"}
        if record is not None:
            initial.update(
                as_of=record.as_of,
                headcount=record.headcount,
                jobs_created=record.jobs_created,
                jobs_maintained=record.jobs_maintained,
                source=record.source,
                note=record.note,
            )
        return FollowUpForm(project=project, initial=initial)


class ProjectWriteMixin:
    """POST-only actions on a project the user runs (others: 404, as if it did not exist)."""

    action = Action.MANAGE
    http_method_names = ["post"]

    def get_queryset(self):
        return selectors.project_manage_queryset(self.request.user).select_related("created_by")

    def refused(self, project, **forms_in_error):
        project.refresh_from_db()
        context = self.get_context_data(object=project, **forms_in_error)
        return self.render_to_response(context, status=400)


class ProjectTransitionView(ProjectWriteMixin, ProjectDetailView):
    """Move the project to a next stage by hand, with a comment; the service says what's legal."""

    def post(self, request, *args, **kwargs):
        self.object = project = self.get_object()
        form = TransitionForm(request.POST)
        if form.is_valid():
            try:
                services.project_transition(
                    project=project,
                    to_stage=form.cleaned_data["to_stage"],
                    by=request.user,
                    comment=form.cleaned_data["comment"],
                )
            except SERVICE_ERRORS as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("Le projet passe à l'étape « %(stage)s ».")
                    % {"stage": Stage(project.stage).label},
                )
                return redirect("pme:project-detail", project.pk)
        return self.refused(project, transition_form=form)


class ProjectFollowUpView(ProjectWriteMixin, ProjectDetailView):
    """Record or correct one year's jobs follow-up (declared or verified)."""

    def post(self, request, *args, **kwargs):
        self.object = project = self.get_object()
        form = FollowUpForm(request.POST, project=project)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.follow_up_record(
                    project=project,
                    year=data["year"],
                    headcount=data["headcount"],
                    jobs_created=data["jobs_created"],
                    jobs_maintained=data["jobs_maintained"],
                    source=data["source"],
                    as_of=data["as_of"],
                    note=data["note"],
                    by=request.user,
                )
            except SERVICE_ERRORS as error:
                apply_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("Suivi de l'année %(year)s enregistré.") % {"year": data["year"]},
                )
                return redirect(reverse("pme:project-detail", args=[project.pk]) + "#suivi")
        return self.refused(project, follow_up_form=form)


class ProjectFormMixin(ActionRequiredMixin, InvalidFormStatusMixin):
    action = Action.MANAGE
    form_class = ProjectForm
    template_name = "pme/project_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs


class ProjectCreateView(ProjectFormMixin, FormView):
    """Open a project for a company of a dispositif the user runs; it starts « signalé »."""

    extra_context = {"title": gettext_lazy("Nouveau projet")}

    def get_initial(self):
        initial = super().get_initial()
        if self.request.GET.get("company", "").isdigit():
            initial["company"] = int(self.request.GET["company"])
        return initial

    def form_valid(self, form):
        try:
            project = services.project_create(
                company=form.cleaned_data["company"],
                by=self.request.user,
                needs=form.cleaned_data["needs"],
                **form.service_fields(),
            )
        except SERVICE_ERRORS as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Le projet est créé."))
        return redirect("pme:project-detail", project.pk)


class ProjectUpdateView(ProjectFormMixin, FormView):
    """Change a project's description and plan (its stage moves only by transition)."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.project = get_object_or_404(
                selectors.project_manage_queryset(request.user), pk=kwargs["pk"]
            )
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["instance"] = self.project
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["project"] = self.project
        context["title"] = _("Modifier le projet")
        return context

    def form_valid(self, form):
        try:
            services.project_update(
                project=self.project, needs=form.cleaned_data["needs"], **form.service_fields()
            )
        except SERVICE_ERRORS as error:
            apply_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, _("Modifications enregistrées."))
        return redirect("pme:project-detail", self.project.pk)


# ---------------------------------------------------------------------------------------
# Funnel


class FunnelView(ActionRequiredMixin, TemplateView):
    """The pipeline funnel of one dispositif (or of all, for the national coordination)."""

    action = Action.MANAGE
    template_name = "pme/funnel.html"
    ALL = "all"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        options = list(selectors.managed_dispositifs(user))
        national = dispositif_ids(user, Action.MANAGE) is None
        requested = self.request.GET.get("dispositif", "")
        if requested == self.ALL and national or (not requested and national):
            selected, ids = None, None
        elif requested:
            selected = next((d for d in options if d.slug == requested), None)
            if selected is None:
                raise Http404
            ids = {selected.pk}
        elif options:
            selected, ids = options[0], {options[0].pk}
        else:
            raise Http404
        context.update(
            title=_("Entonnoir des projets"),
            options=options,
            national=national,
            selected=selected,
            funnel=selectors.pipeline_funnel_cached(ids),
        )
        return context
