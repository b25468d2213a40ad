"""The committee page, and the base of the actions that re-render it when refused."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alize.actions import Action
from alize.errors import service_error_text
from alize.panels import render_panels
from dispositifs.access import may

from .. import services
from ..forms import (
    AgendaAddForm,
    CommitmentForm,
    DecisionCorrectionForm,
    DecisionForm,
    InterestForm,
    ReplyForm,
    RosterForm,
    ScoreForm,
)
from ..models import Committee, CommitteeStatus
from ..selectors import (
    commitment_organisations,
    committee_agenda,
    committee_attendances,
    committee_corrections,
    committee_history,
    committee_interests,
    committee_own_scores,
    committee_quorums,
    committee_ready_projects,
    committee_replies,
    committee_scorings,
    committee_seated_organisations,
    interest_organisations,
    organisation_usual_tools,
    reply_organisation,
    scoring_criteria,
    scoring_organisations,
)
from ._common import CommitteeAccessMixin, _decision_of

FIRM_SEPARATOR = gettext_lazy("Entreprises partenaires (en dernier)")


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
    POST, keyed by "agenda", "attendance", "reply", ("commitment", item pk), ("interest",
    item pk), ("decision", item pk), ("score", item pk) or ("correction", item pk)."""
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
    interests = committee_interests(committee)
    quorums = committee_quorums(committee)
    attendances = list(committee_attendances(committee))
    present = [a.organisation for a in attendances if a.seated]
    replies = list(committee_replies(committee))
    interest_orgs = [] if closed else list(interest_organisations(user, committee))
    can_see_company = may(user, Action.VIEW_COMPANY, committee.dispositif_id)
    # The optional scoring grid: nothing about scores shows when the dispositif has none.
    criteria = list(scoring_criteria(committee.dispositif_id, active_only=True))
    scorings = committee_scorings(committee) if criteria else {}
    score_orgs = list(scoring_organisations(user, committee)) if criteria and agenda_open else []
    own_scores = committee_own_scores(committee, [o.pk for o in score_orgs]) if score_orgs else {}
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
        item.interests_declared = interests.get(item.pk, [])
        item.quorum = quorums.get(item.pk)
        item.interest_form = None
        if interest_orgs and decision is None:
            item.interest_form = bound.get(("interest", item.pk)) or InterestForm(
                organisations=interest_orgs, auto_id=f"id_i{item.pk}_%s"
            )
        if manager and in_session and decision is None:
            item.decision_form = bound.get(("decision", item.pk)) or DecisionForm(
                sitting=present,
                recused=item.quorum.recused if item.quorum else (),
                auto_id=f"id_d{item.pk}_%s",
            )
        item.scoring = scorings.get(item.pk)
        recused_ids = {interest.organisation_id for interest in item.interests_declared}
        item_score_orgs = [org for org in score_orgs if org.pk not in recused_ids]
        item.score_form = None
        if item_score_orgs or ("score", item.pk) in bound:
            item.score_form = bound.get(("score", item.pk)) or ScoreForm(
                organisations=item_score_orgs,
                criteria=criteria,
                initial={f"c{c.pk}": own_scores.get((item.pk, c.pk)) for c in criteria},
                auto_id=f"id_s{item.pk}_%s",
            )
        item.corrections = corrections.get(item.pk, [])
        correctable = (
            decision is not None and item.project.stage == services.OUTCOME_STAGE[decision.outcome]
        )
        if manager and correctable:
            item.correction_form = bound.get(("correction", item.pk)) or DecisionCorrectionForm(
                initial=_decision_initial(decision), auto_id=f"id_k{item.pk}_%s"
            )

    agenda_form = attendance_form = reply_form = None
    if manager and agenda_open:
        ready = committee_ready_projects(committee)
        agenda_form = bound.get("agenda") or AgendaAddForm(
            committee=committee, ready_projects=ready
        )
    if manager and in_session:
        attendance_form = bound.get("attendance") or RosterForm(
            organisations=committee_seated_organisations(committee),
            initial=RosterForm.initial_from(attendances, replies),
            auto_id="id_att_%s",
        )
    own_reply = next((r for r in replies if r.user_id == user.pk), None)
    reply_org = reply_organisation(user, committee)
    if reply_org is not None and agenda_open:
        reply_form = bound.get("reply") or ReplyForm(
            initial={"answer": own_reply.answer, "comment": own_reply.comment}
            if own_reply
            else None,
            auto_id="id_r_%s",
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
        "attendances": attendances,
        "replies": replies if manager else [],
        "own_reply": own_reply,
        "reply_form": reply_form,
        "reply_organisation": reply_org,
        "can_see_company": can_see_company,
        "scoring_grid": bool(criteria),
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
