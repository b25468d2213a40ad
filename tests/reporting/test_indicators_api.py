"""The regions' indicators API (/api/v1/indicators/): who reads which dispositifs and totals,
statistical secrecy for the readers outside the network, and the schema's definitions."""

from decimal import Decimal

import pytest
from django.urls import reverse

from alize.indicators import INDICATORS
from reporting import publication
from tests.conftest import api_client_for
from tests.factories import DispositifFactory
from tests.query_counts import assert_queries_do_not_grow
from tests.reporting.conftest import YEAR, plant

URL = "/api/v1/indicators/"


def get(user, **params):
    response = api_client_for(user).get(URL, params)
    assert response.status_code == 200, response.content
    return response.json()


def by_slug(body):
    return {row["dispositif"]: row["indicators"] for row in body["results"]}


def totals(body):
    return {(line["scope"], line["region"]): line["indicators"] for line in body["totals"]}


def test_a_regional_token_reads_its_region_only_with_secrecy(world, region):
    body = get(world.api_client_user)
    assert body["year"] == YEAR and body["month"] is None and body["secrecy"] is True
    rows = by_slug(body)
    assert set(rows) == {"valenciennes-test", "lens-test", "arras-test"}
    assert set(totals(body)) == {("region", "32")}
    assert {line["region"] for line in body["results"]} == {"32"}
    assert set(rows["lens-test"]) == set(publication.public_keys())
    assert not {"at_risk_30", "par30", "fund_resources"} & set(rows["lens-test"])


def test_a_planted_small_cell_is_suppressed_and_not_recovered_from_the_total(world, region):
    body = get(world.api_client_user, year=YEAR)
    rows = by_slug(body)
    hours = {slug: figures["expert_hours"] for slug, figures in rows.items()}
    assert hours["valenciennes-test"] == {
        "value": None,
        "unit": "hours",
        "suppressed": "few_smes",
    }
    # Without a second suppression the small cell would be the total minus the others:
    # 460 - 300 - 120 = 40. The smallest other cell goes with it.
    assert hours["arras-test"] == {"value": None, "unit": "hours", "suppressed": "secondary"}
    assert hours["lens-test"] == {"value": "300.0", "unit": "hours", "suppressed": None}
    region_total = totals(body)[("region", "32")]["expert_hours"]
    assert region_total["value"] == "460.0"
    published = sum(Decimal(h["value"]) for h in hours.values() if h["value"] is not None)
    unknown = [slug for slug, h in hours.items() if h["value"] is None]
    assert len(unknown) == 2 and Decimal(region_total["value"]) - published == Decimal(160)

    # The month is protected the same way, and its year cannot give it back either.
    month = by_slug(get(world.api_client_user, year=YEAR, month=3))
    assert month["valenciennes-test"]["expert_hours"]["suppressed"] == "few_smes"
    assert month["arras-test"]["expert_hours"]["suppressed"] == "secondary"
    assert month["lens-test"]["expert_hours"]["value"] == "300.0"


def test_a_ratio_is_suppressed_with_its_parts(world, region):
    plant(region["lens"], "survival_followed", 4, 2)
    plant(region["lens"], "survival_alive", 3, 2)
    for other in (world.a, region["arras"]):
        plant(other, "survival_followed", 10, 10)
        plant(other, "survival_alive", 9, 9)
    rows = by_slug(get(world.api_client_user, year=YEAR))
    lens = rows["lens-test"]
    assert lens["survival_3y"]["value"] is None and lens["survival_3y"]["suppressed"]
    assert lens["survival_followed"]["suppressed"] == "few_smes"
    # Its complement's ratio goes too: a ratio and one part give the other part.
    hidden = [slug for slug, f in rows.items() if f["survival_followed"]["suppressed"]]
    assert len(hidden) == 2
    for slug in hidden:
        assert rows[slug]["survival_3y"]["value"] is None


def test_the_coordination_reads_every_figure_and_the_totals(world, region):
    body = get(world.coordinator, year=YEAR)
    assert body["secrecy"] is False
    rows = by_slug(body)
    assert rows["valenciennes-test"]["expert_hours"]["value"] == "40.0"
    assert rows["chambery-test"]["expert_hours"]["value"] == "500.0"
    lines = totals(body)
    assert set(lines) == {("region", "32"), ("region", "84"), ("network", None)}
    assert lines[("network", None)]["expert_hours"]["value"] == "960.0"
    narrowed = get(world.coordinator, year=YEAR, region="84")
    assert set(by_slug(narrowed)) == {"chambery-test"}
    assert set(totals(narrowed)) == {("region", "84")}


