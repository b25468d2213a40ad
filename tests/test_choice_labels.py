"""Empty choices say what they mean: « Tous » in list filters, « Choisir… » in forms."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHES = "---------"


@pytest.mark.parametrize("route", ["pme:company-list", "pme:project-list", "committees:list"])
def test_list_filters_offer_tous(web_a, route):
    page = web_a.get(reverse(route)).content.decode()
    assert '<option value="" selected>Tous</option>' in page
    assert DASHES not in page


@pytest.mark.parametrize("route", ["pme:project-create", "committees:create"])
def test_forms_offer_choisir(web_a, route):
    page = web_a.get(reverse(route)).content.decode()
    assert ">Choisir…</option>" in page
    assert DASHES not in page
