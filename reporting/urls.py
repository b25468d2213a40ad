"""Documents pages, mounted at /documents/."""

from django.urls import path

from . import views

app_name = "reporting"

urlpatterns = [
    path("", views.DocumentListView.as_view(), name="list"),
    path("demander/", views.DocumentRequestView.as_view(), name="request"),
    path("<int:pk>/", views.DocumentDetailView.as_view(), name="detail"),
    path("<int:pk>/avancement/", views.DocumentProgressView.as_view(), name="progress"),
    path("<int:pk>/telecharger/", views.DocumentDownloadView.as_view(), name="download"),
    path("<int:pk>/regenerer/", views.DocumentRegenerateView.as_view(), name="regenerate"),
    path("avance/<int:pk>/contrat/", views.AdvanceContractView.as_view(), name="advance-contract"),
]
