"""The admin never writes around the services (as data, in the manner of tests/test_rules.py).

Every model the admin shows (registered, or in an inline) is declared with the services that
write it and the reason for what its admin allows. A model with a service, declared or named
after it (``<model>_<action>`` in a services module), is read-only in the admin
(``ReadOnlyAdminMixin``: no add, change or delete, inlines included) or saved through its
services (``ServiceModelAdmin``), unless listed in ``EDITABLE_AROUND_SERVICES`` with a reason.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from unittest import mock

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from alize.accounts.models import User
from alize.admin import ServiceModelAdmin
from alize.tenancy import scope
from dispositifs import services as dispositif_services
from dispositifs.models import Dispositif, Membership
from loans import services as loan_services
from loans.models import Fund
from partners import services as partner_services
from partners.models import Organisation
from pme.models import Company, Project
from tests.factories import project_at


@dataclass(frozen=True)
class Writers:
    """The services (dotted paths) that write a model, and why its admin is what it is."""

    services: tuple[str, ...]
    reason: str


_READ_ONLY = "read-only: changed on the browser pages, through the services"
_STATEMENTS = "read-only: statements are imported and decided on the fund's pages"
_LEDGER = "read-only: money moves only through loans.services, which write the ledger"

ADMIN_MODELS: dict[str, Writers] = {
    # Third-party models, written by no service of the project.
    "auth.Group": Writers((), "Django's groups; roles are data (RoleAssignment), no service"),
    "authtoken.TokenProxy": Writers((), "API tokens, issued by create_api_client; revocable"),
    "django_celery_beat.PeriodicTask": Writers((), "schedules edited in the admin (README)"),
    "django_celery_beat.ClockedSchedule": Writers((), "part of the schedules (README)"),
    "django_celery_beat.CrontabSchedule": Writers((), "part of the schedules (README)"),
    "django_celery_beat.IntervalSchedule": Writers((), "part of the schedules (README)"),
    "django_celery_beat.SolarSchedule": Writers((), "part of the schedules (README)"),
    "otp_totp.TOTPDevice": Writers(
        (), "django-otp's devices, secrets hidden (OTP_ADMIN_HIDE_SENSITIVE_DATA); withdrawn here"
    ),
    # Core.
    "alize.Job": Writers((), "the outbox, written by the job base and the sweeper; read-only"),
    "alize.JobFailure": Writers((), "recorded by the job base; read-only"),
    "alize.SentMail": Writers(
        ("alize.mail.send_once", "alize.mail.sent_mails_release"),
        "read-only; its one action, releasing a stale claim (README), calls the mail layer",
    ),
    "accounts.User": Writers(
        ("alize.accounts.services.user_language_set", "partners.services.expert_invite"),
        "accounts are created and managed in the admin (see EDITABLE_AROUND_SERVICES)",
    ),
    "accounts.RoleAssignment": Writers(
        ("partners.services.expert_invite",),
        "roles are granted in the admin (see EDITABLE_AROUND_SERVICES)",
    ),
    "alize.ErasureRecord": Writers(
        ("alize.personal_data.services.person_erase",),
        "read-only: the record of erasures, written by the erasure service",
    ),
    "alize.RetentionReport": Writers(
        ("alize.personal_data.services.retention_apply",),
        "read-only: what each run of the retention job did",
    ),
    "accounts.LoginFailure": Writers((), "the lockout's record of failed logins; no service"),
    # Directory.
    "partners.Organisation": Writers(
        ("partners.services.organisation_create", "partners.services.organisation_update"),
        "saved through the services: the admin is where the coordination manages them",
    ),
    "partners.Skill": Writers((), "a reference list; no service, edited in the admin"),
    "partners.Expert": Writers(
        (
            "partners.services.expert_create",
            "partners.services.expert_update",
            "partners.services.expert_invite",
        ),
        "read-only: managed on the firm's pages; accounts are linked by invitation only",
    ),
    "partners.ExpertRate": Writers((), "the rates of expert hours; no service, edited here"),
    # Tenant.
    "dispositifs.Dispositif": Writers(
        ("dispositifs.services.dispositif_create", "dispositifs.services.dispositif_update"),
        "saved through the services: the coordination opens dispositifs in the admin",
    ),
    "dispositifs.Membership": Writers(
        ("dispositifs.services.membership_create", "dispositifs.services.membership_update"),
        "saved through the services; read-only in the dispositif's inline",
    ),
    # Pipeline.
    "pme.Company": Writers(
        (
            "pme.services.company_create",
            "pme.services.company_update",
            "pme.services.company_record_exception",
        ),
        _READ_ONLY + " (SIREN per dispositif, eligibility exceptions)",
    ),
    "pme.Project": Writers(
        ("pme.services.project_create", "pme.services.project_update"),
        _READ_ONLY + " (advance bounds, the stage machine)",
    ),
    "pme.StageTransition": Writers(
        ("pme.services.project_create", "pme.services.project_transition"),
        "the timeline written by the stage machine; read-only inline",
    ),
    "pme.JobsFollowUp": Writers(
        ("pme.services.follow_up_record", "pme.services.follow_up_delete"),
        _READ_ONLY,
    ),
    "pme.FollowUpReminder": Writers(
        ("pme.services.follow_up_reminders_refresh", "pme.services.follow_up_record"),
        "read-only: created by the reminder job, resolved by a recorded follow-up",
    ),
    "pme.FollowUpDeclaration": Writers(
        (
            "pme.services.follow_up_declarations_request",
            "pme.services.follow_up_declaration_submit",
            "pme.services.follow_up_declaration_validate",
            "pme.services.follow_up_declaration_correct",
        ),
        "read-only: asked by the daily job, declared through the SME's link, reviewed on the "
        "browser pages",
    ),
    # Committees.
    "committees.Committee": Writers(
        ("committees.services.committee_schedule", "committees.services.committee_update"),
        _READ_ONLY,
    ),
    "committees.AgendaItem": Writers(
        ("committees.services.agenda_add_project", "committees.services.agenda_remove_item"),
        "read-only: the agenda moves the project's stage",
    ),
    "committees.Attendance": Writers(("committees.services.attendance_record_roster",), _READ_ONLY),
    "committees.PartnerCommitment": Writers(
        ("committees.services.commitment_record", "committees.services.commitment_delete"),
        _READ_ONLY,
    ),
    "committees.Decision": Writers(
        ("committees.services.committee_record_decision",),
        "read-only: a decision moves the project's stage",
    ),
    "committees.DecisionCorrection": Writers(
        ("committees.services.committee_correct_decision",), _READ_ONLY
    ),
    # Missions.
    "missions.SkillMission": Writers(
        ("missions.services.mission_create", "missions.services.mission_start"), _READ_ONLY
    ),
    "missions.MissionAssignment": Writers(("missions.services.mission_assign_expert",), _READ_ONLY),
    "missions.MissionTransition": Writers(("missions.services.mission_create",), _READ_ONLY),
    "missions.HourLog": Writers(
        ("missions.services.hour_log_delete", "missions.services.hour_adjustment_create"),
        "read-only: hours are logged and adjusted through the services (closed months)",
    ),
    "missions.ClosedMonth": Writers(("missions.services.month_close",), _READ_ONLY),
    # Loans.
    "loans.Fund": Writers(
        ("loans.services.fund_create", "loans.services.fund_rename"),
        "saved through the services (a name unique in its dispositif)",
    ),
    "loans.FundContribution": Writers(("loans.services.contribution_record",), _LEDGER),
    "loans.Advance": Writers(("loans.services.advance_create",), _LEDGER),
    "loans.AdvanceTransition": Writers(("loans.services.advance_create",), _LEDGER),
    "loans.Instalment": Writers(("loans.services.advance_reschedule",), _LEDGER),
    "loans.Repayment": Writers(("loans.services.repayment_record",), _LEDGER),
    "loans.RepaymentAllocation": Writers(("loans.services.repayment_record",), _LEDGER),
    "loans.RepaymentReversal": Writers(("loans.services.repayment_reverse",), _LEDGER),
    "loans.WriteOff": Writers(("loans.services.write_off_propose",), _LEDGER),
    "loans.Cofinancing": Writers(("loans.services.cofinancing_create",), _LEDGER),
    "loans.JournalTransaction": Writers(("loans.ledger.post",), _LEDGER),
    "loans.LedgerLine": Writers(("loans.ledger.post",), _LEDGER),
    "loans.PortfolioSnapshot": Writers(("loans.services.arrears_refresh",), _LEDGER),
    "loans.ProvisionRate": Writers(
        ("loans.services.provision_rates_set",),
        "read-only: a fund's table is checked whole by its service (fund page, API)",
    ),
    "loans.BankStatement": Writers(("loans.services.statement_import",), _STATEMENTS),
    "loans.BankStatementLine": Writers(
        (
            "loans.services.statement_import",
            "loans.services.statement_line_confirm",
            "loans.services.statement_line_dismiss",
        ),
        _STATEMENTS,
    ),
    "loans.StatementColumnMapping": Writers(("loans.services.column_mapping_save",), _STATEMENTS),
    "loans.DirectDebitMandate": Writers(
        ("loans.services.mandate_create", "loans.services.mandate_revoke"), _LEDGER
    ),
    "loans.DirectDebitCollection": Writers(("loans.services.collection_generate",), _LEDGER),
    "loans.DirectDebitLine": Writers(("loans.services.collection_generate",), _LEDGER),
    # Reporting.
    "reporting.Document": Writers(
        ("reporting.services.document_request",), "read-only: documents are built by jobs"
    ),
}

# Models that a service writes but that the admin still edits directly, and why.
EDITABLE_AROUND_SERVICES = {
    "accounts.User": "accounts and their rights are managed in the admin; the services only "
    "set a language preference and give an invited expert an account",
    "accounts.RoleAssignment": "roles are granted in the admin (README: roles are data); "
    "the only service that writes one gives an invited expert the expert role",
}


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = User(email="referee@example.org", is_active=True, is_staff=True)
    request.user.is_superuser = True
    return request


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _services_modules():
    """The ``services`` module of each of the project's apps."""
    found = []
    for app in apps.get_app_configs():
        if not app.path.startswith(str(settings.BASE_DIR)):
            continue
        try:
            found.append(importlib.import_module(f"{app.name}.services"))
        except ModuleNotFoundError:
            continue
    return found


