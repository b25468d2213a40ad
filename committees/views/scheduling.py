"""Scheduling a committee, recording a past one, changing it and moving its status."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import FormView

from alize.actions import Action
from alize.web import (
    InvalidFormStatusMixin,
    ServiceCall,
    confirmation_page,
    is_confirmed,
    require,
)
from dispositifs.models import Dispositif
from dispositifs.selectors import dispositifs_for

from .. import services
from ..forms import CommitteeForm, CommitteeStatusForm, PastCommitteeForm
from ..models import CommitteeStatus
from ..selectors import agenda_ready_projects, committee_host_choices, committee_member_users
from ._common import CommitteeAccessMixin
from .detail import CommitteeActionView


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
                initial["place"] = host.meeting_place
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
            services.committee_update(committee=self.committee, by=self.request.user, **fields)
        if call.refused:
            return self.form_invalid(form)
        messages.success(self.request, _("Comité modifié."))
        return self.back_to(self.committee)


def status_consequences(committee, status: str) -> list[str]:
    """What moving ``committee`` to ``status`` will do, said before it is done."""
    members = committee_member_users(committee.dispositif_id).count()
    agenda_sent = committee.status == CommitteeStatus.AGENDA_SENT
    lines = []
    if status == CommitteeStatus.AGENDA_SENT:
        lines.append(
            ngettext(
                "L'ordre du jour (PDF) et l'invitation seront envoyés par e-mail à %(n)s membre "
                "du comité.",
                "L'ordre du jour (PDF) et l'invitation seront envoyés par e-mail aux %(n)s "
                "membres du comité.",
                members,
            )
            % {"n": members}
        )
        lines.append(
            _("Tout changement de date, d'heure ou de lieu leur enverra ensuite une mise à jour.")
        )
    elif status == CommitteeStatus.HELD:
        lines.append(_("L'ordre du jour ne changera plus ; présences et décisions s'enregistrent."))
    elif status == CommitteeStatus.MINUTES_SENT:
        lines.append(
            ngettext(
                "Le relevé de décisions sera envoyé par e-mail à %(n)s membre du comité.",
                "Le relevé de décisions sera envoyé par e-mail aux %(n)s membres du comité.",
                members,
            )
            % {"n": members}
        )
        lines.append(_("Le comité sera clos : engagements et décisions ne changeront plus."))
    elif status == CommitteeStatus.CANCELLED:
        if agenda_sent:
            lines.append(
                ngettext(
                    "%(n)s membre recevra l'annulation, qui retire le comité de son agenda.",
                    "Les %(n)s membres recevront l'annulation, qui retire le comité de leur "
                    "agenda.",
                    members,
                )
                % {"n": members}
            )
        lines.append(_("Les dossiers de l'ordre du jour retournent en instruction."))
    lines.append(_("Ce changement est définitif."))
    return lines


class CommitteeStatusView(CommitteeActionView):
    """Move the committee along planned → agenda sent → held → minutes sent, or cancel it,
    after a confirmation page that says what will happen (mails to N members…): GET shows
    it, and a POST without ``confirmed`` shows it too, so it works without JavaScript."""

    http_method_names = ["get", "post"]

    def confirm(self, request, committee, status: str):
        label = dict(CommitteeStatus.choices)[status]
        return confirmation_page(
            request,
            title=_("%(committee)s : passer à « %(status)s » ?")
            % {"committee": committee, "status": label},
            consequences=status_consequences(committee, status),
            action_url=reverse("committees:set-status", args=[committee.pk]),
            back_url=reverse("committees:detail", args=[committee.pk]),
        )

    def get(self, request, pk):
        committee = self.get_committee(pk)
        self.require_manager(committee)
        form = CommitteeStatusForm(request.GET)
        require(form.is_valid() and form.cleaned_data["status"] in committee.allowed_next_statuses)
        return self.confirm(request, committee, form.cleaned_data["status"])

    def post(self, request, pk):
        committee = self.get_committee(pk)
        self.require_manager(committee)
        form = CommitteeStatusForm(request.POST)
        if not form.is_valid():
            return self.refuse(committee, ValidationError(form.errors["status"]))
        if not is_confirmed(request):
            return self.confirm(request, committee, form.cleaned_data["status"])
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
