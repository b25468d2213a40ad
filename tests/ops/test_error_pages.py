"""The platform's own error pages: layout, French by default, English on request."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation


@pytest.fixture
def animateur_client(world):
    client = Client()
    client.force_login(world.animateur_a)
    return client


def test_other_dispositif_answers_the_platform_404_in_french(world, animateur_client, settings):
    settings.DEBUG = False
    url = reverse("dispositifs:detail", args=[world.b.slug])  # Chambéry, seen from Valenciennes

    response = animateur_client.get(url)

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="fr">' in page
    assert '<header class="topbar">' in page
    assert "Page introuvable" in page
    assert "Revenir à l'accueil" in page
    assert "Se déconnecter" in page  # the signed-in layout, with its navigation
    assert "Chambéry" not in page


def test_404_in_english_when_the_user_chose_english(world, animateur_client, settings):
    settings.DEBUG = False
    animateur_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = animateur_client.get(reverse("dispositifs:detail", args=[world.b.slug]))

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Page not found" in page
    assert "Page introuvable" not in page


def test_403_page_in_the_layout(world, rf, settings):
    from django.core.exceptions import PermissionDenied
    from django.views.defaults import permission_denied

    settings.DEBUG = False
    request = rf.get("/dispositifs/")
    request.user = world.animateur_a

    with translation.override("fr"):
        response = permission_denied(request, PermissionDenied())

    assert response.status_code == 403
    page = response.content.decode()
    assert '<header class="topbar">' in page
    assert "Accès refusé" in page
    assert "Se déconnecter" in page


def test_csrf_failure_page_in_the_layout(db, settings):
    settings.DEBUG = False
    client = Client(enforce_csrf_checks=True)

    response = client.post(reverse("login"), {"username": "x", "password": "y"})

    assert response.status_code == 403
    page = response.content.decode()
    assert '<header class="topbar">' in page
    assert "Formulaire expiré" in page


@pytest.mark.django_db(transaction=True)
def test_database_outage_answers_a_short_503_in_the_layout(settings, monkeypatch):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "HOST", "127.0.0.1")
    monkeypatch.setitem(connection.settings_dict, "PORT", "1")  # nothing listens there
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {"connect_timeout": 2})

    response = client.get(reverse("dispositifs:list"))

    monkeypatch.undo()
    connection.close()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert '<header class="topbar">' in page
    assert "Service momentanément indisponible" in page
    assert "base de données" in page


def test_unexpected_error_answers_the_500_page_without_the_database(rf, settings):
    from alize.error_views import server_error

    settings.DEBUG = False
    try:
        raise ValueError("boom")
    except ValueError:
        with translation.override("fr"):
            response = server_error(rf.get("/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert '<header class="topbar">' in page
    assert "Une erreur inattendue s'est produite" in page
