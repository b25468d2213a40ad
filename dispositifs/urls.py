from django.urls import path

from . import views

app_name = "dispositifs"

urlpatterns = [
    path("", views.DispositifListView.as_view(), name="list"),
    path("<slug:slug>/", views.DispositifDetailView.as_view(), name="detail"),
]
