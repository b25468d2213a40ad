"""The English interface names NAF codes and skills in English: NAF by the NACE rev. 2
title of the code's class (or division), skills by their English name."""

import csv

import pytest
from django.urls import reverse
from django.utils import translation

from partners.models import NafCode, Skill
from partners.reference import loader
from partners.reference.selectors import naf_label
from tests.factories import CompanyFactory, SkillFactory


@pytest.fixture(autouse=True)
def french_after_each_test():
    """A request in English leaves English active in the test's thread: back to French."""
    yield
    translation.activate("fr")


def test_every_naf_code_has_an_english_class_division_and_section():
    english = loader.read_nace_english()
    with open(loader.NAF_FILE, encoding="utf-8", newline="") as handle:
        naf = list(csv.DictReader(handle))
    assert len(naf) == 732 and len(english) == 21 + 88 + 615
    assert all(row["code"][:5] in english for row in naf)
    assert all(row["division"] in english and row["section"] in english for row in naf)
    source = (loader.DATA_DIR / "SOURCE.md").read_text()
    assert "nace_rev2_en.csv" in source and "1893/2006" in source


def test_naf_labels_follow_the_language(db):
    assert NafCode.objects.filter(code="25.62B").exists()
    with translation.override("en"):
        assert naf_label("33.12Z") == "Repair of machinery"
        # INSEE's sub-classes 25.62A and 25.62B both refine NACE class 25.62.
        assert naf_label("25.62A") == naf_label("25.62B") == "Machining"
        assert naf_label("99.99Z") == ""  # unknown in NAF: no English either
    with translation.override("fr"):
        assert naf_label("33.12Z") == "Réparation de machines et équipements mécaniques"


def test_the_company_page_in_english_names_the_activity_in_english(world, client):
    company = CompanyFactory(dispositif=world.a, naf_code="33.12Z")
    client.force_login(world.animateur_a)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("pme:company-detail", args=[company.pk])).content.decode()
    assert "33.12Z — Repair of machinery" in page


def test_the_national_skills_have_english_names(db):
    quality = Skill.objects.get(slug="qualite")
    assert (quality.name, quality.name_en) == ("Qualité", "Quality")
    assert not Skill.objects.filter(slug__in=["finance", "export", "strategie"], name_en="")
    with translation.override("en"):
        assert quality.label == str(quality) == "Quality"
    with translation.override("fr"):
        assert quality.label == str(quality) == "Qualité"
    untranslated = SkillFactory(name="Soudure orbitale", slug="soudure-orbitale")
    with translation.override("en"):
        assert untranslated.label == "Soudure orbitale"  # no English name: the French one


def test_the_expert_list_in_english_shows_english_skills(world, client):
    client.force_login(world.coordinator)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("missions:expert-list")).content.decode()
    assert ">Human resources and recruitment</option>" in page
    assert "Ressources humaines et recrutement" not in page
