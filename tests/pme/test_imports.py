"""Import of companies from CSV and XLSX: every row checked, all or nothing, no duplicates."""

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from alize.accounts.models import Role
from alize.tenancy import scope
from pme import imports
from pme.models import Company
from tests.factories import CompanyFactory, user_with_role

# Valid SIRENs (Luhn): 552100554, 732829320, 542065479, 005520135 (leading zeros).
FRENCH_HEADER = (
    "siren;siret;raison sociale;code NAF;date de création;effectif;"
    "chiffre d'affaires;commune;code commune;contact;e-mail du contact"
)
GOOD_ROWS = [
    "552100554;55210055400013;Forges de l'Escaut;25.62B;01/05/2010;42;1 250 000,50;"
    "Valenciennes;59606;Mme Leroy;leroy@example.org",
    "732829320;;Menuiserie Dupont;1623Z;2012-03-15;12;;Anzin;59014;;",
    "542065479;;Transports Hainaut;49.41A;15/09/2001;80;;Valenciennes;59606;;",
]


def csv_file(lines, name="entreprises.csv", encoding="utf-8"):
    return SimpleUploadedFile(name, "\n".join(lines).encode(encoding), content_type="text/csv")


def xlsx_file(rows, name="entreprises.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def preview_of(world, uploaded):
    parsed = imports.read_company_file(uploaded)
    with scope([world.a]):
        return imports.company_import_preview(dispositif=world.a, parsed=parsed), parsed


def companies(dispositif):
    return Company.unscoped_objects.filter(dispositif=dispositif)


# --- reading and validating ------------------------------------------------------------


def test_valid_csv_with_french_headers_and_both_date_formats(world):
    preview, _parsed = preview_of(world, csv_file([FRENCH_HEADER, *GOOD_ROWS]))
    assert preview.is_valid, [str(e) for e in preview.errors]
    first = preview.rows[0].cleaned
    assert first["creation_date"] == dt.date(2010, 5, 1)
    assert str(first["turnover"]) == "1250000.50"
    assert preview.rows[1].cleaned["naf_code"] == "16.23Z"
    assert preview.rows[1].cleaned["creation_date"] == dt.date(2012, 3, 15)
    assert [row.line for row in preview.rows] == [2, 3, 4]


def test_comma_separated_csv_with_english_headers_and_bom(world):
    lines = [
        "siren,name,naf_code,creation_date,headcount,commune_code,contact_email,notes",
        "552100554,Forges,25.62B,2010-05-01,42,59606,leroy@example.org,à rappeler",
    ]
    uploaded = SimpleUploadedFile("f.csv", ("\ufeff" + "\n".join(lines)).encode())
    preview, _parsed = preview_of(world, uploaded)
    assert preview.is_valid
    assert preview.ignored_columns == ["notes"]
    assert preview.rows[0].cleaned["contact_email"] == "leroy@example.org"


def test_one_bad_row_is_reported_by_line_and_column(world):
    lines = [FRENCH_HEADER, *GOOD_ROWS[:2], GOOD_ROWS[2].replace("542065479", "542065478")]
    preview, _parsed = preview_of(world, csv_file(lines))
    assert not preview.is_valid
    assert [str(e) for e in preview.errors] == [
        "ligne 4, colonne siren : « 542065478 » n'est pas un SIREN valide "
        "(9 chiffres, clé de contrôle)."
    ]
    assert [row.status for row in preview.rows] == ["new", "new", "invalid"]


def test_every_kind_of_row_error_names_its_column(world):
    lines = [
        FRENCH_HEADER,
        GOOD_ROWS[0],
        # same SIREN again, bad date, bad NAF, negative headcount, bad e-mail
        "552100554;;Doublon;2562;31/02/2010;-3;;Valenciennes;59606;;pas-un-mail",
        # SIRET of another company, missing name
        "732829320;55210055400013;;16.23Z;2012-03-15;12;;Anzin;59014;;",
    ]
    preview, _parsed = preview_of(world, csv_file(lines))
    messages = [str(e) for e in preview.errors]
    assert (
        "ligne 3, colonne siren : SIREN 552100554 déjà présent ligne 2 de ce fichier." in messages
    )
    assert any(m.startswith("ligne 3, colonne date de création : Date attendue") for m in messages)
    assert any(m.startswith("ligne 3, colonne code NAF : ") for m in messages)
    assert any(m.startswith("ligne 3, colonne effectif : ") for m in messages)
    assert any(m.startswith("ligne 3, colonne e-mail du contact : ") for m in messages)
    assert "ligne 4, colonne raison sociale : Ce champ est obligatoire." in messages
    assert (
        "ligne 4, colonne siret : Le SIRET doit commencer par le SIREN de l'entreprise." in messages
    )
    assert {e.line for e in preview.errors} == {3, 4}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier est vide."),
        (b"siren;raison sociale\n552100554;Forges", "Colonnes obligatoires absentes"),
        (FRENCH_HEADER.encode() + b"\n", "aucune ligne"),
        ((FRENCH_HEADER + "\n" + GOOD_ROWS[1] + "é").encode("latin-1"), "UTF-8"),
        (b"siren;nom;raison sociale", "désignent la même donnée"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(content, message):
    with pytest.raises(imports.ImportFileError) as refused:
        imports.read_company_file(SimpleUploadedFile("f.csv", content))
    assert message in str(refused.value)


def test_xlsx_with_typed_cells(world):
    uploaded = xlsx_file(
        [
            ["SIREN", "Raison sociale", "Code NAF", "Date de création", "Effectif", "Code INSEE"],
            [5520135, "Zéro devant", "25.62B", dt.datetime(2009, 1, 2), 15.0, 59606],
            ["732829320", "Menuiserie", "16.23Z", "15/03/2012", 12, "59014"],
        ]
    )
    preview, _parsed = preview_of(world, uploaded)
    assert preview.is_valid, [str(e) for e in preview.errors]
    assert preview.rows[0].cleaned["siren"] == "005520135"
    assert preview.rows[0].cleaned["creation_date"] == dt.date(2009, 1, 2)
    assert preview.rows[0].cleaned["headcount"] == 15


def test_broken_xlsx_is_refused():
    with pytest.raises(imports.ImportFileError):
        imports.read_company_file(SimpleUploadedFile("f.xlsx", b"PK\x03\x04 not a workbook"))


# --- saving ----------------------------------------------------------------------------


def test_import_saves_all_then_nothing_more_the_second_time(world):
    uploaded = csv_file([FRENCH_HEADER, *GOOD_ROWS])
    parsed = imports.read_company_file(uploaded)
    with scope([world.a]):
        result = imports.company_import(dispositif=world.a, parsed=parsed)
        assert len(result.created) == 3 and result.skipped == []
        again = imports.company_import(dispositif=world.a, parsed=parsed)
        assert again.created == [] and len(again.skipped) == 3
    assert companies(world.a).count() == 3
    forges = companies(world.a).get(siren="552100554")
    assert (forges.name, forges.contact_name, forges.headcount) == (
        "Forges de l'Escaut",
        "Mme Leroy",
        42,
    )


def test_import_with_a_bad_row_saves_nothing(world):
    lines = [FRENCH_HEADER, *GOOD_ROWS[:2], GOOD_ROWS[2].replace("80", "beaucoup")]
    parsed = imports.read_company_file(csv_file(lines))
    with scope([world.a]), pytest.raises(ValidationError) as refused:
        imports.company_import(dispositif=world.a, parsed=parsed)
    assert "ligne 4, colonne effectif" in str(refused.value)
    assert not companies(world.a).exists()


def test_existing_company_is_skipped_not_updated(world):
    CompanyFactory(dispositif=world.a, siren="552100554", name="Ancien nom", headcount=7)
    preview, parsed = preview_of(world, csv_file([FRENCH_HEADER, *GOOD_ROWS]))
    assert preview.is_valid
    assert [row.status for row in preview.rows] == ["existing", "new", "new"]
    assert preview.rows[0].existing_name == "Ancien nom"
    with scope([world.a]):
        imports.company_import(dispositif=world.a, parsed=parsed)
    assert companies(world.a).count() == 3
    assert companies(world.a).get(siren="552100554").headcount == 7


# --- through the browser ---------------------------------------------------------------


def upload(client, uploaded, **extra):
    return client.post(reverse("pme:company-import"), {"file": uploaded, **extra})


def confirm(client, response):
    return client.post(reverse("pme:company-import-confirm"), {"token": response.context["token"]})


IMPORT_URL_NAMES = (
    "pme:company-import",
    "pme:company-import-confirm",
    "pme:company-import-template",
)


class TestCompanyImportViews:
    """Upload, preview and confirm in the browser; isolation of the three import routes."""

    def test_anonymous_is_sent_to_login(self, db, client):
        for name in IMPORT_URL_NAMES:
            response = client.get(reverse(name))
            assert response.status_code in (302, 405)
            if response.status_code == 302:
                assert reverse("login") in response["Location"]
        response = client.post(reverse("pme:company-import-confirm"), {"token": "x"})
        assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_roles_without_pipeline_get_404(self, world, client):
        client.force_login(world.animateur_a)
        preview = upload(client, csv_file([FRENCH_HEADER, *GOOD_ROWS]))
        token = preview.context["token"]
        for user in (world.member_a, world.api_client_user):
            client.force_login(user)
            assert client.get(reverse("pme:company-import")).status_code == 404
            assert client.get(reverse("pme:company-import-template")).status_code == 404
            assert upload(client, csv_file([FRENCH_HEADER, *GOOD_ROWS])).status_code == 404
            response = client.post(reverse("pme:company-import-confirm"), {"token": token})
            assert response.status_code == 404
        assert not Company.unscoped_objects.exists()

    def test_single_dispositif_animateur_cannot_import_elsewhere(self, world, web_a):
        preview = upload(web_a, csv_file([FRENCH_HEADER, *GOOD_ROWS]), dispositif=world.b.slug)
        assert preview.context["preview"].dispositif == world.a
        confirm(web_a, preview)
        assert companies(world.a).count() == 3 and not companies(world.b).exists()

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_upload_preview_confirm_and_reimport(self, world, web_a, kind):
        if kind == "csv":
            make = lambda: csv_file([FRENCH_HEADER, *GOOD_ROWS])  # noqa: E731
        else:
            rows = [FRENCH_HEADER.split(";"), *[line.split(";") for line in GOOD_ROWS]]
            make = lambda: xlsx_file(rows)  # noqa: E731
        preview = upload(web_a, make())
        assert preview.status_code == 200
        page = preview.content.decode()
        assert "Forges de l&#x27;Escaut" in page and "Importer 3 entreprises" in page
        assert not companies(world.a).exists()  # the preview saves nothing

        done = confirm(web_a, preview)
        assert done.status_code == 302
        assert companies(world.a).count() == 3

        second = upload(web_a, make())
        assert second.status_code == 200
        assert second.content.decode().count('data-status="existing"') == 3
        assert "rien à importer" in second.content.decode()
        assert confirm(web_a, second).status_code == 302
        assert companies(world.a).count() == 3
        assert not companies(world.b).exists()

    @pytest.mark.parametrize("kind", ["csv", "xlsx"])
    def test_upload_with_a_bad_row_shows_line_and_column_and_saves_nothing(
        self, world, web_a, kind
    ):
        bad = GOOD_ROWS[2].replace("542065479", "542065478")
        if kind == "csv":
            uploaded = csv_file([FRENCH_HEADER, *GOOD_ROWS[:2], bad])
        else:
            lines = [FRENCH_HEADER, *GOOD_ROWS[:2], bad]
            uploaded = xlsx_file([line.split(";") for line in lines])
        response = upload(web_a, uploaded)
        assert response.status_code == 400
        page = response.content.decode()
        assert "ligne 4, colonne siren : « 542065478 » n&#x27;est pas un SIREN valide" in page
        assert 'name="token"' not in page  # no confirm button
        # Even a confirm of the invalid preview saves nothing.
        assert confirm(web_a, response).status_code == 400
        assert not companies(world.a).exists()

    def test_unreadable_file_is_a_field_error(self, world, web_a):
        response = upload(web_a, SimpleUploadedFile("f.csv", b"siren;nom\n1;2"))
        assert response.status_code == 400
        assert "Colonnes obligatoires absentes" in response.context["form"].errors["file"][0]

    def test_tampered_or_foreign_token_saves_nothing(self, world, web_a, client):
        preview = upload(web_a, csv_file([FRENCH_HEADER, *GOOD_ROWS]))
        token = preview.context["token"]
        tampered = web_a.post(reverse("pme:company-import-confirm"), {"token": token[:-2] + "xx"})
        assert tampered.status_code == 400
        # Replayed by another animateur: 404, as if it did not exist.
        client.force_login(world.animateur_b)
        assert (
            client.post(reverse("pme:company-import-confirm"), {"token": token}).status_code == 404
        )
        assert not Company.unscoped_objects.exists()

    def test_animateur_of_two_dispositifs_chooses_only_among_them(self, world, client):
        from tests.factories import DispositifFactory, RoleAssignmentFactory

        c = DispositifFactory(name="Alizé Saumur test", slug="saumur-test")
        user = user_with_role(Role.ANIMATEUR, dispositif=world.a)
        RoleAssignmentFactory(user=user, role=Role.ANIMATEUR, dispositif=c)
        client.force_login(user)
        form = client.get(reverse("pme:company-import")).context["form"]
        with scope([world.a, world.b, c]):
            assert {d.slug for d in form.fields["dispositif"].queryset} == {world.a.slug, c.slug}
        refused = upload(client, csv_file([FRENCH_HEADER, *GOOD_ROWS]), dispositif=world.b.slug)
        assert refused.status_code == 400 and "dispositif" in refused.context["form"].errors
        preview = upload(client, csv_file([FRENCH_HEADER, *GOOD_ROWS]), dispositif=c.slug)
        assert confirm(client, preview).status_code == 302
        assert companies(c).count() == 3 and not companies(world.b).exists()

    def test_coordinator_imports_into_the_chosen_dispositif(self, world, client):
        client.force_login(world.coordinator)
        preview = upload(client, csv_file([FRENCH_HEADER, *GOOD_ROWS]), dispositif=world.b.slug)
        assert preview.status_code == 200
        assert confirm(client, preview).status_code == 302
        assert companies(world.b).count() == 3 and not companies(world.a).exists()

    def test_template_lists_the_accepted_headers(self, world, web_a):
        response = web_a.get(reverse("pme:company-import-template"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        content = response.content.decode("utf-8-sig")
        headers = content.strip().split(";")
        assert headers[:3] == ["siren", "siret", "raison sociale"]
        # The template reads back as a file with every required column (and no row).
        with pytest.raises(imports.ImportFileError) as refused:
            imports.read_company_file(SimpleUploadedFile("modele.csv", response.content))
        assert "aucune ligne" in str(refused.value)
