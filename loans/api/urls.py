from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("funds", views.FundViewSet, basename="fund")
router.register("advances", views.AdvanceViewSet, basename="advance")
router.register("repayments", views.RepaymentViewSet, basename="repayment")
router.register("mandates", views.MandateViewSet, basename="mandate")
router.register("cofinancing", views.CofinancingViewSet, basename="cofinancing")
urlpatterns = router.urls
