"""Browser views of committees (the tour de table): list, detail, scheduling, agenda,
attendance, partner commitments and decisions.

Who does what: animateurs of the dispositif and national coordinators run the committee;
committee members read it and record their own organisation's commitments; other roles
get 404. Objects are fetched through scoped managers restricted to the dispositifs whose
committees the user reads, so another dispositif's committee is a 404 like a missing one.
Every change goes through ``committees.services``; a refusal re-renders the page with
HTTP 400 and the message, and changes nothing.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, F, When
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import FormView

from alize.actions import Action
from alize.errors import service_error_text
from alize.panels import render_panels
from alize.web import (
    ActionRequiredMixin,
    ExportColumn,
    ExportMixin,
    FilteredListView,
    InvalidFormStatusMixin,
    ServiceCall,
    require,
)
from dispositifs.access import may
from dispositifs.models import Dispositif
from dispositifs.selectors import dispositifs_for

from . import services
from .filtersets import CommitteeFilterSet
from .forms import (
    AgendaAddForm,
    AgendaMoveForm,
    AttendanceForm,
    CommitmentForm,
    CommitteeForm,
    CommitteeStatusForm,
    DecisionCorrectionForm,
    DecisionForm,
    PastCommitteeForm,
)
from .models import AgendaItem, Committee, CommitteeStatus
from .selectors import (
    agenda_ready_projects,
    commitment_organisations,
    committee_agenda,
    committee_attendances,
    committee_commitment_for,
    committee_corrections,
    committee_for,
    committee_history,
    committee_host_choices,
    committee_item_for,
    committee_list,
    committee_ready_projects,
    organisation_usual_tools,
)

FIRM_SEPARATOR = gettext_lazy("Entreprises partenaires (en dernier)")


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


# --- List ---------------------------------------------------------------------------------


class CommitteeListView(ExportMixin, FilteredListView):
    """Committees of the user's dispositifs; by default the next ones first (soonest first),
    then past ones (latest first). The filtered list exports to CSV/XLSX."""

    action = Action.VIEW_COMMITTEE
    template_name = "committees/list.html"
    filterset_class = CommitteeFilterSet
    sort_fields = {
        "date": "date",
        "dispositif": "dispositif__name",
        "host": "host__name",
        "status": "status",
    }
    default_sort = ""
    extra_context = {"title": gettext_lazy("Comités")}
    export_filename = "comites"
    export_columns = (
        ExportColumn(gettext_lazy("Date"), "date"),
        ExportColumn(gettext_lazy("Heure"), "start_time"),
        ExportColumn(gettext_lazy("Dispositif"), "dispositif__name"),
        ExportColumn(gettext_lazy("Accueilli par"), "host__name"),
        ExportColumn(gettext_lazy("Lieu"), "place"),
        ExportColumn(gettext_lazy("Projets à l'ordre du jour"), "item_count"),
        ExportColumn(gettext_lazy("Décisions"), "decision_count"),
        ExportColumn(gettext_lazy("Statut"), "status"),
    )

    def get_base_queryset(self):
        return committee_list(self.request.user)

    def get_ordering_fields(self):
        requested = (self.request.GET.get("sort") or "").lstrip("-")
        if requested in self.sort_fields:
            return super().get_ordering_fields()
        today = timezone.localdate()
        upcoming_date = Case(When(date__gte=today, then=F("date")))
        upcoming_time = Case(When(date__gte=today, then=F("start_time")))
        return [
            upcoming_date.asc(nulls_last=True),
            upcoming_time.asc(nulls_last=True),
            F("date").desc(),
            F("start_time").desc(nulls_last=True),
            "-pk",
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_schedule"] = may(self.request.user, Action.MANAGE)
        context["today"] = timezone.localdate()
        return context


# --- Detail -------------------------------------------------------------------------------


def _decision_of(item):
    try:
        return item.decision
    except AgendaItem.decision.RelatedObjectDoesNotExist:
        return None


def _decision_initial(decision) -> dict:
    return {
        "outcome": decision.outcome,
        "missions_granted": decision.missions_granted,
        "missions_description": decision.missions_description,
        "advance_amount": decision.advance_amount,
        "conditions": decision.conditions,
    }


def _offer_usual_tools(item, organisations, usual_tools) -> None:
    """The tool field lists the tools the chosen organisation usually brings (a datalist,
    refreshed by htmx when another organisation is chosen); it stays free text."""
    form = item.commitment_form
    datalist = f"tools-{item.pk}"
    form.fields["tool"].widget.attrs["list"] = datalist
    if len(organisations) == 1:
        item.usual_tools = [(tool, "") for tool in usual_tools.get(organisations[0].pk, [])]
        return
    item.usual_tools = [
        (tool, org.name) for org in organisations for tool in usual_tools.get(org.pk, [])
    ]
    form.fields["organisation"].widget.attrs.update(
        {
            "hx-get": reverse("committees:usual-tools", args=[item.pk]),
            "hx-trigger": "change",
            "hx-target": f"#{datalist}",
            "hx-swap": "innerHTML",
        }
    )


def render_committee(request, committee: Committee, *, status: int = 200, bound=None):
    """The committee page. ``bound`` holds forms re-shown with their errors after a refused
    POST, keyed by "agenda", "attendance", ("commitment", item pk) or ("decision", item pk)."""
    bound = bound or {}
    user = request.user
    manager = may(user, Action.MANAGE, committee.dispositif_id)
    commitment_orgs = list(commitment_organisations(user, committee))
    member_org_ids = set() if manager else {org.pk for org in commitment_orgs}
    closed = committee.status == CommitteeStatus.MINUTES_SENT
    agenda_open = committee.status in (CommitteeStatus.PLANNED, CommitteeStatus.AGENDA_SENT)
    in_session = services.is_in_session(committee)
    usual_tools = (
        organisation_usual_tools(user, [org.pk for org in commitment_orgs])
        if commitment_orgs and not closed
        else {}
    )

    items = list(committee_agenda(committee))
    corrections = committee_corrections(committee)
    for item in items:
        item.decision_record = _decision_of(item)
        item.eligibility = item.project.company.eligibility(on=committee.date)
        commitments = list(item.commitments.all())
        item.partner_commitments = [c for c in commitments if not c.firm_last]
        item.firm_commitments = [c for c in commitments if c.firm_last]
        item.commitments_total = sum(c.amount for c in commitments if c.amount is not None)
        item.commitment_form = None
        if commitment_orgs and not closed:
            item.commitment_form = bound.get(("commitment", item.pk)) or CommitmentForm(
                organisations=commitment_orgs, auto_id=f"id_c{item.pk}_%s"
            )
            _offer_usual_tools(item, commitment_orgs, usual_tools)
        item.decision_form = item.correction_form = None
        decision = item.decision_record
        if manager and in_session and decision is None:
            item.decision_form = bound.get(("decision", item.pk)) or DecisionForm(
                auto_id=f"id_d{item.pk}_%s"
            )
        item.corrections = corrections.get(item.pk, [])
        correctable = (
            decision is not None and item.project.stage == services.OUTCOME_STAGE[decision.outcome]
        )
        if manager and correctable:
            item.correction_form = bound.get(("correction", item.pk)) or DecisionCorrectionForm(
                initial=_decision_initial(decision), auto_id=f"id_k{item.pk}_%s"
            )

    agenda_form = attendance_form = None
    if manager and agenda_open:
        ready = committee_ready_projects(committee)
        agenda_form = bound.get("agenda") or AgendaAddForm(
            committee=committee, ready_projects=ready
        )
    if manager and (in_session or closed):
        attendance_form = bound.get("attendance") or AttendanceForm(
            organisations=commitment_orgs, auto_id="id_att_%s"
        )

    titles = {item.pk: item.project.title for item in items}
    history = committee_history(list(titles))
    for entry in history:
        entry.project = titles.get(entry.item_id, "")

    labels = dict(CommitteeStatus.choices)
    context = {
        "committee": committee,
        "title": str(committee),
        "items": items,
        "attendances": committee_attendances(committee),
        "history": history,
        "can_manage": manager,
        "member_org_ids": member_org_ids,
        "agenda_open": agenda_open,
        "in_session": in_session,
        "closed": closed,
        "next_statuses": [(s, labels[s]) for s in committee.allowed_next_statuses]
        if manager
        else [],
        "agenda_form": agenda_form,
        "attendance_form": attendance_form,
        "firm_separator": FIRM_SEPARATOR,
        "panels": render_panels("committee", request, committee),
    }
    return render(request, "committees/detail.html", context, status=status)


class CommitteeDetailView(CommitteeAccessMixin, View):
    """Date, host, place, status, the agenda with each dossier's commitments and decision,
    attendance and the audit history."""

    def get(self, request, pk):
        return render_committee(request, self.get_committee(pk))


class CommitteeActionView(CommitteeAccessMixin, View):
    """Base of the POST-only actions; ``refuse`` re-renders the page with HTTP 400."""

    http_method_names = ["post"]

    def refuse(self, committee, error=None, *, bound=None):
        if error is not None and not bound:
            messages.error(self.request, service_error_text(error))
        elif bound:
            messages.error(self.request, _("La saisie n'a pas été enregistrée : voir ci-dessous."))
        return render_committee(self.request, committee, status=400, bound=bound)


# --- Scheduling ---------------------------------------------------------------------------


class CommitteeFormMixin(InvalidFormStatusMixin, CommitteeAccessMixin):
    """Schedule and edit forms: animateurs and coordinators; an invalid form answers 400."""

    action = Action.MANAGE
    template_name = "committees/form.html"
    form_class = CommitteeForm


class CommitteeCreateView(CommitteeFormMixin, FormView):
    """Schedule a committee in one of the dispositifs the user manages; the host is
    suggested (the partner that hosted least recently) and the place is its city."""

    def managed_dispositifs(self) -> list[Dispositif]:
        if not hasattr(self, "_managed"):
            self._managed = list(dispositifs_for(self.request.user, Action.MANAGE))
            require(bool(self._managed))
        return self._managed

    def chosen_dispositif(self) -> Dispositif | None:
        managed = self.managed_dispositifs()
        if len(managed) == 1:
            return managed[0]
        source = self.request.POST if self.request.method == "POST" else self.request.GET
        wanted = str(source.get("dispositif", ""))
        return next((d for d in managed if str(d.pk) == wanted), None)

    def get(self, request, *args, **kwargs):
        self.managed_dispositifs()
        if self.chosen_dispositif() is None:
            return render(
                request,
                self.template_name,
                {
                    "choose": True,
                    "dispositifs": self.managed_dispositifs(),
                    "title": _("Planifier un comité"),
                },
            )
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        chosen = self.chosen_dispositif()
        kwargs["hosts"] = list(committee_host_choices(chosen.pk)) if chosen else []
        managed = self.managed_dispositifs()
        kwargs["dispositifs"] = managed if len(managed) > 1 else None
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if "dispositif" in form.fields:
            # Choosing another dispositif reloads the form with its hosts (htmx), or the
            # server refuses a host that does not sit in the chosen dispositif.
            form.fields["dispositif"].widget.attrs.update(
                {
                    "hx-get": reverse("committees:create"),
                    "hx-trigger": "change",
                    "hx-select": "#main",
                    "hx-target": "#main",
                    "hx-swap": "outerHTML",
                    "hx-push-url": "true",
                }
            )
        return form

    def get_initial(self):
        chosen = self.chosen_dispositif()
        initial = {}
        if chosen is not None:
            initial["dispositif"] = chosen.pk
            host = services.committee_suggest_host(chosen)
            if host is not None:
                initial["host"] = host.pk
                initial["place"] = host.city
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["dispositif"] = self.chosen_dispositif()
        context["title"] = _("Planifier un comité")
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        dispositif = data.get("dispositif") or self.chosen_dispositif()
        with ServiceCall(form) as call:
            committee = services.committee_schedule(
                dispositif=dispositif,
                date=data["date"],
                start_time=data["start_time"],
                host=data["host"],
                place=data["place"],
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Comité planifié."))
        return self.back_to(committee)


class CommitteeRecordPastView(CommitteeCreateView):
    """Record, for history, a committee already held, with the projects it examined; it is
    created « held » and its decisions are then recorded on its page."""

    form_class = PastCommitteeForm
    http_method_names = ["get", "post"]

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        chosen = self.chosen_dispositif()
        kwargs["ready_projects"] = list(agenda_ready_projects(chosen)) if chosen else []
        return kwargs

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if "dispositif" in form.fields:
            form.fields["dispositif"].widget.attrs["hx-get"] = reverse("committees:record-past")
        return form

    def get_initial(self):
        initial = super().get_initial()
        initial.pop("host", None)
        initial.pop("place", None)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["title"] = _("Enregistrer un comité passé")
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        dispositif = data.get("dispositif") or self.chosen_dispositif()
        with ServiceCall(form) as call:
            committee = services.committee_record_past(
                dispositif=dispositif,
                date=data["date"],
                start_time=data["start_time"],
                host=data["host"],
                place=data["place"],
                minutes=data["minutes"],
                projects=data["projects"],
                by=self.request.user,
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Comité passé enregistré : saisissez ses décisions."))
        return self.back_to(committee, "agenda")


class CommitteeUpdateView(CommitteeFormMixin, FormView):
    """Change a committee's date, time, host, place and minutes."""

    committee = None

    def get_committee_once(self):
        if self.committee is None:
            self.committee = self.get_committee(self.kwargs["pk"])
            self.require_manager(self.committee)
        return self.committee

    def get(self, request, *args, **kwargs):
        self.get_committee_once()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.get_committee_once()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        committee = self.get_committee_once()
        hosts = list(committee_host_choices(committee.dispositif_id))
        if committee.host is not None and committee.host not in hosts:
            hosts.append(committee.host)
        kwargs["hosts"] = hosts
        kwargs["with_minutes"] = True
        return kwargs

    def get_initial(self):
        committee = self.get_committee_once()
        return {
            "date": committee.date,
            "start_time": committee.start_time,
            "host": committee.host_id,
            "place": committee.place,
            "minutes": committee.minutes,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["committee"] = self.committee
        context["dispositif"] = self.committee.dispositif
        context["title"] = _("Modifier le comité")
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        fields = {name: data[name] for name in ("date", "start_time", "host", "place", "minutes")}
        with ServiceCall(form) as call:
            services.committee_update(committee=self.committee, **fields)
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Comité modifié."))
        return self.back_to(self.committee)


class CommitteeStatusView(CommitteeActionView):
    """Move the committee along planned → agenda sent → held → minutes sent."""

    def post(self, request, pk):
        committee = self.get_committee(pk)
        self.require_manager(committee)
        form = CommitteeStatusForm(request.POST)
        if not form.is_valid():
            return self.refuse(committee, ValidationError(form.errors["status"]))
        with ServiceCall() as call:
            services.committee_set_status(
                committee=committee, status=form.cleaned_data["status"], by=request.user
            )
        if call.refused:
            return self.refuse(committee, call.error)
        messages.success(
            request,
            _("Statut du comité : %(status)s.") % {"status": committee.get_status_display()},
        )
        return self.back_to(committee)


# --- Agenda -------------------------------------------------------------------------------


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


# --- During and after the meeting ---------------------------------------------------------


class AttendanceView(CommitteeActionView):
    """Record who attended, for which member organisation."""

    def post(self, request, pk):
        committee = self.get_committee(pk)
        self.require_manager(committee)
        organisations = commitment_organisations(request.user, committee)
        form = AttendanceForm(request.POST, organisations=organisations, auto_id="id_att_%s")
        if form.is_valid():
            with ServiceCall(form):
                services.attendance_record(committee=committee, **form.cleaned_data)
        if form.errors:
            return self.refuse(committee, bound={"attendance": form})
        messages.success(request, _("Présence enregistrée."))
        return self.back_to(committee, "attendance")


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


class DecisionView(CommitteeActionView):
    """Record the committee's decision on a dossier; the project's stage moves with it."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        self.require_manager(committee)
        form = DecisionForm(request.POST, auto_id=f"id_d{item.pk}_%s")
        if form.is_valid():
            with ServiceCall(form):
                services.committee_record_decision(item=item, by=request.user, **form.cleaned_data)
        if form.errors:
            return self.refuse(committee, bound={("decision", item.pk): form})
        messages.success(
            request, _("Décision enregistrée pour « %(title)s ».") % {"title": item.project.title}
        )
        return self.back_to(committee, f"item-{item.pk}")


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


class DecisionCorrectView(CommitteeActionView):
    """Correct a recorded decision, with a reason; the correction is a visible entry and the
    project's stage and dates follow."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        self.require_manager(committee)
        decision = _decision_of(item)
        require(decision is not None)
        form = DecisionCorrectionForm(request.POST, auto_id=f"id_k{item.pk}_%s")
        if form.is_valid():
            with ServiceCall(form):
                services.committee_correct_decision(
                    decision=decision, by=request.user, **form.cleaned_data
                )
        if form.errors:
            return self.refuse(committee, bound={("correction", item.pk): form})
        messages.success(
            request, _("Décision corrigée pour « %(title)s ».") % {"title": item.project.title}
        )
        return self.back_to(committee, f"item-{item.pk}")
