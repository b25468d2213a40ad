"""Browser pages of skill missions: the missions list and page (proposal, the firm's answer,
assignments, moves, evaluations), the expert's week grid, the month closing, the fatigue
view, the firms' experts, and the firm portal's export.

Who does what is the access policy's: animateurs run their dispositif's missions
(``MANAGE``), a firm correspondent answers for its firm (``RESPOND_MISSION``), an expert
logs hours on their own missions (``LOG_HOURS``). Rows outside what a user reaches answer
404. Every write goes through ``missions.services`` (or ``partners.services`` for
experts), whose refusals come back onto the form's fields.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View

from alize import charts, exports
from alize.actions import Action
from alize.web import (
    ActionRequiredMixin,
    FilteredListView,
    InvalidFormStatusMixin,
    ScopedDetailView,
    ServiceCall,
    require,
)
from dispositifs.access import dispositif_ids, may
from partners import services as partner_services

from . import grid, queries, selectors, services
from .forms import (
    AdjustmentForm,
    AssignForm,
    CloseMonthForm,
    DeclineForm,
    EvaluationForm,
    ExpertForm,
    MissionFilterSet,
    MoveForm,
    ProposeMissionForm,
    month_choices,
)
from .models import MissionStatus


def several_dispositifs(user, action: str) -> bool:
    ids = dispositif_ids(user, action)
    return ids is None or len(ids) > 1


# ---------------------------------------------------------------------------------------
# Missions


class MissionListView(FilteredListView):
    """The missions a user reaches: their dispositif's (animateur), their firm's in every
    dispositif (correspondent), those they work on (expert), every one (coordination)."""

    action = Action.VIEW_MISSION
    template_name = "missions/mission_list.html"
    filterset_class = MissionFilterSet
    sort_fields = {
        "project": "project__title",
        "firm": "firm__name",
        "skill": "skill__name",
        "dispositif": "dispositif__name",
        "status": "status",
        "starts": "starts_on",
        "planned": "planned_hours",
        "logged": "logged_hours",
    }
    default_sort = "-starts"
    extra_context = {"title": gettext_lazy("Missions d'expertise")}

    def get_base_queryset(self):
        return queries.mission_list(self.request.user)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            show_dispositif=several_dispositifs(user, self.action),
            user_can_log=may(user, Action.LOG_HOURS),
            user_manages=may(user, Action.MANAGE),
        )
        return context


class MissionDetailView(ScopedDetailView):
    """A mission: project, firm, experts, dates, planned and logged hours, its history and
    evaluations, with the moves the user may make."""

    action = Action.VIEW_MISSION
    template_name = "missions/mission_detail.html"
    context_object_name = "mission"

    def get_queryset(self):
        return queries.mission_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mission = self.object
        user = self.request.user
        manage = may(user, Action.MANAGE, mission.dispositif_id)
        respond = self.responds_for(mission)
        assigned = queries.is_assigned(mission, user)
        status = mission.status
        assignments = queries.mission_assignments(mission)
        assigned_ids = {a.expert_id for a in assignments}
        evaluating = status in (MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED)
        allowed = mission.allowed_next_statuses
        moves = []
        if MissionStatus.IN_PROGRESS in allowed and (manage or respond):
            moves.append((MissionStatus.IN_PROGRESS, _("Démarrer la mission")))
        if MissionStatus.COMPLETED in allowed and manage:
            moves.append((MissionStatus.COMPLETED, _("Terminer la mission")))
        context.update(
            title=str(mission),
            can_manage=manage,
            can_respond=respond,
            assignments=assignments,
            hours_by_expert=queries.mission_hours_by_expert(mission, user),
            history=queries.mission_history(mission),
            moves=moves,
            can_cancel=manage and MissionStatus.CANCELLED in allowed,
            can_answer=respond and status == MissionStatus.PROPOSED,
            can_assign=respond and status in (MissionStatus.ACCEPTED, MissionStatus.IN_PROGRESS),
            can_evaluate_sme=manage and evaluating,
            can_evaluate_expert=(manage or assigned) and evaluating,
            show_hours_link=assigned and mission.is_open_for_hours,
        )
        context.setdefault("decline_form", DeclineForm())
        context.setdefault("move_form", MoveForm())
        if context["can_assign"]:
            context.setdefault(
                "assign_form",
                AssignForm(experts=queries.assignable_experts(mission, assigned_ids)),
            )
        if context["can_evaluate_sme"]:
            context.setdefault(
                "sme_form",
                EvaluationForm(
                    prefix="sme",
                    initial={"text": mission.sme_evaluation, "rating": mission.sme_rating},
                ),
            )
        if context["can_evaluate_expert"]:
            context.setdefault(
                "expert_form",
                EvaluationForm(
                    prefix="expert",
                    initial={
                        "text": mission.expert_evaluation,
                        "rating": mission.expert_rating,
                    },
                ),
            )
        return context

    def responds_for(self, mission) -> bool:
        """May the user answer for the mission's firm (its correspondent, the coordination)?"""
        return queries.responds_for(self.request.user, mission)


