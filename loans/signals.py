"""Signals the loans app sends, so that higher layers (documents) take part in an advance's
life without this layer importing them."""

from django.dispatch import Signal

# Sent by ``advance_contract`` inside its transaction, before the contract's date is saved,
# with ``advance`` (locked). A receiver answers the SHA-256 of the contract PDF the SME
# signed (the current contract document of the advance), or None; the advance keeps it.
advance_contracting = Signal()

# Sent by ``advance_reschedule`` inside its transaction, once the new schedule is written,
# with ``advance`` (its ``schedule_version`` raised), ``by`` and ``reason``. Receivers
# write in the same transaction and queue their jobs on commit (the amendment's PDF).
advance_rescheduled = Signal()