def _defined_in(function, module) -> bool:
    """Is ``function`` defined in ``module`` or, for a package, in one of its submodules?"""
    return function.__module__ == module.__name__ or (
        hasattr(module, "__path__") and function.__module__.startswith(module.__name__ + ".")
    )


def named_services(model) -> list[str]:
    """Public functions of the services modules named after the model (``company_update``)."""
    prefix = _snake(model.__name__) + "_"
    return [
        f"{module.__name__}.{name}"
        for module in _services_modules()
        for name, function in vars(module).items()
        if inspect.isfunction(function)
        and _defined_in(function, module)
        and name.startswith(prefix)
    ]


def _resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _inlines(model_admin):
    return [inline(model_admin.model, model_admin.admin_site) for inline in model_admin.inlines]


def _is_read_only(page, request) -> bool:
    if isinstance(page, admin.options.InlineModelAdmin):
        return not (
            page.has_add_permission(request, None)
            or page.has_change_permission(request, None)
            or (page.can_delete and page.has_delete_permission(request, None))
        )
    return not (
        page.has_add_permission(request)
        or page.has_change_permission(request, None)
        or page.has_delete_permission(request, None)
    )


def _saves_through_services(page) -> bool:
    return (
        isinstance(page, ServiceModelAdmin)
        and type(page).create_through_service is not ServiceModelAdmin.create_through_service
        and type(page).update_through_service is not ServiceModelAdmin.update_through_service
    )


