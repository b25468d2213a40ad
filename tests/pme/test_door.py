"""The SME's own door, « Déposer un projet » (docs/architecture.md §16): the public pages, the
pending submission nobody sees, the signed confirmation link (expired, altered, clicked
twice), the company matched by SIREN with its differences, the perimeter's answer, the size
limits, the robots' traps and the limits per IP and per address."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from alize import links
from alize.tenancy import ScopeError, public_door_scope, scope
from dispositifs.models import DispositifStatus
from pme.door.forms import new_stamp
from pme.door.tokens import CONFIRM_PURPOSE
from pme.models import Company, Project, ProjectSource, SelfReferral, SelfReferralStatus, Stage
from pme.panels import self_referrals_panel
from pme.tasks import purge_self_referrals
from tests.factories import CompanyFactory, DispositifFactory, SkillFactory
from tests.pme.test_next_step import render_panel
from tests.query_counts import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

SIRET = "55208131700018"  # SIREN 552081317
FILL_SECONDS = 30


@pytest.fixture(autouse=True)
def jobs_run_at_once(monkeypatch):
    """The mails are jobs queued on commit; here they run in the test, at once."""
    from alize.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def form_data(dispositif, **changes) -> dict:
    data = {
        "siret": "552 081 317 00018",
        "name": "Chaudronnerie du Hainaut",
        "naf_code": "2562b",
        "creation_date": "2012-05-14",
        "headcount": "38",
        "turnover": "4 200 000",
        "commune_code": "Valenciennes (59606)",
        "contact_name": "Claire Dupont",
        "contact_role": "Gérante",
        "contact_email": "claire.dupont@chaudronnerie.example",
        "contact_phone": "03 27 00 00 00",
        "title": "Nouvelle ligne de découpe laser",
        "project_type": "investment",
        "description": "Une ligne de découpe laser pour répondre aux commandes ferroviaires.",
        "jobs_at_start": "38",
        "jobs_planned_3y": "46",
        "total_budget": "450 000",
        "financing_plan": "Prêt bancaire de 300 000 €, fonds propres.",
        "requested_advance": "12 000",
        "website": "",
        "stamp": new_stamp(dispositif.pk),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def submit(client, time_machine, django_capture_on_commit_callbacks):
    """POST the form of ``dispositif`` as a person would: stamped, then filled in
    ``FILL_SECONDS``; what the request queued on commit runs."""

    def post(dispositif, *, ip="192.0.2.10", wait=FILL_SECONDS, **changes):
        data = form_data(dispositif, **changes)
        time_machine.shift(wait)
        url = reverse("door:submit", args=[dispositif.slug])
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data, REMOTE_ADDR=ip)

    return post


def stored(model):
    return model.unscoped_objects.count()


def confirm_link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    (url,) = re.findall(r"https?://\S+/deposer-un-projet/confirmer/\S+/", text)
    return urlsplit(url).path


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    def post(path):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path)

    return post


# --- The public pages ----------------------------------------------------------------------


def test_the_index_lists_the_active_dispositifs_and_their_communes(world, client):
    DispositifFactory(name="Alizé fermé test", slug="ferme-test", status=DispositifStatus.CLOSED)
    response = client.get(reverse("door:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Alizé Valenciennes test" in page and "Alizé Chambéry test" in page
    assert reverse("door:submit", args=["valenciennes-test"]) in page
    assert "Valenciennes" in page and "Chambéry" in page  # the communes, by name
    assert "Alizé fermé test" not in page
    assert 'id="donnees-personnelles"' in page
    assert (
        response["Cache-Control"].startswith("max-age=0") or "no-cache" in response["Cache-Control"]
    )


def test_the_index_reads_a_constant_number_of_queries(world, client):
    assert_queries_do_not_grow(
        "door:index",
        lambda: client.get(reverse("door:index")),
        lambda: [DispositifFactory() for _ in range(3)],
    )


def test_a_dispositifs_page_shows_its_words_its_contact_and_the_privacy_notice(world, client):
    with scope([world.a]):
        world.a.public_intro = "Le dispositif du Valenciennois aide les PME industrielles."
        world.a.public_contact_name = "Marc Lefebvre"
        world.a.public_contact_email = "m.lefebvre@cci-valenciennes.example"
        world.a.public_contact_phone = "03 27 51 31 31"
        world.a.save()
    response = client.get(reverse("door:submit", args=[world.a.slug]))
    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Le dispositif du Valenciennois aide les PME industrielles.",
        "Marc Lefebvre",
        "m.lefebvre@cci-valenciennes.example",
        "03 27 51 31 31",
        "Valenciennes",
        "Ce que deviennent vos données",
        "rubrique « Déposer un projet »",
        'href="#donnees-personnelles"',
    ):
        assert text in page, text
    assert 'name="stamp"' in page and 'name="website"' in page


def test_an_unknown_or_closed_dispositif_has_no_page(world, client):
    closed = DispositifFactory(slug="closed-test", status=DispositifStatus.SUSPENDED)
    assert client.get(reverse("door:submit", args=["nowhere"])).status_code == 404
    assert client.get(reverse("door:submit", args=[closed.slug])).status_code == 404
    assert client.post(reverse("door:submit", args=[closed.slug]), {}).status_code == 404
    assert client.get(reverse("door:sent", args=["nowhere"])).status_code == 404


# --- Submission, confirmation, the animateur's to-do ---------------------------------------


def test_a_submission_waits_unseen_until_the_link_of_its_mail_is_opened(
    world, client, submit, confirm, smtp_server
):
    needs = [SkillFactory(name="Méthodes industrielles", slug="methodes-test")]
    response = submit(world.a, needs=[str(needs[0].pk)])
    assert response.status_code == 302
    assert response["Location"] == reverse("door:sent", args=[world.a.slug])
    assert client.get(response["Location"]).status_code == 200
    referral = SelfReferral.unscoped_objects.get()
    assert (referral.dispositif_id, referral.status) == (world.a.pk, SelfReferralStatus.PENDING)
    assert referral.data["company"]["siren"] == "552081317"
    assert (stored(Company), stored(Project)) == (0, 0)

    (message,) = smtp_server.messages
    assert message["To"] == "claire.dupont@chaudronnerie.example"
    assert "Alizé Valenciennes test" in message["Subject"]
    link = confirm_link(message)

    # Nothing shows to the animateur before the confirmation.
    client.force_login(world.animateur_a)
    assert "Nouvelle ligne de découpe laser" not in client.get(reverse("home")).content.decode()
    client.logout()

    opened = client.get(link)
    assert opened.status_code == 200
    assert "Confirmer et transmettre" in opened.content.decode()
    assert stored(Project) == 0  # opening the link (a mail scanner) confirms nothing

    done = confirm(link)
    assert done.status_code == 200
    assert "Votre projet est transmis" in done.content.decode()
    project = Project.unscoped_objects.get()
    company = project.company
    assert (project.dispositif_id, project.stage) == (world.a.pk, Stage.REFERRED)
    assert project.source == ProjectSource.SELF_REFERRAL
    assert project.created_by is None and project.referred_by is None
    assert (project.jobs_at_start, project.jobs_planned_3y) == (38, 46)
    assert str(project.requested_advance) == "12000.00"
    assert list(project.needs.values_list("pk", flat=True)) == [needs[0].pk]
    assert (company.siren, company.siret, company.naf_code) == ("552081317", SIRET, "25.62B")
    assert (company.commune_code, company.commune_name) == ("59606", "Valenciennes")
    assert company.contact_email == "claire.dupont@chaudronnerie.example"
    referral.refresh_from_db()
    assert referral.status == SelfReferralStatus.CONFIRMED
    assert referral.data == {} and referral.project_id == project.pk
    with scope([world.a]):
        assert project.transitions.get().to_stage == Stage.REFERRED

    acknowledgement = smtp_server.messages[1]
    assert "transmis" in acknowledgement["Subject"]
    assert len(smtp_server.messages) == 2

    # Twice: one project, one acknowledgement, and the page says so.
    again = confirm(link)
    assert again.status_code == 200
    assert "déjà été utilisé" in again.content.decode()
    assert client.get(link).status_code == 200
    assert (stored(Project), stored(Company), len(smtp_server.messages)) == (1, 1, 2)


def test_the_confirmed_project_is_on_its_animateurs_to_do_only(
    world, client, submit, confirm, smtp_server
):
    submit(world.a)
    confirm(confirm_link(smtp_server.messages[0]))
    project = Project.unscoped_objects.get()

    client.force_login(world.animateur_a)
    home = client.get(reverse("home")).content.decode()
    assert 'id="panel-self-referrals"' in home
    assert reverse("pme:project-detail", args=[project.pk]) in home
    detail = client.get(reverse("pme:project-detail", args=[project.pk])).content.decode()
    assert "Déposé par l'entreprise" in detail

    client.force_login(world.animateur_b)
    home_b = client.get(reverse("home")).content.decode()
    assert "Nouvelle ligne de découpe laser" not in home_b
    assert client.get(reverse("pme:project-detail", args=[project.pk])).status_code == 404
    assert render_panel(self_referrals_panel, world.coordinator) is None
    assert render_panel(self_referrals_panel, world.member_a) is None


SIRETS = ["55208131700018", "73282932000074", "44306184100047"]


def test_the_to_do_panel_reads_a_constant_number_of_queries(world, submit, confirm, smtp_server):
    def one_more(n):
        smtp_server.clear()
        submit(world.a, ip=f"192.0.2.{n + 1}", contact_email=f"pme{n}@example.org", siret=SIRETS[n])
        confirm(confirm_link(smtp_server.messages[0]))

    one_more(0)
    panel = assert_queries_do_not_grow(
        "home panel: self-referrals",
        lambda: render_panel(self_referrals_panel, world.animateur_a),
        lambda: [one_more(n) for n in (1, 2)],
    )
    assert panel["total"] == 3


def test_a_known_siren_is_matched_and_its_differences_shown_not_written(
    world, client, submit, confirm, smtp_server
):
    known = CompanyFactory(
        dispositif=world.a,
        siren="552081317",
        siret="",
        name="Chaudronnerie du Hainaut SARL",
        headcount=12,
        contact_email="",
    )
    submit(world.a)
    confirm(confirm_link(smtp_server.messages[0]))
    project = Project.unscoped_objects.get()
    assert project.company_id == known.pk and stored(Company) == 1
    known.refresh_from_db()
    assert (known.name, known.headcount, known.siret) == ("Chaudronnerie du Hainaut SARL", 12, "")
    referral = SelfReferral.unscoped_objects.get()
    assert referral.company_matched
    by_field = {row["field"]: row for row in referral.differences}
    assert by_field["headcount"] == {"field": "headcount", "known": "12", "submitted": "38"}
    assert by_field["name"]["submitted"] == "Chaudronnerie du Hainaut"
    assert by_field["siret"] == {"field": "siret", "known": "", "submitted": SIRET}
    assert "creation_date" in by_field  # the factory's date differs from the one typed

    client.force_login(world.animateur_a)
    detail = client.get(reverse("pme:project-detail", args=[project.pk])).content.decode()
    assert 'data-table="self-referral-differences"' in detail
    assert 'data-field="headcount"' in detail
    home = client.get(reverse("home")).content.decode()
    assert "données à vérifier" in home


def test_the_same_siren_in_another_dispositif_is_another_company(
    world, submit, confirm, smtp_server
):
    CompanyFactory(dispositif=world.b, siren="552081317", commune_code="73065")
    submit(world.a)
    confirm(confirm_link(smtp_server.messages[0]))
    project = Project.unscoped_objects.get()
    assert project.company.dispositif_id == world.a.pk
    assert SelfReferral.unscoped_objects.get().company_matched is False


# --- Links that cannot be used ---------------------------------------------------------------


def test_an_expired_link_stores_nothing_and_says_so(
    world, client, submit, confirm, smtp_server, time_machine
):
    submit(world.a)
    link = confirm_link(smtp_server.messages[0])
    time_machine.shift(dt.timedelta(hours=48, seconds=1))
    opened = client.get(link)
    assert opened.status_code == 410
    assert "Ce lien a expiré" in opened.content.decode()
    refused = confirm(link)
    assert refused.status_code == 410 and "rien n'a été transmis" in refused.content.decode()
    assert (stored(Project), stored(Company)) == (0, 0)


def test_a_pending_row_past_its_time_is_refused_even_with_a_fresh_link(
    world, client, submit, smtp_server, time_machine
):
    submit(world.a)
    referral = SelfReferral.unscoped_objects.get()
    with scope([world.a]):
        SelfReferral.objects.filter(pk=referral.pk).update(expires_at=referral.submitted_at)
    response = client.post(confirm_link(smtp_server.messages[0]))
    assert response.status_code == 410
    assert stored(Project) == 0


def test_an_altered_link_stores_nothing_and_says_so(world, client, submit, confirm, smtp_server):
    submit(world.a)
    link = confirm_link(smtp_server.messages[0])
    token = link.rstrip("/").rsplit("/", 1)[1]
    altered = reverse(
        "door:confirm", args=[token[:-2] + ("AA" if not token.endswith("AA") else "BB")]
    )
    for response in (client.get(altered), confirm(altered)):
        assert response.status_code == 400
        assert "Ce lien n'est pas valide" in response.content.decode()
    # A token signed for another purpose, or naming another dispositif's row, is no better.
    other = links.make("pme-door-form", {"r": 1, "d": world.a.pk})
    assert client.post(reverse("door:confirm", args=[other])).status_code == 400
    referral = SelfReferral.unscoped_objects.get()
    elsewhere = links.make(CONFIRM_PURPOSE, {"r": referral.pk, "d": world.b.pk})
    assert confirm(reverse("door:confirm", args=[elsewhere])).status_code == 410
    assert (stored(Project), stored(Company)) == (0, 0)


# --- Perimeter and sizes -----------------------------------------------------------------------


def test_a_commune_of_another_dispositif_is_sent_there(world, submit, smtp_server):
    response = submit(world.a, commune_code="Chambéry (73065)")
    assert response.status_code == 400
    page = response.content.decode()
    (error,) = response.context["form"].errors["commune_code"]
    assert error.startswith("Cette commune n'est pas dans le périmètre de Alizé Valenciennes test")
    assert "Alizé Chambéry test" in error
    assert reverse("door:submit", args=[world.b.slug]) in page
    assert stored(SelfReferral) == 0 and smtp_server.messages == []


def test_a_commune_outside_every_perimeter_lists_the_dispositifs_and_stores_nothing(
    world, submit, smtp_server
):
    response = submit(world.a, commune_code="Paris (75056)")
    assert response.status_code == 400
    page = response.content.decode()
    assert "Aucun dispositif Alizé ne couvre cette commune" in page
    assert 'id="autres-dispositifs"' in page
    assert "Alizé Valenciennes test" in page and "Alizé Chambéry test" in page
    assert stored(SelfReferral) == 0 and smtp_server.messages == []


def test_every_field_has_a_size_limit(world, client, submit):
    response = submit(
        world.a,
        name="x" * 201,
        description="x" * 3001,
        financing_plan="x" * 2001,
        contact_phone="0" * 31,
        headcount="1000001",
        siret="5" * 21,
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"name", "description", "financing_plan", "contact_phone", "headcount", "siret"} <= set(
        errors
    )
    assert stored(SelfReferral) == 0
    huge = client.post(
        reverse("door:submit", args=[world.a.slug]),
        form_data(world.a, description="x" * 70_000),
    )
    assert huge.status_code == 413
    assert stored(SelfReferral) == 0


def test_a_bad_siret_is_an_error_on_its_field(world, submit):
    response = submit(world.a, siret="55208131700011")
    assert response.status_code == 400
    assert "SIRET valide" in " ".join(response.context["form"].errors["siret"])


# --- Robots and limits -------------------------------------------------------------------------


def test_a_robot_filling_the_hidden_field_is_thanked_and_nothing_is_stored(
    world, submit, smtp_server
):
    response = submit(world.a, website="https://spam.example")
    assert response.status_code == 302
    assert response["Location"] == reverse("door:sent", args=[world.a.slug])
    assert stored(SelfReferral) == 0 and smtp_server.messages == []


@pytest.mark.parametrize(
    "stamp",
    ["fresh", "missing", "forged", "other dispositif"],
)
def test_a_form_sent_too_fast_or_unstamped_comes_back_with_a_new_stamp(
    world, submit, smtp_server, stamp
):
    changes = {
        "fresh": {"wait": 1},
        "missing": {"stamp": None},
        "forged": {"stamp": "not-a-stamp"},
        "other dispositif": {"stamp": new_stamp(world.b.pk)},
    }[stamp]
    response = submit(world.a, **changes)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.stamp_error and form.non_field_errors()
    refreshed = links.read("pme-door-form", form.data["stamp"], max_age=60)
    assert refreshed.payload == {"d": world.a.pk}
    assert stored(SelfReferral) == 0 and smtp_server.messages == []


def test_the_sixth_submission_from_one_ip_in_an_hour_answers_429(world, submit, time_machine):
    for n in range(5):
        assert submit(world.a, contact_email=f"pme{n}@example.org").status_code == 302
    refused = submit(world.a, contact_email="pme6@example.org")
    assert refused.status_code == 429
    assert 3000 < int(refused["Retry-After"]) <= 3600
    assert "Trop de projets déposés" in refused.content.decode()
    assert stored(SelfReferral) == 5
    # Another address is not held up, and this one is served again after the hour.
    assert submit(world.a, ip="198.51.100.7", contact_email="pme6@example.org").status_code == 302
    time_machine.shift(dt.timedelta(hours=1))
    assert submit(world.a, contact_email="pme7@example.org").status_code == 302


def test_one_address_is_limited_from_any_ip(world, submit):
    for n in range(3):
        assert submit(world.a, ip=f"192.0.2.{n + 1}").status_code == 302
    refused = submit(world.a, ip="192.0.2.9")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert stored(SelfReferral) == 3


# --- The purge and the one anonymous write path ----------------------------------------------


def test_the_purge_deletes_only_unconfirmed_submissions_past_their_time(
    world, submit, confirm, smtp_server, time_machine
):
    submit(world.a)
    confirm(confirm_link(smtp_server.messages[0]))
    submit(world.a, contact_email="autre@example.org", siret="73282932000074")
    time_machine.shift(dt.timedelta(hours=47))
    submit(world.a, contact_email="recent@example.org", ip="192.0.2.50")
    time_machine.shift(dt.timedelta(hours=2))
    purge_self_referrals.apply(kwargs={})  # national: one run per dispositif
    left = SelfReferral.unscoped_objects.order_by("pk")
    assert [r.email for r in left] == ["claire.dupont@chaudronnerie.example", "recent@example.org"]
    assert left[0].status == SelfReferralStatus.CONFIRMED


def test_the_public_door_scope_reaches_its_dispositif_and_no_other(world, strict_row_security):
    mine = CompanyFactory(dispositif=world.a)
    theirs = CompanyFactory(dispositif=world.b, commune_code="73065")
    with pytest.raises(ScopeError):
        Company.objects.count()  # a public request has no scope
    with public_door_scope(world.a.pk, door="test"):
        assert list(Company.objects.values_list("pk", flat=True)) == [mine.pk]
        assert not Company.unscoped_objects.filter(pk=theirs.pk).exists()  # PostgreSQL's wall
        with pytest.raises(PermissionDenied):
            Company(dispositif=world.b, siren="552081317", name="x").save()
    with pytest.raises(TypeError), public_door_scope([world.a.pk, world.b.pk], door="test"):  # type: ignore[arg-type]
        pass
    with pytest.raises(ValueError), public_door_scope(world.a.pk, door=""):
        pass
