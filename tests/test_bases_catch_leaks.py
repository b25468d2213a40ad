"""The generic route bases fail on a planted leaky view: they cannot pass by doing nothing."""

import pytest
from django.urls import reverse

from tests.api_base import APIEndpointTestBase
from tests.pme import test_api, test_views

# Bound under other names so that pytest does not collect these classes a second time here.
CompanyAPI = test_api.TestCompanyAPI
CompanyViews = test_views.TestCompanyViews


@pytest.fixture
def leaky_urls(settings):
    settings.ROOT_URLCONF = "tests.leaky_urls"


class UnscopedCompanyAPI(CompanyAPI):
    """The company API tests aimed at a viewset that ignores the dispositif scope."""

    def list_url(self):
        return reverse("leaky-company-list")

    def detail_url(self, instance):
        return reverse("leaky-company-detail", args=[instance.pk])


class RoleBlindCompanyViews(CompanyViews):
    """The company page tests aimed at a list that ignores the caller's role."""

    list_url_name = "leaky-web-company-list"


@pytest.mark.parametrize(
    "test_name, role",
    [
        ("test_list_by_role", "animateur"),
        ("test_retrieve_by_role", "animateur"),
        ("test_list_by_role", "animateur_b"),
    ],
)
def test_api_bases_fail_on_an_unscoped_viewset(world, leaky_urls, test_name, role):
    with pytest.raises(AssertionError):
        getattr(UnscopedCompanyAPI(), test_name)(world, role)


@pytest.mark.parametrize(
    "test_name",
    ["test_update_in_other_dispositif_is_404", "test_delete_in_other_dispositif_is_404"],
)
def test_write_bases_fail_on_an_unscoped_viewset(world, leaky_urls, test_name):
    with pytest.raises(AssertionError):
        getattr(UnscopedCompanyAPI(), test_name)(world)


@pytest.mark.parametrize("role", ["member", "correspondent"])
def test_web_bases_fail_on_a_role_blind_view(world, client, leaky_urls, role):
    with pytest.raises(AssertionError):
        RoleBlindCompanyViews().test_list_by_role(world, client, role)


def test_the_same_bases_pass_on_the_real_routes(world, client):
    """The planted cases above fail because of the leak, not because of the setup."""
    CompanyAPI().test_list_by_role(world, "animateur")
    CompanyAPI().test_retrieve_by_role(world, "animateur_b")
    CompanyViews().test_list_by_role(world, client, "member")


def test_a_writable_class_without_cross_tenant_payload_fails(world):
    class NoCrossTenantPayload(APIEndpointTestBase):
        basename = "company"

    with pytest.raises(NotImplementedError, match="cross-tenant payload"):
        NoCrossTenantPayload().test_create_pointing_into_other_dispositif_is_refused(world)


class FakeCapture:
    """Stands for a ``CaptureQueriesContext`` that captured ``count`` queries."""

    def __init__(self, count):
        self.captured_queries = [{"sql": f"SELECT {n}"} for n in range(count)]

    def __len__(self):
        return len(self.captured_queries)


def test_a_query_count_above_its_baseline_fails():
    from tests.query_counts import assert_query_count, baselines

    recorded = baselines()["pme:company-list"]
    assert_query_count("pme:company-list", FakeCapture(recorded))
    with pytest.raises(AssertionError, match="baseline"):
        assert_query_count("pme:company-list", FakeCapture(recorded + 2))
    with pytest.raises(AssertionError, match="no baseline"):
        assert_query_count("a route nobody measured", FakeCapture(3))
