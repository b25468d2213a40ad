"""Read-side queries of the dispositifs app. They run inside the caller's scope."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from alize.accounts.models import Role
from alize.accounts.roles import assignments, dispositif_ids_with_role, is_coordinator
from partners.models import Organisation

from .models import (
    AgendaItem,
    Attendance,
    Committee,
    Decision,
    DecisionOutcome,
    Dispositif,
    Membership,
    PartnerCommitment,
)


def dispositif_list():
    """Dispositifs in scope with their active membership count, in one query."""
    return Dispositif.objects.select_related("carrier").annotate(
        member_count=Count("membership", filter=Q(membership__left_on__isnull=True), distinct=True)
    )


def dispositif_memberships(dispositif):
    """The tour de table of one dispositif, large firms last as in committee."""
    return (
        Membership.objects.filter(dispositif=dispositif)
        .select_related("organisation")
        .order_by("left_on", "kind", "organisation__name")
    )


# --- Committees -------------------------------------------------------------------------


def committee_reader_dispositif_ids(user) -> set[int] | None:
    """Dispositifs whose committees the user may read: animateur or committee member there;
    ``None`` means every one (national coordinator). Firm correspondents, experts and API
    clients read none, even inside their scope."""
    if is_coordinator(user):
        return None
    return dispositif_ids_with_role(user, Role.ANIMATEUR, Role.COMMITTEE_MEMBER)


def committee_member_organisation_ids(user, dispositif_id: int) -> set[int]:
    """Organisations for which the user sits as a committee member in this dispositif."""
    return {
        a.organisation_id
        for a in assignments(user)
        if a.role == Role.COMMITTEE_MEMBER
        and a.dispositif_id == dispositif_id
        and a.organisation_id
    }


def committee_list(user):
    """Committees the user may read, with dispositif, host and agenda counts (one query)."""
    committees = Committee.objects.select_related("dispositif", "host").annotate(
        item_count=Count("items", distinct=True),
        decision_count=Count("items__decision", distinct=True),
    )
    readable = committee_reader_dispositif_ids(user)
    if readable is not None:
        committees = committees.filter(dispositif_id__in=readable)
    return committees


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


def _changes(previous, record, fields) -> list[str]:
    if previous is None:
        return []
    return [
        f"{label} : {getattr(previous, name) or '—'} → {getattr(record, name) or '—'}"
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
        amount = f" — {row.amount} €" if row.amount is not None else ""
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
            summary += " — " + _("avance de %(amount)s €") % {"amount": row.advance_amount}
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
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries
