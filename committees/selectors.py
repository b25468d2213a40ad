"""Read side of committees. Selectors run inside the caller's scope."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alize.accounts.models import Role, RoleAssignment
from alize.accounts.roles import assignments
from alize.actions import Action
from alize.formats import money
from dispositifs.access import may, organisation_ids
from dispositifs.models import Membership
from partners.models import Organisation
from pme.models import Project, Stage

from .models import (
    SEATED_STATUSES,
    AgendaItem,
    Attendance,
    CalendarFeed,
    Committee,
    CommitteeReply,
    Decision,
    DecisionCorrection,
    DecisionOutcome,
    DossierScore,
    InterestDeclaration,
    PartnerCommitment,
    ScoringCriterion,
)
from .quorum import DossierQuorum, QuorumRule, dossier_quorum
from .scoring import DossierScoring, dossier_scoring

AGENDA_READY_STAGES = frozenset({Stage.IN_INSTRUCTION, Stage.DEFERRED})


def committee_for(user, action: str = Action.VIEW_COMMITTEE):
    """Committees the user may ``action``, with what their pages show."""
    return Committee.objects.for_user(user, action).select_related("dispositif", "host")


def committee_item_for(user, action: str = Action.VIEW_COMMITTEE):
    """Agenda items (dossiers) of the committees the user may ``action``."""
    return AgendaItem.objects.for_user(user, action).select_related(
        "committee__dispositif", "committee__host", "project__company", "dispositif"
    )


def committee_commitment_for(user, action: str = Action.VIEW_COMMITTEE):
    """Partner commitments of the committees the user may ``action``."""
    return PartnerCommitment.objects.for_user(user, action).select_related(
        "item__committee__dispositif", "item__committee__host", "item__project", "organisation"
    )


def commitment_organisations(user, committee):
    """Organisations the user may record commitments for at this committee: every seated
    one for those who run it, their own for committee members, none for anyone else."""
    seated = committee_seated_organisations(committee)
    allowed = organisation_ids(user, Action.RECORD_COMMITMENT, committee.dispositif_id)
    return seated if allowed is None else seated.filter(pk__in=allowed)


def interest_organisations(user, committee):
    """Organisations the user may declare an interest for at this committee: every seated
    one for those who run it (on the member's behalf), their own for committee members."""
    seated = committee_seated_organisations(committee)
    allowed = organisation_ids(user, Action.DECLARE_INTEREST, committee.dispositif_id)
    return seated if allowed is None else seated.filter(pk__in=allowed)


def reply_organisation(user, committee):
    """The seated organisation a committee member answers the invitation for (None for
    those who do not sit at this committee)."""
    if not may(user, Action.REPLY_INVITATION, committee.dispositif_id):
        return None
    own = {
        a.organisation_id
        for a in assignments(user)
        if a.dispositif_id == committee.dispositif_id and a.organisation_id
    }
    return committee_seated_organisations(committee).filter(pk__in=own).first()


def committee_ready_projects(committee):
    """Projects that can still join this committee's agenda."""
    on_this_agenda = AgendaItem.objects.filter(committee=committee).values("project_id")
    return agenda_ready_projects(committee.dispositif).exclude(pk__in=on_this_agenda)


def agenda_ready_projects(dispositif):
    """Projects that can go on an agenda: in instruction, or deferred by an earlier one."""
    return (
        Project.objects.filter(dispositif=dispositif, stage__in=AGENDA_READY_STAGES)
        .select_related("company")
        .order_by("referred_on", "id")
    )


def project_committee_passages(project):
    """The project's agenda items with their committee, decision and partners' commitments."""
    return (
        AgendaItem.objects.filter(project=project)
        .select_related("committee", "committee__host", "decision")
        .prefetch_related("commitments__organisation")
        .order_by("committee__date", "id")
    )


def _count_of(queryset, outer: str):
    """The number of rows of ``queryset`` whose ``outer`` is the outer committee, as a
    correlated subquery: evaluated for the shown page only, where a join would group every
    committee before the page is cut."""
    counts = (
        queryset.filter(**{outer: OuterRef("pk")}).order_by().values(outer).annotate(n=Count("id"))
    )
    return Coalesce(Subquery(counts.values("n"), output_field=IntegerField()), Value(0))


def committee_list(user):
    """Committees the user may read, with dispositif, host and agenda counts (one query)."""
    return (
        Committee.objects.for_user(user, Action.VIEW_COMMITTEE)
        .select_related("dispositif", "host")
        .annotate(
            item_count=_count_of(AgendaItem.objects.all(), "committee"),
            decision_count=_count_of(Decision.objects.all(), "item__committee"),
        )
    )


def committee_upcoming(user, *, today: dt.date | None = None, limit: int = 8):
    """The next committees (today included) of the user's dispositifs, soonest first."""
    today = today or timezone.localdate()
    return committee_list(user).filter(date__gte=today).order_by("date", "start_time", "pk")[:limit]


def committee_agenda(committee):
    """The agenda in order, with project, company, decision and the partners' commitments
    (large firms last), in a constant number of queries whatever the agenda's length."""
    commitments = PartnerCommitment.objects.select_related("organisation", "recorded_by")
    return (
        AgendaItem.objects.filter(committee=committee)
        .select_related(
            "project__company__dispositif", "project__referred_by", "decision__decided_by"
        )
        .prefetch_related(Prefetch("commitments", queryset=commitments))
        .order_by("order", "id")
    )


def organisation_usual_tools(user, organisation_ids, *, limit: int = 8) -> dict[int, list[str]]:
    """The tools each organisation usually brings, learned from the commitments the user may
    read: most often first, then most recent; one query for every organisation."""
    rows = (
        PartnerCommitment.objects.for_user(user, Action.VIEW_COMMITTEE)
        .filter(organisation_id__in=list(organisation_ids))
        .values("organisation_id", "tool")
        .annotate(times=Count("id"), last=Max("recorded_at"))
        .order_by("organisation_id", "-times", "-last", "tool")
    )
    tools: dict[int, list[str]] = {}
    for row in rows:
        known = tools.setdefault(row["organisation_id"], [])
        if len(known) < limit:
            known.append(row["tool"])
    return tools


def committee_corrections(committee) -> dict[int, list[DecisionCorrection]]:
    """The corrections of the committee's decisions, by agenda item, oldest first (one query)."""
    corrections: dict[int, list[DecisionCorrection]] = {}
    rows = (
        DecisionCorrection.objects.filter(decision__item__committee=committee)
        .select_related("corrected_by", "decision")
        .order_by("corrected_at", "id")
    )
    for row in rows:
        corrections.setdefault(row.decision.item_id, []).append(row)
    return corrections


def committee_attendances(committee):
    return Attendance.objects.filter(committee=committee).select_related("organisation")


def committee_seated_organisations(committee):
    """Organisations holding a seat at the tour de table on the committee's date."""
    seats = Membership.objects.filter(dispositif_id=committee.dispositif_id).filter(
        Q(left_on__isnull=True) | Q(left_on__gte=committee.date)
    )
    return Organisation.objects.filter(pk__in=seats.values("organisation_id")).order_by("name")


def committee_host_choices(dispositif_id: int):
    """Organisations with an active membership in the dispositif (possible hosts)."""
    seats = Membership.objects.filter(dispositif_id=dispositif_id, left_on__isnull=True)
    return Organisation.objects.filter(pk__in=seats.values("organisation_id")).order_by("name")


@dataclass
class HistoryEntry:
    """One audited change of a commitment or a decision, as shown on the committee page."""

    kind: str
    action: str
    at: dt.datetime
    user: object
    item_id: int
    summary: str
    changes: list[str] = field(default_factory=list)
    project: str = ""


HISTORY_ACTIONS = {"+": _("création"), "~": _("modification"), "-": _("suppression")}


def _shown(value) -> str:
    if isinstance(value, Decimal):
        return money(value)
    return str(value or "—")


def _changes(previous, record, fields) -> list[str]:
    if previous is None:
        return []
    return [
        f"{label} : {_shown(getattr(previous, name))} → {_shown(getattr(record, name))}"
        for name, label in fields
        if getattr(previous, name) != getattr(record, name)
    ]


def committee_history(item_ids) -> list[HistoryEntry]:
    """Who recorded, changed or deleted which commitment or decision, and when, newest first.

    History tables are global: they are read only for the given agenda items, which the
    caller fetched through the scoped manager. Deleted commitments are included.
    """
    item_ids = list(item_ids)
    entries: list[HistoryEntry] = []
    commitment_rows = (
        PartnerCommitment.history.filter(item_id__in=item_ids)
        .select_related("history_user", "organisation")
        .order_by("id", "history_date", "history_id")
    )
    commitment_fields = [("tool", _("outil")), ("amount", _("montant"))]
    previous = {}
    for row in commitment_rows:
        amount = f" — {money(row.amount)}" if row.amount is not None else ""
        entries.append(
            HistoryEntry(
                kind=str(_("Engagement")),
                action=str(HISTORY_ACTIONS.get(row.history_type, row.history_type)),
                at=row.history_date,
                user=row.history_user,
                item_id=row.item_id,
                summary=f"{row.organisation} : {row.tool}{amount}",
                changes=_changes(previous.get(row.id), row, commitment_fields),
            )
        )
        previous[row.id] = row
    decision_rows = (
        Decision.history.filter(item_id__in=item_ids)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    decision_fields = [
        ("outcome", _("décision")),
        ("missions_granted", _("missions")),
        ("advance_amount", _("avance")),
        ("conditions", _("conditions")),
    ]
    outcomes = dict(DecisionOutcome.choices)
    previous = {}
    for row in decision_rows:
        summary = str(outcomes.get(row.outcome, row.outcome))
        if row.advance_amount is not None:
            summary += " — " + _("avance de %(amount)s") % {"amount": money(row.advance_amount)}
        if row.missions_granted:
            summary += " — " + ngettext("%(n)s mission", "%(n)s missions", row.missions_granted) % {
                "n": row.missions_granted
            }
        entries.append(
            HistoryEntry(
                kind=str(_("Décision")),
                action=str(HISTORY_ACTIONS.get(row.history_type, row.history_type)),
                at=row.history_date,
                user=row.history_user,
                item_id=row.item_id,
                summary=summary,
                changes=_changes(previous.get(row.id), row, decision_fields),
            )
        )
        previous[row.id] = row
    corrections = DecisionCorrection.objects.filter(decision__item_id__in=item_ids).select_related(
        "corrected_by", "decision"
    )
    for row in corrections:
        entries.append(
            HistoryEntry(
                kind=str(_("Décision")),
                action=str(_("correction")),
                at=row.corrected_at,
                user=row.corrected_by,
                item_id=row.decision.item_id,
                summary=f"{outcomes.get(row.previous_outcome)} → {outcomes.get(row.outcome)}",
                changes=[str(_("motif : %(reason)s") % {"reason": row.reason})],
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def committee_quorums(committee) -> dict[int, DossierQuorum]:
    """The quorum of each dossier of the committee, by agenda item (three queries)."""

    seated = [
        attendance.organisation
        for attendance in Attendance.objects.filter(
            committee=committee, status__in=SEATED_STATUSES
        ).select_related("organisation")
    ]
    recused: dict[int, dict[int, Organisation]] = {}
    for declaration in InterestDeclaration.objects.filter(item__committee=committee).select_related(
        "organisation"
    ):
        recused.setdefault(declaration.item_id, {})[declaration.organisation_id] = (
            declaration.organisation
        )
    rule = QuorumRule.of(committee.dispositif)
    items = AgendaItem.objects.filter(committee=committee).values_list("pk", flat=True)
    return {pk: dossier_quorum(rule, seated, recused.get(pk, {}).values()) for pk in items}


def committee_interests(committee) -> dict[int, list[InterestDeclaration]]:
    """The interests declared in the committee's dossiers, by agenda item, oldest first."""
    found: dict[int, list[InterestDeclaration]] = {}
    rows = (
        InterestDeclaration.objects.filter(item__committee=committee)
        .select_related("organisation", "recorded_by")
        .order_by("recorded_at", "id")
    )
    for row in rows:
        found.setdefault(row.item_id, []).append(row)
    return found


def committee_replies(committee):
    """The members' answers to the invitation, by organisation."""
    return CommitteeReply.objects.filter(committee=committee).select_related("organisation", "user")


def committee_member_users(dispositif_id: int):
    """People holding the committee-member role in a dispositif: who receives its agendas,
    invitations and minutes, each once."""
    return (
        RoleAssignment.objects.filter(
            role=Role.COMMITTEE_MEMBER, dispositif_id=dispositif_id, user__is_active=True
        )
        .select_related("user")
        .order_by("user__email", "user_id")
        .distinct("user__email", "user_id")
    )


def calendar_feed_of(user):
    """The person's private calendar feed, or None."""
    return CalendarFeed.objects.filter(user=user).first()


# --- The optional scoring grid --------------------------------------------------------------


def scoring_criteria(dispositif_id, *, active_only: bool = False):
    """The dispositif's scoring criteria in their order (none: the grid is not used)."""
    criteria = ScoringCriterion.objects.filter(dispositif_id=dispositif_id)
    if active_only:
        criteria = criteria.filter(active=True)
    return criteria.order_by("order", "id")


def criteria_with_use(dispositif_id):
    """The dispositif's criteria in their order, each with ``used`` (some score uses it)."""
    used = DossierScore.objects.filter(criterion=OuterRef("pk"))
    return scoring_criteria(dispositif_id).annotate(used=Exists(used))


def criterion_for(user, action: str = Action.MANAGE):
    """Scoring criteria of the dispositifs where the user may ``action``."""
    return ScoringCriterion.objects.for_user(user, action).select_related("dispositif")


def scoring_organisations(user, committee):
    """Organisations the user scores the dossiers for at this committee: their own seated
    organisation for committee members (the coordination: every seated one)."""
    if not may(user, Action.SCORE_DOSSIER, committee.dispositif_id):
        return Organisation.objects.none()
    seated = committee_seated_organisations(committee)
    allowed = organisation_ids(user, Action.SCORE_DOSSIER, committee.dispositif_id)
    return seated if allowed is None else seated.filter(pk__in=allowed)


def committee_scorings(committee) -> dict[int, DossierScoring]:
    """Each scored dossier's weighted average, spread and number of organisations that
    scored, by agenda item (one query; dossiers nobody scored are absent)."""
    marks: dict[int, dict[int, list[tuple[int, int]]]] = {}
    rows = DossierScore.objects.filter(item__committee=committee).values_list(
        "item_id", "organisation_id", "criterion__weight", "score"
    )
    for item_id, organisation_id, weight, score in rows:
        marks.setdefault(item_id, {}).setdefault(organisation_id, []).append((weight, score))
    scorings = {pk: dossier_scoring(by_organisation) for pk, by_organisation in marks.items()}
    return {pk: scoring for pk, scoring in scorings.items() if scoring is not None}


def committee_own_scores(committee, organisation_ids_: list[int]) -> dict[tuple[int, int], int]:
    """The scores given by these organisations, by (agenda item, criterion)."""
    rows = DossierScore.objects.filter(
        item__committee=committee, organisation_id__in=organisation_ids_
    ).values_list("item_id", "criterion_id", "score")
    return {(item_id, criterion_id): score for item_id, criterion_id, score in rows}
