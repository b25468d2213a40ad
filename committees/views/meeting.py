"""During and after the meeting: attendance, decisions and their corrections."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse
from django.utils.translation import gettext as _

from alize.formats import money
from alize.web import ServiceCall, confirmation_page, is_confirmed, require

from .. import services
from ..forms import DecisionCorrectionForm, DecisionForm, InterestForm, ReplyForm, RosterForm
from ..models import DecisionOutcome
from ..selectors import (
    committee_attendances,
    committee_quorums,
    committee_seated_organisations,
    interest_organisations,
    reply_organisation,
)
from ._common import _decision_of
from .detail import CommitteeActionView


class AttendanceView(CommitteeActionView):
    """Record the roster of the meeting in one form: each seated organisation present,
    represented, excused or absent."""

    def post(self, request, pk):
        committee = self.get_committee(pk)
        self.require_manager(committee)
        form = RosterForm(
            request.POST,
            organisations=committee_seated_organisations(committee),
            auto_id="id_att_%s",
        )
        if form.is_valid():
            with ServiceCall(form):
                services.attendance_record_roster(committee=committee, lines=form.lines())
        if form.errors:
            return self.refuse(committee, bound={"attendance": form})
        messages.success(request, _("Présences enregistrées."))
        return self.back_to(committee, "attendance")


class InterestDeclareView(CommitteeActionView):
    """Declare an interest in a dossier: one's own organisation's (a committee member), or
    a seated organisation's on its behalf (the animateur). The organisation is recused."""

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        organisations = list(interest_organisations(request.user, committee))
        require(bool(organisations))
        form = InterestForm(request.POST, organisations=organisations, auto_id=f"id_i{item.pk}_%s")
        if form.is_valid():
            with ServiceCall(form):
                services.interest_declare(item=item, by=request.user, **form.cleaned_data)
        if form.errors:
            return self.refuse(committee, bound={("interest", item.pk): form})
        messages.success(
            request,
            _("Intérêt déclaré : %(name)s est récusé pour « %(title)s ».")
            % {"name": form.cleaned_data["organisation"].name, "title": item.project.title},
        )
        return self.back_to(committee, f"item-{item.pk}")


class ReplyView(CommitteeActionView):
    """A committee member says whether they will come, with a word for the animateur."""

    def post(self, request, pk):
        committee = self.get_committee(pk)
        organisation = reply_organisation(request.user, committee)
        require(organisation is not None)
        form = ReplyForm(request.POST, auto_id="id_r_%s")
        if form.is_valid():
            with ServiceCall(form):
                services.committee_reply(
                    committee=committee,
                    user=request.user,
                    organisation=organisation,
                    **form.cleaned_data,
                )
        if form.errors:
            return self.refuse(committee, bound={"reply": form})
        messages.success(request, _("Réponse enregistrée."))
        return self.back_to(committee, "reply")


class DecisionView(CommitteeActionView):
    """Record the committee's decision on a dossier; the project's stage moves with it. A
    valid form is first shown back on a confirmation page saying what will happen (the
    project's stage, the advance granted from the fund, the missions); its hidden copy of
    the form, with ``confirmed``, records it. No JavaScript needed."""

    def confirm(self, request, item, form):
        data = form.cleaned_data
        outcome = dict(DecisionOutcome.choices)[data["outcome"]]
        consequences = [
            _("Le projet « %(title)s » passera à l'étape « %(outcome)s ».")
            % {"title": item.project.title, "outcome": outcome}
        ]
        if data.get("advance_amount"):
            consequences.append(
                _(
                    "Une avance remboursable de %(amount)s est accordée : elle sortira du "
                    "fonds du dispositif à son décaissement."
                )
                % {"amount": money(data["advance_amount"])}
            )
        if data.get("missions_granted"):
            consequences.append(
                _("%(n)s mission(s) d'expertise seront proposées aux entreprises partenaires.")
                % {"n": data["missions_granted"]}
            )
        if data.get("participants"):
            consequences.append(
                _("Prennent part à la décision : %(names)s.")
                % {"names": ", ".join(org.name for org in data["participants"])}
            )
        consequences.append(
            _("La décision ne se change ensuite que par une correction motivée et visible.")
        )
        return confirmation_page(
            request,
            title=_("« %(title)s » : décision « %(outcome)s » ?")
            % {"title": item.project.title, "outcome": outcome},
            consequences=consequences,
            action_url=reverse("committees:decision", args=[item.pk]),
            back_url=reverse("committees:detail", args=[item.committee_id]) + f"#item-{item.pk}",
        )

    def post(self, request, pk):
        item = self.get_item(pk)
        committee = item.committee
        self.require_manager(committee)
        quorum = committee_quorums(committee)[item.pk]
        seated = [a.organisation for a in committee_attendances(committee) if a.seated]
        form = DecisionForm(
            request.POST, sitting=seated, recused=quorum.recused, auto_id=f"id_d{item.pk}_%s"
        )
        if form.is_valid() and not is_confirmed(request):
            return self.confirm(request, item, form)
        if form.is_valid():
            with ServiceCall(form):
                services.committee_record_decision(item=item, by=request.user, **form.cleaned_data)
        if form.errors:
            return self.refuse(committee, bound={("decision", item.pk): form})
        messages.success(
            request, _("Décision enregistrée pour « %(title)s ».") % {"title": item.project.title}
        )
        return self.back_to(committee, f"item-{item.pk}")


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
