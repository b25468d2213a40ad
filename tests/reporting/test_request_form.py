"""The document request form asks only what the chosen kind needs: the fields sit in
fieldsets saying which documents use them (all shown without JavaScript, the others hidden
with it), the server ignores what the kind does not use and checks what it needs, and a
committee is named with its dispositif."""

import re

import pytest
from django.urls import reverse

from reporting.models import Document
from tests.factories import CommitteeFactory

pytestmark = pytest.mark.django_db


def fieldsets(page: str) -> dict[str, set[str]]:
    form = re.search(r'<form[^>]*id="document-request".*?</form>', page, re.S).group(0)
    found = {}
    for kinds, body in re.findall(
        r'<fieldset[^>]*data-kinds="([^"]*)"[^>]*>(.*?)</fieldset>', form, re.S
    ):
        found[kinds] = set(re.findall(r'name="([a-z_]+)"', body))
    return found


def test_each_field_sits_in_the_fieldset_of_the_kinds_that_use_it(world, client):
    client.force_login(world.coordinator)
    found = fieldsets(client.get(reverse("reporting:request")).content.decode())
    assert found == {
        "agenda minutes": {"committee"},
        "annual_report funders_report": {"dispositif", "national"},
        "contribution_statement": {"organisation"},
        "annual_report contribution_statement funders_report": {"year"},
        "funders_report": {"source", "agreement", "period_start", "period_end", "file_format"},
    }


def test_committees_are_named_with_their_dispositif(world, client):
    CommitteeFactory(dispositif=world.a)
    CommitteeFactory(dispositif=world.b)
    client.force_login(world.coordinator)
    page = client.get(reverse("reporting:request")).content.decode()
    select = re.search(r'<select name="committee".*?</select>', page, re.S).group(0)
    labels = re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', select)
    assert len(labels) == 2
    assert {label.split(" — ")[0] for label in labels} == {world.a.name, world.b.name}
    assert all(" — Comité du " in label for label in labels)


def test_what_the_kind_does_not_use_is_ignored_and_what_it_needs_is_checked(world, client):
    committee = CommitteeFactory(dispositif=world.a)
    client.force_login(world.animateur_a)
    url = reverse("reporting:request")
    # An agenda: a year, a source or dates left over from another kind change nothing.
    leftovers = {"year": "abc", "source": "nope", "period_start": "31/02/2025"}
    response = client.post(url, {"kind": "agenda", "committee": committee.pk} | leftovers)
    assert response.status_code == 302, response.context["form"].errors
    document = Document.objects.get()
    assert (document.committee_id, document.source, document.period_start) == (
        committee.pk,
        "",
        None,
    )
    # A contribution statement needs its firm, and says so on its field.
    response = client.post(url, {"kind": "contribution_statement", "year": "2025"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"organisation"}
