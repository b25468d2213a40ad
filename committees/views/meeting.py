"""During and after the meeting: attendance, decisions and their corrections."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext as _

from alize.web import ServiceCall, require

from .. import services
from ..forms import AttendanceForm, DecisionCorrectionForm, DecisionForm
from ..selectors import commitment_organisations
from ._common import _decision_of
from .detail import CommitteeActionView


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
