"""Models of the loans app (docs/architecture.md §4, §7): funds and their contributions,
interest-free repayable advances, their schedules, repayments and write-offs, co-financing,
and the double-entry ledger every money movement is written to.

Money rules the models hold (the services in ``loans.services`` hold the rest):

- every balance (a fund's available money, lent, outstanding, repaid, lost; an advance's
  outstanding principal; a contribution's share of each) is a sum of ``LedgerLine`` rows,
  never a stored counter. The ledger is append-only: the models refuse updates and deletes,
  and so does the database (triggers of migration ``0002``);
- an advance's amount lies within its dispositif's bounds (``advance_min``/``advance_max``),
  checked by the service and by a database trigger (a CHECK cannot read another table);
- interest is a column constrained to 0: the programme lends at zero interest, and the
  column says so in every row and every export rather than by omission.

One module per sub-domain (``funds``, ``advances`` with their schedules, ``repayments``,
``write_offs``, ``cofinancing``, ``ledger``, ``arrears``, ``provisions``, ``mandates`` for direct
debits, ``statements``);
importing this package registers every model, and callers import the models from it.
"""

from ._common import CENT, ZERO
from .advances import (
    ADVANCE_LIFECYCLE,
    ADVANCE_TRANSITIONS,
    FREQUENCY_MONTHS,
    LIVE_STATUSES,
    Advance,
    AdvanceStatus,
    AdvanceTransition,
    Frequency,
    Instalment,
)
from .arrears import PortfolioSnapshot
from .cofinancing import Cofinancing, CofinancingKind
from .funds import ContributionKind, Fund, FundContribution
from .ledger import (
    Account,
    AppendOnlyError,
    AppendOnlyManager,
    AppendOnlyModel,
    AppendOnlyQuerySet,
    EntryKind,
    JournalTransaction,
    LedgerLine,
    LedgerMonth,
    UnscopedAppendOnlyManager,
    UnscopedAppendOnlyQuerySet,
)
from .mandates import (
    DirectDebitCollection,
    DirectDebitLine,
    DirectDebitMandate,
    MandateKind,
    SequenceType,
)
from .provisions import DEFAULT_PROVISION_RATES, MAX_DAYS_PAST_DUE, ProvisionRate
from .repayments import Repayment, RepaymentAllocation, RepaymentReversal
from .statements import (
    CONFIRM_LIVE,
    OPEN_STATES,
    BankStatement,
    BankStatementLine,
    Confidence,
    ConfirmStatus,
    CsvDateFormat,
    CsvSeparator,
    Direction,
    LineState,
    MatchRule,
    StatementColumnMapping,
    StatementFormat,
)
from .write_offs import WriteOff, WriteOffStatus

__all__ = (
    "CONFIRM_LIVE",
    "ConfirmStatus",
    "ADVANCE_LIFECYCLE",
    "ADVANCE_TRANSITIONS",
    "CENT",
    "DEFAULT_PROVISION_RATES",
    "FREQUENCY_MONTHS",
    "LIVE_STATUSES",
    "MAX_DAYS_PAST_DUE",
    "ZERO",
    "Account",
    "Advance",
    "AdvanceStatus",
    "AdvanceTransition",
    "AppendOnlyError",
    "AppendOnlyManager",
    "AppendOnlyModel",
    "AppendOnlyQuerySet",
    "Cofinancing",
    "CofinancingKind",
    "ContributionKind",
    "DirectDebitCollection",
    "DirectDebitLine",
    "DirectDebitMandate",
    "EntryKind",
    "Frequency",
    "Fund",
    "FundContribution",
    "Instalment",
    "JournalTransaction",
    "LedgerLine",
    "LedgerMonth",
    "MandateKind",
    "PortfolioSnapshot",
    "ProvisionRate",
    "Repayment",
    "RepaymentAllocation",
    "RepaymentReversal",
    "SequenceType",
    "UnscopedAppendOnlyManager",
    "UnscopedAppendOnlyQuerySet",
    "OPEN_STATES",
    "BankStatement",
    "BankStatementLine",
    "Confidence",
    "CsvDateFormat",
    "CsvSeparator",
    "Direction",
    "LineState",
    "MatchRule",
    "StatementColumnMapping",
    "StatementFormat",
    "WriteOff",
    "WriteOffStatus",
)
