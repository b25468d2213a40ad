"""The follow-up an SME declares itself: the daily job mails its contact a signed link (and
reminds it at 15 and 30 days, once each, over real SMTP), the link opens only the year
asked and refuses, storing nothing, once used, expired or altered; the animateur validates
the declaration or corrects it (both sets of figures kept), and only validated figures
count in the indicators."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from alize import links
from alize.models import SentMail, SignedLink
from alize.tenancy import scope, scope_for_user
from pme import indicators, services
from pme.models import (
    DeclarationStatus,
    FollowUpDeclaration,
    FollowUpReminder,
    FollowUpSource,
    JobsFollowUp,
    Project,
    Stage,
)
from pme.panels import follow_up_declarations_panel
from pme.tasks import send_follow_up_requests
from tests.clock import NOW, TODAY
from tests.conftest import api_client_for
from tests.factories import project_at
from tests.query_counts import assert_queries_do_not_grow
from tests.view_base import WebAnonymousMixin, WebDetailMixin

from .test_tasks import approved_project

pytestmark = pytest.mark.django_db

CONTACT = "dirigeante@atelier-test.fr"
FIGURES = {"headcount": "31", "jobs_created": "5", "jobs_maintained": "24", "turnover": "4 150 000"}


def text(response) -> str:
    return html.unescape(response.content.decode())


def run_job() -> None:
    """The daily national job, synchronously (its fan-out too)."""
    send_follow_up_requests.apply().get()


def mailed_link(message) -> str:
    body = message.get_body(("plain",)).get_content()
    (url,) = re.findall(r"https?://\S+/pme/suivi/declarer/\S+/", body)
    return url[url.index("/pme/") :]


def declaration_of(project) -> FollowUpDeclaration:
    return FollowUpDeclaration.unscoped_objects.get(project=project)


@pytest.fixture
def asked(world, smtp_server):
    """A project of A approved 370 days ago, whose contact was mailed its year-1 link."""
    project = approved_project(world.a, days_ago=370, contact_email=CONTACT)
    run_job()
    (message,) = smtp_server.messages
    smtp_server.clear()
    return project, message, mailed_link(message)


def declare(client, url, **changes):
    return client.post(url, {**FIGURES, "comment": "Deux embauches en atelier.", **changes})


# The request ---------------------------------------------------------------------------------
def test_the_contact_receives_one_request_with_a_link_to_the_year_asked(world, asked, smtp_server):
    project, message, url = asked
    assert message["To"] == CONTACT
    assert "année 1" in message["Subject"] and project.title in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert project.company.name in body and world.a.name in body
    assert "9 août 2026" in body  # the link opens for 60 days (FOLLOW_UP_LINK_DAYS)
    declaration = declaration_of(project)
    assert (declaration.status, declaration.year, declaration.sent_to) == (
        DeclarationStatus.REQUESTED,
        1,
        CONTACT,
    )
    run_job()  # a second run asks nothing more and sends nothing again
    assert smtp_server.messages == []
    assert FollowUpDeclaration.unscoped_objects.count() == SignedLink.unscoped_objects.count() == 1


def test_no_request_without_a_contact_address_or_once_the_year_is_recorded(world, smtp_server):
    approved_project(world.a, days_ago=370)  # no contact e-mail
    recorded = approved_project(world.b, days_ago=370, contact_email=CONTACT)
    with scope([world.b]):
        services.follow_up_record(
            project=recorded,
            year=1,
            headcount=12,
            jobs_created=1,
            jobs_maintained=10,
            source=FollowUpSource.VERIFIED,
            by=world.animateur_b,
        )
    run_job()
    assert smtp_server.messages == []
    assert not FollowUpDeclaration.unscoped_objects.exists()


def test_the_link_page_shows_only_the_company_the_project_and_the_year(world, asked, client):
    project, _message, url = asked
    response = client.get(url)
    assert response.status_code == 200
    page = text(response)
    assert project.company.name in page and project.title in page
    assert "1 an après l'accord du comité" in page
    for private in (project.company.siren, CONTACT, world.a.name, "Projet de développement "):
        assert private not in page
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "same-origin"


# The link: valid, used, expired, altered ----------------------------------------------------
def test_a_valid_link_stores_the_declaration_pending_review(world, asked, client):
    project, _message, url = asked
    response = declare(client, url)
    assert response.status_code == 200
    assert "Merci, votre suivi est transmis" in text(response)
    declaration = declaration_of(project)
    assert declaration.status == DeclarationStatus.DECLARED
    assert declaration.figures == {
        "headcount": 31,
        "jobs_created": 5,
        "jobs_maintained": 24,
        "turnover": Decimal("4150000.00"),
    }
    assert declaration.comment == "Deux embauches en atelier."
    assert SignedLink.unscoped_objects.get(pk=declaration.link_id).used_at is not None
    # Pending: nothing recorded, the reminder still open, nothing counted.
    assert not JobsFollowUp.unscoped_objects.filter(project=project).exists()
    assert FollowUpReminder.unscoped_objects.get(project=project).resolved_at is None
    with scope([world.a]):
        cells = indicators.compute(world.a.pk, [TODAY.year - 1, TODAY.year])
    assert not [c for c in cells if c.key.startswith("follow_ups_")]


def test_a_used_link_says_so_and_stores_nothing(world, asked, client):
    project, _message, url = asked
    declare(client, url)
    for response in (client.get(url), declare(client, url, headcount="99")):
        assert response.status_code == 410
        assert "Ce lien a déjà servi" in text(response)
        assert "Rien n'a été enregistré" in text(response)
    assert declaration_of(project).headcount == 31


def test_an_expired_link_says_so_and_stores_nothing(world, asked, client, time_machine):
    project, _message, url = asked
    time_machine.move_to(NOW + dt.timedelta(days=60, minutes=1), tick=True)
    for response in (client.get(url), declare(client, url)):
        assert response.status_code == 410
        assert "Ce lien a expiré" in text(response)
    declaration = declaration_of(project)
    assert declaration.status == DeclarationStatus.REQUESTED and declaration.headcount is None


def altered(url: str, position: int) -> str:
    token = url.split("/")[-2]
    position %= len(token)
    replacement = "A" if token[position] != "A" else "B"
    return url.replace(token, token[:position] + replacement + token[position + 1 :])


@pytest.mark.parametrize("position", [0, 7, 30, -20, -1], ids=lambda p: f"char-{p}")
def test_one_character_changed_opens_nothing(world, asked, client, position):
    project, _message, url = asked
    wrong = altered(url, position)
    assert wrong != url
    for response in (client.get(wrong), declare(client, wrong)):
        assert response.status_code == 400
        assert "Ce lien n'est pas valide" in text(response)
    assert declaration_of(project).status == DeclarationStatus.REQUESTED
    assert client.get(url).status_code == 200  # the real link still opens


def test_a_token_signed_for_another_purpose_opens_nothing(world, asked, client):
    project, _message, url = asked
    declaration = declaration_of(project)
    stored = SignedLink.unscoped_objects.get(pk=declaration.link_id)
    stored.purpose = "reporting.other-purpose"
    other = links.link_token(stored)  # same nonce and object, signed for another purpose
    response = client.get(reverse("pme:follow-up-declare", args=[other]))
    assert response.status_code == 400
    assert declaration_of(project).status == DeclarationStatus.REQUESTED


def test_bad_figures_are_refused_by_the_field_and_leave_the_link_unused(world, asked, client):
    project, _message, url = asked
    response = declare(client, url, headcount="-3", jobs_created="trois")
    assert response.status_code == 400
    page = text(response)
    assert page.count('class="error"') == 2
    assert declaration_of(project).status == DeclarationStatus.REQUESTED
    assert client.get(url).status_code == 200


def test_a_year_recorded_by_the_animateur_meanwhile_closes_the_link(world, asked, client):
    project, _message, url = asked
    with scope([world.a]):
        services.follow_up_record(
            project=project,
            year=1,
            headcount=30,
            jobs_created=4,
            jobs_maintained=24,
            source=FollowUpSource.VERIFIED,
            by=world.animateur_a,
        )
    response = declare(client, url)
    assert response.status_code == 410
    assert "déjà enregistré" in text(response)
    assert declaration_of(project).status == DeclarationStatus.REQUESTED


# Reminders at 15 and 30 days ----------------------------------------------------------------
def test_reminders_go_at_15_and_30_days_once_each(world, asked, smtp_server, time_machine):
    project, _message, url = asked
    for days, expected in ((14, 0), (15, 1), (16, 0), (29, 0), (30, 1), (45, 0)):
        time_machine.move_to(NOW + dt.timedelta(days=days), tick=True)
        run_job()
        run_job()
        sent = smtp_server.messages
        assert len(sent) == expected, days
        if expected:
            assert "Rappel Alizé" in sent[0]["Subject"]
            assert mailed_link(sent[0]) == url  # the same link, still valid
        smtp_server.clear()


def test_a_late_run_sends_only_the_latest_reminder_and_none_once_declared(
    world, asked, smtp_server, client, time_machine
):
    other = approved_project(world.a, days_ago=370, contact_email="autre@pme-test.fr")
    run_job()
    (request,) = smtp_server.messages
    assert request["To"] == "autre@pme-test.fr"
    smtp_server.clear()
    declare(client, mailed_link(request))
    time_machine.move_to(NOW + dt.timedelta(days=31), tick=True)
    run_job()
    (reminder,) = smtp_server.messages
    assert reminder["To"] == CONTACT and "Rappel Alizé" in reminder["Subject"]
    keys = set(
        SentMail.objects.filter(template="pme/follow_up_reminder").values_list("key", flat=True)
    )
    assert [key.rsplit(":", 1)[1] for key in keys] == ["reminder-30"]
    assert declaration_of(other).status == DeclarationStatus.DECLARED


# The animateur's review ----------------------------------------------------------------------
@pytest.fixture
def declared(asked, client):
    project, _message, url = asked
    declare(client, url)
    return project, declaration_of(project)


def test_the_animateur_sees_it_to_do_and_validates_it(world, declared, client):
    project, declaration = declared
    client.force_login(world.animateur_a)
    home = text(client.get(reverse("home")))
    assert 'id="panel-follow-up-declarations"' in home
    review = reverse("pme:follow-up-declaration", args=[declaration.pk])
    assert review in home
    page = text(client.get(review))
    assert CONTACT in page and "Deux embauches en atelier." in page
    project_page = text(client.get(reverse("pme:project-detail", args=[project.pk])))
    assert "data-declaration-pending" in project_page

    response = client.post(reverse("pme:follow-up-declaration-validate", args=[declaration.pk]))
    assert response.status_code == 302
    follow_up = JobsFollowUp.unscoped_objects.get(project=project, year=1)
    assert (follow_up.headcount, follow_up.jobs_created, follow_up.jobs_maintained) == (31, 5, 24)
    assert follow_up.turnover == Decimal("4150000.00")
    assert follow_up.source == FollowUpSource.SELF_DECLARED
    assert follow_up.recorded_by == world.animateur_a
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.VALIDATED
    assert declaration.reviewed_by == world.animateur_a and declaration.follow_up == follow_up
    assert FollowUpReminder.unscoped_objects.get(project=project).resolved_at is not None
    assert 'id="panel-follow-up-declarations"' not in text(client.get(reverse("home")))
    # Reviewed once: a second validation is refused and changes nothing.
    again = client.post(reverse("pme:follow-up-declaration-validate", args=[declaration.pk]))
    assert again.status_code == 400 and "déjà été revue" in text(again)

    with scope([world.a]):
        cells = {
            (c.key, c.year, c.month): c.value
            for c in indicators.compute(world.a.pk, [follow_up.as_of.year])
        }
    year = follow_up.as_of.year
    assert cells[("follow_ups_recorded", year, 0)] == 1
    assert cells[("follow_ups_self_declared", year, 0)] == 1
    assert cells[("jobs_created", year, 0)] == 5


def test_a_correction_keeps_the_smes_figures_and_the_corrected_ones(world, declared, client):
    project, declaration = declared
    client.force_login(world.animateur_a)
    url = reverse("pme:follow-up-declaration-correct", args=[declaration.pk])
    same = client.post(url, {**FIGURES, "source": "verified"})
    assert same.status_code == 400 and "validez-les plutôt" in text(same)
    response = client.post(
        url,
        {
            **FIGURES,
            "jobs_created": "3",
            "source": "verified",
            "note": "DSN de janvier : deux créations sont des remplacements.",
        },
    )
    assert response.status_code == 302
    follow_up = JobsFollowUp.unscoped_objects.get(project=project, year=1)
    assert (follow_up.jobs_created, follow_up.source) == (3, FollowUpSource.VERIFIED)
    assert follow_up.recorded_by == world.animateur_a
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.CORRECTED
    assert declaration.jobs_created == 5 and declaration.follow_up == follow_up
    assert declaration.reviewed_by == world.animateur_a and declaration.reviewed_at is not None

    page = text(client.get(reverse("pme:follow-up-declaration", args=[declaration.pk])))
    assert "Corrigée par" in page and "DSN de janvier" in page
    row = re.search(r'data-figure="jobs_created">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["5", "3"]
    project_page = text(client.get(reverse("pme:project-detail", args=[project.pk])))
    assert "la PME avait déclaré : effectif 31, 5 créés, 24 maintenus" in project_page
    with scope([world.a]):
        cells = {(c.key, c.month): c.value for c in indicators.compute(world.a.pk, [TODAY.year])}
    assert ("follow_ups_self_declared", 0) not in cells
    assert cells[("follow_ups_recorded", 0)] == 1


def test_a_pending_declaration_is_reviewed_not_typed_over(world, declared, client):
    project, declaration = declared
    client.force_login(world.animateur_a)
    response = client.post(
        reverse("pme:project-follow-up", args=[project.pk]),
        {"year": 1, "headcount": 3, "jobs_created": 0, "jobs_maintained": 3, "source": "declared"},
    )
    assert response.status_code == 400
    assert "validez ou corrigez sa déclaration" in text(response)
    assert not JobsFollowUp.unscoped_objects.filter(project=project).exists()


def test_the_project_form_keeps_the_smes_source_only_with_its_figures(world, declared, client):
    project, declaration = declared
    client.force_login(world.animateur_a)
    client.post(reverse("pme:follow-up-declaration-validate", args=[declaration.pk]))
    detail = reverse("pme:project-detail", args=[project.pk])
    form = text(client.get(detail + "?annee=1"))
    assert 'value="self_declared" selected' in form and 'value="4150000' in form
    url = reverse("pme:project-follow-up", args=[project.pk])
    posted = {
        "year": 1,
        "headcount": 31,
        "jobs_created": 5,
        "jobs_maintained": 24,
        "turnover": "4150000",
        "source": "self_declared",
        "note": "Vu avec la dirigeante.",
    }
    assert client.post(url, posted).status_code == 302
    follow_up = JobsFollowUp.unscoped_objects.get(project=project, year=1)
    assert (follow_up.source, follow_up.note) == (FollowUpSource.SELF_DECLARED, posted["note"])
    assert follow_up.turnover == Decimal("4150000.00")
    changed = client.post(url, {**posted, "headcount": 33})
    assert changed.status_code == 400
    assert "pour d'autres chiffres, choisissez une autre source" in text(changed)
    assert JobsFollowUp.unscoped_objects.get(pk=follow_up.pk).headcount == 31
    new_year = text(client.get(detail + "?annee=2"))
    assert 'value="self_declared"' not in new_year


def test_the_requests_run_daily_from_beat():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["pme-follow-up-requests"]
    assert entry["task"] == send_follow_up_requests.name == "pme.tasks.send_follow_up_requests"
    assert settings.FOLLOW_UP_LINK_DAYS == 60 and settings.FOLLOW_UP_REMINDER_DAYS == (15, 30)


def test_the_api_applies_the_same_rules(world, declared, client):
    project, declaration = declared
    api = api_client_for(world.animateur_a)
    url = reverse("api:follow-up-list")
    payload = {"project": project.pk, "year": 1, "headcount": 3, "jobs_created": 0}
    payload |= {"jobs_maintained": 3, "source": "declared"}
    pending = api.post(url, payload, format="json")
    assert pending.status_code == 400
    assert pending.json()["code"] == "follow_up_declaration_pending"

    client.force_login(world.animateur_a)
    client.post(reverse("pme:follow-up-declaration-validate", args=[declaration.pk]))
    follow_up = JobsFollowUp.unscoped_objects.get(project=project, year=1)
    detail = reverse("api:follow-up-detail", args=[follow_up.pk])
    assert api.get(detail).json()["turnover"] == "4150000.00"
    note = api.patch(detail, {"note": "Vu avec la dirigeante."}, format="json")
    assert note.status_code == 200 and note.json()["source"] == "self_declared"
    changed = api.patch(detail, {"headcount": 40}, format="json")
    assert changed.status_code == 400 and "source" in changed.json()["fields"]
    retyped = api.patch(detail, {"headcount": 40, "source": "verified"}, format="json")
    assert retyped.status_code == 200
    other = approved_project(world.a, days_ago=370)
    forged = api.post(
        url, {**payload, "project": other.pk, "source": "self_declared"}, format="json"
    )
    assert forged.status_code == 400 and "source" in forged.json()["fields"]
    assert not JobsFollowUp.unscoped_objects.filter(project=other).exists()


def test_an_approval_corrected_away_withdraws_the_open_request(world, client, smtp_server):
    project = project_at(Stage.APPROVED, dispositif=world.a, contact_email=CONTACT)
    with scope([world.a]):
        Project.objects.filter(pk=project.pk).update(approved_on=TODAY - dt.timedelta(days=370))
        project.refresh_from_db()
    run_job()
    url = mailed_link(smtp_server.messages[0])
    assert client.get(url).status_code == 200
    with scope([world.a]):
        services.project_correct_committee_outcome(
            project=project,
            to_stage=Stage.REJECTED,
            committee_date=project.approved_on,
            by=world.animateur_a,
            comment="Erreur de saisie de la décision.",
        )
    assert not FollowUpDeclaration.unscoped_objects.filter(project=project).exists()
    assert client.get(url).status_code == 400


# Who may review: the dispositif's animateur (and the coordination), 404 for anyone else ------
def make_declared(world, dispositif) -> FollowUpDeclaration:
    approved_project(dispositif, days_ago=370, contact_email=CONTACT)
    with scope([dispositif]):
        services.follow_up_reminders_refresh()
        (declaration,) = services.follow_up_declarations_request()
        opened = links.link_open(
            services.FOLLOW_UP_LINK_PURPOSE, links.link_token(declaration.link)
        )
        return services.follow_up_declaration_submit(
            link=opened, headcount=20, jobs_created=2, jobs_maintained=18
        )


class TestFollowUpDeclarationRoutes(WebAnonymousMixin, WebDetailMixin):
    detail_url_name = "pme:follow-up-declaration"

    def make(self, world, dispositif):
        return make_declared(world, dispositif)

    def anonymous_routes(self, world, instance):
        return [
            *super().anonymous_routes(world, instance),
            ("pme:follow-up-declaration-validate", [instance.pk]),
            ("pme:follow-up-declaration-correct", [instance.pk]),
        ]

    def test_validate_by_role(self, world, client, role):
        own = make_declared(world, world.a)
        other = make_declared(world, world.b)
        client.force_login(world.user(role))
        for declaration, allowed in (
            (own, role in ("coordinator", "animateur")),
            (other, role in ("coordinator", "animateur_b")),
        ):
            url = reverse("pme:follow-up-declaration-validate", args=[declaration.pk])
            assert client.post(url).status_code == (302 if allowed else 404), (role, declaration)
            declaration.refresh_from_db()
            expected = DeclarationStatus.VALIDATED if allowed else DeclarationStatus.DECLARED
            assert declaration.status == expected

    def test_correct_is_refused_out_of_reach(self, world, client, role):
        own = make_declared(world, world.a)
        client.force_login(world.user(role))
        url = reverse("pme:follow-up-declaration-correct", args=[own.pk])
        response = client.post(url, {**FIGURES, "source": "verified", "headcount": "8"})
        allowed = role in ("coordinator", "animateur")
        assert response.status_code == (302 if allowed else 404), role
        own.refresh_from_db()
        assert own.headcount == 20
        assert own.status == (
            DeclarationStatus.CORRECTED if allowed else DeclarationStatus.DECLARED
        )


def panel_html(user):
    request = RequestFactory().get("/")
    request.user = user
    active = scope_for_user(user)
    with scope(active.dispositif_ids, every_dispositif=active.everything, reason="panel test"):
        panel = follow_up_declarations_panel(request)
        return panel, render_to_string(panel["template"], {"panel": panel})


def test_panel_query_count_does_not_grow(world):
    make_declared(world, world.a)
    assert panel_html(world.animateur_a)[0]["total"] == 1

    def more_rows():
        for _ in range(4):
            make_declared(world, world.a)

    panel, html = assert_queries_do_not_grow(
        "home panel: follow-ups declared by SMEs",
        lambda: panel_html(world.animateur_a),
        more_rows,
    )
    assert panel["total"] == 5 and html.count("<tr>") == 6
    assert follow_up_declarations_panel_for(world.member_a) is None


def follow_up_declarations_panel_for(user):
    request = RequestFactory().get("/")
    request.user = user
    return follow_up_declarations_panel(request)
