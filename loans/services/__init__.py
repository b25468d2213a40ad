"""Write side of the loans app: every movement of money, and every move of an advance.

Contracts (every service is keyword-only, atomic, validates fully and raises
``alize.errors.ApplicationError`` — or Django's ``ValidationError`` — naming the field at
fault; a refused operation changes nothing). Services run inside the caller's tenancy
scope and do not check access: views and API views ask the policy first
(``MANAGE_ADVANCE``, ``RECORD_REPAYMENT``, ``APPROVE_WRITE_OFF``).

- ``fund_create(dispositif, name)``; ``contribution_record(fund, kind, organisation,
  amount, received_on, by, agreement="", agreement_firm=None, earmark="")`` posts
  cash/capital. ``contribution_record_once(fund, submission_key, **fields)`` →
  ``(contribution, created)``: the key (the web form's hidden one, or the API's
  ``Idempotency-Key``) makes a form sent twice record once, like ``repayment_record``.
- ``advance_create(decision, fund, instalment_count, frequency, grace_months, by,
  amount=None)``: from an approved decision with an advance amount (one advance per
  decision); ``amount`` defaults to the decided amount, may be lower, never higher, and
  lies within the dispositif's bounds (also a database trigger). Status « approved ».
  ``advance_update_terms(advance, **terms)`` changes amount and terms before disbursement.
- ``advance_contract(advance, contracted_on, by)``: approved → contracted; keeps the
  SHA-256 of the contract PDF the documents layer produced (``loans.signals``).
- ``advance_disburse(advance, disbursed_on, by)``: contracted → disbursed; refused when
  the fund's money available to this project is too low. The money is attributed to the
  contributions first in, first out by date received, except that contributions earmarked
  for the project's kind are used first, and never for other kinds. Writes schedule
  version 1: instalment k falls due ``grace_months + k × period`` months after the
  disbursement (the day clamped to the month's end); each instalment is the principal ÷
  count rounded down to the cent, and the last takes the remainder.
- ``repayment_record(advance, amount, received_on, idempotency_key, by)`` → ``(repayment,
  created)``: the same key (per dispositif) with the same payload returns the first
  repayment and ``created=False``, also when two requests race; the same key with another
  payload raises ``ConflictError`` (409, code ``idempotency_key_reused``). Every keyed
  service goes through ``alize.idempotency.run_once``. Overpayment
  (more than the outstanding principal) is refused. Allocated to the oldest unpaid
  instalments first (partial payments allowed); the ledger share of each contribution is
  in proportion to what it still has out in the advance (``ledger.split_proportionally``).
- ``repayment_reverse(repayment, reason, by, reversed_on=None)``: a counter-entry mirroring
  the repayment's lines; its allocations stop counting. Refused once the advance is
  written off, when the repayment paid instalments a reschedule has since replaced, or when
  the cash has been lent again (no balance may go negative).
- ``advance_reschedule(advance, instalment_count, frequency, first_due_on, reason, by)``:
  the unpaid instalments are marked superseded (kept) and a new version spreads the
  outstanding principal; status « rescheduled » (``loans.signals.advance_rescheduled``:
  the documents layer produces the amendment).
- ``write_off_propose(advance, reason, by)``; ``write_off_approve(write_off, by,
  on=None)`` (maker-checker: never the proposer; posts the loss, status « written off »);
  ``write_off_reject(write_off, by)``.
- ``cofinancing_create(project, organisation, kind, amount, evidence_on, by)``,
  ``cofinancing_update(cofinancing, **fields)``, ``cofinancing_delete(cofinancing)``;
  ``cofinancing_create_once(project, submission_key, **fields)`` → ``(cofinancing,
  created)`` for the web form and keyed API calls, like ``contribution_record_once``.
- ``arrears_refresh(dispositif, today)``: the daily job's work (see ``loans.tasks``),
  provisions included (``provisions_refresh``).
- ``provision_rates_set(fund, rates)``: a fund's provisioning table, rows of (from days
  past due, rate %), checked whole (errors by row field, ``rate_field``); the daily job
  posts each advance's provision change (charge / release), a write-off uses the allowance
  (``provision_use``).
- ``statement_import(fund, content, source_format, by, file_name="", idempotency_key=None)``
  → ``(statement, created)``; ``statement_line_confirm(line, by, advance=None)``,
  ``statement_confirm_high(statement, by)`` (line by line; ``loans.statement_runner``
  runs it in the background with its progress on the statement),
  ``statement_line_dismiss(line, reason, by)``,
  ``column_mapping_save(fund, by, **columns)``: bank statements matched to instalments,
  recorded through ``repayment_record`` keyed ``bank:<fund>:<transaction id>`` and reversed
  through ``repayment_reverse`` (docs/architecture.md §7.3).
- ``fund_set_collection_account(fund, creditor_identifier, iban, bic)``: the fund's SEPA
  creditor identifier and account (the three together, or none).
- ``mandate_create(advance, debtor_name, iban, bic, signed_on, kind, by)``: the SME's
  SEPA mandate (reference ``ALZ-<advance>-<n>``; one in force per advance);
  ``mandate_revoke(mandate, reason, by, revoked_on=None)``.
- ``collection_generate(fund, collection_date, by)`` → ``(collection, created)``: the
  pain.008 file of the instalments due by that date (``loans.services.collections``);
  idempotent, and it records nothing as paid.

Schedule invariant: the live instalments (not superseded) plus what was paid on superseded
ones add up to the principal, to the cent.

One module per sub-domain (``funds``, ``advances``, ``repayments``, ``write_offs``,
``cofinancing``, ``arrears``, ``provisions``, ``mandates``, ``collections``, ``statements``;
``_common`` holds their shared helpers); callers import the services from this package.
"""

