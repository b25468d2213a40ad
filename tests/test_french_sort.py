"""Lists and their exports sort names in French order: accents and case do not count
(« Électricité » sorts with E, « zinc » with Z), on a PostgreSQL built with or without ICU
(``Lower(Unaccent(…))``, ``alize.sorting``), and Python-side sorts follow the same key."""

import csv
import io

import pytest
from django.urls import reverse

from alize.sorting import french_sort_key
from tests.factories import CompanyFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

NAMES = ["zinc Lorrain", "Électricité de l'Est", "Fer et fonte", "Eau du Nord", "Œuvres", "abeille"]
FRENCH_ORDER = [
    "abeille",
    "Eau du Nord",
    "Électricité de l'Est",
    "Fer et fonte",
    "Œuvres",
    "zinc Lorrain",
]


def test_the_python_key_sorts_as_a_french_reader_expects():
    assert sorted(NAMES, key=french_sort_key) == FRENCH_ORDER


def test_the_directory_sorts_and_exports_names_in_french_order(world, client):
    for name in NAMES:
        OrganisationFactory(name=f"{name} (tri)")
    client.force_login(world.animateur_a)
    url = reverse("partners:organisation-list")
    response = client.get(url, {"q": "(tri)", "sort": "name"})
    shown = [org.name.removesuffix(" (tri)") for org in response.context["object_list"]]
    assert shown == FRENCH_ORDER
    response = client.get(url, {"q": "(tri)", "sort": "-name"})
    shown = [org.name.removesuffix(" (tri)") for org in response.context["object_list"]]
    assert shown == FRENCH_ORDER[::-1]
    text = client.get(url, {"q": "(tri)", "format": "csv"}).content.decode("utf-8-sig")
    exported = [row[0] for row in csv.reader(io.StringIO(text), delimiter=";")][1:]
    assert [name.removesuffix(" (tri)") for name in exported] == FRENCH_ORDER


def test_the_companies_list_sorts_in_french_order_by_default(world, client):
    for name in NAMES:
        CompanyFactory(dispositif=world.a, name=name)
    client.force_login(world.animateur_a)
    response = client.get(reverse("pme:company-list"))
    assert [company.name for company in response.context["object_list"]] == FRENCH_ORDER
