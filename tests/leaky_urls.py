"""The project's routes plus planted leaky views, for proving the generic bases catch them."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from alize.tenancy import Scope, enter_scope, leave_scope
from alize.urls import urlpatterns as project_urlpatterns
from pme.api.views import CompanyViewSet
from pme.models import Company


class UnscopedCompanyViewSet(CompanyViewSet):
    """Reads every dispositif's companies: the scope is bypassed, in Python and in PostgreSQL
    (whose row-level security shows a transaction only the scope it declares), as a
    national scope opened by mistake would do."""

    def get_queryset(self):
        return Company.unscoped_objects.select_related("dispositif")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._leak = enter_scope(Scope(frozenset(), everything=True, reason="a planted leak"))

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(self, "_leak", None) is not None:
            leave_scope(self._leak)
            self._leak = None
        return super().finalize_response(request, response, *args, **kwargs)


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
