from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("dispositifs", views.DispositifViewSet, basename="dispositif")
router.register("memberships", views.MembershipViewSet, basename="membership")
urlpatterns = router.urls