def _has_service(model) -> bool:
    declared = ADMIN_MODELS.get(model._meta.label)
    return bool((declared and declared.services) or named_services(model))


def violations(registry) -> list[str]:
    """Admin pages (and inlines) that edit a model with a service without calling it."""
    request = _superuser_request()
    found = []
    for model, model_admin in registry.items():
        pages = [(model_admin, True), *((inline, False) for inline in _inlines(model_admin))]
        for page, registered in pages:
            label = page.model._meta.label
            if not _has_service(page.model) or label in EDITABLE_AROUND_SERVICES:
                continue
            if _is_read_only(page, request) or (registered and _saves_through_services(page)):
                continue
            found.append(f"{label} is editable in {type(page).__name__} around its services")
    return found


def _admin_models() -> set[str]:
    labels = set()
    for model, model_admin in admin.site._registry.items():
        labels.add(model._meta.label)
        labels.update(inline.model._meta.label for inline in _inlines(model_admin))
    return labels


def test_every_model_in_the_admin_is_declared():
    assert _admin_models() == set(ADMIN_MODELS)


@pytest.mark.parametrize("label", sorted(ADMIN_MODELS))
def test_declared_services_exist_in_a_module_that_knows_their_model(label):
    model = apps.get_model(label)
    for dotted in ADMIN_MODELS[label].services:
        function = _resolve(dotted)
        assert inspect.isfunction(function), dotted
        source = inspect.getsource(inspect.getmodule(function))
        assert model.__name__ in source or "get_user_model()" in source, dotted


