"""The OpenAPI schema promises each role what it receives: on every list route and the
detail route of the rows listed, a field the schema marks required is in every row the role
gets, and no row carries a field the schema does not declare. Fields dropped for some
callers (personal data, staff names) are declared but optional. The schema and its docs
page need a role."""

import pytest
from django.urls import reverse

from tests.api_seed import seed
from tests.conftest import api_client_for

ROLES = ["coordinator", "animateur", "member", "correspondent", "expert", "api_client"]
# Routes whose rows some callers receive without their personal data: every role that
# reads them must see rows there, so the dropping is exercised.
DROPPING_ROUTES = ["/api/v1/advances/", "/api/v1/repayments/", "/api/v1/companies/"]


@pytest.fixture
def schema(world):
    response = api_client_for(world.coordinator).get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    return response.json()


def resolve(schema: dict, node: dict) -> dict:
    """``node`` with its ``$ref`` (to ``#/components/...``) followed."""
    while "$ref" in node:
        target = schema
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def broken_promises(schema: dict, node: dict, value, where: str) -> list[str]:
    """Where ``value`` lacks a field that ``node`` requires, or carries one it does not
    declare, in nested objects and lists too."""
    node = resolve(schema, node)
    problems = []
    for part in node.get("allOf", []):
        problems += broken_promises(schema, part, value, where)
    if isinstance(value, dict) and "properties" in node:
        declared = node["properties"]
        required = node.get("required", [])
        problems += [f"{where}: {name} missing" for name in required if name not in value]
        if not node.get("additionalProperties"):
            problems += [f"{where}: {name} undeclared" for name in value.keys() - declared]
        for name, child in declared.items():
            if name in value:
                problems += broken_promises(schema, child, value[name], f"{where}.{name}")
    if isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            problems += broken_promises(schema, node["items"], item, f"{where}[{index}]")
    return problems


def ok_schema(schema: dict, path: str) -> dict:
    return schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def list_routes(schema: dict) -> list[str]:
    """Every route that lists without an id and needs no query parameter."""
    return [
        path
        for path, operations in schema["paths"].items()
        if "{" not in path
        and "get" in operations
        and not any(p.get("required") for p in operations["get"].get("parameters", []))
    ]


@pytest.mark.parametrize("role", ROLES)
def test_each_role_receives_every_field_the_schema_requires(world, schema, role):
    people = seed(world.a)
    seed(world.b)
    api = api_client_for(people.get(role) or world.user(role))
    routes = list_routes(schema)
    assert len(routes) >= 15
    problems, listed = [], set()
    for path in routes:
        response = api.get(path)
        assert response.status_code == 200, (path, response.status_code)
        body = response.json()
        problems += broken_promises(schema, ok_schema(schema, path), body, path)
        rows = body["results"] if isinstance(body, dict) else body
        detail = f"{path}{{id}}/"
        if rows:
            listed.add(path)
        if rows and "get" in schema["paths"].get(detail, {}):
            for row in rows:
                response = api.get(f"{path}{row['id']}/")
                assert response.status_code == 200, (path, row["id"], response.status_code)
                where = f"{path}{row['id']}/"
                problems += broken_promises(
                    schema, ok_schema(schema, detail), response.json(), where
                )
    assert problems == []
    assert listed, role
    if role in ("coordinator", "animateur", "api_client"):
        assert set(DROPPING_ROUTES) <= listed, (role, listed)


def test_fields_dropped_for_the_regional_client_are_declared_but_optional(world, schema):
    seed(world.a)
    detail = resolve(schema, ok_schema(schema, "/api/v1/advances/{id}/"))
    repayment = resolve(schema, {"$ref": "#/components/schemas/Repayment"})
    for component, names in (
        (detail, {"created_by", "timeline"}),
        (repayment, {"recorded_by", "reversal_reason", "reversed_by"}),
    ):
        assert names <= component["properties"].keys()
        assert not names & set(component["required"])
    assert detail["properties"]["created_by"]["nullable"] is True

    advances = api_client_for(world.animateur_a).get(reverse("api:advance-list")).json()
    url = reverse("api:advance-detail", args=[advances["results"][0]["id"]])
    assert {"created_by", "timeline"} <= api_client_for(world.animateur_a).get(url).json().keys()
    regional = api_client_for(world.api_client_user).get(url).json()
    assert not {"created_by", "timeline"} & regional.keys()


def test_a_user_without_a_role_gets_no_schema_nor_docs(world, client):
    assert api_client_for(world.no_role).get(reverse("api-schema")).status_code == 403
    client.force_login(world.no_role)
    assert client.get(reverse("api-schema")).status_code == 403
    assert client.get(reverse("api-docs")).status_code == 403
    assert client.get(reverse("api-docs") + "?script=").status_code == 403
    client.force_login(world.member_a)
    assert client.get(reverse("api-schema")).status_code == 200
