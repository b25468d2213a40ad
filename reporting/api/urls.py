from rest_framework.routers import SimpleRouter

from . import indicators, views

router = SimpleRouter()
router.register("documents", views.DocumentViewSet, basename="document")
router.register("indicators", indicators.IndicatorViewSet, basename="indicator")
urlpatterns = router.urls
