from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("experts", views.ExpertViewSet, basename="expert")
router.register("missions", views.MissionViewSet, basename="mission")
router.register("hour-logs", views.HourLogViewSet, basename="hour-log")
urlpatterns = router.urls
