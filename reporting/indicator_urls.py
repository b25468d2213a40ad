"""Indicators pages, mounted at /indicateurs/: the dashboard (and its export) and the
definitions of every indicator."""

from django.urls import path

from . import views

app_name = "indicators"

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("definitions/", views.GlossaryView.as_view(), name="glossary"),
]
