"""Open data (docs/open-data.md): each dispositif's yearly CSV of the public indicators, for
anyone without signing in, with the figures the regions' API gives (secrecy applied) and no
personal data."""

import csv
import io
import re

from django.contrib.auth import get_user_model
from django.urls import reverse

from alize.indicators import INDICATORS
from reporting import publication
from tests.conftest import api_client_for
from tests.reporting.conftest import YEAR

API = "/api/v1/indicators/"


def read_csv(response) -> list[dict]:
    text = response.content.decode("utf-8").removeprefix("\ufeff")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_the_page_lists_every_dispositifs_yearly_file_without_signing_in(world, region, client):
    page = client.get(reverse("open_data:list"))
    assert page.status_code == 200
    text = page.content.decode()
    for slug in ("valenciennes-test", "lens-test", "chambery-test"):
        url = reverse("open_data:file", args=[slug, YEAR])
        assert f'href="{url}"' in text
        assert url == f"/donnees-ouvertes/{slug}-{YEAR}.csv"
    assert "Licence Ouverte" in text
    # The year under way is not a published file.
    assert client.get(f"/donnees-ouvertes/lens-test-{YEAR + 1}.csv").status_code == 404
    assert client.get("/donnees-ouvertes/inconnu-2025.csv").status_code == 404


def test_the_file_equals_the_regions_api_with_secrecy(world, region, client):
    response = client.get(reverse("open_data:file", args=["valenciennes-test", YEAR]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = read_csv(response)
    assert list(lines[0]) == publication.OPEN_DATA_COLUMNS
    by_period = {(line["mois"], line["indicateur"]): line for line in lines}
    assert {key for _month, key in by_period} == set(publication.public_keys())
    small = by_period[("", "expert_hours")]
    assert small["valeur"] == "" and small["secret"] == "few_smes"

    api = api_client_for(world.api_client_user)
    for month in ("", "3"):
        params = {"year": YEAR, "dispositif": "valenciennes-test"}
        if month:
            params["month"] = month
        (row,) = api.get(API, params).json()["results"]
        for key, figure in row["indicators"].items():
            if (month, key) not in by_period:  # a yearly-only figure has no month line
                assert month and not INDICATORS[key].monthly and figure["value"] is None
                continue
            line = by_period[(month, key)]
            assert (line["valeur"] or None, line["secret"] or None) == (
                figure["value"],
                figure["suppressed"],
            ), (month, key)
            assert line["unite"] == figure["unit"]
    # Its complement is suppressed in its own file too.
    arras = read_csv(client.get(reverse("open_data:file", args=["arras-test", YEAR])))
    hours = {line["mois"]: line for line in arras if line["indicateur"] == "expert_hours"}
    assert hours[""]["secret"] == hours["3"]["secret"] == "secondary"
    assert hours["4"]["valeur"] == "0.0" and hours["4"]["secret"] == ""


def test_the_file_carries_no_personal_data(world, region, client):
    content = client.get(reverse("open_data:file", args=["valenciennes-test", YEAR])).content
    text = content.decode("utf-8")
    for user in get_user_model().objects.all():
        assert user.email not in text
        assert not user.full_name or user.full_name not in text
    assert "recorded_by" not in text and "idempotency" not in text


def test_the_documented_columns_and_indicators_are_the_files():
    from django.conf import settings

    text = (settings.BASE_DIR / "docs" / "open-data.md").read_text()
    documented = re.findall(r"^\| `([a-z_0-9]+)` \|", text, flags=re.MULTILINE)
    assert documented == publication.OPEN_DATA_COLUMNS + publication.public_keys()
