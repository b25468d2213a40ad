"""Browser pages of the loans app: funds (balances, contributions, utilisation, where each
euro went), advances (schedule, repayments, ledger lines, history and the actions of their
lifecycle), the arrears page, a project's co-financing, and SEPA direct debits (an
advance's mandates, a fund's collection account and collection files).

Who does what (``dispositifs.access``): those who read advances (animateurs of the
dispositif, the national coordination, API clients of the region) see the pages; managing
an advance, recording a repayment and approving a write-off are actions of their own. A row
outside the user's reach answers 404, like a missing one. Every write goes through
``loans.services``; a refusal re-renders the page with HTTP 400, the message on the field it
concerns, and nothing changed. Names of people (who recorded, who proposed) are shown only
to those who manage the advance.
"""

from .advance_detail import (
    AdvanceContractView,
    AdvanceDetailView,
    AdvanceDisburseView,
    AdvanceRescheduleView,
)
from .advances import AdvanceCreateView, AdvanceListView
from .arrears import ArrearsView
from .cofinancing import CofinancingView
from .direct_debits import (
    CollectionDownloadView,
    CollectionGenerateView,
    CollectionListView,
    FundCollectionAccountView,
    MandateCreateView,
    MandateRevokeView,
)
from .funds import FundContributionView, FundDetailView, FundListView
from .provisions import FundProvisionRatesView
from .repayments import RepaymentRecordView, RepaymentReverseView
from .statements import (
    ColumnMappingView,
    FundStatementsView,
    StatementConfirmHighView,
    StatementDetailView,
    StatementLineConfirmView,
    StatementLineDismissView,
    StatementQueueView,
)
from .write_offs import WriteOffDecideView, WriteOffProposeView

__all__ = (
    "AdvanceContractView",
    "AdvanceCreateView",
    "AdvanceDetailView",
    "AdvanceDisburseView",
    "AdvanceListView",
    "AdvanceRescheduleView",
    "ArrearsView",
    "CofinancingView",
    "CollectionDownloadView",
    "CollectionGenerateView",
    "CollectionListView",
    "ColumnMappingView",
    "FundCollectionAccountView",
    "FundContributionView",
    "FundDetailView",
    "FundListView",
    "FundProvisionRatesView",
    "FundStatementsView",
    "MandateCreateView",
    "MandateRevokeView",
    "RepaymentRecordView",
    "RepaymentReverseView",
    "StatementConfirmHighView",
    "StatementDetailView",
    "StatementLineConfirmView",
    "StatementLineDismissView",
    "StatementQueueView",
    "WriteOffDecideView",
    "WriteOffProposeView",
)
