from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("companies", views.CompanyViewSet, basename="company")
router.register("projects", views.ProjectViewSet, basename="project")
router.register("stage-transitions", views.StageTransitionViewSet, basename="stage-transition")
router.register("follow-ups", views.JobsFollowUpViewSet, basename="follow-up")
urlpatterns = router.urls