class MissionWriteMixin:
    """POST-only actions on a mission page; a refusal shows the page again (400) with the
    form's errors."""

    http_method_names = ["post"]

    def get_queryset(self):
        return queries.mission_detail_queryset(self.request.user, self.action)

    def refused(self, mission, **forms_in_error):
        self.object = queries.mission_detail_queryset(self.request.user).get(pk=mission.pk)
        context = self.get_context_data(object=self.object, **forms_in_error)
        return self.render_to_response(context, status=400)

    def done(self, mission, message):
        messages.success(self.request, message)
        return redirect("missions:detail", mission.pk)


class MissionAnswerView(MissionWriteMixin, MissionDetailView):
    """The firm's correspondent accepts the mission, or declines it with a reason."""

    action = Action.RESPOND_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        if request.POST.get("answer") == "accept":
            with ServiceCall() as call:
                services.mission_accept(mission=mission, by=request.user)
            if call.refused:
                messages.error(request, call.message)
                return self.refused(mission)
            return self.done(mission, _("Mission acceptée : affectez-y vos experts."))
        form = DeclineForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.mission_decline(
                    mission=mission, reason=form.cleaned_data["reason"], by=request.user
                )
            if not call.refused:
                return self.done(mission, _("Mission déclinée ; l'animateur est prévenu."))
        return self.refused(mission, decline_form=form)


class MissionAssignView(MissionWriteMixin, MissionDetailView):
    """The correspondent puts experts of the firm on the mission."""

    action = Action.RESPOND_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        assigned = {a.expert_id for a in queries.mission_assignments(mission)}
        form = AssignForm(request.POST, experts=queries.assignable_experts(mission, assigned))
        if form.is_valid():
            with ServiceCall(form) as call, transaction.atomic():
                for expert in form.cleaned_data["experts"]:
                    services.mission_assign_expert(mission=mission, expert=expert, by=request.user)
            if not call.refused:
                return self.done(mission, _("Experts affectés."))
        return self.refused(mission, assign_form=form)


class MissionMoveView(MissionWriteMixin, MissionDetailView):
    """Start the mission (the animateur or the firm's correspondent), complete it once both
    evaluations are in, or cancel it with a reason (the animateur)."""

    action = Action.VIEW_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        form = MoveForm(request.POST)
        if form.is_valid():
            to_status = form.cleaned_data["to_status"]
            with ServiceCall(form) as call:
                if to_status == MissionStatus.IN_PROGRESS:
                    services.mission_start(mission=mission, by=request.user)
                elif to_status == MissionStatus.COMPLETED:
                    services.mission_complete(mission=mission, by=request.user)
                else:
                    services.mission_cancel(
                        mission=mission, reason=form.cleaned_data["reason"], by=request.user
                    )
            if isinstance(call.error, services.MissionAccessError):
                raise Http404
            if not call.refused:
                return self.done(
                    mission,
                    _("La mission passe au statut « %(status)s ».")
                    % {"status": MissionStatus(to_status).label},
                )
        return self.refused(mission, move_form=form)


class MissionEvaluationView(MissionWriteMixin, MissionDetailView):
    """The evaluation at completion: the SME's (entered by the animateur) or the expert's."""

    action = Action.VIEW_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        side = request.POST.get("side")
        require(side in ("sme", "expert"))
        form = EvaluationForm(request.POST, prefix=side)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.mission_record_evaluation(
                    mission=mission,
                    party=side,
                    text=form.cleaned_data["text"],
                    rating=form.cleaned_data["rating"],
                    by=request.user,
                )
            if isinstance(call.error, services.MissionAccessError):
                raise Http404
            if not call.refused:
                return self.done(mission, _("Évaluation enregistrée."))
        return self.refused(mission, **{f"{side}_form": form})


