"""Browser routes of the loans app: ``/funds/…`` and ``/advances/…``."""

from django.urls import path

from . import views

app_name = "loans"

urlpatterns = [
    path("funds/", views.FundListView.as_view(), name="fund-list"),
    path("funds/<int:pk>/", views.FundDetailView.as_view(), name="fund-detail"),
    path(
        "funds/<int:pk>/contributions/",
        views.FundContributionView.as_view(),
        name="fund-contribution",
    ),
    path(
        "funds/<int:pk>/provision-rates/",
        views.FundProvisionRatesView.as_view(),
        name="fund-provision-rates",
    ),
    path("funds/<int:pk>/statements/", views.FundStatementsView.as_view(), name="fund-statements"),
    path(
        "funds/<int:pk>/statements/queue/",
        views.StatementQueueView.as_view(),
        name="statement-queue",
    ),
    path(
        "funds/<int:pk>/statements/columns/",
        views.ColumnMappingView.as_view(),
        name="statement-columns",
    ),
    path(
        "funds/statements/<int:pk>/", views.StatementDetailView.as_view(), name="statement-detail"
    ),
    path(
        "funds/statements/<int:pk>/confirm-high/",
        views.StatementConfirmHighView.as_view(),
        name="statement-confirm-high",
    ),
    path(
        "funds/statement-lines/<int:pk>/confirm/",
        views.StatementLineConfirmView.as_view(),
        name="statement-line-confirm",
    ),
    path(
        "funds/statement-lines/<int:pk>/dismiss/",
        views.StatementLineDismissView.as_view(),
        name="statement-line-dismiss",
    ),
    path(
        "funds/<int:pk>/collection-account/",
        views.FundCollectionAccountView.as_view(),
        name="fund-collection-account",
    ),
    path(
        "funds/<int:pk>/collections/",
        views.CollectionListView.as_view(),
        name="collection-list",
    ),
    path(
        "funds/<int:pk>/collections/new/",
        views.CollectionGenerateView.as_view(),
        name="collection-generate",
    ),
    path(
        "funds/collections/<int:pk>/xml/",
        views.CollectionDownloadView.as_view(),
        name="collection-download",
    ),
    path("advances/", views.AdvanceListView.as_view(), name="advance-list"),
    path("advances/arrears/", views.ArrearsView.as_view(), name="arrears"),
    path("advances/new/<int:decision>/", views.AdvanceCreateView.as_view(), name="advance-create"),
    path(
        "advances/cofinancing/<int:project>/",
        views.CofinancingView.as_view(),
        name="cofinancing",
    ),
    path("advances/<int:pk>/", views.AdvanceDetailView.as_view(), name="advance-detail"),
    path(
        "advances/<int:pk>/contract/", views.AdvanceContractView.as_view(), name="advance-contract"
    ),
    path("advances/<int:pk>/mandates/", views.MandateCreateView.as_view(), name="mandate-create"),
    path(
        "advances/<int:pk>/mandates/<int:mandate>/revoke/",
        views.MandateRevokeView.as_view(),
        name="mandate-revoke",
    ),
    path(
        "advances/<int:pk>/disburse/", views.AdvanceDisburseView.as_view(), name="advance-disburse"
    ),
    path(
        "advances/<int:pk>/repayments/",
        views.RepaymentRecordView.as_view(),
        name="repayment-record",
    ),
    path(
        "advances/<int:pk>/repayments/<int:repayment>/reverse/",
        views.RepaymentReverseView.as_view(),
        name="repayment-reverse",
    ),
    path(
        "advances/<int:pk>/reschedule/",
        views.AdvanceRescheduleView.as_view(),
        name="advance-reschedule",
    ),
    path(
        "advances/<int:pk>/write-off/",
        views.WriteOffProposeView.as_view(),
        name="write-off-propose",
    ),
    path(
        "advances/<int:pk>/write-off/decide/",
        views.WriteOffDecideView.as_view(),
        name="write-off-decide",
    ),
]
