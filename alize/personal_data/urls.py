"""Routes of personal data, mounted at /donnees-personnelles/."""

from django.urls import path

from . import views

app_name = "personal_data"

urlpatterns = [
    path("", views.RegisterView.as_view(), name="register"),
    path("personnes/", views.PeopleView.as_view(), name="people"),
    path("personnes/<slug:kind>/<int:pk>/", views.PersonView.as_view(), name="person"),
    path(
        "personnes/<slug:kind>/<int:pk>/donnees.json",
        views.PersonJsonView.as_view(),
        name="person-json",
    ),
    path(
        "personnes/<slug:kind>/<int:pk>/effacer/",
        views.PersonEraseView.as_view(),
        name="person-erase",
    ),
]
