"""Documents pages: who sees which document, the request form, progress, download."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reporting.models import Document, DocumentKind, DocumentStatus
from tests.coverage import routes
from tests.reporting.conftest import PDF_BYTES, make_document
from tests.view_base import WebDetailMixin, WebListMixin


class DocumentRoutes:
    """Every page of one document, tried anonymously with each method it serves."""

    def anonymous_routes(self, world, instance):
        return [
            ("reporting:list", []),
            ("reporting:request", []),
            ("reporting:detail", [instance.pk]),
            ("reporting:progress", [instance.pk]),
            ("reporting:download", [instance.pk]),
            ("reporting:regenerate", [instance.pk]),
        ]

    def test_anonymous_is_sent_to_login_on_every_method(self, world, client):
        (own,) = self.make_in(world, world.a)
        served = routes()
        before = Document.objects.count()
        for name, args in self.anonymous_routes(world, own):
            url = reverse(name, args=args)
            for method in sorted(served[name]):
                response = getattr(client, method)(url)
                assert response.status_code == 302, (name, method, response.status_code)
                assert reverse("login") in response["Location"]
        assert Document.objects.count() == before


class TestAnnualReportPages(DocumentRoutes, WebListMixin, WebDetailMixin):
    """A dispositif's annual report: its animateur and the coordination."""

    list_url_name = "reporting:list"
    detail_url_name = "reporting:detail"
    readers = frozenset({"coordinator", "animateur"})

    def make(self, world, dispositif):
        return make_document(dispositif)


class TestAgendaPages(WebListMixin, WebDetailMixin):
    """A committee's agenda: also its dispositif's committee members."""

    list_url_name = "reporting:list"
    detail_url_name = "reporting:detail"
    readers = frozenset({"coordinator", "animateur", "member"})

    def make(self, world, dispositif):
        return make_document(dispositif, kind=DocumentKind.AGENDA)


class TestDownload(WebDetailMixin):
    """The file itself, as an attachment, for the document's readers only."""

    detail_url_name = "reporting:download"
    readers = frozenset({"coordinator", "animateur", "member"})

    def make(self, world, dispositif):
        return make_document(dispositif, kind=DocumentKind.MINUTES)

    def test_download_is_an_attachment_with_its_content_type(self, world, client):
        (own,) = self.make_in(world, world.a)
        client.force_login(world.member_a)
        response = client.get(reverse("reporting:download", args=[own.pk]))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{own.filename}"'
        assert b"".join(response.streaming_content) == PDF_BYTES

    def test_a_document_not_done_has_no_download(self, world, client):
        queued = make_document(world.a, status=DocumentStatus.RUNNING)
        client.force_login(world.animateur_a)
        assert client.get(reverse("reporting:download", args=[queued.pk])).status_code == 404


class TestProgress(WebDetailMixin):
    detail_url_name = "reporting:progress"

    def make(self, world, dispositif):
        return make_document(dispositif, status=DocumentStatus.RUNNING, progress=40)

    def test_fragment_polls_until_the_build_is_over(self, world, client):
        running = make_document(world.a, status=DocumentStatus.RUNNING, progress=40)
        client.force_login(world.animateur_a)
        url = reverse("reporting:progress", args=[running.pk])
        page = client.get(url).content.decode()
        assert 'hx-trigger="every 1s"' in page and "40" in page
        Document.objects.filter(pk=running.pk).update(status=DocumentStatus.FAILED, error="Oups")
        page = client.get(url).content.decode()
        assert "hx-trigger" not in page and "Oups" in page


def test_firm_and_national_documents_reach_their_readers(world, client):
    national = make_document(None)
    firm = Document.objects.create(
        kind=DocumentKind.ANNUAL_REPORT,
        scope="firm",
        organisation=world.firm_a,
        year=2025,
        title="Document de l'entreprise",
    )
    expected = {
        "coordinator": {national.pk, firm.pk},
        "correspondent": {firm.pk},
        "animateur": set(),
        "member": set(),
        "expert": None,
        "no_role": None,
    }
    for role, seen in expected.items():
        client.force_login(world.user(role))
        response = client.get(reverse("reporting:list"))
        if seen is None:
            assert response.status_code == 404, role
            continue
        ids = {d.pk for d in response.context["object_list"]}
        assert ids & {national.pk, firm.pk} == seen, role
        for document in (national, firm):
            status = client.get(reverse("reporting:detail", args=[document.pk])).status_code
            assert status == (200 if document.pk in seen else 404), (role, document)


def test_list_filters_by_kind_year_and_status(world, client):
    report = make_document(world.a)
    agenda = make_document(world.a, kind=DocumentKind.AGENDA)
    failed = make_document(world.a, status=DocumentStatus.FAILED)
    client.force_login(world.animateur_a)
    url = reverse("reporting:list")

    def shown(**query):
        return {d.pk for d in client.get(url, query).context["object_list"]}

    assert shown(kind="agenda") == {agenda.pk}
    assert shown(status="failed") == {failed.pk}
    assert report.pk in shown(year=report.year) and agenda.pk not in shown(year=report.year)


