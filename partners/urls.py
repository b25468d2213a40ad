from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("organisations/", views.OrganisationListView.as_view(), name="organisation-list"),
    path(
        "organisations/<int:pk>/",
        views.OrganisationDetailView.as_view(),
        name="organisation-detail",
    ),
    path(
        "communes/autocomplete/",
        views.CommuneAutocompleteView.as_view(),
        name="commune-autocomplete",
    ),
]
