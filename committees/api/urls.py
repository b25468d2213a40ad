from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("committees", views.CommitteeViewSet, basename="committee")
router.register("agenda-items", views.AgendaItemViewSet, basename="agenda-item")
router.register("commitments", views.PartnerCommitmentViewSet, basename="commitment")
router.register("decisions", views.DecisionViewSet, basename="decision")
urlpatterns = router.urls
