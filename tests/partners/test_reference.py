"""Reference lists: communes (COG + La Poste) and NAF rev. 2 — loaded, resolved, shown."""

import gzip
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from alize import geo
from alize.tenancy import scope
from dispositifs.admin import DispositifAdminForm
from dispositifs.models import Dispositif
from partners.models import Commune, NafCode
from partners.reference import loader
from partners.reference.selectors import commune_candidates, commune_resolve, naf_label
from pme.models import Company
from tests.conftest import api_client_for
from tests.factories import CompanyFactory
from tests.pme.test_api import company_payload
from tests.pme.test_imports import FRENCH_HEADER, csv_file, preview_of
from tests.pme.test_views import COMPANY_POST

VALENCIENNES_59300 = {
    "59606": "Valenciennes",
    "59032": "Aulnoy-lez-Valenciennes",
    "59221": "Famars",
}


# --- the shipped data -----------------------------------------------------------------


def test_communes_are_loaded_from_the_shipped_file_with_their_source(db):
    with gzip.open(loader.COMMUNES_FILE, "rt", encoding="utf-8") as handle:
        shipped = sum(1 for _ in handle) - 1
    assert shipped == Commune.objects.count() == 35014
    # Every current commune has a département and a region; almost all have a centre point.
    assert not Commune.objects.filter(departement="").exists()
    assert Commune.objects.filter(latitude__isnull=True).count() < 50
    valenciennes = Commune.objects.get(code="59606")
    assert (valenciennes.name, valenciennes.postal_codes) == ("Valenciennes", ["59300"])
    assert (valenciennes.departement, valenciennes.region) == ("59", "32")
    assert Decimal("50.3") < valenciennes.latitude < Decimal("50.4")
    source = (loader.DATA_DIR / "SOURCE.md").read_text()
    for needle in ("Licence Ouverte", "base-officielle-des-codes-postaux", "insee.fr", "2406147"):
        assert needle in source
    assert loader.COMMUNES_FILE.stat().st_size < 3 * 1024 * 1024


def test_naf_rev2_is_complete_and_labelled(db):
    assert NafCode.objects.count() == 732
    assert naf_label("33.12Z") == "Réparation de machines et équipements mécaniques"
    assert str(NafCode.objects.get(code="25.62B")) == "25.62B — Mécanique industrielle"
    assert naf_label("99.99Z") == ""


def test_region_and_departement_names_come_from_the_cog():
    assert geo.region_name("32") == "Hauts-de-France"
    assert geo.departement_name("59") == "Nord" and geo.departement_name("2A") == "Corse-du-Sud"
    assert all(geo.REGION_NAMES[code] == name for code, name in geo.REGIONS)


def test_refresh_command_rebuilds_the_same_file(db, tmp_path):
    cog = tmp_path / "communes.json"
    postal = tmp_path / "postal.csv"
    cog.write_text(
        '[{"code": "59606", "nom": "Valenciennes", "type": "commune-actuelle",'
        ' "departement": "59", "region": "32", "codesPostaux": ["59300"]},'
        ' {"code": "59350", "nom": "Lille", "type": "commune-deleguee"}]'
    )
    postal.write_text(
        "code_commune_insee;nom_de_la_commune;code_postal;libelle_d_acheminement;ligne_5;_geopoint\n"
        "59606;VALENCIENNES;59300;VALENCIENNES;;50.36204615,3.5142184\n"
    )
    rows = loader.build_commune_rows(loader.read_cog_communes(cog), loader.read_postal_csv(postal))
    assert rows == [
        {
            "code": "59606",
            "name": "Valenciennes",
            "search_name": "VALENCIENNES",
            "postal_codes": "59300",
            "departement": "59",
            "region": "32",
            "latitude": "50.36205",
            "longitude": "3.51422",
        }
    ]
    # A file this short is refused rather than emptying the reference.
    with pytest.raises(CommandError, match="refusing"):
        call_command(
            "refresh_communes", cog=str(cog), postal=str(postal), output=str(tmp_path / "o")
        )
    assert Commune.objects.count() == 35014