class MissionProposeView(ActionRequiredMixin, InvalidFormStatusMixin, FormView):
    """The animateur proposes a mission from an approved decision: the suggested experts in
    the service's order (skill match, then firms under their pledge), each with the firm's
    hours asked, pledged and delivered this year, before the choice of the firm."""

    action = Action.MANAGE
    template_name = "missions/mission_propose.html"
    form_class = ProposeMissionForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.decision = get_object_or_404(
                queries.decisions_for_missions(request.user), pk=kwargs["decision_pk"]
            )
            self.project = self.decision.item.project
        return super().dispatch(request, *args, **kwargs)

    def chosen_skill(self):
        """The skill asked (``?skill=``), else the project's first need, else the first."""
        if not hasattr(self, "_skill"):
            skills = queries.skills()
            by_pk = {str(skill.pk): skill for skill in skills}
            value = self.request.POST.get("skill") or self.request.GET.get("skill") or ""
            needs = queries.project_needs(self.project)
            self._skill = by_pk.get(value) or (needs[0] if needs else skills[0])
        return self._skill

    def suggestions(self):
        if not hasattr(self, "_suggestions"):
            self._suggestions = selectors.mission_suggestions(
                user=self.request.user,
                dispositif_id=self.decision.dispositif_id,
                skill=self.chosen_skill(),
                project=self.project,
                year=timezone.localdate().year,
            )
        return self._suggestions

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        figures = {s.firm.firm_id: s.firm for s in self.suggestions()}
        firm_labels = {
            firm_id: _(
                "%(firm)s — demandées %(asked)s h, promises %(pledged)s h, "
                "réalisées %(delivered)s h cette année"
            )
            % {
                "firm": figure.name,
                "asked": grid.hours_label(figure.asked),
                "pledged": grid.hours_label(figure.pledged),
                "delivered": grid.hours_label(figure.delivered),
            }
            for firm_id, figure in figures.items()
        }
        kwargs.update(
            skills=queries.skill_choices(),
            firms=queries.proposable_firms(self.decision.dispositif_id),
            firm_labels=firm_labels,
        )
        return kwargs

    def get_initial(self):
        today = timezone.localdate()
        initial = {
            "skill": self.chosen_skill().pk,
            "objective": self.decision.missions_description,
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=90),
        }
        firm = self.request.GET.get("firm", "")
        if firm.isdigit():
            initial["firm"] = int(firm)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("Proposer une mission"),
            decision=self.decision,
            project=self.project,
            suggestions=self.suggestions(),
            skill=self.chosen_skill(),
            skills=queries.skills(),
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        with ServiceCall(form) as call:
            mission = services.mission_create(
                decision=self.decision,
                firm=data["firm"],
                skill=data["skill"],
                objective=data["objective"],
                planned_hours=data["planned_hours"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                by=self.request.user,
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Mission proposée à %(firm)s ; son correspondant est prévenu.")
            % {"firm": data["firm"].name},
        )
        return redirect("missions:detail", mission.pk)


# ---------------------------------------------------------------------------------------
# The expert's week grid


class WeekGridView(ActionRequiredMixin, TemplateView):
    """The expert's week: one row per mission active that week, one column per day. The
    whole week is saved at once (htmx or a plain form): valid cells are saved, refused ones
    come back with a message naming the day; cells of closed months are read-only, with the
    adjustments made after closing as lines of their own."""

    action = Action.LOG_HOURS
    template_name = "missions/week_grid.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.expert = selectors.expert_of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def read_week(self):
        require(self.expert is not None)
        self.today = timezone.localdate()
        week = self.request.POST.get("week") or self.request.GET.get("week")
        monday = grid.parse_week(week, today=self.today)
        self.week = selectors.week_grid(expert=self.expert, monday=monday, today=self.today)

    def context(self, posted=None, refusals=None, saved=(), **extra):
        rows = grid.rows_of(self.week, posted=posted, refusals=refusals or {}, saved=saved)
        monday = self.week.monday
        context = {
            "title": _("Mes heures"),
            "expert": self.expert,
            "days": self.week.days,
            "today": self.today,
            "rows": rows,
            "day_totals": list(zip(self.week.days, self.week.day_totals, strict=True)),
            "week_total": self.week.total,
            "week": grid.week_label(monday),
            "previous_week": grid.week_label(monday - dt.timedelta(days=7)),
            "next_week": grid.week_label(monday + dt.timedelta(days=7)),
            "this_week": grid.week_label(self.today - dt.timedelta(days=self.today.weekday())),
            "editable": any(row.editable for row in rows),
        }
        context.update(extra)
        return context

    def get(self, request, *args, **kwargs):
        if self.expert is None:
            # The coordination may log hours anywhere but is no expert: say so.
            context = {"title": _("Mes heures"), "expert": None}
            return TemplateResponse(request, self.template_name, context)
        self.read_week()
        return TemplateResponse(request, self.template_name, self.context())

    def post(self, request, *args, **kwargs):
        self.read_week()
        missions = {row.mission.pk: row.mission for row in self.week.rows}
        editable = {
            (row.mission.pk, cell.date): cell
            for row in self.week.rows
            for cell in row.cells
            if cell.editable
        }
        posted = grid.read_posted_cells(
            request.POST, mission_ids=set(missions), days=self.week.days
        )
        refusals = {
            key: grid.cell_message(key[1], missions[key[0]], message)
            for key, message in posted.errors.items()
            if key in editable
        }
        changes = [
            services.HourCell(mission_id=mission_id, date=day, hours=hours)
            for (mission_id, day), hours in posted.hours.items()
            if (mission_id, day) in editable
            and hours != grid.stored_hours(editable[(mission_id, day)])
        ]
        saved: set = set()
        if changes:
            result = services.hours_save_week(expert=self.expert, cells=changes, by=request.user)
            saved = {(cell.mission_id, cell.date) for cell, _entry in result.saved}
            for error in result.errors:
                refusals[(error.mission_id, error.date)] = error.message
        if not refusals and not request.htmx:
            if saved:
                messages.success(request, _("Semaine enregistrée."))
            return redirect(f"{reverse('missions:hours')}?week={grid.week_label(self.week.monday)}")
        # Read the week again: what is stored now, the refused cells shown as typed.
        self.read_week()
        context = self.context(
            posted=request.POST,
            refusals=refusals,
            saved=saved,
            refusal_lines=[message for _key, message in sorted(refusals.items(), key=grid.by_day)],
            saved_count=len(saved),
            posted_now=True,
        )
        status = 400 if refusals else 200
        return TemplateResponse(request, self.template_name, context, status=status)


# ---------------------------------------------------------------------------------------
# Month closing (animateurs)


class ClosingView(ActionRequiredMixin, TemplateView):
    """Close a month of hours for a dispositif; see what is closed; correct a closed month
    with an adjustment (a signed line with a reason, never a change of the locked entry)."""

    action = Action.MANAGE
    template_name = "missions/closing.html"

    def forms(self, close_form=None, adjustment_form=None):
        dispositifs = queries.managed_dispositifs(self.request.user)
        missions = queries.adjustable_missions(self.request.user)
        experts = queries.adjustable_experts(self.request.user)
        close_form = close_form or CloseMonthForm(
            dispositifs=dispositifs,
            initial={"month": (timezone.localdate().replace(day=1) - dt.timedelta(days=1))},
        )
        adjustment_form = adjustment_form or AdjustmentForm(missions=missions, experts=experts)
        return dispositifs, close_form, adjustment_form

    def render(self, close_form=None, adjustment_form=None, status=200):
        dispositifs, close_form, adjustment_form = self.forms(close_form, adjustment_form)
        dispositifs = list(dispositifs)
        ids = [d.pk for d in dispositifs]
        closed = queries.closed_months(ids)
        closed_keys = {(c.dispositif_id, c.month) for c in closed}
        months = month_choices(timezone.localdate())
        table = [
            (
                dispositif,
                [(month, (dispositif.pk, month) in closed_keys) for month in months],
            )
            for dispositif in dispositifs
        ]
        context = {
            "title": _("Clôture des heures"),
            "months": months,
            "table": table,
            "closed": closed,
            "close_form": close_form,
            "adjustment_form": adjustment_form,
            "adjustments": queries.recent_adjustments(ids),
            "several_dispositifs": len(dispositifs) > 1,
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render()

    def post(self, request, *args, **kwargs):
        dispositifs, _close, _adjust = self.forms()
        form = CloseMonthForm(request.POST, dispositifs=dispositifs)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.month_close(
                    dispositif=form.cleaned_data["dispositif"],
                    month=form.cleaned_data["month"],
                    by=request.user,
                )
            if not call.refused:
                messages.success(
                    request,
                    _("Mois clos : ses heures sont verrouillées."),
                )
                return redirect("missions:closing")
        return self.render(close_form=form, status=400)


class AdjustmentView(ClosingView):
    """Record an adjustment of a closed month (POST only)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        missions = queries.adjustable_missions(request.user)
        experts = queries.adjustable_experts(request.user)
        form = AdjustmentForm(request.POST, missions=missions, experts=experts)
        if form.is_valid():
            data = form.cleaned_data
            with ServiceCall(form) as call:
                services.hour_adjustment_create(
                    mission=data["mission"],
                    expert=data["expert"],
                    date=data["date"],
                    hours=data["hours"],
                    reason=data["reason"],
                    by=request.user,
                )
            if not call.refused:
                messages.success(request, _("Régularisation enregistrée."))
                return redirect("missions:closing")
        return self.render(adjustment_form=form, status=400)


# ---------------------------------------------------------------------------------------
# Fatigue

FATIGUE_LAYOUT = charts.BarLayout(
    width=870,
    label_width=170,
    value_width=180,
    bar_height=11,
    bar_gap=2,
    group_gap=14,
    top=6,
    label_chars=24,
    label_anchor="start",
)


def fatigue_chart(firms, year: int) -> charts.Chart:
    """Per firm, the hours asked, pledged and delivered in ``year`` on one scale, the
    delivered bar marked ``over`` when the firm is over its pledge (see missions.css)."""
    kinds = (("asked", _("demandées")), ("pledged", _("promises")), ("delivered", _("réalisées")))
    groups = []
    for firm in firms:
        bars = []
        for kind, label in kinds:
            hours = grid.hours_label(getattr(firm, kind))
            over = kind == "delivered" and firm.over_pledge
            bars.append(
                charts.Bar(
                    label=label,
                    value=getattr(firm, kind),
                    text=hours,
                    title=f"{label} : {hours} h",
                    css=f"{kind} over" if over else kind,
                )
            )
        note = _("au-delà de l'engagement") if firm.over_pledge else ""
        groups.append(charts.BarGroup(label=firm.name, bars=bars, note=note))
    title = _("Heures demandées, promises et réalisées par entreprise en %(year)s") % {"year": year}
    return charts.bar_chart(
        groups,
        key="fatigue",
        title=title,
        layout=FATIGUE_LAYOUT,
        style=charts.Style(css="chart", font_size=12),
    )


class FatigueView(ActionRequiredMixin, TemplateView):
    """Per firm and year: hours asked, pledged and delivered, missions declined, the firms
    over their pledge, and a chart; per dispositif, months since a partner firm last joined
    the tour de table. Animateurs see their dispositif, the coordination the network or one
    dispositif (``?dispositif=``), for a year (``?year=``)."""

    action = Action.MANAGE
    template_name = "missions/fatigue.html"
    ALL = "all"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        options = list(queries.managed_dispositifs(user))
        requested = self.request.GET.get("dispositif", "")
        selected = None
        if requested and requested != self.ALL:
            selected = next((d for d in options if d.slug == requested), None)
            if selected is None:
                raise Http404
        try:
            year = int(self.request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        year = min(max(year, today.year - 20), today.year + 1)
        report = selectors.fatigue_report(user=user, year=year, today=today)
        firms, renewal = report.firms, report.dispositifs
        if selected is not None:
            present = queries.firms_present_in(selected.pk)
            firms = [firm for firm in firms if firm.firm_id in present]
            renewal = [row for row in renewal if row.dispositif_id == selected.pk]
        context.update(
            title=_("Fatigue des partenaires"),
            options=options,
            several=len(options) > 1,
            selected=selected,
            year=year,
            years=list(range(today.year, today.year - 6, -1)),
            firms=firms,
            over_pledge=[firm for firm in firms if firm.over_pledge],
            renewal=renewal,
            chart=fatigue_chart(firms, year),
        )
        return context


# ---------------------------------------------------------------------------------------
# Experts of the partner firms


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


# ---------------------------------------------------------------------------------------
# The firm portal's export


class FirmHoursExportView(ActionRequiredMixin, View):
    """CSV of the correspondent's firm hours by month and dispositif for a year (``?year=``),
    with their value at the firm's rate."""

    action = Action.RESPOND_MISSION

    def get(self, request):
        firms = queries.correspondent_firms(request.user)
        require(bool(firms))
        today = timezone.localdate()
        try:
            year = int(request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        year = min(max(year, today.year - 20), today.year + 1)
        rows = []
        for firm in firms:
            portal = selectors.firm_portal(user=request.user, firm=firm, year=year)
            rows += [
                (firm.name, row.dispositif, row.month.strftime("%Y-%m"), row.hours, row.value)
                for row in portal.months
            ]
        return exports.csv_response(
            filename=f"heures-expertise-{year}.csv",
            headers=[_("Entreprise"), _("Dispositif"), _("Mois"), _("Heures"), _("Valeur (€)")],
            rows=rows,
        )
