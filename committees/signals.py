"""Signals the committees send, so that higher layers (documents) act on a committee's life
without this layer importing them."""

from django.dispatch import Signal

# Sent by ``committee_set_status`` inside its transaction, once the new status is saved,
# with ``committee`` and ``by`` (the person who moved it; None when code moved it without
# a person, as the demo seed recording past committees does).
# Receivers write in the same transaction and queue their jobs on commit, so a status
# change that rolls back leaves nothing behind.
committee_status_changed = Signal()

# Sent by ``committee_update`` inside its transaction when a committee whose agenda was sent
# changes date, time or place, with ``committee`` (its ``sequence`` already raised),
# ``changes`` (one line: what changed) and ``by``.
committee_moved = Signal()
