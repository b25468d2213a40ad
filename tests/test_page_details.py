"""Details a daily user notices: empty choices say what they mean (« Tous » in list
filters, « Choisir… » in forms), a favicon, and no link to a password reset that does not
exist (there is no e-mail yet)."""

import pytest
from django.contrib.staticfiles import finders
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


def test_every_page_links_the_favicon(client):
    page = client.get(reverse("login")).content.decode()
    assert 'rel="icon"' in page and "favicon.svg" in page
    assert finders.find("favicon.svg")


def test_the_login_page_links_to_the_forgotten_password_page(client):
    page = client.get(reverse("login")).content.decode()
    assert f'href="{reverse("password_reset")}"' in page and "Mot de passe oublié ?" in page