def test_no_admin_edits_a_model_around_its_services():
    assert violations(admin.site._registry) == []


def test_a_planted_editable_admin_is_reported():
    """A plain ModelAdmin on a model with services is caught; read-only or service-calling
    pages of the same model are not."""
    site = admin.AdminSite(name="planted")
    plain = admin.ModelAdmin(Company, site)
    assert violations({Company: plain}) == [
        "pme.Company is editable in ModelAdmin around its services"
    ]
    assert violations({Company: admin.site._registry[Company]}) == []
    assert violations({Fund: admin.site._registry[Fund]}) == []


def test_a_service_named_after_a_model_counts_even_when_undeclared():
    assert "pme.services.company_update" in named_services(Company)
    assert named_services(apps.get_model("partners.Skill")) == []


def test_exemptions_are_needed():
    """An exemption for a model without services, or one the admin no longer edits, is
    stale and must go."""
    request = _superuser_request()
    for label in EDITABLE_AROUND_SERVICES:
        model = apps.get_model(label)
        assert _has_service(model), label
        pages = [admin.site._registry.get(model)] + [
            inline
            for model_admin in admin.site._registry.values()
            for inline in _inlines(model_admin)
            if inline.model is model
        ]
        assert any(page and not _is_read_only(page, request) for page in pages), label


# The service-calling pages, used as the coordination uses them --------------------------


@pytest.fixture
def coordinator_client(world, client):
    world.coordinator.is_staff = world.coordinator.is_superuser = True
    world.coordinator.save()
    client.force_login(world.coordinator)
    return client


