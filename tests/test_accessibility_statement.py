"""The accessibility statement (RGAA): public, in the interface's language, linked from the
footer of every page, with what the RGAA asks a statement to hold."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.query_counts import assert_query_count

URL = "/accessibilite/"


def test_anyone_reads_it_without_signing_in(client, db, settings):
    settings.ACCESSIBILITY_CONTACT_EMAIL = "a11y@example.org"
    assert reverse("accessibility") == URL
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL)
    assert page.status_code == 200
    assert_query_count("accessibility", queries)
    text = page.content.decode()
    assert '<html lang="fr">' in text
    for part in (
        "<h1>Déclaration d'accessibilité</h1>",
        "loi n° 2005-102 du 11 février 2005",
        'data-conformity="non"',  # no full RGAA audit yet: « non conforme »
        "RGAA), version 4.1.2",
        "axe-core 4.10.3",  # what was tested and how
        "Contenus non accessibles",
        "sont balisés (PDF/UA-1",  # the PDFs: tagged, not yet tried with a screen reader
        'href="mailto:a11y@example.org"',  # the contact
        "Défenseur des droits",  # the recourse
        "https://formulaire.defenseurdesdroits.fr/",
        "Libre réponse 71120",
        "Cette déclaration a été établie le 7 décembre 2026.",
    ):
        assert part in text, part


def test_it_follows_the_interface_language(client, db):
    client.post(reverse("set_language"), {"language": "en", "next": URL})
    page = client.get(URL)
    assert page.status_code == 200
    assert '<html lang="en">' in page.content.decode()


def test_every_page_links_to_it_from_its_footer(world, client):
    link = f'<a href="{URL}">Accessibilité : non conforme</a>'
    assert link in client.get(reverse("login")).content.decode()
    assert link in client.get("/nulle-part/").content.decode()  # the 404 page too
    client.force_login(world.expert_a)
    assert link in client.get(reverse("home")).content.decode()


def test_a_session_held_by_the_second_factor_still_reads_it(world, client, settings):
    settings.SECOND_FACTOR_ROLES = ["animateur"]
    client.post(reverse("login"), {"email": world.animateur_a.email, "password": "secret-password"})
    assert client.get(reverse("home")).status_code == 302  # held: enrol first
    assert client.get(URL).status_code == 200