# --- resolution ---------------------------------------------------------------------------


def test_59300_asks_which_commune(db):
    codes = {c.code for c in commune_candidates("59300")}
    # The postal code of Valenciennes, Aulnoy and Famars, and the INSEE code of Hem-Lenglet.
    assert codes == {*VALENCIENNES_59300, "59300"}
    with pytest.raises(ValidationError) as error:
        commune_resolve("59300")
    message = error.value.messages[0]
    assert error.value.code == "ambiguous_commune"
    for name in (*VALENCIENNES_59300.values(), "Hem-Lenglet"):
        assert name in message


@pytest.mark.parametrize(
    "typed", ["59606", "Valenciennes", "valenciennes", "Valenciennes (59606)", " VALENCIENNES "]
)
def test_a_name_an_insee_code_or_a_picked_candidate_resolves(db, typed):
    assert commune_resolve(typed).code == "59606"


def test_a_name_picks_among_the_communes_of_a_postal_code(db):
    assert commune_resolve("59300", name="Famars").code == "59221"
    assert commune_resolve("Aulnoy lez Valenciennes").code == "59032"


def test_unknown_commune_is_refused(db):
    with pytest.raises(ValidationError) as error:
        commune_resolve("99999")
    assert error.value.code == "unknown_commune" and "99999" in error.value.messages[0]


# --- company form, import, dispositif -----------------------------------------------------


def test_company_form_turns_a_postal_code_into_a_choice_and_a_pick_into_the_insee_code(
    world, web_a
):
    response = web_a.post(reverse("pme:company-create"), COMPANY_POST | {"commune_code": "59300"})
    assert response.status_code == 400
    errors = response.context["form"].errors["commune_code"][0]
    assert "Valenciennes (59606)" in errors and "Famars (59221)" in errors
    assert not Company.unscoped_objects.exists()
    # The field shows back what was typed, never the commune whose INSEE code is 59300
    # (Hem-Lenglet): sending the form again as it stands must not pick that commune.
    html = response.content.decode()
    assert 'name="commune_code" value="59300"' in html and 'Hem-Lenglet (59300)"' not in html
    again = web_a.post(reverse("pme:company-create"), COMPANY_POST | {"commune_code": "59300"})
    assert again.status_code == 400 and not Company.unscoped_objects.exists()

    web_a.post(
        reverse("pme:company-create"), COMPANY_POST | {"commune_code": "Valenciennes (59606)"}
    )
    company = Company.unscoped_objects.get()
    assert (company.commune_code, company.commune_name) == ("59606", "Valenciennes")


def test_company_form_refuses_an_unknown_naf_code(world, web_a):
    response = web_a.post(reverse("pme:company-create"), COMPANY_POST | {"naf_code": "25.62X"})
    assert "naf_code" in response.context["form"].errors
    assert "NAF rév. 2" in response.context["form"].errors["naf_code"][0]
    assert not Company.unscoped_objects.exists()


def test_company_page_shows_the_naf_label_and_the_api_gives_it(world, web_a):
    company = CompanyFactory(dispositif=world.a, naf_code="33.12Z")
    page = web_a.get(reverse("pme:company-detail", args=[company.pk])).content.decode()
    assert "33.12Z — Réparation de machines et équipements mécaniques" in page
    body = web_a.get(f"/api/v1/companies/{company.pk}/").json()
    assert body["naf_label"] == "Réparation de machines et équipements mécaniques"


def test_company_page_shows_an_unknown_turnover_as_to_be_checked(world, web_a):
    company = CompanyFactory(dispositif=world.a, turnover=None)
    page = web_a.get(reverse("pme:company-detail", args=[company.pk])).content.decode()
    assert 'data-check="size" data-passed="false" data-status="unknown"' in page
    assert "À vérifier" in page and "Non éligible" not in page


