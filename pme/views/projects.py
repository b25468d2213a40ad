"""Project pages: the list and its export, a project's page with its timeline, manual stage
moves, jobs follow-up, creation and changes."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import F, Sum, Value
from django.db.models.functions import Greatest
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
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
from ..filtersets import ProjectFilterSet
from ..forms import FollowUpForm, ProjectForm, TransitionForm
from ..indicators import days_to_committee_of
from ..models import Stage
from ._common import StrictFilterMixin


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
        "to_create": "jobs_to_create",
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
        ExportColumn(gettext_lazy("Emplois à créer"), "jobs_to_create"),
        ExportColumn(gettext_lazy("Avance demandée (€)"), "requested_advance"),
    )

    def get_base_queryset(self):
        # Jobs to create: planned at three years minus at start, never negative (the
        # definition of the « Emplois à créer » indicator, pme.indicators).
        return selectors.project_list(self.request.user).annotate(
            jobs_to_create=Greatest(F("jobs_planned_3y") - F("jobs_at_start"), Value(0))
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["show_dispositif"] = several_dispositifs(user, self.action)
        context["can_create"] = may(user, Action.MANAGE)
        filterset = self.filterset
        valid = filterset.is_bound and filterset.is_valid()
        context["filtered_company"] = filterset.form.cleaned_data.get("company") if valid else None
        decided = valid and filterset.form.cleaned_data.get("decided_in") is not None
        context["show_decisions"] = decided
        # The total of the summed columns over every filtered row (not only this page).
        # (An aggregate named like the annotation it adds up would replace it.)
        sums = {"total_jobs_to_create": Sum("jobs_to_create")}
        if decided:
            sums["total_decisions"] = Sum("period_decisions")
        totals = self.object_list.order_by().aggregate(**sums)
        context["totals"] = {key[len("total_") :]: value or 0 for key, value in totals.items()}
        first_committee = valid and filterset.form.cleaned_data.get("first_committee_in")
        if first_committee:
            # Behind « days to committee »: its median over the listed projects.
            context["committee_period"] = first_committee
            context["totals"]["days_to_committee"] = days_to_committee_of(
                self.object_list, first_committee.year, first_committee.month
            )
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
                turnover=record.turnover,
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
            with ServiceCall(form) as call:
                services.project_transition(
                    project=project,
                    to_stage=form.cleaned_data["to_stage"],
                    by=request.user,
                    comment=form.cleaned_data["comment"],
                )
            if not call.refused:
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
            with ServiceCall(form) as call:
                services.follow_up_record(
                    project=project,
                    year=data["year"],
                    headcount=data["headcount"],
                    jobs_created=data["jobs_created"],
                    jobs_maintained=data["jobs_maintained"],
                    turnover=data["turnover"],
                    source=data["source"],
                    as_of=data["as_of"],
                    note=data["note"],
                    by=request.user,
                )
            if not call.refused:
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
        with ServiceCall(form) as call:
            project = services.project_create(
                company=form.cleaned_data["company"],
                by=self.request.user,
                needs=form.cleaned_data["needs"],
                **form.service_fields(),
            )
        if call.refused:
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
        with ServiceCall(form) as call:
            services.project_update(
                project=self.project, needs=form.cleaned_data["needs"], **form.service_fields()
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Modifications enregistrées."))
        return redirect("pme:project-detail", self.project.pk)
