"""Receivers of reporting: a committee moved by a person to « agenda sent » or « minutes
sent » gets its agenda or minutes built and mailed to the members; a committee whose
agenda was sent gets a new agenda and invitation when it moves, a cancellation when it is
cancelled; an advance being contracted keeps the checksum of its contract's PDF, and a
rescheduled one gets its amendment built; a build that the job sweeper gives up leaves its
document « failed » with the reason."""

from django.dispatch import receiver

from alize.jobs import job_abandoned
from committees.models import CommitteeStatus
from committees.signals import committee_moved, committee_status_changed
from loans.signals import advance_contracting, advance_rescheduled

from . import services
from .models import Document, DocumentKind, DocumentStatus
from .runner import build_document, mark_failed
from .tasks import send_cancellations

KIND_FOR_STATUS = {
    CommitteeStatus.AGENDA_SENT: DocumentKind.AGENDA,
    CommitteeStatus.MINUTES_SENT: DocumentKind.MINUTES,
}


@receiver(committee_status_changed)
def committee_document_on_status(sender, committee, by=None, **kwargs):
    """Ask for the document in the same transaction (it is queued on commit), outside the
    person's document quota (the move itself is not refused). Moves made without a person
    (the demo seed's past committees) send nothing; the daily agenda job asks for its
    agendas itself."""
    if committee.status == CommitteeStatus.CANCELLED:
        if Document.objects.filter(kind=DocumentKind.AGENDA, committee=committee).exists():
            send_cancellations.enqueue(
                committee_id=committee.pk, dispositif_id=committee.dispositif_id
            )
        return
    kind = KIND_FOR_STATUS.get(committee.status)
    if kind is None or by is None:
        return
    services.document_request(kind=kind, committee=committee, by=by, quota=False)


@receiver(committee_moved)
def agenda_again_on_move(sender, committee, changes, by=None, **kwargs):
    """A committee whose agenda was sent moved: a new version of its agenda, saying what
    changed, is built and mailed with the updated invitation (same UID, higher SEQUENCE)."""
    services.document_request(
        kind=DocumentKind.AGENDA,
        committee=committee,
        by=by,
        regenerate=True,
        quota=False,
        change_note=changes,
    )


@receiver(job_abandoned)
def document_failed_on_abandoned_build(sender, job, reason, **kwargs):
    """The build was lost by its workers too often: the document says « failed », with the
    reason, in the transaction that gives the job up; asking again makes a new version."""
    document_id = job.kwargs.get("document_id")
    if sender == build_document.name and document_id is not None:
        mark_failed(document_id, reason)


@receiver(advance_contracting)
def signed_contract_checksum(sender, advance, **kwargs):
    """The SHA-256 of the advance's current contract PDF, the one the SME signed (None when
    none was built: the contract was produced elsewhere)."""
    contract = Document.objects.filter(
        kind=DocumentKind.CONTRACT,
        advance=advance,
        is_current=True,
        status=DocumentStatus.DONE,
    ).first()
    return contract.checksum if contract is not None else None


@receiver(advance_rescheduled)
def amendment_on_reschedule(sender, advance, by=None, **kwargs):
    """A reschedule is an amendment to the contract: its PDF (the new schedule, the reason)
    is built once the reschedule commits, outside the person's document quota."""
    services.document_request(
        kind=DocumentKind.AMENDMENT, advance=advance, by=by, quota=False, language="fr"
    )
