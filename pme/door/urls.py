"""The public door's routes, mounted at /deposer-un-projet/ (docs/architecture.md §16)."""

from django.urls import path

from . import views

app_name = "door"

urlpatterns = [
    path("", views.DoorIndexView.as_view(), name="index"),
    path("confirmer/<str:token>/", views.DoorConfirmView.as_view(), name="confirm"),
    path("<slug:slug>/", views.DoorSubmitView.as_view(), name="submit"),
    path("<slug:slug>/envoye/", views.DoorSentView.as_view(), name="sent"),
]