from __future__ import annotations

from ._common import REASON_MAX_LENGTH, REASON_MIN_LENGTH
from .advances import (
    ADVANCE_TERMS,
    add_months,
    advance_contract,
    advance_create,
    advance_disburse,
    advance_reschedule,
    advance_update_terms,
    first_schedule,
    live_instalments,
    outstanding,
    split_schedule,
)
from .arrears import PAR_DAYS, arrears_refresh
from .cofinancing import (
    COFINANCING_FIELDS,
    cofinancing_create,
    cofinancing_create_once,
    cofinancing_delete,
    cofinancing_update,
)
from .collections import collection_generate, due_debits
from .funds import (
    COLLECTION_ACCOUNT_FIELDS,
    contribution_record,
    contribution_record_once,
    fund_create,
    fund_rename,
    fund_set_collection_account,
)
from .mandates import CLOSED_STATUSES as MANDATE_CLOSED_STATUSES
from .mandates import mandate_create, mandate_reference, mandate_revoke
from .provisions import (
    provision_rate_tables,
    provision_rates_set,
    provision_use,
    provisions_refresh,
    rate_field,
    rate_for,
    required_provision,
)
from .repayments import repayment_record, repayment_reverse
from .statements import (
    STATEMENT_MAX_BYTES,
    ConfirmOutcome,
    column_mapping_save,
    statement_confirm_high,
    statement_import,
    statement_line_confirm,
    statement_line_dismiss,
)
from .write_offs import write_off_approve, write_off_propose, write_off_reject

__all__ = (
    "ADVANCE_TERMS",
    "COFINANCING_FIELDS",
    "COLLECTION_ACCOUNT_FIELDS",
    "MANDATE_CLOSED_STATUSES",
    "PAR_DAYS",
    "REASON_MAX_LENGTH",
    "REASON_MIN_LENGTH",
    "add_months",
    "advance_contract",
    "advance_create",
    "advance_disburse",
    "advance_reschedule",
    "advance_update_terms",
    "arrears_refresh",
    "cofinancing_create",
    "cofinancing_create_once",
    "cofinancing_delete",
    "cofinancing_update",
    "collection_generate",
    "contribution_record",
    "contribution_record_once",
    "due_debits",
    "first_schedule",
    "fund_create",
    "fund_rename",
    "fund_set_collection_account",
    "live_instalments",
    "mandate_create",
    "mandate_reference",
    "mandate_revoke",
    "outstanding",
    "provision_rate_tables",
    "provision_rates_set",
    "provision_use",
    "provisions_refresh",
    "rate_field",
    "rate_for",
    "repayment_record",
    "repayment_reverse",
    "required_provision",
    "split_schedule",
    "STATEMENT_MAX_BYTES",
    "ConfirmOutcome",
    "column_mapping_save",
    "statement_confirm_high",
    "statement_import",
    "statement_line_confirm",
    "statement_line_dismiss",
    "write_off_approve",
    "write_off_propose",
    "write_off_reject",
)