def test_import_line_with_a_shared_postal_code_lists_the_candidates(world):
    rows = [
        "552100554;;Forges;25.62B;01/05/2010;42;;;59300;;",
        "732829320;;Menuiserie;16.23Z;2012-03-15;12;;Famars;59300;;",
        "542065479;;Transports;49.41A;15/09/2001;80;;;Valenciennes;;",
        "005520135;;Atelier;99.99Z;15/09/2001;80;;;00000;;",
    ]
    preview, _parsed = preview_of(world, csv_file([FRENCH_HEADER, *rows]))
    first, second, third, fourth = preview.rows
    (error,) = first.errors
    assert error.column and "59300" in error.message
    for code, name in VALENCIENNES_59300.items():
        assert f"{name} ({code})" in error.message
    assert (second.cleaned["commune_code"], second.cleaned["commune_name"]) == ("59221", "Famars")
    assert third.cleaned["commune_code"] == "59606"
    messages = " ".join(e.message for e in fourth.errors)
    assert "Commune inconnue" in messages and "NAF" in messages
    assert not preview.is_valid


def test_perimeter_is_edited_and_shown_by_commune_names(world, client):
    form = DispositifAdminForm(instance=world.a)
    assert "Valenciennes (59606)" in str(form["perimeter"])
    data = {
        field: value
        for field, value in form.initial.items()
        if field in DispositifAdminForm.Meta.fields and value is not None
    }
    data |= {
        "departements": "59",
        "perimeter": "Valenciennes\nAnzin (59014)\nDenain",
        "carrier": "",
        "launch_date": "",
    }
    with scope([world.a]):  # the admin runs in the coordinator's scope
        bound = DispositifAdminForm(data, instance=world.a)
        assert bound.is_valid(), bound.errors
        # 59172 is the INSEE code of Denain and the postal code of Mastaing and Rœulx.
        refused = DispositifAdminForm(data | {"perimeter": "Valenciennes\n59172"}, instance=world.a)
        assert not refused.is_valid()
    assert bound.cleaned_data["perimeter"] == ["59606", "59014", "59172"]
    assert "Mastaing (59391)" in refused.errors["perimeter"][0]

    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(
        perimeter=["59606", "59014"], departements=["59"]
    )
    client.force_login(world.animateur_a)
    page = client.get(reverse("dispositifs:detail", args=[world.a.slug])).content.decode()
    assert "Valenciennes, Anzin" in page and "Nord (59)" in page
    body = client.get("/api/v1/dispositifs/").json()
    row = next(r for r in body["results"] if r["slug"] == world.a.slug)
    assert row["region_name"] == geo.region_name(world.a.region)
    assert row["departement_names"] == ["Nord"]


class TestCommuneAutocomplete:
    """Global reference data: the same answer in every dispositif, behind a login."""

    def url(self, value):
        return reverse("partners:commune-autocomplete") + f"?commune_code={value}"

    def test_anonymous_is_sent_to_login(self, world, client):
        response = client.get(self.url("59300"))
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_roles_without_forms_get_404(self, world, client):
        client.force_login(world.member_a)
        assert client.get(self.url("59300")).status_code == 404

    def test_candidates_are_the_same_for_every_dispositif(self, world, client):
        pages = []
        for user in (world.animateur_a, world.animateur_b):
            client.force_login(user)
            pages.append(client.get(self.url("59300")).content.decode())
        assert pages[0] == pages[1]
        for code, name in VALENCIENNES_59300.items():
            assert f'<option value="{name} ({code})">' in pages[0]
        assert client.get(self.url("5")).content.decode().strip() == ""


def test_api_takes_the_commune_name_from_the_reference_and_refuses_unknown_codes(world):
    api = api_client_for(world.animateur_a)
    url = reverse("api:company-list")
    refused = api.post(url, company_payload(world.a, commune_code="00000"), format="json")
    assert refused.status_code == 400 and "commune_code" in refused.json()["fields"]
    created = api.post(
        url, company_payload(world.a, commune_code="59014", commune_name=""), format="json"
    )
    assert created.status_code == 201, created.content
    assert created.json()["commune_name"] == "Anzin"
    assert not Company.unscoped_objects.filter(commune_code="00000").exists()
