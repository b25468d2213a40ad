"""Addresses of the missions pages (mounted at the site's root): ``/missions/…``, the
experts ``/experts/…`` and the firm portal's ``/firm/…``."""

from django.urls import path

from . import views

app_name = "missions"

urlpatterns = [
    path("missions/", views.MissionListView.as_view(), name="list"),
    path("missions/<int:pk>/", views.MissionDetailView.as_view(), name="detail"),
    path("missions/<int:pk>/answer/", views.MissionAnswerView.as_view(), name="answer"),
    path("missions/<int:pk>/experts/", views.MissionAssignView.as_view(), name="assign"),
    path("missions/<int:pk>/status/", views.MissionMoveView.as_view(), name="move"),
    path(
        "missions/<int:pk>/evaluation/",
        views.MissionEvaluationView.as_view(),
        name="evaluate",
    ),
    path(
        "missions/propose/<int:decision_pk>/",
        views.MissionProposeView.as_view(),
        name="propose",
    ),
    path("missions/hours/", views.WeekGridView.as_view(), name="hours"),
    path("missions/hours/closing/", views.ClosingView.as_view(), name="closing"),
    path(
        "missions/hours/closing/adjustment/",
        views.AdjustmentView.as_view(),
        name="adjustment",
    ),
    path("missions/fatigue/", views.FatigueView.as_view(), name="fatigue"),
    path("experts/", views.ExpertListView.as_view(), name="expert-list"),
    path("experts/new/", views.ExpertCreateView.as_view(), name="expert-create"),
    path("experts/<int:pk>/", views.ExpertDetailView.as_view(), name="expert-detail"),
    path("experts/<int:pk>/edit/", views.ExpertUpdateView.as_view(), name="expert-update"),
    path("experts/<int:pk>/invite/", views.ExpertInviteView.as_view(), name="expert-invite"),
    path("firm/hours.csv", views.FirmHoursExportView.as_view(), name="firm-hours-export"),
]