class TestRequest:
    def test_request_page_offers_what_the_user_may_ask(self, world, client, sitting):
        client.force_login(world.animateur_a)
        page = client.get(reverse("reporting:request")).content.decode()
        assert world.a.name in page and world.b.name not in page
        assert 'name="national"' not in page
        client.force_login(world.coordinator)
        assert 'name="national"' in client.get(reverse("reporting:request")).content.decode()

    @pytest.mark.parametrize("role", ["member", "expert", "no_role"])
    def test_request_page_is_404_for_those_who_may_not_ask(self, world, client, role):
        client.force_login(world.user(role))
        assert client.get(reverse("reporting:request")).status_code == 404
        assert (
            client.post(reverse("reporting:request"), {"kind": "annual_report"}).status_code == 404
        )

    def test_asking_twice_gives_the_same_document(
        self, world, client, django_capture_on_commit_callbacks
    ):
        client.force_login(world.animateur_a)
        data = {"kind": "annual_report", "dispositif": world.a.pk, "year": 2025}
        with django_capture_on_commit_callbacks(execute=False) as queued:
            first = client.post(reverse("reporting:request"), data)
            second = client.post(reverse("reporting:request"), data)
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"]
        document = Document.objects.get()
        assert (document.dispositif, document.year, document.requested_by) == (
            world.a,
            2025,
            world.animateur_a,
        )
        assert len(queued) == 1, "one build queued"

    def test_another_dispositif_or_a_bad_year_is_refused_with_the_field(self, world, client):
        client.force_login(world.animateur_a)
        url = reverse("reporting:request")
        response = client.post(
            url, {"kind": "annual_report", "dispositif": world.b.pk, "year": 2025}
        )
        assert response.status_code == 400 and "dispositif" in response.context["form"].errors
        response = client.post(
            url, {"kind": "annual_report", "dispositif": world.a.pk, "year": 1900}
        )
        assert response.status_code == 400 and "year" in response.context["form"].errors
        response = client.post(url, {"kind": "agenda"})
        assert response.status_code == 400 and "committee" in response.context["form"].errors
        assert not Document.objects.exists()

    def test_regenerate_makes_a_new_version_for_managers_only(
        self, world, client, django_capture_on_commit_callbacks
    ):
        done = make_document(world.a)
        url = reverse("reporting:regenerate", args=[done.pk])
        client.force_login(world.member_a)
        assert client.post(url).status_code == 404
        client.force_login(world.animateur_b)
        assert client.post(url).status_code == 404
        client.force_login(world.animateur_a)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = client.post(url)
        fresh = Document.objects.get(is_current=True, year=done.year, kind=done.kind)
        assert response["Location"] == reverse("reporting:detail", args=[fresh.pk])
        assert (fresh.version, len(queued)) == (2, 1)
        done.refresh_from_db()
        assert not done.is_current

    def test_a_double_click_on_regenerate_makes_one_new_version(
        self, world, client, django_capture_on_commit_callbacks
    ):
        """While the new version is queued or running, asking again returns it: the
        members are not sent the same agenda twice."""
        done = make_document(world.a)
        url = reverse("reporting:regenerate", args=[done.pk])
        client.force_login(world.animateur_a)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            first = client.post(url)
            second = client.post(url)
        assert first["Location"] == second["Location"]
        assert len(queued) == 1
        assert Document.objects.filter(kind=done.kind, year=done.year).count() == 2


def test_committee_page_shows_its_agenda_to_members(world, client, sitting):
    agenda = make_document(world.a, kind=DocumentKind.AGENDA, committee=sitting.committee)
    client.force_login(world.member_a)
    page = client.get(reverse("committees:detail", args=[sitting.committee.pk])).content.decode()
    assert 'id="committee-documents"' in page
    assert reverse("reporting:download", args=[agenda.pk]) in page


def test_the_menu_and_the_home_panel_lead_to_the_documents(world, client):
    url = reverse("reporting:list")
    for role, menu, panel in (
        ("animateur", True, False),
        ("member", True, False),
        ("coordinator", True, False),
        ("correspondent", False, True),
        ("expert", False, False),
    ):
        client.force_login(world.user(role))
        page = client.get(reverse("home")).content.decode()
        assert (f'href="{url}"' in page) == (menu or panel), role
        assert ("Documents de votre entreprise" in page) == panel, role


def test_a_correspondent_asks_for_the_firms_statement_only(
    world, client, django_capture_on_commit_callbacks
):
    from tests.factories import OrganisationFactory

    other_firm = OrganisationFactory(name="Autre grande entreprise", kind="large_firm")
    client.force_login(world.correspondent_a)
    page = client.get(reverse("reporting:request")).content.decode()
    assert world.firm_a.name in page and other_firm.name not in page
    url = reverse("reporting:request")
    data = {"kind": "contribution_statement", "organisation": other_firm.pk, "year": 2025}
    assert client.post(url, data).status_code == 400
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, {**data, "organisation": world.firm_a.pk})
    statement = Document.objects.get()
    assert response["Location"] == reverse("reporting:detail", args=[statement.pk])
    assert (statement.scope, statement.organisation, len(queued)) == ("firm", world.firm_a, 1)
    assert client.get(reverse("reporting:detail", args=[statement.pk])).status_code == 200
    client.force_login(world.animateur_a)
    assert client.get(reverse("reporting:detail", args=[statement.pk])).status_code == 404