def test_an_animateur_reads_their_dispositif_as_it_is_without_region_totals(world, region):
    body = get(world.animateur_a, year=YEAR)
    assert body["secrecy"] is False
    assert by_slug(body)["valenciennes-test"]["expert_hours"]["value"] == "40.0"
    assert body["totals"] == []


def test_a_committee_member_reads_their_dispositif_with_secrecy(world, region):
    body = get(world.member_a, year=YEAR)
    assert body["secrecy"] is True
    assert by_slug(body)["valenciennes-test"]["expert_hours"]["suppressed"] == "few_smes"
    assert body["totals"] == []


def test_filters_follow_the_apis_conventions(world, region):
    api = api_client_for(world.api_client_user)
    outside = api.get(URL, {"dispositif": "chambery-test", "year": YEAR})
    assert outside.status_code == 200 and outside.json()["results"] == []
    one = api.get(URL, {"dispositif": "lens-test", "year": YEAR, "indicator": "expert_hours"})
    assert list(one.json()["results"][0]["indicators"]) == ["expert_hours"]
    assert api.get(URL, {"region": "99"}).status_code == 400
    assert api.get(URL, {"year": 1200}).status_code == 400
    assert api.get(URL, {"month": 13}).status_code == 400
    assert api.get(URL, {"indicator": "at_risk_30"}).status_code == 400
    assert api_client_for(None).get(URL).status_code == 401


def test_a_month_gives_null_for_yearly_only_figures(world, region):
    rows = by_slug(get(world.coordinator, year=YEAR, month=3))
    assert rows["lens-test"]["hours_pledged"]["value"] is None
    assert rows["lens-test"]["expert_hours"]["value"] == "300.0"


def test_the_schema_lists_the_route_with_the_glossarys_definitions(world):
    schema = api_client_for(world.coordinator).get(reverse("api-schema"), {"format": "json"})
    document = schema.json()
    operation = document["paths"][URL]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"year", "month", "region", "dispositif", "indicator"} <= set(parameters)
    assert sorted(parameters["indicator"]["schema"]["items"]["enum"]) == sorted(
        publication.public_keys()
    )
    values = document["components"]["schemas"]["IndicatorValues"]["properties"]
    assert list(values) == publication.public_keys()
    for key, node in values.items():
        assert node["description"] == str(INDICATORS[key].definition)


def test_the_query_count_does_not_grow_with_dispositifs(world, region):
    api = api_client_for(world.api_client_user)
    added = iter(range(100))

    def more():
        for _ in range(3):
            n = next(added)
            dispositif = DispositifFactory(name=f"Alizé test {n}", slug=f"test-{n}", region="32")
            plant(dispositif, "expert_hours", 10 + n, 3)

    def fetch():
        return api.get(URL, {"year": YEAR})

    body = assert_queries_do_not_grow("api:indicator-list", fetch, more).json()
    assert len(body["results"]) == 6


# Who reads which dispositifs, and whether secrecy applies to them.
EXPECTED = {
    "coordinator": ({"valenciennes-test", "lens-test", "arras-test", "chambery-test"}, False),
    "animateur": ({"valenciennes-test"}, False),
    "animateur_b": ({"chambery-test"}, False),
    "member": ({"valenciennes-test"}, True),
    "correspondent": ({"valenciennes-test"}, True),
    "expert": ({"valenciennes-test"}, True),
    "api_client": ({"valenciennes-test", "lens-test", "arras-test"}, True),
    "no_role": (set(), False),
}


@pytest.mark.parametrize("role", [*EXPECTED, "anonymous"])
def test_access_by_role(world, region, role):
    response = api_client_for(world.user(role)).get(URL, {"year": YEAR})
    if role == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    body = response.json()
    slugs, secrecy = EXPECTED[role]
    assert set(by_slug(body)) == slugs, role
    assert body["secrecy"] is secrecy, role
    hours = by_slug(body).get("valenciennes-test", {}).get("expert_hours")
    if hours is not None:
        assert (hours["value"] is None) is secrecy, role
