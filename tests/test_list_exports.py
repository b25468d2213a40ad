"""CSV/XLSX exports of the main lists (``alize.web.ExportMixin``): the current filtered
list on every page, only the rows the user may read, formulas neutralised, and a number of
queries that does not grow with the rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from pme.views import CompanyListView
from tests.factories import CommitteeFactory, CompanyFactory, OrganisationFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def xlsx_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    rows = []
    for row in sheet.iter_rows():
        assert all(cell.data_type == "s" for cell in row if cell.value is not None)
        rows.append(["" if cell.value is None else cell.value for cell in row])
    return rows


def column(rows, header) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


def test_companies_export_the_filtered_list_of_every_page(world, client):
    for n in range(30):
        CompanyFactory(dispositif=world.a, name=f"Forge {n:02d}")
    CompanyFactory(dispositif=world.a, name="Boulangerie du port")
    CompanyFactory(dispositif=world.b, name="Forge de Savoie")
    client.force_login(world.animateur_a)
    url = reverse("pme:company-list")

    page = client.get(url, {"q": "forge"}).content.decode()
    assert "format=csv" in page and "format=xlsx" in page

    rows = csv_rows(client.get(url, {"q": "forge", "sort": "-name", "format": "csv"}))
    names = column(rows, "Nom")
    assert names == [f"Forge {n:02d}" for n in reversed(range(30))]  # 30 rows, not a page
    assert set(column(rows, "Dispositif")) == {world.a.name}
    assert column(rows, "Critères d'éligibilité remplis")[0] in {"oui", "non", ""}

    xlsx = xlsx_rows(client.get(url, {"q": "boulangerie", "format": "xlsx"}))
    assert column(xlsx, "Nom") == ["Boulangerie du port"]


def test_the_coordinator_exports_every_dispositif_and_an_animateur_only_theirs(world, client):
    CompanyFactory(dispositif=world.a, name="Atelier A")
    CompanyFactory(dispositif=world.b, name="Atelier B")
    url = reverse("pme:company-list")
    client.force_login(world.coordinator)
    assert sorted(column(csv_rows(client.get(url, {"format": "csv"})), "Nom")) == [
        "Atelier A",
        "Atelier B",
    ]
    client.force_login(world.animateur_b)
    assert column(csv_rows(client.get(url, {"format": "csv"})), "Nom") == ["Atelier B"]
    client.force_login(world.expert_a)
    assert client.get(url, {"format": "csv"}).status_code == 404


def test_formulas_are_neutralised_in_both_formats(world, client):
    CompanyFactory(dispositif=world.a, name='=HYPERLINK("http://evil.example","clic")')
    client.force_login(world.animateur_a)
    url = reverse("pme:company-list")
    expected = ['\'=HYPERLINK("http://evil.example","clic")']
    assert column(csv_rows(client.get(url, {"format": "csv"})), "Nom") == expected
    assert column(xlsx_rows(client.get(url, {"format": "xlsx"})), "Nom") == expected


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_the_rows(world, client, export_format):
    client.force_login(world.animateur_a)
    url = reverse("pme:company-list")

    def queries_for_export():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url, {"format": export_format}).status_code == 200
        return len(captured)

    for _ in range(2):
        CompanyFactory(dispositif=world.a)
    queries_for_export()  # the first request of a session loads what later ones reuse
    few = queries_for_export()
    for _ in range(20):
        CompanyFactory(dispositif=world.a)
    assert queries_for_export() == few


def test_a_list_over_the_limit_is_refused_with_a_message(world, client, monkeypatch):
    monkeypatch.setattr(CompanyListView, "export_limit", 2)
    for _ in range(3):
        CompanyFactory(dispositif=world.a)
    client.force_login(world.animateur_a)
    response = client.get(reverse("pme:company-list"), {"q": "PME", "format": "csv"})
    assert response.status_code == 302
    assert response["Location"] == reverse("pme:company-list") + "?q=PME"
    page = client.get(response["Location"]).content.decode()
    assert "limité à 2 lignes" in page


def test_projects_export_with_stage_labels_and_scope(world, client):
    ProjectFactory(company=CompanyFactory(dispositif=world.a), title="Robot de soudure")
    ProjectFactory(company=CompanyFactory(dispositif=world.a), title="Nouvel entrepôt")
    ProjectFactory(company=CompanyFactory(dispositif=world.b), title="Robot savoyard")
    client.force_login(world.member_a)
    rows = csv_rows(client.get(reverse("pme:project-list"), {"q": "robot", "format": "csv"}))
    assert column(rows, "Titre") == ["Robot de soudure"]
    assert column(rows, "Étape") == ["Signalé"]
    assert column(rows, "Type de projet") == ["Développement de l'activité"]


def test_committees_export_with_status_labels_and_scope(world, client):
    CommitteeFactory(dispositif=world.a, place="Salle Vauban")
    CommitteeFactory(dispositif=world.a, place="Mairie")
    CommitteeFactory(dispositif=world.b, place="Salle Vauban bis")
    client.force_login(world.animateur_a)
    rows = xlsx_rows(client.get(reverse("committees:list"), {"q": "vauban", "format": "xlsx"}))
    assert column(rows, "Lieu") == ["Salle Vauban"]
    assert column(rows, "Dispositif") == [world.a.name]
    assert column(rows, "Statut") == ["Planifié"]
    assert column(rows, "Projets à l'ordre du jour") == ["0"]


def test_organisations_export_the_filtered_directory(world, client):
    OrganisationFactory(name="Chambre de commerce du Nord", kind="consular", city="Lille")
    client.force_login(world.animateur_a)
    rows = csv_rows(
        client.get(reverse("partners:organisation-list"), {"q": "chambre", "format": "csv"})
    )
    assert column(rows, "Nom") == ["Chambre de commerce du Nord"]
    assert column(rows, "Ville") == ["Lille"]
    assert column(rows, "Type") == ["Chambre consulaire"]


# --- French spreadsheets and scripts -----------------------------------------------------


def raw_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    assert not text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def test_every_list_offers_the_raw_csv_for_scripts(world, client):
    CompanyFactory(dispositif=world.a, name="Forges; du Nord", headcount=12)
    client.force_login(world.animateur_a)
    url = reverse("pme:company-list")
    page = client.get(url, {"q": "forges"}).content.decode()
    assert "format=csv-raw" in page and "CSV (données brutes)" in page
    rows = raw_rows(client.get(url, {"q": "forges", "format": "csv-raw"}))
    assert column(rows, "Nom") == ["Forges; du Nord"]


def test_advances_export_names_and_decimal_commas_then_raw_points(world, client):
    from tests.loans.test_views import named_advance

    advance = named_advance(world.a)
    client.force_login(world.animateur_a)
    url = reverse("loans:advance-list")
    page = client.get(url).content.decode()
    assert "format=csv-raw" in page and "format=xlsx" in page
    rows = csv_rows(client.get(url, {"format": "csv"}))
    assert column(rows, "Dispositif") == [world.a.name]  # the name, as every export writes it
    assert column(rows, "Entreprise") == [advance.project.company.name]
    assert column(rows, "Montant") == ["12000,00"]
    assert column(rows, "Capital restant dû") == ["12000,00"]
    raw = raw_rows(client.get(url, {"format": "csv-raw"}))
    assert column(raw, "Montant") == ["12000.00"] and column(raw, "Dispositif") == [world.a.name]
    assert column(raw, "Décaissée le") == [advance.disbursed_on.isoformat()]
    xlsx = xlsx_rows(client.get(url, {"format": "xlsx"}))
    assert column(xlsx, "Dispositif") == [world.a.name]


def test_arrears_export_the_overdue_advances(world, client):
    from tests.loans.test_views import late_advance, named_advance

    late = late_advance(world.a, days_late=40)
    named_advance(world.a)
    late_advance(world.b)
    client.force_login(world.animateur_a)
    url = reverse("loans:arrears")
    page = client.get(url).content.decode()
    assert "format=csv" in page and "format=csv-raw" in page and "format=xlsx" in page
    rows = csv_rows(client.get(url, {"format": "csv"}))
    assert column(rows, "Entreprise") == [late.project.company.name]
    assert column(rows, "Dispositif") == [world.a.name]
    assert column(rows, "Jours de retard") == [str(late.days_past_due)]
    assert column(rows, "Impayé") == ["2000,00"]
    assert column(xlsx_rows(client.get(url, {"format": "xlsx"})), "Entreprise") == [
        late.project.company.name
    ]
    client.force_login(world.expert_a)
    assert client.get(url, {"format": "csv"}).status_code == 404


def test_fatigue_exports_the_firms_of_the_year(world, client):
    from tests.missions.test_views import mission_in

    mission_in(world, world.a)
    client.force_login(world.animateur_a)
    url = reverse("missions:fatigue")
    page = client.get(url, {"year": "2026"}).content.decode()
    assert "format=csv" in page and "year=2026" in page
    rows = csv_rows(client.get(url, {"year": "2026", "format": "csv"}))
    assert column(rows, "Entreprise") == [world.firm_a.name]
    assert column(rows, "Heures demandées") == ["40,00"]
    raw = raw_rows(client.get(url, {"year": "2026", "format": "csv-raw"}))
    assert column(raw, "Entreprise") == [world.firm_a.name]
    assert column(xlsx_rows(client.get(url, {"format": "xlsx"})), "Entreprise") == [
        world.firm_a.name
    ]


def test_dispositifs_export_the_filtered_list(world, client):
    client.force_login(world.coordinator)
    url = reverse("dispositifs:list")
    page = client.get(url).content.decode()
    assert "format=csv" in page and "format=xlsx" in page
    rows = csv_rows(client.get(url, {"format": "csv", "sort": "name"}))
    assert column(rows, "Nom") == sorted([world.a.name, world.b.name])
    assert set(column(rows, "Région")) >= {world.a.get_region_display()}
    client.force_login(world.animateur_a)
    rows = xlsx_rows(client.get(url, {"format": "xlsx"}))
    assert column(rows, "Nom") == [world.a.name]
