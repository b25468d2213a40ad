"""The project's routes plus planted leaky views, for proving the generic bases catch them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from alize.urls import urlpatterns as project_urlpatterns
from pme.api.views import CompanyViewSet
from pme.models import Company


class UnscopedCompanyViewSet(CompanyViewSet):
    """Reads every dispositif's companies: the scope is bypassed."""

    def get_queryset(self):
        return Company.unscoped_objects.select_related("dispositif")


@login_required
def company_list_for_every_role(request):
    """Lists the companies in the caller's scope whatever the caller's role."""
    return HttpResponse("\n".join(Company.objects.values_list("name", flat=True)))


urlpatterns = [
    *project_urlpatterns,
    path(
        "leaky/companies/",
        UnscopedCompanyViewSet.as_view({"get": "list", "post": "create"}),
        name="leaky-company-list",
    ),
    path(
        "leaky/companies/<int:pk>/",
        UnscopedCompanyViewSet.as_view(
            {"get": "retrieve", "patch": "partial_update", "put": "update", "delete": "destroy"}
        ),
        name="leaky-company-detail",
    ),
    path("leaky/web/companies/", company_list_for_every_role, name="leaky-web-company-list"),
]
