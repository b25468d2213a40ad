from rest_framework.routers import SimpleRouter

from . import statements, views

router = SimpleRouter()
router.register("funds", views.FundViewSet, basename="fund")
router.register("advances", views.AdvanceViewSet, basename="advance")
router.register("repayments", views.RepaymentViewSet, basename="repayment")
router.register("mandates", views.MandateViewSet, basename="mandate")
router.register("cofinancing", views.CofinancingViewSet, basename="cofinancing")
router.register("bank-statements", statements.BankStatementViewSet, basename="bank-statement")
router.register(
    "bank-statement-lines", statements.BankStatementLineViewSet, basename="bank-statement-line"
)
router.register(
    "bank-statement-columns",
    statements.StatementColumnMappingViewSet,
    basename="bank-statement-columns",
)
urlpatterns = router.urls
