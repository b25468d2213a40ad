"""Build and load the shipped reference files (communes, NAF rev. 2 and the English titles
of NACE rev. 2); see data/SOURCE.md.

The communes file is built from two official open datasets: the COG (names, département,
region, postal codes) and La Poste's base officielle des codes postaux (coordinates). Loading
uses PostgreSQL's COPY, so the ~35 000 communes go in well under a second.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from psycopg import sql

DATA_DIR = Path(__file__).resolve().parent / "data"
COMMUNES_FILE = DATA_DIR / "communes.csv.gz"
NAF_FILE = DATA_DIR / "naf_rev2.csv"
NACE_EN_FILE = DATA_DIR / "nace_rev2_en.csv"

COMMUNE_COLUMNS = (
    "code",
    "name",
    "search_name",
    "postal_codes",
    "departement",
    "region",
    "latitude",
    "longitude",
)
NAF_COLUMNS = ("code", "label", "section", "division")
# COG kinds kept: current communes and the municipal arrondissements of Paris, Lyon and
# Marseille (SIRENE gives the arrondissement as the establishment's commune there).
COG_KINDS = {"commune-actuelle", "arrondissement-municipal"}


def search_key(value: str) -> str:
    """Upper case without accents, hyphens or apostrophes: « Aulnoy-lez-Valenciennes »,
    « AULNOY LEZ VALENCIENNES » and « aulnoy lez valenciennes » give the same key."""
    text = unicodedata.normalize("NFKD", value or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    for char in "-'’":
        text = text.replace(char, " ")
    text = text.replace("SAINTE ", "STE ").replace("SAINT ", "ST ")
    return " ".join(text.split())


def build_commune_rows(cog_communes: list[dict], postal_rows: Iterable[dict]) -> list[dict]:
    """Join the COG communes with La Poste's coordinates (first point given per INSEE code).

    ``postal_rows`` are rows of the La Poste CSV (``code_commune_insee``, ``code_postal``,
    ``_geopoint`` « lat,lon » or ``latitude``/``longitude``)."""
    coordinates: dict[str, tuple[str, str]] = {}
    extra_postal: dict[str, set[str]] = {}
    for row in postal_rows:
        code = (row.get("code_commune_insee") or "").strip().zfill(5)
        postal = (row.get("code_postal") or "").strip().zfill(5)
        extra_postal.setdefault(code, set()).add(postal)
        if code in coordinates:
            continue
        point = (row.get("_geopoint") or "").strip()
        if point and "," in point:
            lat, lon = (part.strip() for part in point.split(",", 1))
        else:
            lat, lon = (row.get("latitude") or "").strip(), (row.get("longitude") or "").strip()
        if lat and lon:
            coordinates[code] = (f"{float(lat):.5f}", f"{float(lon):.5f}")
    rows = []
    for commune in cog_communes:
        if commune.get("type") not in COG_KINDS:
            continue
        code = commune["code"]
        postal = sorted(set(commune.get("codesPostaux") or []) or extra_postal.get(code, set()))
        lat, lon = coordinates.get(code, ("", ""))
        rows.append(
            {
                "code": code,
                "name": commune["nom"],
                "search_name": search_key(commune["nom"]),
                "postal_codes": " ".join(postal),
                "departement": commune.get("departement") or "",
                "region": commune.get("region") or "",
                "latitude": lat,
                "longitude": lon,
            }
        )
    rows.sort(key=lambda row: row["code"])
    return rows


def read_cog_communes(path: Path) -> list[dict]:
    """The COG communes as published in JSON by Etalab (decoupage-administratif)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_postal_csv(path: Path) -> list[dict]:
    """La Poste's base officielle des codes postaux (« ; » or « , » separated, UTF-8)."""
    text = Path(path).read_text(encoding="utf-8-sig")
    dialect = csv.Sniffer().sniff(text.splitlines()[0], delimiters=";,")
    return list(csv.DictReader(io.StringIO(text), dialect=dialect))


def write_communes_file(rows: list[dict], path: Path = COMMUNES_FILE) -> None:
    # mtime=0 keeps the compressed file identical for identical data.
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0) as handle,
    ):
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="")
        writer = csv.DictWriter(text, fieldnames=COMMUNE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        text.flush()
        text.detach()


def read_communes_file(path: Path = COMMUNES_FILE) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_naf_file(path: Path = NAF_FILE) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@lru_cache(maxsize=1)
def read_nace_english(path: Path = NACE_EN_FILE) -> dict[str, str]:
    """The English titles of NACE rev. 2 by code: sections (« C »), divisions (« 25 ») and
    classes (« 25.62 »), the levels NAF shares with NACE. Read once per process."""
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["code"]: row["label"] for row in csv.DictReader(handle)}


def _replace(connection, table: str, columns: tuple[str, ...], records: Iterable[tuple]) -> None:
    """Empty ``table`` and fill it with ``records`` through one COPY."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        raw.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))
        with raw.copy(statement) as copy:
            for record in records:
                copy.write_row(record)


def load_communes(connection, table: str, rows: list[dict]) -> int:
    """Replace the content of the communes table by ``rows`` (one COPY). Returns the count."""

    def records():
        for row in rows:
            yield (
                row["code"],
                row["name"],
                row["search_name"],
                "{" + ",".join(row["postal_codes"].split()) + "}",
                row["departement"],
                row["region"],
                row["latitude"] or None,
                row["longitude"] or None,
            )

    _replace(connection, table, COMMUNE_COLUMNS, records())
    return len(rows)


def load_naf(connection, table: str, rows: list[dict]) -> int:
    """Replace the content of the NAF table by ``rows``. Returns the count."""
    _replace(connection, table, NAF_COLUMNS, (tuple(r[c] for c in NAF_COLUMNS) for r in rows))
    return len(rows)