def posted(response, **changes) -> dict:
    """What the browser posts from an admin page left as shown, with ``changes`` made."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    for inline in response.context.get("inline_admin_formsets", []):
        management = inline.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_a_fund_is_renamed_through_the_service_and_its_refusal_shows_on_the_form(
    world, coordinator_client
):
    with scope([world.a]):
        fund = loan_services.fund_create(dispositif=world.a, name="Fonds Hainaut")
        loan_services.fund_create(dispositif=world.a, name="Fonds Escaut")
    change = reverse("admin:loans_fund_change", args=[fund.pk])
    page = coordinator_client.get(change)
    assert "dispositif" not in page.context["adminform"].form.fields

    # The database constraint is case-sensitive; the service's check is not.
    refused = coordinator_client.post(change, posted(page, name="FONDS ESCAUT"))
    assert refused.status_code == 200
    assert "Ce dispositif a déjà un fonds de ce nom." in refused.context["errors"][0]

    with mock.patch.object(loan_services, "fund_rename", wraps=loan_services.fund_rename) as rename:
        saved = coordinator_client.post(change, posted(page, name="Fonds Valenciennes"))
    assert saved.status_code == 302
    assert rename.call_args.kwargs["name"] == "Fonds Valenciennes"
    with scope([world.a]):
        names = set(Fund.objects.values_list("name", flat=True))
    assert names == {"Fonds Valenciennes", "Fonds Escaut"}


def test_a_fund_is_added_through_the_service(world, coordinator_client):
    add = reverse("admin:loans_fund_add")
    page = coordinator_client.get(add)
    with mock.patch.object(loan_services, "fund_create", wraps=loan_services.fund_create) as create:
        response = coordinator_client.post(
            add, posted(page, dispositif=world.a.pk, name="Fonds nouveau")
        )
    assert response.status_code == 302
    assert create.called
    with scope([world.a]):
        fund = Fund.objects.get(name="Fonds nouveau")
    assert response.url == reverse("admin:loans_fund_changelist")
    assert fund.dispositif_id == world.a.pk


def test_a_dispositif_is_changed_through_the_service(world, coordinator_client):
    change = reverse("admin:dispositifs_dispositif_change", args=[world.a.pk])
    page = coordinator_client.get(change)
    with mock.patch.object(
        dispositif_services, "dispositif_update", wraps=dispositif_services.dispositif_update
    ) as update:
        response = coordinator_client.post(
            change, posted(page, perimeter="Valenciennes\nAnzin (59014)\nDenain")
        )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert update.called
    world.a.refresh_from_db()
    assert world.a.perimeter == ["59606", "59014", "59172"]

    # Bounds the other way round: refused on the form, nothing saved.
    refused = coordinator_client.post(change, posted(page, advance_min="20000", advance_max="100"))
    assert refused.status_code == 200 and refused.context["errors"]
    with scope([world.a]):
        assert Dispositif.objects.get(pk=world.a.pk).advance_max != 100


def test_a_seat_is_changed_through_the_service_and_keeps_its_dispositif(world, coordinator_client):
    with scope([world.a]):
        seat = Membership.objects.get(dispositif=world.a, organisation=world.firm_a)
    change = reverse("admin:dispositifs_membership_change", args=[seat.pk])
    page = coordinator_client.get(change)
    assert "dispositif" not in page.context["adminform"].form.fields
    with mock.patch.object(
        dispositif_services, "membership_update", wraps=dispositif_services.membership_update
    ) as update:
        response = coordinator_client.post(change, posted(page, pledged_hours_per_year="321"))
    assert response.status_code == 302
    assert update.called
    with scope([world.a]):
        seat.refresh_from_db()
    assert seat.pledged_hours_per_year == 321 and seat.dispositif_id == world.a.pk


def test_an_organisation_is_added_through_the_service(world, coordinator_client):
    add = reverse("admin:partners_organisation_add")
    page = coordinator_client.get(add)
    with mock.patch.object(
        partner_services, "organisation_create", wraps=partner_services.organisation_create
    ) as create:
        response = coordinator_client.post(
            add,
            posted(page, name="CCI test", slug="cci-test", kind="consular", city="Valenciennes"),
        )
    assert response.status_code == 302
    assert create.called
    assert Organisation.objects.get(slug="cci-test").city == "Valenciennes"
    # A public level is reserved to public bodies: refused on the form, nothing saved.
    bank = {"name": "Banque test", "slug": "banque-test", "kind": "bank", "public_level": "region"}
    refused = coordinator_client.post(add, posted(page, **bank))
    assert refused.status_code == 200 and refused.context["errors"]
    assert not Organisation.objects.filter(slug="banque-test").exists()


def test_read_only_pages_refuse_a_post_and_a_history_revert(world, coordinator_client):
    project = project_at("qualified", dispositif=world.a)
    change = reverse("admin:pme_project_change", args=[project.pk])
    assert coordinator_client.get(change).status_code == 200
    assert coordinator_client.post(change, {"title": "Changé"}).status_code == 403
    assert coordinator_client.get(reverse("admin:pme_project_add")).status_code == 403

    with scope([world.a]):
        version = project.history.earliest()
    revert = reverse("admin:pme_project_simple_history", args=[project.pk, version.history_id])
    page = coordinator_client.get(revert)
    assert page.status_code == 200
    response = coordinator_client.post(revert, posted(page, title="Changé par l'historique"))
    assert response.status_code == 403
    with scope([world.a]):
        assert Project.objects.get(pk=project.pk).title == "Projet de développement"
